#include "analyzer/engine/snapshot_order.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "analyzer/analysis/age_bound.h"
#include "analyzer/engine/process_identity.h"
#include "analyzer/model/capture_time.h"

namespace leakscan {
namespace {

std::vector<uint64_t> sorted_ids(const Snapshot& snapshot) {
  std::vector<uint64_t> ids;
  ids.reserve(snapshot.threads.size());
  for (const auto& thread : snapshot.threads) {
    if (thread.id != 0) ids.push_back(thread.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool exact_time(const Snapshot& snapshot) { return time_taken(snapshot).has_value(); }

// A goroutine made later on one P can have a smaller id than one made earlier on another.
constexpr uint64_t kIdSlack = kGoroutineIdSlack;

// The first goroutine of `later` that no process could have created after `earlier`: absent
// from it, yet older than its newest by more than the batching allows. 0 when there is none.
uint64_t impossible_newcomer(const std::vector<uint64_t>& earlier,
                             const std::vector<uint64_t>& later) {
  if (earlier.empty() || earlier.back() <= kIdSlack) return 0;
  const uint64_t bound = earlier.back() - kIdSlack;
  for (uint64_t id : later) {
    if (id >= bound) break;
    if (!std::binary_search(earlier.begin(), earlier.end(), id)) return id;
  }
  return 0;
}

std::string name_of(const Snapshot& snapshot, size_t index) {
  return snapshot.source.empty() ? fmt::format("snapshot {}", index + 1) : snapshot.source;
}

// The snapshots of the last process in `chosen`: a profile without goroutine ids shows a
// restart only by where it maps its objects, and growth across a restart is no growth.
std::vector<size_t> newest_process(std::span<const Snapshot> snapshots, std::vector<size_t> chosen,
                                   std::vector<std::string>& warnings) {
  size_t first = 0;
  std::string why;
  for (size_t i = 0; i + 1 < chosen.size(); ++i) {
    if (auto moved = remapped_object(snapshots[chosen[i]], snapshots[chosen[i + 1]])) {
      first = i + 1;
      why = fmt::format("{} and {} are of two processes ({})",
                        name_of(snapshots[chosen[i]], chosen[i]),
                        name_of(snapshots[chosen[i + 1]], chosen[i + 1]), *moved);
    }
  }
  if (first == 0) return chosen;
  std::vector<std::string> set_aside;
  for (size_t i = 0; i < first; ++i) set_aside.push_back(name_of(snapshots[chosen[i]], chosen[i]));
  warnings.push_back(fmt::format(
      "these snapshots hold more than one process: {}; only the newest process's {} are "
      "analysed, setting aside {}",
      why, chosen.size() - first, fmt::join(set_aside, ", ")));
  chosen.erase(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(first));
  return chosen;
}

}  // namespace

bool ids_can_follow(const Snapshot& earlier, const Snapshot& later) {
  return impossible_newcomer(sorted_ids(earlier), sorted_ids(later)) == 0;
}

Result<std::vector<size_t>> order_snapshots(std::span<const Snapshot> snapshots,
                                            std::span<const uint32_t> input_of, SnapshotOrder order,
                                            std::vector<std::string>& warnings) {
  auto same_input = [&](size_t a, size_t b) {
    return a < input_of.size() && b < input_of.size() && input_of[a] == input_of[b];
  };
  std::vector<size_t> given(snapshots.size());
  std::iota(given.begin(), given.end(), 0);
  if (snapshots.size() < 2) return given;
  std::vector<std::vector<uint64_t>> ids;
  for (const auto& snapshot : snapshots) ids.push_back(sorted_ids(snapshot));
  // The first pair of `chosen` that breaks the id clock, as an index into it.
  auto first_break = [&](const std::vector<size_t>& chosen) -> std::optional<size_t> {
    for (size_t i = 0; i + 1 < chosen.size(); ++i) {
      if (same_input(chosen[i], chosen[i + 1])) continue;
      if (impossible_newcomer(ids[chosen[i]], ids[chosen[i + 1]]) != 0) return i;
    }
    return std::nullopt;
  };
  auto describe = [&](const std::vector<size_t>& chosen, size_t i) {
    size_t a = chosen[i];
    size_t b = chosen[i + 1];
    return fmt::format(
        "{} holds goroutine {}, absent from {}, which already held goroutine {}; "
        "within one process goroutine ids only grow",
        name_of(snapshots[b], b), impossible_newcomer(ids[a], ids[b]), name_of(snapshots[a], a),
        ids[a].back());
  };

  if (order == SnapshotOrder::kAsGiven) {
    if (auto broken = first_break(given)) {
      warnings.push_back("these snapshots look like two processes, or are out of order: " +
                         describe(given, *broken));
    }
    return given;
  }

  bool all_timed = std::all_of(snapshots.begin(), snapshots.end(), exact_time);
  if (all_timed) {
    std::vector<size_t> by_time = given;
    std::stable_sort(by_time.begin(), by_time.end(), [&](size_t a, size_t b) {
      return *snapshots[a].captured_at < *snapshots[b].captured_at;
    });
    if (auto broken = first_break(by_time)) {
      return Error{
          "these snapshots are not of one process (restarted?): by their capture "
          "times, " +
          describe(by_time, *broken)};
    }
    return newest_process(snapshots, std::move(by_time), warnings);
  }

  // No times to go by: the goroutine-id clock. Inputs are ordered by their last snapshot's
  // newest goroutine (an input's own snapshots stay together and in order); without ids, as
  // given.
  std::map<uint32_t, uint64_t> newest_of_input;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    uint32_t input = i < input_of.size() ? input_of[i] : static_cast<uint32_t>(i);
    newest_of_input[input] = ids[i].empty() ? 0 : ids[i].back();
  }
  auto newest = [&](size_t i) {
    return newest_of_input[i < input_of.size() ? input_of[i] : static_cast<uint32_t>(i)];
  };
  bool all_have_ids = std::all_of(ids.begin(), ids.end(), [](const auto& v) { return !v.empty(); });
  std::vector<size_t> chosen = given;
  if (all_have_ids) {
    std::stable_sort(chosen.begin(), chosen.end(),
                     [&](size_t a, size_t b) { return newest(a) < newest(b); });
  }
  if (auto broken = first_break(chosen)) {
    return Error{"these snapshots are not of one process (restarted?): " +
                 describe(chosen, *broken)};
  }
  chosen = newest_process(snapshots, std::move(chosen), warnings);
  if (chosen != given) {
    std::vector<std::string> names;
    names.reserve(chosen.size());
    for (size_t index : chosen) {
      names.push_back(
          fmt::format("{} (newest goroutine {})", name_of(snapshots[index], index), newest(index)));
    }
    warnings.push_back(fmt::format(
        "snapshots ordered by their goroutine ids, which grow with time, not as given (they carry "
        "no capture time): {}",
        fmt::join(names, ", ")));
  }
  return chosen;
}

}  // namespace leakscan
