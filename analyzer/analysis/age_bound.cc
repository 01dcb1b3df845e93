#include "analyzer/analysis/age_bound.h"

#include <algorithm>

#include "analyzer/model/capture_time.h"

namespace leakscan {

std::vector<std::optional<double>> exact_capture_seconds(std::span<const Snapshot> snapshots) {
  std::vector<std::optional<double>> seconds;
  for (const Snapshot& snapshot : snapshots) {
    auto taken = time_taken(snapshot);
    seconds.push_back(taken ? std::optional<double>(
                                  std::chrono::duration<double>(taken->time_since_epoch()).count())
                            : std::nullopt);
  }
  return seconds;
}

AgeBound::AgeBound(std::span<const Snapshot> snapshots) {
  if (snapshots.empty()) return;
  auto seconds = exact_capture_seconds(snapshots);
  last_capture_ = seconds.back();
  for (size_t i = snapshots.size() - 1; i-- > 0;) {
    if (!seconds[i]) continue;
    uint64_t newest = 0;
    for (const auto& thread : snapshots[i].threads) newest = std::max(newest, thread.id);
    if (newest > 0) earlier_.push_back(Earlier{newest, *seconds[i]});
  }
}

std::optional<double> AgeBound::max_age_seconds(const GreenThread& thread) const {
  if (!last_capture_) return std::nullopt;
  if (thread.created_at) {
    return *last_capture_ -
           std::chrono::duration<double>(thread.created_at->time_since_epoch()).count();
  }
  // The latest earlier snapshot this goroutine is certainly newer than.
  for (const auto& earlier : earlier_) {
    if (thread.id > earlier.newest_id + kGoroutineIdSlack) {
      return *last_capture_ - earlier.captured;
    }
  }
  return std::nullopt;
}

std::optional<AgeBound::Wait> AgeBound::wait_of(const GreenThread& thread) const {
  if (!thread.wait) return std::nullopt;
  double wait = std::chrono::duration<double>(*thread.wait).count();
  if (auto age = max_age_seconds(thread); age && wait > *age) {
    return Wait{.seconds = std::max(*age, 0.0), .capped = true};
  }
  return Wait{.seconds = wait};
}

}  // namespace leakscan
