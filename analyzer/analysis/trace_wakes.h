// Wake evidence from a Go execution trace (issue 26): whether a cluster's goroutines stayed
// blocked through the trace's window while others blocked at their site were woken.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/vocabulary.h"

namespace leakscan {

struct TraceWakes {
  std::chrono::nanoseconds window{0};
  int64_t blocked = 0;       // members in the last snapshot that carry the labels
  int64_t whole_window = 0;  // of them, blocked from before the window to its end
  int64_t site_woken = 0;    // goroutines woken at their site in the window (the most of any)
  std::string wakers;        // who woke them, by the wakers' sites (label site_wakers)
  // When the last of those wakers ended, where every one of them did (site_wakers_ended_at).
  std::string wakers_ended_at;
  std::string last_woken_at;  // the site's latest wake (site_last_woken_at)
};

// A cluster's creation site over a trace's window: goroutines born there and ended.
struct SiteTurnover {
  std::chrono::nanoseconds window{0};
  int64_t born = 0;
  int64_t died = 0;
};

// Nothing unless the last snapshot is a trace's and goroutines of the cluster born in its
// window carry the helper's counts.
std::optional<SiteTurnover> site_turnover(const AnalysisInput& input, const Cluster& cluster);

// Nothing unless the last snapshot is a trace's and the cluster's goroutines there carry the
// helper's labels.
std::optional<TraceWakes> trace_wakes(const AnalysisInput& input, const Cluster& cluster);

// The verdict the evidence supports: a suspect that stayed blocked the whole window while
// others at its site were woken is a leak; a quiet window (nothing woken) changes nothing.
Verdict with_trace_wakes(Verdict verdict, const TraceWakes& wakes);

// The reason's words: "stayed blocked for the whole 2s window while 1,412 goroutines blocked
// at the same site were woken", or what a quiet window does and does not show.
std::string trace_wake_words(const TraceWakes& wakes);

}  // namespace leakscan
