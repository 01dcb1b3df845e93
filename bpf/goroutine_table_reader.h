// Reads a live Go process's goroutine table from its memory: runtime.allgs, each g's status,
// wait reason, waitsince, goid, gopc, startpc, pprof labels, and its stack walked by frame
// pointers from g.sched. Costs the target nothing: no probe, no stop, no signal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/model/result.h"
#include "bpf/go_free_lists.h"
#include "bpf/process_memory.h"
#include "gobinary/go_binary.h"
#include "gobinary/go_runtime_layout.h"

namespace leakscan::trace {

struct LiveGoroutine {
  uint64_t goid = 0;
  uint32_t status = 0;  // without the _Gscan bit
  // Its index in runtime.allgs, which only grows: a g keeps its slot, and a goroutine its g.
  uint32_t slot = 0;
  // The start of the first GC that found it blocked (the target's nanotime, CLOCK_MONOTONIC):
  // reset when it runs, so a wait began before it. 0 when no GC has seen this wait.
  int64_t waitsince = 0;
  uint64_t gopc = 0;
  uint64_t startpc = 0;
  uint8_t wait_reason = 0;
  // g.trackingSeq: one more each time the goroutine stops running (mod 256); a change between
  // two snapshots means it woke and blocked again. Meaningful when has_park_count.
  uint8_t park_count = 0;
  bool has_park_count = false;
  bool locked_to_thread = false;
  bool leaked = false;             // _Gleaked (Go 1.26 GOEXPERIMENT=goroutineleakprofile)
  bool in_bubble = false;          // in a synctest bubble (g.bubble set)
  bool stack_unavailable = false;  // running on a thread: g.sched is stale
  // Leaf first; pcs[0] is the resumption point. In the reader's storage: valid until its next
  // read(), as one array for all goroutines (640,000 vectors cost more than the reading).
  std::span<const uint64_t> pcs;
  std::vector<std::pair<std::string, std::string>> labels;  // runtime/pprof labels

  // Parked or in a system call: waitsince and the wait reason mean something.
  bool blocked() const;
};

// A dead g (_Gdead, or Go 1.26's _Gdeadextra) still in allgs, which never shrinks: what it
// holds until a GC frees its stack, and the creation site it carries until the g is reused.
struct DeadGoroutine {
  uint64_t goid = 0;
  uint64_t gopc = 0;         // 0: gone (a g that never ran a goroutine)
  uint64_t startpc = 0;      // the function it ran
  uint64_t stack_bytes = 0;  // stack.hi - stack.lo; 0 when the stack was freed
  uint32_t g_bytes = 0;      // sizeof(runtime.g), which allgs keeps for good; 0 if unknown
  uint32_t slot = 0;
  FreeList free_list = FreeList::kUnknown;  // as the table read found it
};

// How much a read copies at a time: each window's buffer is reused by the next, where copying
// 640,000 g's and stack tops at once took 430 MB of fresh pages (the kernel zeroing them was
// most of a first snapshot).
struct ReadWindows {
  size_t gs = 16384;               // g's (7 MB of Go 1.27's)
  uint64_t stack_bytes = 8 << 20;  // stack tops
};

class GoroutineTableReader {
 public:
  // `load_bias` is what the target added to the binary's addresses (PIE; see load_bias.h):
  // addresses read from memory are given back at the binary's link addresses.
  GoroutineTableReader(const gobinary::GoBinary& binary, const gobinary::GoRuntimeLayout& layout,
                       pid_t pid, uint64_t load_bias = 0, ReadWindows windows = {});

  // Finds runtime.allgs among the layout's candidates and checks the layout against live
  // goroutines: the first is goroutine 1, statuses are known words, gopc and startpc point into
  // functions. An error says what did not hold; the tracer refuses to go on.
  Status verify();

  // Every goroutine that is not dead (status _Gdead g's are free-listed for reuse), valid until
  // the next read(): the reader keeps its arrays between snapshots, as fresh ones of 640,000
  // goroutines cost more in page faults than the reading.
  Result<std::span<const LiveGoroutine>> read();
  // The dead g's the last read() found, decoded from the bytes it read anyway (valid until the
  // next read()).
  std::span<const DeadGoroutine> dead() const { return dead_; }

