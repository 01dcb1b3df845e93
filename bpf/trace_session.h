// One `leakscan trace` run: verifies the target, attaches the lifecycle probes in a duty cycle
// (or for the whole run), writes a memory snapshot every interval into the output directory,
// and ends on request, at the deadline or when the target exits, always detaching first.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan::trace {

struct TraceOptions {
  pid_t pid = 0;
  std::string out_dir;
  std::chrono::milliseconds every{std::chrono::seconds(30)};
  std::optional<std::chrono::milliseconds> duration;
  double probe_duty = 0.10;  // share of each duty period with the probes attached; 0: never
  std::chrono::milliseconds duty_period{std::chrono::seconds(10)};
  // A duty window ends early after this many creations (0: never), which bounds what the
  // probes cost a goroutine-heavy target; --all-events ignores it.
  uint64_t window_event_budget = 1000;
  bool all_events = false;  // probes attached for the whole run, an event per exit
  size_t retain = 0;        // keep only the newest N snapshots; 0 keeps all
  // Called after each snapshot file is written (for --report).
  std::function<void(const std::vector<std::string>& snapshot_files)> on_snapshot;
  // Progress lines ("attached 2 uprobes to ..."); may be empty.
  std::function<void(const std::string&)> log;
};

struct SiteSummary {
  std::string site;  // "FUNC at FILE:LINE" of the go statement
  uint64_t gopc = 0;
  uint64_t born = 0;  // counted while the probes were attached
  uint64_t died = 0;
  int64_t live_first = 0;  // goroutines from this site in the first and last snapshot
  int64_t live_last = 0;
};

struct TraceSummary {
  std::string ended_by;  // "interrupted", "duration", "target exited"
  std::chrono::milliseconds traced{0};
  std::chrono::milliseconds probes_attached{0};
  std::vector<std::string> snapshot_files;
  uint64_t created_events = 0;  // events received: exits only with all_events
  uint64_t exited_events = 0;
  uint64_t born = 0;  // what the probes counted, the sum of the sites' born and died
  uint64_t died = 0;
  uint64_t dropped_events = 0;
  std::vector<SiteSummary> sites;  // most born first
  std::vector<uint64_t> probe_addresses;
  std::string go_version;
  std::string layout_source;
};

// Runs until `stop` becomes true, the duration passes or the target exits. Writes
// OUT_DIR/goroutines-NNNN.pb.gz (atomically renamed) and OUT_DIR/sites.json.
Result<TraceSummary> run_trace(const TraceOptions& options, const std::atomic<bool>& stop);

// The summary as text: "site X: +12,000 born, 40 died in 10m0s" lines.
std::string format_sites(const TraceSummary& summary);

}  // namespace leakscan::trace
