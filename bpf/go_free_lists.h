// Which of the runtime's free lists each dead g waits on: a P's own (gfput keeps up to 64 there,
// stacks and all, for the next goroutine that P starts) or the global one (sched.gFree), whose
// stacks the next GC frees. What frees a spike's memory depends on which.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/model/result.h"
#include "bpf/process_memory.h"
#include "gobinary/go_runtime_layout.h"

namespace leakscan::trace {

enum class FreeList : uint8_t {
  kUnknown,    // not read: no symbol table or DWARF, or a read failed
  kNone,       // on no list: a g kept for cgo callbacks, or one changing hands as it was read
  kProcessor,  // a P's gFree
  kGlobal,     // sched.gFree: .stack, or .noStack once a GC freed the stack
};
std::string_view to_string(FreeList list);

// A dead g as the table read found it: its address and its g.schedlink, the next on its list.
struct DeadLink {
  uint64_t g = 0;
  uint64_t next = 0;
};

// Sets lists[i] for the g at links[i], following each list from its head through the links
// read with the table (one read per P, none per g): a list a running process changed since is
// followed as far as it agrees. Bounded by links.size() steps a list. An error (a head that
// cannot be read) leaves every entry kUnknown. Keeps its arrays between snapshots, as fresh ones
// for 640,000 dead g's cost more in page faults than the walk.
class FreeListWalker {
 public:
  Status mark(const ProcessMemory& memory, const gobinary::GoRuntimeLayout& layout,
              uint64_t load_bias, std::span<const DeadLink> links, std::span<FreeList> lists);

 private:
  std::vector<std::pair<uint64_t, FreeList>> heads_;
  std::vector<uint64_t> processors_;
  std::vector<std::pair<uint64_t, uint32_t>> by_address_;  // (g, index into links)
};

}  // namespace leakscan::trace
