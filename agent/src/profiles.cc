// The agent's snapshots, rendered: one lock serialises them, as the symbolizer and the
// registry's stack collection are single-user.
#include "agent/src/profiles.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "agent/src/snapshot_builder.h"
#include "agent/src/symbolizer.h"
#include "analyzer/analysis/system_frame_filter.h"
#include "analyzer/model/merge.h"
#include "analyzer/model/text_format.h"
#include "analyzer/model/user_code.h"
#include "analyzer/writers/go_text_writer.h"
#include "leakscan/agent/agent.h"
#include "producer/gzipped_pprof.h"

namespace leakscan::agent {
namespace {

std::mutex& snapshot_mutex() {
  static std::mutex mutex;
  return mutex;
}

Symbolizer& symbolizer() {
  // Built on first use (reading the process's mappings), kept: its cache is what makes repeat
  // snapshots cheap. Leaked for the same reason as the registry.
  static Symbolizer* instance = std::make_unique<Symbolizer>().release();
  return *instance;
}

// Go's debug=1 form: green threads with the same stack and labels become one counted record.
void aggregate(Snapshot& snapshot) {
  std::map<std::pair<const FrameId*, std::string>, size_t> index;
  for (const auto& thread : snapshot.threads) {
    std::string labels;
    for (const auto& label : thread.labels) labels += fmt::format("{}={};", label.key, label.str);
    auto [it, added] = index.try_emplace({thread.stack.data(), labels}, snapshot.samples.size());
    if (added) {
      snapshot.samples.push_back(
          Sample{0, thread.stack, {thread.labels.begin(), thread.labels.end()}});
    }
    ++snapshot.samples[it->second].count;
  }
  snapshot.threads.clear();
}

}  // namespace

std::vector<Snapshot> take_snapshots(std::chrono::milliseconds stack_timeout) {
  std::lock_guard lock(snapshot_mutex());
  return build_snapshots(Registry::instance(), symbolizer(), {.stack_timeout = stack_timeout});
}

std::string goroutine_profile_gzip(std::chrono::milliseconds stack_timeout) {
  std::vector<Snapshot> snapshots = take_snapshots(stack_timeout);
  Result<std::string> encoded = encode_gzipped_pprof(snapshots);
  return encoded ? std::move(*encoded) : std::string();
}

std::string goroutine_text(int debug, std::chrono::milliseconds stack_timeout) {
  std::vector<Snapshot> snapshots = take_snapshots(stack_timeout);
  // Go's text has no runtime label and one dump per process: fibers and coroutines together.
  for (size_t i = 1; i < snapshots.size(); ++i)
    append_snapshot(snapshots[0], std::move(snapshots[i]));
  snapshots.resize(1);
  if (debug == 1) {
    for (auto& snapshot : snapshots) aggregate(snapshot);
  }
  char* buffer = nullptr;
  size_t size = 0;
  {
    std::unique_ptr<std::FILE, decltype(&std::fclose)> out(open_memstream(&buffer, &size),
                                                           &std::fclose);
    if (!out) return {};
    write_go_text(snapshots, out.get());
  }  // closing the stream sets buffer and size
  std::unique_ptr<char, decltype(&std::free)> owned(buffer, &std::free);
  return {owned.get(), size};
}

uint64_t next_green_thread_id() { return Registry::instance().next_id(); }

size_t live_green_threads_since(uint64_t min_id) { return Registry::instance().live_count(min_id); }

size_t tracking_schedulers() { return Registry::instance().scheduler_count(); }

std::vector<GreenThreadSummary> describe_green_threads(uint64_t min_id) {
  std::vector<GreenThreadSummary> result;
  // A wait on Boost's own types is recorded by no wrapper: it is worded as the analysis words it,
  // from the stack by the same rules.
  const SystemFrameFilter rules(default_rules());
  for (const Snapshot& snapshot : take_snapshots(std::chrono::seconds(1))) {
    for (const GreenThread& thread : snapshot.threads) {
      if (thread.id < min_id) continue;
      std::string_view wait = thread.wait_reason;
      if (wait.empty()) wait = rules.named_blocking_operation(snapshot, thread.stack);
      GreenThreadSummary summary{thread.id, std::string(thread.status), std::string(wait), {}, {}};
      if (thread.created_by != kNoFrame) {
        summary.created_by = format_site(snapshot.frame(thread.created_by));
      }
      if (FrameId blocked_at = first_user_frame(snapshot, thread.stack); blocked_at != kNoFrame) {
        summary.blocked_at = format_site(snapshot.frame(blocked_at));
      }
      result.push_back(std::move(summary));
    }
  }
  return result;
}

std::string goroutine_profile_gzip() { return goroutine_profile_gzip(std::chrono::seconds(1)); }
std::string goroutine_text(int debug) { return goroutine_text(debug, std::chrono::seconds(1)); }

}  // namespace leakscan::agent
