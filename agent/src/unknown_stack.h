// A green thread whose stack the agent could not read still gets one frame, saying why: Go
// never prints a goroutine without frames, and a profile sample without a location groups
// unrelated threads into one anonymous record ("72 @" in debug=1). The frame is a function of
// the agent's own, so it has a real address, a name and a source line in every format.
#pragma once

#include <cstdint>

#include "leakscan/agent/registry.h"

namespace leakscan::agent {

enum class UnknownStack : uint8_t {
  kRunning,     // running on its thread while the snapshot was taken
  kNotStarted,  // created, never run: there is no stack yet
  kExited,      // its function returned; the runtime still holds its memory
  kNotUnwound,  // parked or ready, but its scheduler did not unwind it for this snapshot
};

UnknownStack unknown_stack_cause(const ThreadRecord& record);

// A return address inside the function that names `cause`, for the symbolizer.
uintptr_t unknown_stack_pc(UnknownStack cause);

}  // namespace leakscan::agent
