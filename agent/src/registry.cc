#include "leakscan/agent/registry.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <algorithm>
#include <span>
#include <thread>

namespace leakscan::agent {
namespace detail {

constinit thread_local Slot* tls_current __attribute__((tls_model("initial-exec"))) = nullptr;
constinit thread_local uint32_t tls_scheduler __attribute__((tls_model("initial-exec"))) = 0;

}  // namespace detail

namespace {

constexpr int kReadAttempts = 64;

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
constexpr bool kThreadSanitizer = __has_feature(thread_sanitizer);
#else
constexpr bool kThreadSanitizer = false;
#endif

// The creator's return addresses, innermost first. unw_backtrace's fast path keeps a
// per-thread cache freed by a thread-exit destructor that ThreadSanitizer's runtime cannot
// survive; under ThreadSanitizer the (slower) cursor walk does the same without it.
// Inlined, so that in both ways frame 0 is the caller's own frame.
[[gnu::always_inline]] inline int capture_backtrace(std::span<void*> frames) {
  if constexpr (!kThreadSanitizer) {
    return unw_backtrace(frames.data(), static_cast<int>(frames.size()));
  }
  unw_context_t registers;
  unw_cursor_t cursor;
  if (unw_getcontext(&registers) != 0 || unw_init_local(&cursor, &registers) != 0) return 0;
  int depth = 0;
  do {
    unw_word_t ip = 0;
    unw_get_reg(&cursor, UNW_REG_IP, &ip);
    frames[static_cast<size_t>(depth++)] = reinterpret_cast<void*>(ip);  // NOLINT: an address
  } while (static_cast<size_t>(depth) < frames.size() && unw_step(&cursor) > 0);
  return depth;
}

int64_t unix_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

}  // namespace

Registry& Registry::instance() {
  // Deliberately leaked: fibers may be released during static destruction.
  static Registry* registry = std::make_unique<Registry>().release();
  return *registry;
}

Registry::Registry() : free_head_(kNoSlot) {}
Registry::~Registry() = default;

detail::Slot* Registry::slot_at(uint32_t index) const {
  detail::Slot* chunk = chunks_[index >> kChunkBits].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index & (kChunkSize - 1)];
}

detail::Slot* Registry::allocate_slot(uint32_t& index) {
  uint64_t head = free_head_.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(head) != kNoSlot) {
    detail::Slot* slot = slot_at(static_cast<uint32_t>(head));
    uint64_t next = slot->next_free.load(std::memory_order_relaxed);
    // The tag in the upper half defeats ABA: a slot popped and pushed back meanwhile changes it.
    uint64_t replacement = (((head >> 32) + 1) << 32) | next;
    if (free_head_.compare_exchange_weak(head, replacement, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
      index = static_cast<uint32_t>(head);
      return slot;
    }
  }
  uint32_t fresh = bump_.load(std::memory_order_relaxed);
  // Bump only while capacity remains: a full registry stops tracking instead of failing.
  do {
    if (fresh >= kMaxChunks * kChunkSize) return nullptr;
  } while (!bump_.compare_exchange_weak(fresh, fresh + 1, std::memory_order_acq_rel));
  uint32_t chunk = fresh >> kChunkBits;
  if (chunks_[chunk].load(std::memory_order_acquire) == nullptr) {
    std::lock_guard lock(chunk_mutex_);
    if (chunks_[chunk].load(std::memory_order_relaxed) == nullptr) {
      auto storage = std::make_unique<detail::Slot[]>(kChunkSize);
      for (uint32_t i = 0; i < kChunkSize; ++i) storage[i].index = (chunk << kChunkBits) | i;
      chunks_[chunk].store(storage.get(), std::memory_order_release);
      chunk_storage_.push_back(std::move(storage));
    }
  }
  index = fresh;
  return slot_at(fresh);
}

