// The goroutines judged leaking, as a snapshot of their own: what --emit-pprof writes for
// go tool pprof.
#pragma once

#include "analyzer/engine/find_leaks.h"

namespace leakscan {

// The last snapshot's goroutines in clusters judged leak and not accepted by the baseline;
// `goroutines` receives how many that is (0: the snapshot is empty).
Snapshot select_leaks(const Findings& findings, int64_t& goroutines);

}  // namespace leakscan
