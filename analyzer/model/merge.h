#pragma once

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Moves `from`'s threads, samples and warnings to the end of `into`, re-interning their frames,
// stacks and strings in `into`'s tables, as pprof's Merge does for profiles. `into` keeps its
// own source, format, reason and capture time.
void append_snapshot(Snapshot& into, Snapshot&& from);

}  // namespace leakscan
