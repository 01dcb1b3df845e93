#include "analyzer/engine/inputs.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <new>
#include <numeric>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "analyzer/engine/go_trace_input.h"
#include "analyzer/engine/http_fetch.h"
#include "analyzer/engine/leak_profile_fetch.h"
#include "analyzer/model/trace_window.h"
#include "analyzer/readers/read_snapshots.h"

namespace leakscan {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

std::optional<TimePoint> modification_time(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

// The snapshots of one input, with the time to give those that carry none of their own.
struct ReadInput {
  std::vector<Snapshot> snapshots;
  std::optional<TimePoint> fallback_time;
  CaptureTimeOrigin fallback_origin = CaptureTimeOrigin::kOrderGiven;
};

Result<ReadInput> read_input_unguarded(Input& input, const LoadOptions& options) {
  const ReadLimits& limits = options.limits;
  ReadInput out;
  Result<std::vector<Snapshot>> snapshots = std::vector<Snapshot>{};
  switch (input.origin) {
    case InputOrigin::kUrl: {
      out.fallback_time = std::chrono::system_clock::now();
      out.fallback_origin = CaptureTimeOrigin::kFetched;
      auto body = http_get(input.name, limits.max_input_bytes, options.http);
      if (!body) return body.error();
      // /debug/pprof/trace: an execution trace, read through its helper; no leak profile is
      // fetched beside it, its URL being no goroutine profile's.
      if (auto minor = go_trace_minor_of_bytes(*body, limits)) {
        GoTraceRead read{.name = without_userinfo(input.name), .end_time = out.fallback_time};
        snapshots = read_go_trace_bytes(*body, *minor, read, limits);
        break;
      }
      snapshots = read_snapshots_from_memory(*body, without_userinfo(input.name), limits);
      if (!snapshots || !options.fetch_leak_profile) break;
      auto proof = fetch_leak_profile(input.name, limits, options.http);
      if (!proof) return proof.error();
      // The analysis says what it read the profile as (analysis/leak_proof.h).
      if (*proof) snapshots->push_back(std::move(**proof));
      break;
    }
    case InputOrigin::kBytes:
      snapshots = read_snapshots_from_memory(input.data, input.name, limits);
      break;
    case InputOrigin::kSnapshots:
      snapshots = std::move(input.snapshots);
      break;
    case InputOrigin::kFile:
      out.fallback_time = modification_time(input.name);
      if (out.fallback_time) out.fallback_origin = CaptureTimeOrigin::kFileModified;
      if (auto minor = go_trace_minor_of_file(input.name, limits)) {
        GoTraceRead read{.name = input.name, .end_time = out.fallback_time};
        snapshots = read_go_trace_file(input.name, *minor, read, limits);
        break;
      }
      snapshots = read_snapshots(input.name, limits);
      break;
    case InputOrigin::kStdin:
      snapshots = read_stdin_maybe_go_trace(limits);
      break;
  }
  if (!snapshots) return snapshots.error();
  out.snapshots = std::move(*snapshots);
  return out;
}

// A trace names no creator for the goroutines there before its window; a dump of the process
// taken just before it (a plain URL with --trace-window fetches one) does, for the same ids, so
// that their clusters are the dump's.
void complete_trace_creators(std::vector<Snapshot>& snapshots) {
  for (size_t index = 1; index < snapshots.size(); ++index) {
    Snapshot& trace = snapshots[index];
    const Snapshot& dump = snapshots[index - 1];
    if (!trace_window(trace.reason) || trace_window(dump.reason) || dump.threads.empty()) continue;
    std::unordered_map<uint64_t, const GreenThread*> by_id;
    for (const auto& thread : dump.threads) {
      if (thread.id != 0 && thread.created_by != kNoFrame) by_id.emplace(thread.id, &thread);
    }
    for (auto& thread : trace.threads) {
      if (thread.created_by != kNoFrame) continue;
      auto found = by_id.find(thread.id);
      if (found == by_id.end()) continue;
      thread.created_by = trace.frames().intern(dump.frame(found->second->created_by));
      if (thread.creator_id == 0) thread.creator_id = found->second->creator_id;
    }
  }
}

std::string shown(const Input& input) {
  return input.origin == InputOrigin::kUrl ? without_userinfo(input.name) : input.name;
}

// The budgets bound what an input may build, but the machine may hold less than a budget: the
// allocator's refusal is this input's error, named, not an abort.
Result<ReadInput> read_input(Input& input, const LoadOptions& options) {
  try {
    return read_input_unguarded(input, options);
  } catch (const std::bad_alloc&) {
    return Error{fmt::format("{}: the system ran out of memory while reading it", shown(input)),
                 ErrorKind::kOutOfMemory};
  } catch (const std::system_error& error) {
    // A reading thread the system would not start.
    return Error{fmt::format("{}: {} while reading it", shown(input), error.what()),
                 ErrorKind::kOutOfMemory};
  }
}

}  // namespace

Input Input::from_argument(std::string argument) {
  Input input;
  if (argument == "-") {
    input.origin = InputOrigin::kStdin;
  } else if (argument.starts_with("http://") || argument.starts_with("https://")) {
    input.origin = InputOrigin::kUrl;
  }
  input.name = std::move(argument);
  return input;
}

Input Input::from_bytes(std::string data, std::string name) {
  return Input{.origin = InputOrigin::kBytes, .name = std::move(name), .data = std::move(data)};
}

Input Input::from_snapshots(std::vector<Snapshot> snapshots) {
  std::string name = snapshots.empty() ? std::string() : snapshots.front().source;
  return Input{.origin = InputOrigin::kSnapshots,
               .name = std::move(name),
               .snapshots = std::move(snapshots)};
}

Result<LoadedSnapshots> load_snapshots(std::vector<Input> inputs, const LoadOptions& options) {
  LoadedSnapshots loaded;
  // A file given twice (or under two names) would be two snapshots of one moment: a series
  // that looks steady because it is one capture.
  std::map<std::pair<dev_t, ino_t>, std::string> files_read;
  for (size_t index = 0; index < inputs.size(); ++index) {
    if (struct stat info{}; inputs[index].origin == InputOrigin::kFile &&
                            ::stat(inputs[index].name.c_str(), &info) == 0) {
      auto [earlier, added] =
          files_read.try_emplace({info.st_dev, info.st_ino}, inputs[index].name);
      if (!added) {
        loaded.warnings.push_back(fmt::format("{}: the same file as {}, given again; read once",
                                              inputs[index].name, earlier->second));
        continue;
      }
    }
    auto read = read_input(inputs[index], options);
    if (!read) return read.error();
    for (auto& snapshot : read->snapshots) {
      for (const auto& warning : snapshot.warnings) loaded.warnings.push_back(warning);
      if (!snapshot.captured_at && read->fallback_time) {
        snapshot.captured_at = read->fallback_time;
        snapshot.capture_time_origin = read->fallback_origin;
      }
      loaded.snapshots.push_back(std::move(snapshot));
      loaded.input_of.push_back(static_cast<uint32_t>(index));
    }
  }
  // Go's goroutineleak profile, given beside dumps, is evidence about the clusters of their
  // process (analysis/leak_proof.h), not a snapshot of the series: it goes first, out of the
  // order, and the analysis reads it as such.
  LoadedSnapshots sorted;
  LoadedSnapshots series;
  const bool mixed = std::any_of(loaded.snapshots.begin(), loaded.snapshots.end(),
                                 [](const Snapshot& s) { return s.proven_leaked; }) &&
                     std::any_of(loaded.snapshots.begin(), loaded.snapshots.end(),
                                 [](const Snapshot& s) { return !s.proven_leaked; });
  for (size_t index = 0; index < loaded.snapshots.size(); ++index) {
    LoadedSnapshots& into = mixed && loaded.snapshots[index].proven_leaked ? sorted : series;
    into.snapshots.push_back(std::move(loaded.snapshots[index]));
    into.input_of.push_back(loaded.input_of[index]);
  }
  auto order = order_snapshots(series.snapshots, series.input_of, options.order, loaded.warnings);
  if (!order) return order.error();
  sorted.warnings = std::move(loaded.warnings);
  for (size_t index : *order) {
    sorted.snapshots.push_back(std::move(series.snapshots[index]));
    sorted.input_of.push_back(series.input_of[index]);
  }
  complete_trace_creators(sorted.snapshots);
  return sorted;
}

}  // namespace leakscan
