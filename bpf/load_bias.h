// Where a running Go executable was loaded: the bias added to every link-time address of a
// position-independent executable (-buildmode=pie), from the target's /proc/PID/maps. Zero
// for ordinary executables, which are mapped at their link addresses.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "analyzer/model/result.h"
#include "gobinary/go_binary.h"

namespace leakscan::trace {

// The executable's first loadable segment, as mapped in `pid`, minus its link address. An
// error names what could not be matched.
Result<uint64_t> load_bias(pid_t pid, const gobinary::GoBinary& binary);

}  // namespace leakscan::trace
