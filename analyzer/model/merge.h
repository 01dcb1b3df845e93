#pragma once

#include <span>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Moves `from`'s threads, samples and warnings to the end of `into`, re-interning their frames,
// stacks and strings in `into`'s tables, as pprof's Merge does for profiles. `into` keeps its
// own source, format, reason and capture time.
void append_snapshot(Snapshot& into, Snapshot&& from);

// A new snapshot with only the chosen threads and samples of `from` (indices into its
// vectors), with its own tables: `leakscan --emit-pprof` writes just the leaking goroutines.
Snapshot subset_snapshot(const Snapshot& from, std::span<const size_t> threads,
                         std::span<const size_t> samples);

}  // namespace leakscan
