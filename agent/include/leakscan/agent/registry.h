// The registry of a process's green threads: every fiber or coroutine a runtime integration
// reports, with its state, what it waits for, when and by whom it was created. A runtime calls
// the hooks (on_create ... on_release); snapshots read the registry from other threads.
//
// The hooks that run on every switch (on_park, on_ready, on_run) take no lock and allocate
// nothing: each green thread owns one fixed-size slot, written by whichever thread the runtime
// has switching it (the runtime orders those), read by snapshots through a per-slot sequence
// lock. Slots are recycled, never freed, so a snapshot racing a release reads stale data, not
// freed memory.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leakscan::agent {

// The states of docs/profile-labels.md for green threads that are not goroutines.
enum class FiberState : uint8_t {
  kFree,  // slot not in use
  kRunning,
  kRunnable,
  kWaiting,
  kSleeping,
  kExited,  // ended, but the runtime still holds its memory (an unjoined fiber)
};

enum class Runtime : uint8_t { kBoostFiber, kCppCoroutine, kOther };

// User labels, the agent's pprof.Do: interned, immutable, shared by every green thread that
// carries the same set, and kept for the registry's lifetime.
struct LabelSet {
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key
};

inline constexpr size_t kMaxCreatorFrames = 16;
inline constexpr size_t kMaxStackFrames = 48;