ThreadHandle Registry::on_create(const CreateOptions& options) {
  uint32_t index = 0;
  detail::Slot* slot = allocate_slot(index);
  if (slot == nullptr) return {};
  detail::Slot* creator = detail::tls_current;
  {
    detail::SlotWrite write(*slot);
    slot->id.store(next_id_.fetch_add(1, std::memory_order_relaxed), std::memory_order_relaxed);
    slot->runtime.store(options.runtime, std::memory_order_relaxed);
    slot->runtime_handle.store(options.runtime_handle, std::memory_order_relaxed);
    slot->owner.store(detail::tls_scheduler, std::memory_order_relaxed);
    slot->creator_id.store(creator ? creator->id.load(std::memory_order_relaxed) : 0,
                           std::memory_order_relaxed);
    slot->labels.store(creator ? creator->labels.load(std::memory_order_relaxed) : nullptr,
                       std::memory_order_relaxed);
    slot->created_unix_ns.store(unix_now_ns(), std::memory_order_relaxed);
    slot->parked_mono_ns.store(detail::monotonic_coarse_ns(), std::memory_order_relaxed);
    slot->wait_reason.store(nullptr, std::memory_order_relaxed);
    slot->wait_object.store(nullptr, std::memory_order_relaxed);
    slot->suspend_pc.store(0, std::memory_order_relaxed);
    slot->parent.store(nullptr, std::memory_order_relaxed);
    slot->awaiting_child.store(false, std::memory_order_relaxed);
    // A slot is reused: a new green thread has not run, whatever its slot's last one did.
    slot->run_count.store(0, std::memory_order_relaxed);
    slot->stack_run_count.store(UINT64_MAX, std::memory_order_relaxed);
    slot->stack_depth.store(0, std::memory_order_relaxed);
    uint32_t depth = 0;
    if (options.capture_creator_stack) {
      std::array<void*, kMaxCreatorFrames + 1> frames{};
      size_t wanted = std::min(options.creator_frames, kMaxCreatorFrames) + 1;
      int captured = capture_backtrace(std::span<void*>(frames.data(), wanted));
      // Frame 0 is on_create itself.
      for (int i = 1; i < captured; ++i) {
        slot->creator_pcs[depth++].store(reinterpret_cast<uintptr_t>(frames[i]),
                                         std::memory_order_relaxed);
      }
    }
    slot->creator_depth.store(depth, std::memory_order_relaxed);
    slot->state.store(options.initial_state, std::memory_order_relaxed);
  }
  return ThreadHandle(slot);  // NOLINT(modernize-return-braced-init-list): explicit
}

void Registry::on_release(ThreadHandle thread) {
  detail::Slot* slot = thread.slot();
  if (slot == nullptr) return;
  if (detail::tls_current == slot) detail::tls_current = nullptr;
  {
    detail::SlotWrite write(*slot);
    slot->state.store(FiberState::kFree, std::memory_order_relaxed);
    slot->runtime_handle.store(nullptr, std::memory_order_relaxed);
    slot->parent.store(nullptr, std::memory_order_relaxed);
  }
  uint32_t index = slot->index;
  uint64_t head = free_head_.load(std::memory_order_acquire);
  uint64_t replacement = 0;
  do {
    slot->next_free.store(static_cast<uint32_t>(head), std::memory_order_relaxed);
    replacement = (((head >> 32) + 1) << 32) | index;
  } while (!free_head_.compare_exchange_weak(head, replacement, std::memory_order_acq_rel,
                                             std::memory_order_acquire));
}

void Registry::set_parent(ThreadHandle child, ThreadHandle parent) {
  {
    detail::SlotWrite write(*child.slot());
    child.slot()->parent.store(parent.slot(), std::memory_order_relaxed);
  }
  if (!parent) return;
  detail::SlotWrite write(*parent.slot());
  parent.slot()->awaiting_child.store(true, std::memory_order_relaxed);
}

void Registry::set_labels(ThreadHandle thread, const LabelSet* labels) {
  detail::SlotWrite write(*thread.slot());
  thread.slot()->labels.store(labels, std::memory_order_relaxed);
}

