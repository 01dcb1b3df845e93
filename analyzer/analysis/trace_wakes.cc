#include "analyzer/analysis/trace_wakes.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyzer/model/text_format.h"
#include "analyzer/model/trace_window.h"

namespace leakscan {

std::optional<TraceWakes> trace_wakes(const AnalysisInput& input, const Cluster& cluster) {
  if (input.snapshots.empty()) return std::nullopt;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  auto window = trace_window(input.snapshots[last].reason);
  if (!window) return std::nullopt;
  TraceWakes wakes{.window = *window};
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot != last) continue;
    bool labelled = false;
    bool whole = false;
    for (const Label& label : record.labels()) {
      if (label.key == kSiteWoken && label.numeric) {
        labelled = true;
        wakes.site_woken = std::max(wakes.site_woken, label.num);
      } else if (label.key == kBlockedWholeWindow && label.str == "true") {
        whole = true;
      }
    }
    if (!labelled) continue;
    wakes.blocked += record.count();
    if (whole) wakes.whole_window += record.count();
  }
  if (wakes.blocked == 0) return std::nullopt;
  return wakes;
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
    if (wakes.whole_window == 0) {
      return fmt::format(
          "{} blocked at the same site were woken in the {} window; these blocked within it",
          counted(wakes.site_woken, "goroutine"), window);
    }
    return fmt::format(
        "{} stayed blocked for the whole {} window while {} blocked at the same site {} woken", who,
        window, counted(wakes.site_woken, "goroutine"), wakes.site_woken == 1 ? "was" : "were");
  }
  // A quiet window proves little: whatever wakes them may simply not have come yet.
  return fmt::format(
      "no goroutine blocked here was woken in the {} window{}; a window this short proves "
      "little on its own",
      window, wakes.whole_window > 0 ? fmt::format(" ({} blocked through all of it)", who) : "");
}

}  // namespace leakscan
