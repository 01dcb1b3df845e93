// How each cluster changed between two inputs (leakscan diff OLD NEW).
#pragma once

#include <cstdint>
#include <vector>

#include "analyzer/engine/find_leaks.h"

namespace leakscan {

struct ClusterChange {
  int64_t before = 0;  // goroutines in the first input's last snapshot
  int64_t after = 0;   // in the second input's last snapshot
  const report::Cluster* cluster = nullptr;
};

// Clusters whose count changed from the snapshots of the first input to those of the others,
// largest change first. The findings must have been made with SnapshotOrder::kAsGiven.
std::vector<ClusterChange> diff_clusters(const Findings& findings);

}  // namespace leakscan
