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
  // The operation the outermost frame a blocking rule names, below the program's own code, says
  // a stack waits in; empty when no rule names one. The agent's test listener words waits so.
  std::string_view named_blocking_operation(const Snapshot& snapshot, Stack stack) const;

 private:
  // What every system rule reads of one goroutine, found once rather than once a rule.
  struct Candidate {
    Stack stack;
    std::string_view creator;  // the function of its `go` statement, empty when unknown
    bool creator_is_user = false;
    bool has_user_frame = false;
  };
  void classify(const Snapshot& snapshot, GoroutineRecord& record) const;
  static bool matches(const SystemRule& rule, const Snapshot& snapshot, const Candidate& candidate);

  const Rules& rules_;
};

}  // namespace leakscan