namespace detail {

// One green thread. Every field is atomic so that snapshots may read while the owner writes;
// the sequence number tells a reader whether what it read is one consistent state.
struct alignas(64) Slot {
  // What every switch writes, in the slot's first cache line.
  std::atomic<uint32_t> seq{0};
  std::atomic<FiberState> state{FiberState::kFree};
  std::atomic<Runtime> runtime{Runtime::kOther};
  std::atomic<uint32_t> owner{0};  // scheduler that last ran it; 0: none
  std::atomic<int64_t> parked_mono_ns{0};
  std::atomic<const char*> wait_reason{nullptr};
  std::atomic<const void*> wait_object{nullptr};
  std::atomic<uint64_t> run_count{0};
  std::atomic<uint64_t> id{0};
  std::atomic<uint64_t> creator_id{0};
  std::atomic<int64_t> created_unix_ns{0};
  std::atomic<const LabelSet*> labels{nullptr};
  std::atomic<void*> runtime_handle{nullptr};  // boost::fibers::context*, a coroutine frame...
  // Coroutines: where this one is suspended, and the coroutine awaiting it (a chain shows as
  // one stack); `awaiting_child` marks a coroutine whose own stack is its child's.
  std::atomic<uintptr_t> suspend_pc{0};
  std::atomic<Slot*> parent{nullptr};
  std::atomic<bool> awaiting_child{false};
  std::atomic<uint32_t> creator_depth{0};
  std::array<std::atomic<uintptr_t>, kMaxCreatorFrames> creator_pcs{};
  // Written by the owning scheduler when a snapshot asks, valid while run_count is unchanged:
  // a leaked fiber never runs again, so its stack is unwound once.
  std::atomic<uint64_t> stack_run_count{UINT64_MAX};
  std::atomic<uint32_t> stack_depth{0};
  std::array<std::atomic<uintptr_t>, kMaxStackFrames> stack_pcs{};
  std::atomic<uint32_t> next_free{0};
  uint32_t index = 0;  // in the registry, set before the slot is first published
};
static_assert(offsetof(Slot, run_count) + sizeof(Slot::run_count) <= 64,
              "a switch writes one cache line of its slot");

inline int64_t monotonic_coarse_ns() {
  // The coarse clock is a plain memory read (vDSO), ~4 ms resolution: enough for waits that
  // matter to a leak, and cheap enough for the switch path.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

// A single writer per slot at a time (the runtime serialises one green thread's transitions).
class SlotWrite {
 public:
  explicit SlotWrite(Slot& slot) : slot_(slot), seq_(slot.seq.load(std::memory_order_relaxed)) {
    slot_.seq.store(seq_ + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  ~SlotWrite() { slot_.seq.store(seq_ + 2, std::memory_order_release); }
  SlotWrite(const SlotWrite&) = delete;
  SlotWrite& operator=(const SlotWrite&) = delete;

 private:
  Slot& slot_;
  uint32_t seq_;
};

// The green thread running on this OS thread, if a runtime integration said so. Initial-exec:
// read on every switch, and the general model's __tls_get_addr call costs more than the rest
// of a hook (the library is linked into the service, not dlopen'ed). constinit: no TLS wrapper
// call checking for dynamic initialisation.
extern thread_local constinit Slot* tls_current __attribute__((tls_model("initial-exec")));
// The scheduler (Registry::add_scheduler's id) running on this OS thread; 0: none.
extern thread_local constinit uint32_t tls_scheduler __attribute__((tls_model("initial-exec")));

}  // namespace detail

// A green thread's slot, from on_create until on_release.
class ThreadHandle {
 public:
  ThreadHandle() = default;
  explicit ThreadHandle(detail::Slot* slot) : slot_(slot) {}
  explicit operator bool() const { return slot_ != nullptr; }
  detail::Slot* slot() const { return slot_; }
  uint64_t id() const { return slot_ ? slot_->id.load(std::memory_order_relaxed) : 0; }
  friend bool operator==(ThreadHandle, ThreadHandle) = default;

 private:
  detail::Slot* slot_ = nullptr;
};

struct CreateOptions {
  Runtime runtime = Runtime::kOther;
  void* runtime_handle = nullptr;
  FiberState initial_state = FiberState::kRunnable;
  // Unwinding the creator costs about a microsecond per creation; it names the creation site.
  // Coroutines, created far more often than fibers, take fewer frames.
  bool capture_creator_stack = true;
  size_t creator_frames = kMaxCreatorFrames;
};

// A consistent copy of one slot, for snapshots.
struct ThreadRecord {
  uint64_t id = 0;
  FiberState state = FiberState::kFree;
  Runtime runtime = Runtime::kOther;
  uint64_t creator_id = 0;
  int64_t created_unix_ns = 0;
  int64_t parked_mono_ns = 0;
  const char* wait_reason = nullptr;
  const void* wait_object = nullptr;
  const LabelSet* labels = nullptr;
  bool awaiting_child = false;
  bool started = false;                // has run at least once
  std::vector<uintptr_t> creator_pcs;  // return addresses, innermost first
  std::vector<uintptr_t> stack_pcs;    // return addresses, innermost first; empty: unknown
};

// A scheduler that can unwind the stacks of the fibers it owns, on its own thread, when a
// snapshot asks (Boost.Fiber's tracking algorithm is one).
class StackProvider {
 public:
  virtual ~StackProvider() = default;
  // Called from the snapshot's thread: make the scheduler look at its requests soon (wake it
  // if it idles). Must not block.
  virtual void wake() = 0;
  // Called when the snapshot is taken on the scheduler's own thread, by one of its fibers:
  // every other fiber of it is suspended, so it unwinds them at once.
  virtual void serve_here(uint64_t request) = 0;
};

class Registry {
 public:
  // The process's registry. Never destroyed: fibers may outlive static destructors.
  static Registry& instance();

  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // --- Hooks for runtime integrations -------------------------------------------------------
  // A new green thread, created by the one running on this OS thread (if any); inherits its
  // labels, as goroutines do.
  ThreadHandle on_create(const CreateOptions& options);

  void on_park(ThreadHandle thread, const char* reason, const void* object = nullptr,
               FiberState state = FiberState::kWaiting) {
    detail::Slot& slot = *thread.slot();
    int64_t now = detail::monotonic_coarse_ns();  // outside the write: readers wait less
    detail::SlotWrite write(slot);
    slot.wait_reason.store(reason, std::memory_order_relaxed);
    slot.wait_object.store(object, std::memory_order_relaxed);
    slot.parked_mono_ns.store(now, std::memory_order_relaxed);
    slot.state.store(state, std::memory_order_relaxed);
  }
  void on_ready(ThreadHandle thread) {
    // One field changes: a reader sees the state before or after, with the same rest, both
    // consistent, so the sequence lock would only cost the switch path.
    thread.slot()->state.store(FiberState::kRunnable, std::memory_order_release);
  }
  // Also makes `thread` this OS thread's current green thread, run by its current scheduler.
  void on_run(ThreadHandle thread) {
    detail::Slot& slot = *thread.slot();
    {
      detail::SlotWrite write(slot);
      mark_running(slot);
      slot.owner.store(detail::tls_scheduler, std::memory_order_relaxed);
    }
    detail::tls_current = &slot;
  }
  // Running again, on the same OS thread and scheduler (back from a wrapper's blocking call, a
  // coroutine resumed).
  void on_resume(ThreadHandle thread) {
    detail::Slot& slot = *thread.slot();
    detail::SlotWrite write(slot);
    mark_running(slot);
  }
  // A coroutine suspends at `site` (a return address in its body), on what it awaits.
  void on_co_await(ThreadHandle thread, uintptr_t site, const char* reason, const void* object) {
    detail::Slot& slot = *thread.slot();
    detail::SlotWrite write(slot);
    slot.suspend_pc.store(site, std::memory_order_relaxed);
    slot.awaiting_child.store(false, std::memory_order_relaxed);
    slot.wait_reason.store(reason, std::memory_order_relaxed);
    slot.wait_object.store(object, std::memory_order_relaxed);
    slot.parked_mono_ns.store(detail::monotonic_coarse_ns(), std::memory_order_relaxed);
    slot.state.store(FiberState::kWaiting, std::memory_order_relaxed);
  }
  // ... and runs again: no longer at a site, nor awaiting a child.
  void on_co_resume(ThreadHandle thread) {
    detail::Slot& slot = *thread.slot();
    detail::SlotWrite write(slot);
    slot.suspend_pc.store(0, std::memory_order_relaxed);
    slot.awaiting_child.store(false, std::memory_order_relaxed);
    mark_running(slot);
  }
  void on_exit(ThreadHandle thread) {
    detail::Slot& slot = *thread.slot();
    detail::SlotWrite write(slot);
    slot.state.store(FiberState::kExited, std::memory_order_relaxed);
    slot.wait_reason.store(nullptr, std::memory_order_relaxed);
  }
  // The runtime freed the green thread's memory; the handle is invalid afterwards.
  void on_release(ThreadHandle thread);

  // This OS thread now runs no green thread the registry knows (a scheduler's own context).
  static void clear_current() { detail::tls_current = nullptr; }
  static ThreadHandle current() { return ThreadHandle(detail::tls_current); }

  // Coroutines: `child` is awaited by `parent` (or by nobody, when parent is empty); a parent
  // awaiting a child is listed as part of the child's stack until it resumes. A chain is
  // reported under its root's identity (id, creator, labels): where it was spawned.
  void set_parent(ThreadHandle child, ThreadHandle parent);

  // Labels for `thread`, replacing its own.
  void set_labels(ThreadHandle thread, const LabelSet* labels);
  const LabelSet* labels(ThreadHandle thread) const {
    return thread.slot()->labels.load(std::memory_order_relaxed);
  }
  const LabelSet* intern_labels(std::vector<std::pair<std::string, std::string>> labels);

  // --- Schedulers that unwind their fibers -----------------------------------------------
  uint32_t add_scheduler(StackProvider* provider);
  void remove_scheduler(uint32_t id);
  // Schedulers installed now, on any thread: none means fibers run untracked (a test listener
  // that saw none would pass every leak).
  size_t scheduler_count();
  // What a scheduler polls on its switch path: whether a snapshot waits for stacks.
  uint64_t stack_request() const { return stack_request_.load(std::memory_order_acquire); }
  void stacks_done(uint32_t scheduler, uint64_t request);
  // Unwinding happens on each owning thread; this returns when all did or `timeout` passed
  // (a scheduler stuck in a long-running fiber does not stall the snapshot). Returns how many
  // schedulers answered and how many were asked.
  std::pair<size_t, size_t> collect_stacks(std::chrono::milliseconds timeout);
  // Calls `fn(slot)` for each slot this scheduler owns that holds a green thread, for the
  // scheduler's own unwinding.
  void for_each_owned(uint32_t scheduler, const std::function<void(detail::Slot&)>& fn);

  // --- Snapshots ----------------------------------------------------------------------------
  // A consistent copy of every live green thread.
  std::vector<ThreadRecord> records() const;
  // Green threads in use (not free) with an id of at least `min_id`: cheap, for tests and
  // settle loops.
  size_t live_count(uint64_t min_id = 0) const;
  uint64_t next_id() const { return next_id_.load(std::memory_order_relaxed); }
  // Capacity ever allocated, in slots (memory is bounded by the peak of live green threads).
  size_t slot_capacity() const { return bump_.load(std::memory_order_acquire); }

 private:
  static void mark_running(detail::Slot& slot) {
    slot.state.store(FiberState::kRunning, std::memory_order_relaxed);
    slot.wait_reason.store(nullptr, std::memory_order_relaxed);
    slot.wait_object.store(nullptr, std::memory_order_relaxed);
    // A stack unwound before this run is stale from now on.
    slot.run_count.store(slot.run_count.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
  }

  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1U << kChunkBits;
  static constexpr uint32_t kMaxChunks = 4096;  // 16.7 million green threads at once
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  detail::Slot* slot_at(uint32_t index) const;
  detail::Slot* allocate_slot(uint32_t& index);
  bool read_slot(const detail::Slot& slot, ThreadRecord& out) const;
  // Who a green thread is: id, creator, creation time, labels.
  static void read_identity(const detail::Slot& slot, ThreadRecord& out);

  std::array<std::atomic<detail::Slot*>, kMaxChunks> chunks_{};
  std::vector<std::unique_ptr<detail::Slot[]>> chunk_storage_;  // guarded by chunk_mutex_
  std::mutex chunk_mutex_;
  std::atomic<uint32_t> bump_{0};
  std::atomic<uint64_t> free_head_;  // tag << 32 | slot index, kNoSlot when empty
  std::atomic<uint64_t> next_id_{1};

  std::mutex labels_mutex_;
  std::vector<std::unique_ptr<LabelSet>> label_sets_;

  std::mutex schedulers_mutex_;
  std::condition_variable schedulers_done_;
  struct SchedulerEntry {
    uint32_t id = 0;
    StackProvider* provider = nullptr;
    uint64_t done = 0;
  };
  std::vector<SchedulerEntry> schedulers_;
  uint32_t next_scheduler_id_ = 1;
  std::atomic<uint64_t> stack_request_{0};
  std::mutex collect_mutex_;  // one collection at a time
};

// Sets labels on the current green thread for a scope, as pprof.Do does for a goroutine;
// green threads created inside inherit them. Outside a green thread it does nothing.
class ScopedLabels {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  explicit ScopedLabels(Labels labels);
  ScopedLabels(std::initializer_list<std::pair<std::string, std::string>> labels)
      : ScopedLabels(Labels(labels)) {}
  ~ScopedLabels();
  ScopedLabels(const ScopedLabels&) = delete;
  ScopedLabels& operator=(const ScopedLabels&) = delete;

 private:
  ThreadHandle thread_;
  const LabelSet* previous_ = nullptr;
};

}  // namespace leakscan::agent
