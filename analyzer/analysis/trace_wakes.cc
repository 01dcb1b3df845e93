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
      } else if (label.key == kSiteWakersEndedAt && !label.numeric) {
        wakes.wakers_ended_at = std::max(wakes.wakers_ended_at, std::string(label.str));
      } else if (label.key == kSiteLastWokenAt && !label.numeric) {
        wakes.last_woken_at = std::max(wakes.last_woken_at, std::string(label.str));
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
    // Times are RFC 3339 with nanoseconds: to the millisecond is what a reader compares with logs.
    auto to_ms = [](const std::string& at) { return at.substr(0, 23) + "Z"; };
    std::string who_woke = wakes.wakers;
    if (!wakes.last_woken_at.empty()) {
      who_woke +=
          fmt::format("{}the last at {}", who_woke.empty() ? "" : "; ", to_ms(wakes.last_woken_at));
    }
    if (!wakes.wakers_ended_at.empty()) {
      who_woke +=
          fmt::format("; every goroutine that woke one here has ended since, the last at {}",
                      to_ms(wakes.wakers_ended_at));
    }
    const std::string by = who_woke.empty() ? "" : fmt::format(" ({})", who_woke);
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
