// What the five layers know about each goroutine as they go. The readers' model stays as it was
// read; the layers fill these records, and the report is built from them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "analyzer/model/user_code.h"

namespace leakscan {

enum class Disposition : uint8_t {
  kKept,       // goes on to clustering
  kSystem,     // the runtime's or the standard library's own (layer 1)
  kFinishing,  // exiting, not leaking (layer 2)
  kExited,     // ended, memory not yet released (layer 2)
  kFiltered,   // left out by --focus / --ignore
};

// One goroutine, or one aggregated sample standing for several (debug=0/1). Kept small: a
// million goroutines make a million records.
struct GoroutineRecord {
  const GreenThread* thread = nullptr;  // null for aggregated samples
  const Sample* sample = nullptr;       // null for threads
  std::string_view blocking_operation;  // layer 1: "chan send"; the status when no frame says
  std::string_view why;                 // the rule or reason behind the disposition, for -v
  uint32_t snapshot = 0;
  FrameId blocked_at = kNoFrame;  // layer 1: first frame of the program's own code
  uint32_t blocked_depth = 0;     // its index in stack()
  uint32_t cluster = UINT32_MAX;  // layer 3: index into the analysis' clusters
  Disposition disposition = Disposition::kKept;

  int64_t count() const { return sample != nullptr ? sample->count : 1; }
  Stack stack() const { return thread != nullptr ? thread->stack : sample->stack; }
  FrameId created_by() const { return thread != nullptr ? thread->created_by : kNoFrame; }
  std::span<const Label> labels() const {
    return thread != nullptr ? std::span<const Label>(thread->labels)
                             : std::span<const Label>(sample->labels);
  }
};

// What layers 1 and 3 look at besides frame text: within one snapshot, goroutines with the same
// interned stack, creator and status text (or blocking operation) get the same answers, so the
// layers compute them once per shape: 100,000 goroutines parked at one place are one shape.
struct ShapeKey {
  const FrameId* stack = nullptr;
  size_t stack_size = 0;
  FrameId created_by = kNoFrame;
  std::string_view text;  // compared by pointer: interned or rule text

  ShapeKey(const GoroutineRecord& record, std::string_view text_of_record)
      : stack(record.stack().data()),
        stack_size(record.stack().size()),
        created_by(record.created_by()),
        text(text_of_record) {}
  bool operator==(const ShapeKey& other) const {
    return stack == other.stack && stack_size == other.stack_size &&
           created_by == other.created_by && text.data() == other.text.data() &&
           text.size() == other.text.size();
  }
};
// The goroutine ids of one snapshot, lowest to highest: ids grow with creation, so they are a
// clock. Empty (low > high) where the snapshot has no ids (pprof profiles).
struct IdRange {
  uint64_t low = UINT64_MAX;
  uint64_t high = 0;
};

// All records of all snapshots, snapshots in capture order, and what every later step would
// otherwise scan each goroutine again for.
struct AnalysisInput {
  std::span<const Snapshot> snapshots;
  std::vector<GoroutineRecord> records;
  std::vector<IdRange> id_ranges;  // per snapshot
  bool has_ancestors = false;      // a goroutine carries its creators' stacks
  bool leak_proof_given = false;   // Go's goroutineleak profile came beside the snapshots
  // What layer 3 found, in one array each rather than two small vectors per cluster (a million
  // clusters would make two million allocations): records grouped by cluster, and each
  // cluster's count per snapshot. Clusters hold spans into them, which a move keeps valid.
  std::vector<uint32_t> records_by_cluster;
  std::vector<int64_t> counts_by_cluster;

  AnalysisInput() = default;
  AnalysisInput(AnalysisInput&&) = default;
  AnalysisInput& operator=(AnalysisInput&&) = default;
  AnalysisInput(const AnalysisInput&) = delete;
  AnalysisInput& operator=(const AnalysisInput&) = delete;
};

// One record per thread and per sample, snapshot by snapshot: what layer 1 starts from.
AnalysisInput make_analysis_input(std::span<const Snapshot> snapshots);

}  // namespace leakscan
