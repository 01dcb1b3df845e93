#pragma once

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/rules.h"

namespace leakscan {

// Layer 1. For each goroutine: what it blocks on (the innermost frame a blocking rule names,
// else the runtime's status), where (the first frame of the program's own code), and whether it
// is the runtime's or the standard library's own goroutine, which is never a leak.
class SystemFrameFilter {
 public:
  explicit SystemFrameFilter(const Rules& rules) : rules_(rules) {}
  void run(AnalysisInput& input) const;

 private:
  void classify(const Snapshot& snapshot, GoroutineRecord& record) const;
  bool matches(const SystemRule& rule, const Snapshot& snapshot,
               const GoroutineRecord& record) const;

  const Rules& rules_;
};

}  // namespace leakscan
