#pragma once

#include <vector>

#include "analyzer/analysis/cluster.h"

namespace leakscan {

// Layer 3. Groups goroutines by fingerprint in one pass over them (hash, no pairwise
// comparison): the blocking operation, the first frame of the program's own code and the
// creator's function. Stacks that differ only below that frame, or in recursion depth, land in
// one cluster, whose representative stack is its most common one. Arguments, addresses, wait
// minutes and line numbers are not part of the fingerprint. A cluster's id is a stable hash of
// its blocking site, with the creator only where two clusters share that site.
class PatternClustering {
 public:
  std::vector<Cluster> run(AnalysisInput& input) const;
};

}  // namespace leakscan
