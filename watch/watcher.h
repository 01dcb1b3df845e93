// `leakscan watch`: polls goroutine endpoints (Go's net/http/pprof, the C++ agent) on a
// schedule, keeps every snapshot durably, one series per process, and analyses each series
// as it grows. Each target is polled from a thread of its own, so that one that hangs delays
// no other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/engine/http_fetch.h"
#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"
#include "watch/report_file.h"
#include "watch/watch_event.h"

namespace leakscan {

struct WatchOptions {
  std::vector<std::string> urls;  // a bare http://host:port polls /debug/pprof/goroutine?debug=2
  std::filesystem::path out;      // OUT/TARGET/series-NNNN/goroutine-NNNNNN.{txt,pb.gz}
  std::chrono::milliseconds every{std::chrono::minutes(1)};
  // Per fetch, connecting included; and the headers sent with each.
  HttpOptions http{.timeout = std::chrono::seconds(30)};
  size_t polls = 0;                                  // per target; 0: until stopped
  std::optional<std::chrono::milliseconds> run_for;  // then stop
  // A leak that stays a leak this long ends the watch (for soak tests in CI).
  std::optional<std::chrono::milliseconds> fail_after;
  size_t retain = 100;                 // snapshots kept per series (0: all)
  uint64_t retain_bytes = 1ULL << 30;  // bytes kept per series (0: no limit)
  size_t window = 10;                  // newest snapshots of a series analysed together
  ReadLimits limits;
  // Beside a /debug/pprof/goroutine URL, also fetch Go's goroutineleak profile where served.
  bool fetch_leak_profile = true;
  AnalysisOptions analysis;
  // Rewritten after every analysis; with several targets, one file each (the target's name
  // before the extension).
  std::vector<ReportFile> reports;
};

struct WatchSummary {
  // Set when a leak outlasted fail_after: the target and the cluster.
  std::optional<WatchEvent> failed;
  std::vector<std::string> never_answered;  // targets that gave no snapshot at all
};

using WatchEventSink = std::function<void(const WatchEvent&)>;

// Runs until every target has had `polls` polls, `run_for` has passed, `stop` is set or a leak
// outlasts `fail_after`. Events reach `on_event` one at a time (never concurrently). The error
// is for what cannot start: the output directory, a target that is not an http:// URL.
Result<WatchSummary> run_watch(const WatchOptions& options, const std::atomic<bool>& stop,
                               const WatchEventSink& on_event);

// The URL polled for `argument`: a bare http://host:port gets pprof's goroutine path.
std::string goroutine_url(const std::string& argument);

}  // namespace leakscan