const LabelSet* Registry::intern_labels(std::vector<std::pair<std::string, std::string>> labels) {
  std::sort(labels.begin(), labels.end());
  std::lock_guard lock(labels_mutex_);
  for (const auto& set : label_sets_) {
    if (set->labels == labels) return set.get();
  }
  label_sets_.push_back(std::make_unique<LabelSet>(LabelSet{std::move(labels)}));
  return label_sets_.back().get();
}

uint32_t Registry::add_scheduler(StackProvider* provider) {
  std::lock_guard lock(schedulers_mutex_);
  uint32_t id = next_scheduler_id_++;
  schedulers_.push_back({id, provider, stack_request_.load(std::memory_order_relaxed)});
  return id;
}

void Registry::remove_scheduler(uint32_t id) {
  {
    std::lock_guard lock(schedulers_mutex_);
    std::erase_if(schedulers_, [id](const SchedulerEntry& entry) { return entry.id == id; });
  }
  schedulers_done_.notify_all();
}

size_t Registry::scheduler_count() {
  std::lock_guard lock(schedulers_mutex_);
  return schedulers_.size();
}

void Registry::stacks_done(uint32_t scheduler, uint64_t request) {
  {
    std::lock_guard lock(schedulers_mutex_);
    for (auto& entry : schedulers_) {
      if (entry.id == scheduler) entry.done = std::max(entry.done, request);
    }
  }
  schedulers_done_.notify_all();
}

std::pair<size_t, size_t> Registry::collect_stacks(std::chrono::milliseconds timeout) {
  std::lock_guard collecting(collect_mutex_);
  uint64_t request = stack_request_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (detail::tls_scheduler != 0) {
    // This thread's scheduler cannot answer while its fiber waits here: it answers now.
    StackProvider* own = nullptr;
    {
      std::lock_guard lock(schedulers_mutex_);
      for (auto& entry : schedulers_) {
        if (entry.id == detail::tls_scheduler) own = entry.provider;
      }
    }
    if (own != nullptr) own->serve_here(request);
  }
  std::unique_lock lock(schedulers_mutex_);
  for (auto& entry : schedulers_) entry.provider->wake();
  auto answered = [&] {
    return static_cast<size_t>(std::count_if(schedulers_.begin(), schedulers_.end(),
                                             [&](const auto& e) { return e.done >= request; }));
  };
  // A scheduler that did not answer the previous request either is stuck (one fiber running
  // for long, or its thread blocked outside the scheduler): waiting for it again would only
  // make every snapshot as slow as the timeout.
  auto settled = [&] {
    return std::all_of(schedulers_.begin(), schedulers_.end(), [&](const auto& e) {
      return e.done >= request || (request >= 2 && e.done < request - 1);
    });
  };
  schedulers_done_.wait_for(lock, timeout, settled);
  return {answered(), schedulers_.size()};
}

void Registry::for_each_owned(uint32_t scheduler, const std::function<void(detail::Slot&)>& fn) {
  uint32_t end = bump_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < end; ++i) {
    detail::Slot* slot = slot_at(i);
    if (slot == nullptr) continue;
    if (slot->owner.load(std::memory_order_relaxed) != scheduler) continue;
    if (slot->state.load(std::memory_order_acquire) == FiberState::kFree) continue;
    fn(*slot);
  }
}

void Registry::read_identity(const detail::Slot& slot, ThreadRecord& out) {
  out.id = slot.id.load(std::memory_order_relaxed);
  out.creator_id = slot.creator_id.load(std::memory_order_relaxed);
  out.created_unix_ns = slot.created_unix_ns.load(std::memory_order_relaxed);
  out.labels = slot.labels.load(std::memory_order_relaxed);
  uint32_t creator_depth =
      std::min<uint32_t>(slot.creator_depth.load(std::memory_order_relaxed), kMaxCreatorFrames);
  out.creator_pcs.resize(creator_depth);
  for (uint32_t i = 0; i < creator_depth; ++i) {
    out.creator_pcs[i] = slot.creator_pcs[i].load(std::memory_order_relaxed);
  }
}

