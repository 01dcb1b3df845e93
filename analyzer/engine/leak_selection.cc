#include "analyzer/engine/leak_selection.h"

#include "analyzer/model/merge.h"

namespace leakscan {

Snapshot select_leaks(const Findings& findings, int64_t& goroutines) {
  const Analysis& analysis = findings.analysis();
  const auto& snapshots = analysis.input.snapshots;
  const Snapshot& last = snapshots.back();
  const auto last_index = static_cast<uint32_t>(snapshots.size() - 1);
  std::vector<size_t> threads;
  std::vector<size_t> samples;
  goroutines = 0;
  for (const auto& cluster : analysis.clusters) {
    if (cluster.verdict != Verdict::kLeak || !cluster.baseline_reason().empty()) continue;
    for (uint32_t index : cluster.records()) {
      const GoroutineRecord& record = analysis.input.records[index];
      if (record.snapshot != last_index) continue;
      goroutines += record.count();
      if (record.thread != nullptr) threads.push_back(record.thread - last.threads.data());
      if (record.sample != nullptr) samples.push_back(record.sample - last.samples.data());
    }
  }
  return subset_snapshot(last, threads, samples);
}

}  // namespace leakscan
