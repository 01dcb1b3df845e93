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

// True for a frame of the program's own code. Go's frames are told by their package. The
// agents' C++ frames are told by their namespace and by where they come from: a function of
// the service's own binary or libraries is program code whether or not it was built with
// debug information (a free function, `main`), one of a system library or header is not.
bool is_user_frame(const Snapshot& snapshot, const Frame& frame);
bool is_user_frame(const Snapshot& snapshot, FrameId frame);

// The leaf-most frame of `stack` in the program's own code, or kNoFrame.
FrameId first_user_frame(const Snapshot& snapshot, Stack stack);

}  // namespace leakscan
