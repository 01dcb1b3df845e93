// Where a running Go executable was loaded: the bias added to every link-time address of a
// position-independent executable (-buildmode=pie), from the target's /proc/PID/maps. Zero
// for ordinary executables, which are mapped at their link addresses.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "analyzer/model/result.h"
#include "gobinary/go_binary.h"

namespace leakscan::trace {

// The executable's first loadable segment, as mapped in `pid`, minus its link address. An
// error names what could not be matched.
Result<uint64_t> load_bias(pid_t pid, const gobinary::GoBinary& binary);

// The program `pid` runs, as far as a reader of its memory cares: exec replaces it under the
// same pid, and addresses read from the old binary then point into another program.
struct LoadedProgram {
  dev_t device = 0;
  ino_t inode = 0;
  uint64_t bias = 0;
  bool operator==(const LoadedProgram&) const = default;
};

// What `pid` runs now, its bias found as `binary` would be loaded; nullopt if it cannot be
// told (the process gone, or `binary` not among its mappings: another program).
std::optional<LoadedProgram> loaded_program(pid_t pid, const gobinary::GoBinary& binary);

}  // namespace leakscan::trace
