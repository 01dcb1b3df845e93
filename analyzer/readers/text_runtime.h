#pragma once

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Go's text formats name no runtime, and the C++ agents write them too (their debug=1 and
// debug=2 endpoints): read back, an agent's dump would be taken for Go's and judged by Go's
// rules alone. Its frames tell: Boost.Fiber's scheduler and context frames name it; C++ frames
// without one of Go's are of a runtime the text does not name.
RuntimeKind runtime_of_text(const Snapshot& snapshot);

}  // namespace leakscan
