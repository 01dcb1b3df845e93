// How a dump's process ended, when it did: a panic, a fatal error, a deadlock the runtime
// detected, a stack overflow, a signal, or SIGQUIT sent to a hung process. The goroutine that
// matters comes first in a report: the one that panicked or crashed, or, in a process that
// hung or deadlocked, the program's goroutines that nothing will wake, grouped by what they
// wait on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/goroutine_record.h"

namespace leakscan {

enum class ProcessEndKind : uint8_t {
  kPanic,
  kTestTimeout,  // "panic: test timed out after ..." (go test -timeout)
  kDeadlock,     // "fatal error: all goroutines are asleep - deadlock!"
  kStackOverflow,
  kFatalError,
  kSignal,  // SIGSEGV, SIGABRT, ...
  kQuit,    // SIGQUIT: someone asked a hung process for its goroutines
};

std::string_view to_string(ProcessEndKind kind);

// Goroutines of the program blocked on one object (or, where no object is known, on one
// operation at one site).
struct WaitingOn {
  uint64_t object = 0;
  std::string_view operation;
  Frame blocked_at;
  std::vector<uint64_t> goroutine_ids;
};

struct ProcessEnd {
  ProcessEndKind kind = ProcessEndKind::kFatalError;
  // The dump's own words; where its header was cut, what the crashed goroutine's frames say.
  std::string reason;
  const GoroutineRecord* culprit = nullptr;  // may be null: no goroutine of the program's
  Frame culprit_site;  // its first frame of the program's own code, else its creation site
  std::vector<WaitingOn> waiting;  // for a process that hung or deadlocked
  std::string explanation;
};

// The last snapshot's ending, if it records one (Snapshot::reason), or if a goroutine that was
// running when it was written is inside a panic or a runtime throw.
std::optional<ProcessEnd> explain_process_end(const AnalysisInput& input);

}  // namespace leakscan