bool Registry::read_slot(const detail::Slot& slot, ThreadRecord& out) const {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    uint32_t before = slot.seq.load(std::memory_order_acquire);
    if (before & 1U) {
      std::this_thread::yield();
      continue;
    }
    out.state = slot.state.load(std::memory_order_relaxed);
    if (out.state == FiberState::kFree) return false;
    out.runtime = slot.runtime.load(std::memory_order_relaxed);
    out.parked_mono_ns = slot.parked_mono_ns.load(std::memory_order_relaxed);
    out.wait_reason = slot.wait_reason.load(std::memory_order_relaxed);
    out.wait_object = slot.wait_object.load(std::memory_order_relaxed);
    out.awaiting_child = slot.awaiting_child.load(std::memory_order_relaxed);
    out.started = slot.run_count.load(std::memory_order_relaxed) > 0;
    read_identity(slot, out);
    out.stack_pcs.clear();
    if (out.runtime == Runtime::kCppCoroutine) {
      // The chain of awaiting coroutines, innermost first; bounded against a corrupt cycle.
      const detail::Slot* root = &slot;
      const detail::Slot* link = &slot;
      for (size_t depth = 0; link != nullptr && depth < kMaxStackFrames; ++depth) {
        uintptr_t pc = link->suspend_pc.load(std::memory_order_relaxed);
        if (pc != 0) out.stack_pcs.push_back(pc);
        root = link;
        link = link->parent.load(std::memory_order_relaxed);
      }
      // The root's slot is read without its sequence lock: the root is suspended (it awaits
      // the chain), and its identity does not change while it lives.
      if (root != &slot) read_identity(*root, out);
    } else if (slot.stack_run_count.load(std::memory_order_relaxed) ==
               slot.run_count.load(std::memory_order_relaxed)) {
      uint32_t depth =
          std::min<uint32_t>(slot.stack_depth.load(std::memory_order_relaxed), kMaxStackFrames);
      out.stack_pcs.resize(depth);
      for (uint32_t i = 0; i < depth; ++i) {
        out.stack_pcs[i] = slot.stack_pcs[i].load(std::memory_order_relaxed);
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.seq.load(std::memory_order_relaxed) == before) return true;
  }
  return false;  // a green thread switching too fast to read: the next snapshot sees it
}

std::vector<ThreadRecord> Registry::records() const {
  std::vector<ThreadRecord> result;
  uint32_t end = bump_.load(std::memory_order_acquire);
  result.reserve(end);
  ThreadRecord record;
  for (uint32_t i = 0; i < end; ++i) {
    const detail::Slot* slot = slot_at(i);
    if (slot == nullptr) continue;
    if (read_slot(*slot, record)) result.push_back(record);
  }
  return result;
}

size_t Registry::live_count(uint64_t min_id) const {
  size_t live = 0;
  uint32_t end = bump_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < end; ++i) {
    const detail::Slot* slot = slot_at(i);
    if (slot != nullptr && slot->state.load(std::memory_order_relaxed) != FiberState::kFree &&
        slot->id.load(std::memory_order_relaxed) >= min_id) {
      ++live;
    }
  }
  return live;
}

ScopedLabels::ScopedLabels(Labels labels) : thread_(Registry::current()) {
  if (!thread_) return;
  Registry& registry = Registry::instance();
  previous_ = registry.labels(thread_);
  // Labels add to those in force, a key given again replacing its value, as in pprof.Do.
  std::vector<std::pair<std::string, std::string>> merged = labels;
  if (previous_ != nullptr) {
    for (const auto& inherited : previous_->labels) {
      bool replaced = std::any_of(labels.begin(), labels.end(), [&](const auto& label) {
        return label.first == inherited.first;
      });
      if (!replaced) merged.push_back(inherited);
    }
  }
  registry.set_labels(thread_, registry.intern_labels(std::move(merged)));
}

ScopedLabels::~ScopedLabels() {
  if (thread_) Registry::instance().set_labels(thread_, previous_);
}

}  // namespace leakscan::agent