  // The name of a status word / wait reason, as the runtime prints it.
  std::string_view status_name(uint32_t status) const;
  std::string_view wait_reason_name(uint8_t reason) const;

 private:
  struct TableHeader {
    uint64_t array = 0;
    uint64_t length = 0;
  };
  Result<TableHeader> table_at(uint64_t address) const;
  // The table's g pointers, in pointers_ (valid until the next call).
  Result<std::span<const uint64_t>> g_pointers(const TableHeader& header);
  // Fills every goroutine's pcs: its resumption pc, then the frames walked from its saved
  // frame pointer (0 where the stack is not walkable).
  // Decodes the g at allgs[slot] (its bytes at `g`) into goroutines_ and the columns beside
  // it, or into dead_.
  void add_goroutine(const uint8_t* g, size_t slot);
  void add_dead(const uint8_t* g, size_t slot);
  void walk_stacks(std::vector<LiveGoroutine>& goroutines, const std::vector<uint64_t>& resume,
                   const std::vector<uint64_t>& first_fp);
  // Appends the return addresses walked from a stack's top (read from its first frame pointer)
  // to pc_storage_, where this goroutine's pcs start at `begin`.
  void walk_frames(const ProcessMemory::Piece& top, uint64_t stack_hi, size_t begin);
  void read_labels(uint64_t labels, LiveGoroutine& goroutine) const;
  std::string read_go_string(uint64_t pointer, uint64_t length) const;
  // No goroutine: _Gdead, or Go 1.26's _Gdeadextra (a g kept for cgo callbacks), told by the
  // binary's own status names.
  bool is_dead(uint32_t status) const { return status < 32 && (dead_statuses_ >> status & 1); }

  const gobinary::GoBinary& binary_;
  const gobinary::GoRuntimeLayout& layout_;
  ProcessMemory memory_;
  uint64_t load_bias_ = 0;
  ReadWindows windows_;
  uint32_t dead_statuses_ = 0;     // bit per status word
  uint32_t leaked_status_ = 0xff;  // "leaked", where the runtime has it
  uint64_t allgs_ = 0;
  // Reused by every snapshot (see ProcessMemory::merged_).
  ScratchBuffer g_buffer_;
  ScratchBuffer stack_buffer_;
  std::vector<uint64_t> pointers_;
  std::vector<uint64_t> pc_storage_;  // every goroutine's pcs, one after another
  std::vector<LiveGoroutine> goroutines_;
  std::vector<DeadGoroutine> dead_;
  std::vector<DeadLink> dead_links_;  // beside dead_
  std::vector<FreeList> free_lists_;  // beside dead_
  FreeListWalker free_list_walker_;
  std::vector<ProcessMemory::Piece> pieces_;
  std::vector<uint64_t> resume_, fp_;  // per goroutine, for the stack walk
  // What a goroutine's frames depend on: equal in two reads, it has not run in between.
  struct StackKey {
    uint64_t goid = 0, sp = 0, fp = 0, pc = 0, stack_hi = 0;
    uint8_t park_count = 0;
    bool operator==(const StackKey&) const = default;
  };
  // A slot's goroutine as the last read that held it saw it, kept across reads: the key as of
  // the latest read, the frames (in previous_pcs_ during a read) as of the read before.
  struct KnownStack {
    StackKey key;
    uint32_t begin = 0, count = 0;  // its pcs
    uint32_t read = 0;              // the read that last held it (reads_ then); 0: none
  };
  std::vector<KnownStack> known_;  // by index in allgs
  std::vector<uint8_t> reuse_;     // per goroutine: its frames are the last read's
  uint32_t reads_ = 0;
  std::vector<uint64_t> previous_pcs_;  // the last read's pc_storage_
  std::vector<ProcessMemory::Piece> stack_pieces_;
  std::vector<size_t> stack_owner_, pc_begin_;
};

inline constexpr uint32_t kGoStatusRunning = 2;
inline constexpr uint32_t kGoStatusSyscall = 3;
inline constexpr uint32_t kGoStatusWaiting = 4;
inline constexpr uint32_t kGoStatusDead = 6;

}  // namespace leakscan::trace
