// Turns what the tracer read from memory and learned from events into leakscan's Snapshot, so
// that it is written, read back and analysed like any other input (docs/profile-labels.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "bpf/goroutine_histories.h"
#include "bpf/goroutine_table_reader.h"
#include "gobinary/go_binary.h"
#include "producer/source_frame.h"

namespace leakscan::trace {

struct TracedCapture {
  std::chrono::system_clock::time_point captured_at;
  int64_t target_nanotime = 0;  // CLOCK_MONOTONIC at capture: the runtime's nanotime()
  std::string source;           // "pid 1234"
};

// `dead` become threads in state "dead" (ThreadState::kExited: layer 2's dead but unfreed), each
// with its start function as its stack, its creation site where the g still carries one and
// the stack it holds as label stack_bytes.
// `history` is by allgs slot (GoroutineHistories::line_up). `recycled` lends its capacity to
// the snapshot's threads: the previous snapshot's vector, so that 640,000 threads a snapshot do not
// cost a fresh 100 MB allocation and its page faults.
Snapshot build_traced_snapshot(const gobinary::GoBinary& binary, const GoroutineTableReader& names,
                               std::span<const LiveGoroutine> goroutines,
                               std::span<const DeadGoroutine> dead,
                               std::span<const GoroutineHistory> history,
                               const TracedCapture& capture,
                               std::vector<GreenThread> recycled = {});

// The go statement at `gopc` as Go's "created by" names it: the function holding the call
// (the outermost of any inlined frames), the source position of the call.
std::optional<SourceFrame> creation_site(const gobinary::GoBinary& binary, uint64_t gopc);
// The same as "FUNC at FILE:LINE", or the bare pc when the binary does not know it.
std::string creation_site_text(const gobinary::GoBinary& binary, uint64_t gopc);

// The creator's stack as text, runtime frames of newproc left out.
std::string creation_stack_text(const gobinary::GoBinary& binary, std::span<const uint64_t> stack);

// The state as Go's traceback prints it between the brackets, without the wait's minutes:
// the wait reason of a parked goroutine ("sync.WaitGroup.Wait"), "(leaked)" after a goroutine
// the GC found leaked, "(durable)" after a durably blocked one in a synctest bubble.
std::string status_text(const GoroutineTableReader& names, const LiveGoroutine& goroutine);

// A key that changes when a goroutine moves on: status, wait reason and resumption pc.
uint64_t blocked_key(const LiveGoroutine& goroutine);

// Updates what is known of `goroutine`'s wait at a capture; `previous` is the capture before,
// if any. A wait is new when the key changed, the park count moved (it ran in between) or
// waitsince changed (reset when it runs).
void track_wait(const LiveGoroutine& goroutine, std::chrono::system_clock::time_point captured_at,
                std::optional<std::chrono::system_clock::time_point> previous,
                GoroutineHistory& known);

}  // namespace leakscan::trace
