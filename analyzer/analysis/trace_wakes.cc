#include "analyzer/analysis/trace_wakes.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyzer/model/text_format.h"
#include "analyzer/model/trace_window.h"

namespace leakscan {

namespace {

// The last snapshot's window when it is a trace's, after calling `each` on every label of the
// cluster's goroutines in it (and their count); nothing, and no call, otherwise.
template <typename Each>
std::optional<std::chrono::nanoseconds> in_window(const AnalysisInput& input,
                                                  const Cluster& cluster, Each&& each) {
  if (input.snapshots.empty()) return std::nullopt;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  auto window = trace_window(input.snapshots[last].reason);
  if (!window) return std::nullopt;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot == last) each(record);
  }
  return window;
}

}  // namespace

std::optional<TraceWakes> trace_wakes(const AnalysisInput& input, const Cluster& cluster) {
  TraceWakes wakes;
  auto window = in_window(input, cluster, [&](const GoroutineRecord& record) {
    bool labelled = false;
    bool whole = false;
    for (const Label& label : record.labels()) {
      if (label.key == kSiteWoken && label.numeric) {
        labelled = true;
        wakes.site_woken = std::max(wakes.site_woken, label.num);
      } else if (label.key == kBlockedWholeWindow && label.str == "true") {
        whole = true;
      } else if (label.key == kSiteWakers && !label.numeric && wakes.wakers.empty()) {
        wakes.wakers = label.str;
      }
    }
    if (!labelled) return;
    wakes.blocked += record.count();
    if (whole) wakes.whole_window += record.count();
  });
  if (!window || wakes.blocked == 0) return std::nullopt;
  wakes.window = *window;
  return wakes;
}

std::optional<SiteTurnover> site_turnover(const AnalysisInput& input, const Cluster& cluster) {
  SiteTurnover turnover;
  bool labelled = false;
  // A cluster has one creation site: its labelled goroutines all count the same.
  auto window = in_window(input, cluster, [&](const GoroutineRecord& record) {
    for (const Label& label : record.labels()) {
      if (!label.numeric) continue;
      if (label.key == kSiteBorn) {
        turnover.born = std::max(turnover.born, label.num);
        labelled = true;
      } else if (label.key == kSiteDied) {
        turnover.died = std::max(turnover.died, label.num);
      }
    }
  });
  if (!window || !labelled) return std::nullopt;
  turnover.window = *window;
  return turnover;
}

Verdict with_trace_wakes(Verdict verdict, const TraceWakes& wakes) {
  if (verdict == Verdict::kSuspect && wakes.whole_window > 0 && wakes.site_woken > 0) {
    return Verdict::kLeak;
  }
  return verdict;
}

std::string trace_wake_words(const TraceWakes& wakes) {
  const std::string window = format_duration(wakes.window);
  std::string who = wakes.whole_window == wakes.blocked
                        ? (wakes.blocked == 1 ? std::string("it") : std::string("all of them"))
                        : fmt::format("{} of them", with_thousands(wakes.whole_window));
  if (wakes.site_woken > 0) {
    // Who woke the others is who this cluster's goroutines wait for, and it did not come.
    const std::string by = wakes.wakers.empty() ? "" : fmt::format(" ({})", wakes.wakers);
    if (wakes.whole_window == 0) {
      return fmt::format(
          "{} blocked at the same site were woken in the {} window{}; these blocked within it",
          counted(wakes.site_woken, "goroutine"), window, by);
    }
    return fmt::format(
        "{} stayed blocked for the whole {} window while {} blocked at the same site {} woken{}",
        who, window, counted(wakes.site_woken, "goroutine"), wakes.site_woken == 1 ? "was" : "were",
        by);
  }
  // A quiet window proves little: whatever wakes them may simply not have come yet.
  return fmt::format(
      "no goroutine blocked here was woken in the {} window{}; a window this short proves "
      "little on its own",
      window, wakes.whole_window > 0 ? fmt::format(" ({} blocked through all of it)", who) : "");
}

}  // namespace leakscan
