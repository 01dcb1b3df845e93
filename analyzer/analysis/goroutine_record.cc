#include "analyzer/analysis/goroutine_record.h"

#include <algorithm>
#include <array>

namespace leakscan {

AnalysisInput make_analysis_input(std::span<const Snapshot> snapshots) {
  AnalysisInput input;
  input.snapshots = snapshots;
  size_t total = 0;
  for (const auto& snapshot : snapshots) total += snapshot.threads.size() + snapshot.samples.size();
  input.records.reserve(total);
  input.id_ranges.resize(snapshots.size());
  for (size_t i = 0; i < snapshots.size(); ++i) {
    IdRange& ids = input.id_ranges[i];
    for (const auto& thread : snapshots[i].threads) {
      input.records.push_back(
          GoroutineRecord{.thread = &thread, .snapshot = static_cast<uint32_t>(i)});
      if (thread.id != 0) {
        ids.low = std::min(ids.low, thread.id);
        ids.high = std::max(ids.high, thread.id);
      }
      input.has_ancestors = input.has_ancestors || !thread.ancestors.empty();
    }
    for (const auto& sample : snapshots[i].samples) {
      input.records.push_back(
          GoroutineRecord{.sample = &sample, .snapshot = static_cast<uint32_t>(i)});
    }
  }
  return input;
}

}  // namespace leakscan
