// What the five layers know about each goroutine as they go. The readers' model stays as it was
// read; the layers fill these records, and the report is built from them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/snapshot.h"

namespace leakscan {

enum class Disposition : uint8_t {
  kKept,       // goes on to clustering
  kSystem,     // the runtime's or the standard library's own (layer 1)
  kFinishing,  // exiting, not leaking (layer 2)
  kExited,     // ended, memory not yet released (layer 2)
  kFiltered,   // left out by --focus / --ignore
};

// One goroutine, or one aggregated sample standing for `count` goroutines (debug=0/1).
struct GoroutineRecord {
  uint32_t snapshot = 0;
  int64_t count = 1;
  const GreenThread* thread = nullptr;  // null for aggregated samples
  const Sample* sample = nullptr;       // null for threads
  Stack stack;

  // Layer 1.
  std::string_view blocking_operation;  // "chan send"; the status when no frame says
  FrameId blocked_at = kNoFrame;        // first frame of the program's own code
  uint32_t blocked_depth = 0;           // its index in `stack`
  FrameId created_by = kNoFrame;
  Disposition disposition = Disposition::kKept;
  std::string_view why;  // the rule or reason behind the disposition, for -v

  // Layer 3.
  uint32_t cluster = UINT32_MAX;

  std::span<const Label> labels() const {
    if (thread != nullptr) return thread->labels;
    if (sample != nullptr) return sample->labels;
    return {};
  }
};

// All records of all snapshots, snapshots in capture order.
struct AnalysisInput {
  std::span<const Snapshot> snapshots;
  std::vector<GoroutineRecord> records;
};

// True for functions of the program's own code rather than Go's runtime and standard library:
// a Go package path whose first element has a dot ("github.com/..."), or package main.
bool is_user_function(std::string_view function);

}  // namespace leakscan
