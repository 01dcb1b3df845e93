#pragma once

#include <vector>

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/vocabulary.h"

namespace leakscan {

struct DeadButUnfreedFinding {
  DeadButUnfreedKind kind = DeadButUnfreedKind::kFinishing;
  int64_t count = 0;
  Frame created_by;
  std::string_view explanation() const;
};

// Layer 2. Goroutines that are finishing (running deferred calls after runtime.Goexit, in
// goexit0) are not leaks; green threads that have ended but whose memory is still held (fibers
// exited but not joined, from the agent; dead g's kept after a spike, from the tracer) are a
// finding of their own, counted by creation site.
class DeadButUnfreed {
 public:
  void run(AnalysisInput& input) const;
  // Findings for the last snapshot, largest first.
  std::vector<DeadButUnfreedFinding> findings(const AnalysisInput& input) const;
};

}  // namespace leakscan
