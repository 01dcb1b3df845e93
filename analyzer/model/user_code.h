// Which frames are the program's own code: what the layers, the agent, the tracer and Python
// all ask when they name where a green thread is blocked or was created.
#pragma once

#include <string_view>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// True for functions of the program's own code rather than Go's runtime and standard library
// (or, for C++, std::, boost:: and the agent's own): a Go package path whose first element is
// not a standard-library root ("github.com/...", "main").
bool is_user_function(std::string_view function);

// The leaf-most frame of `stack` in the program's own code, or kNoFrame.
FrameId first_user_frame(const Snapshot& snapshot, Stack stack);

}  // namespace leakscan
