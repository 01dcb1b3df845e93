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
  for (size_t i = 0; i < snapshots.size(); ++i) {
    for (const auto& thread : snapshots[i].threads) {
      input.records.push_back(
          GoroutineRecord{.thread = &thread, .snapshot = static_cast<uint32_t>(i)});
    }
    for (const auto& sample : snapshots[i].samples) {
      input.records.push_back(
          GoroutineRecord{.sample = &sample, .snapshot = static_cast<uint32_t>(i)});
    }
  }
  return input;
}

}  // namespace leakscan
