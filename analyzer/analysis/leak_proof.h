// Go's own proof as evidence: a goroutineleak profile (Go 1.26 with the experiment, Go 1.27) lists
// the goroutines the GC found blocked on what no running goroutine can reach. Given beside dumps
// of the same process, it is not a snapshot of their series (it holds the leaked goroutines only,
// and would read as everything else gone, or as growth from nothing): its goroutines are matched
// to the series' clusters by where they block, and those clusters carry the proof.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/rules.h"

namespace leakscan {

// Adds to each cluster of `clusters` (of the series `input`) the goroutines `proofs` hold at its
// blocking site (the first frame of the program's own code, by function and line; by function
// where no line matches). Returns one line per proof: what it was read as, and what it matched.
std::vector<std::string> attach_leak_proof(std::span<const Snapshot> proofs, const Rules& rules,
                                           std::vector<Cluster>& clusters);

}  // namespace leakscan
