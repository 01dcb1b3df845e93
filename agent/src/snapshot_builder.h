// Turns the registry into the analyzer's model: one Snapshot per runtime present (fibers and
// coroutines carry different runtime labels), symbolized, ready for the pprof and Go text
// writers.
#pragma once

#include <chrono>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "leakscan/agent/registry.h"

namespace leakscan::agent {

class Symbolizer;

struct SnapshotOptions {
  // How long to wait for schedulers to unwind their fibers; a scheduler busy in one long
  // fiber past this leaves its fibers' stacks out of this snapshot, not the service stalled.
  std::chrono::milliseconds stack_timeout{1000};
};

std::vector<Snapshot> build_snapshots(Registry& registry, Symbolizer& symbolizer,
                                      const SnapshotOptions& options);

}  // namespace leakscan::agent
