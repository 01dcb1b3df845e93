// What `leakscan trace` needs from the kernel, checked before anything is loaded so that the
// error names exactly the missing capability instead of a bare EPERM from bpf(2).
#pragma once

#include "analyzer/model/result.h"

namespace leakscan::trace {

// Probes need CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); reading the target's memory needs
// CAP_SYS_PTRACE unless it is our own child. `probes` false checks only the latter.
// The error reads "needs CAP_BPF and CAP_PERFMON (have: CAP_SYS_PTRACE)".
Status check_trace_capabilities(bool probes);

}  // namespace leakscan::trace
