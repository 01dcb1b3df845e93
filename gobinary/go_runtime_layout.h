// Where the Go runtime keeps what the tracer reads: field offsets in runtime.g and runtime.m,
// the goroutine table's address, and the runtime's own names for statuses and wait reasons.
// Taken from the binary's DWARF when it has any, else from a per-version table; the names are
// always read from the binary (runtime.gStatusStrings, runtime.waitReasonStrings).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/model/result.h"
#include "gobinary/go_binary.h"

namespace leakscan::gobinary {

struct GoRuntimeLayout {
  // runtime.g
  uint32_t g_stack_lo = 0;  // g.stack.lo; g.stack.hi follows
  uint32_t g_m = 0;
  uint32_t g_sched_sp = 0;  // g.sched.sp, .pc, .bp
  uint32_t g_sched_pc = 0;
  uint32_t g_sched_bp = 0;
  uint32_t g_atomicstatus = 0;
  uint32_t g_goid = 0;
  uint32_t g_waitsince = 0;
  uint32_t g_waitreason = 0;
  uint32_t g_lockedm = 0;
  uint32_t g_gopc = 0;
  uint32_t g_startpc = 0;
  uint32_t g_labels = 0;
  uint32_t g_tracking_seq = 0;  // g.trackingSeq: +1 each time it stops running; 0 if unknown
  uint32_t g_bubble = 0;  // g.bubble (Go 1.25+; syncGroup in 1.24): a synctest bubble; 0 if none
  uint32_t g_size = 0;    // sizeof(runtime.g): what each g in allgs keeps for good; 0 if unknown
  // runtime.m
  uint32_t m_curg = 0;

  // The free lists a dead g waits on for reuse, from DWARF and the symbol table only (a stripped
  // binary has neither: 0, unknown). Each list is a gList, whose head comes first, linked
  // through g.schedlink.
  uint32_t g_schedlink = 0;
  uint32_t p_gfree = 0;              // runtime.p's gFree: a P's own, at most 64 g's
  uint32_t sched_gfree_stack = 0;    // runtime.sched.gFree.stack: g's that kept their stacks
  uint32_t sched_gfree_nostack = 0;  // .noStack: g's whose stacks a GC freed
  uint64_t sched = 0;                // &runtime.sched
  uint64_t allp = 0;                 // &runtime.allp, a []*p
  bool has_free_lists() const {
    return g_schedlink != 0 && p_gfree != 0 && sched != 0 && allp != 0;
  }

  std::string source;                          // "DWARF" or "go1.19 table"
  std::vector<std::string> status_names;       // by status word, from gStatusStrings
  std::vector<std::string> wait_reason_names;  // by waitReason, from waitReasonStrings

  // Addresses of the slice header runtime.allgs: exactly one from .symtab, else every
  // RIP-relative operand of runtime.allgadd, which the table reader tells apart in memory.
  std::vector<uint64_t> allgs_candidates;

  uint32_t g_read_size() const;  // bytes of a g covering every field above
};

// Everything the tracer needs from `binary`, or an error naming what could not be found.
Result<GoRuntimeLayout> read_runtime_layout(const GoBinary& binary);

}  // namespace leakscan::gobinary
