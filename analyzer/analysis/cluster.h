#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/analysis/goroutine_record.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

// Goroutines of one shape across all snapshots: same blocking operation, same first frame of
// the program's own code, same creator. Layers 3 to 5 fill it in turn.
struct Cluster {
  std::string key;  // the fingerprint's text
  std::string id;   // its stable hash, as reports and baselines name the cluster
  std::string blocking_operation;
  std::string status;  // the runtime's word for the state, from the first goroutine seen
  report::Frame blocked_at;
  report::Frame created_by;
  std::vector<int64_t> count_per_snapshot;
  std::vector<size_t> records;  // indices into AnalysisInput::records, all snapshots

  // Of the last snapshot.
  uint64_t min_id = UINT64_MAX;
  uint64_t max_id = 0;
  std::vector<double> waits_seconds;
  uint32_t representative_snapshot = 0;
  Stack representative_stack;

  // Layer 4.
  std::vector<report::Anchor> anchors;
  std::string anchor_kind = "default";  // picks the wait threshold

  // Layer 5.
  report::Verdict verdict = report::EXPECTED;
  std::vector<std::string> reasons;
  double threshold_seconds = 0;
  double growth_per_minute = 0;
  bool monotonic_growth = false;
  std::string baseline_reason;

  int64_t last_count() const { return count_per_snapshot.empty() ? 0 : count_per_snapshot.back(); }
};

}  // namespace leakscan
