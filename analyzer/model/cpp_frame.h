#pragma once

#include "analyzer/model/frame.h"

namespace leakscan {

// A frame of C++ rather than Go: a qualified name, or a name without a package from a file that
// is neither Go's nor C's (an object without debug information, a C++ source). Go's own names
// always have a package, save the C runtime of Go 1.4 and before, and cgo's C, whose files end
// in .c or .goc. The text readers ask it to tell an agent's dump from Go's; layer 1 asks it of
// each frame of a snapshot whose runtime is unknown.
bool is_cpp_frame(const Frame& frame);

}  // namespace leakscan
