// The data model every reader produces and every analysis reads. It mirrors pprof's
// profile package where it can (samples, frames, labels) and adds what a goroutine dump
// knows about each green thread (state, wait, creator).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/frame_table.h"

namespace leakscan {

enum class RuntimeKind : uint8_t { kUnknown, kGo, kBoostFiber, kCppCoroutine };

// The input a snapshot was read from.
enum class SourceFormat : uint8_t {
  kPprofProto,   // debug=0, or a profile leakscan wrote
  kGoDebug1,     // "goroutine profile: total N", aggregated records
  kGoTraceback,  // debug=2, runtime.Stack(all), panics, fatal errors, SIGQUIT dumps
};

// Normalised from Go's status text ("chan receive", "IO wait", "running"...) or from an
// agent's own states, so that analysis does not need to know each runtime's vocabulary.
enum class ThreadState : uint8_t {
  kUnknown,
  kRunning,
  kRunnable,
  kSyscall,
  kWaiting,   // blocked on a channel, lock, I/O, condition...
  kSleeping,  // timed sleep
  kIdle,      // runtime-internal idle (goroutine 0, GC workers)
  kExiting,   // finishing: deferred calls after Goexit, goexit0
  kExited,    // ended but memory still held (fibers not yet released)
};

// How far a green thread's wait can be trusted. Go's text dumps print whole minutes and only
// after the first: the real wait is at least that. Agents and the tracer measure it.
// kCapped: a lower bound that overshot what is known for certain (the goroutine's age, the
// last time it was seen running) and was cut down to it: at most this long.
enum class WaitPrecision : uint8_t { kUnknown, kExact, kLowerBound, kCapped };

// Where a snapshot's capture time came from. Only the first two are exact enough for rates; a
// file's modification time orders snapshots but a copy or checkout resets it.
enum class CaptureTimeOrigin : uint8_t { kProfile, kFetched, kFileModified, kOrderGiven };

std::string_view to_string(RuntimeKind kind);
std::string_view to_string(WaitPrecision precision);
std::string_view to_string(CaptureTimeOrigin origin);
std::optional<WaitPrecision> parse_wait_precision(std::string_view text);
std::string_view to_string(SourceFormat format);
std::string_view to_string(ThreadState state);
std::optional<RuntimeKind> parse_runtime_kind(std::string_view text);
std::optional<ThreadState> parse_thread_state(std::string_view text);

// Maps a status as a runtime prints it (Go's "chan receive", "IO wait", "running"; or one of
// ThreadState's own names) to the normalised state. Unknown wait reasons count as waiting.
ThreadState classify_status(std::string_view status);

// A pprof label: a string value, or a number with an optional unit.
struct Label {
  std::string_view key;
  std::string_view str;
  int64_t num = 0;
  std::string_view unit;
  bool numeric = false;
};

// tracebackancestors=N: the stacks of the goroutines that created this one.
struct Ancestor {
  uint64_t id = 0;
  Stack stack;
  FrameId created_by = kNoFrame;
};

struct GreenThread {
  uint64_t id = 0;               // 0 when the dump did not say (Go's goroutine 0 is idle)
  std::string_view status;       // as the runtime printed it: "chan receive (nil chan)"
  std::string_view wait_reason;  // empty unless waiting or sleeping
  // Go prints whole minutes, only after the first minute; agents and eBPF give exact values.
  std::optional<std::chrono::nanoseconds> wait;
  std::optional<std::chrono::system_clock::time_point> created_at;
  Stack stack;              // leaf first, interned in the snapshot's FrameTable
  uint64_t creator_id = 0;  // "created by X in goroutine N" (Go 1.21+), 0 if unknown
  // The address of what it waits on (a mutex, a channel), where the dump or the agent says:
  // many goroutines on one object are contention or a deadlock; one each, a leak per request.
  uint64_t wait_object = 0;
  FrameId created_by = kNoFrame;  // the `go` statement that started it
  ThreadState state = ThreadState::kUnknown;
  WaitPrecision wait_precision = WaitPrecision::kUnknown;  // kUnknown exactly when !wait
  bool locked_to_thread = false;
  bool frames_elided = false;      // "...additional frames elided..."
  bool stack_unavailable = false;  // "goroutine running on other thread; stack unavailable"
  std::vector<Label> labels;       // pprof.Do labels and the like, without leakscan's own
  std::vector<Ancestor> ancestors;
};

// Sets a thread's status as its runtime names it (already interned in the thread's snapshot),
// the state that status means and, for a parked thread, the wait reason it names. Readers that
// classify a repeated status once pass `state` = classify_status(status).
void set_status(GreenThread& thread, std::string_view status, ThreadState state);
void set_status(GreenThread& thread, std::string_view status);

// A parked thread without a wait reason of its own is waiting for what its status says.
void default_wait_reason(GreenThread& thread);

// An aggregated record (debug=0/1): `count` goroutines share this stack and labels.
struct Sample {
  int64_t count = 0;
  Stack stack;  // leaf first, interned in the snapshot's FrameTable
  std::vector<Label> labels;
};

// One capture of one process: either individual threads or aggregated samples.
class Snapshot {
 public:
  std::string source;  // file name, "-" or URL
  SourceFormat format = SourceFormat::kGoTraceback;
  RuntimeKind runtime = RuntimeKind::kGo;
  std::optional<std::chrono::system_clock::time_point> captured_at;
  // Of captured_at, when set: the snapshot's own unless whoever filled it in says otherwise.
  CaptureTimeOrigin capture_time_origin = CaptureTimeOrigin::kProfile;
  // What made the program print the dump: "panic: ...", "fatal error: ...", "SIGQUIT: quit".
  std::string reason;
  std::optional<int64_t> declared_total;  // "goroutine profile: total N"
  // Go 1.26's /debug/pprof/goroutineleak (GOEXPERIMENT=goroutineleakprofile), debug=0 or 1:
  // every goroutine here is one the GC proved leaked, blocked on what nothing reachable can
  // wake. (Its debug=2 form lists every goroutine; the proven ones say "(leaked)" in status.)
  bool proven_leaked = false;

  std::vector<GreenThread> threads;
  std::vector<Sample> samples;
  std::vector<std::string> warnings;

  bool aggregated() const { return threads.empty() && !samples.empty(); }
  // Threads, or the sum of the samples' counts.
  int64_t goroutine_count() const;

  FrameTable& frames() { return frames_; }
  const FrameTable& frames() const { return frames_; }
  const Frame& frame(FrameId id) const { return frames_.at(id); }
  std::string_view intern(std::string_view text) { return frames_.intern_string(text); }
  Stack intern_stack(std::span<const FrameId> frames) { return frames_.intern_stack(frames); }

 private:
  FrameTable frames_;
};

}  // namespace leakscan
