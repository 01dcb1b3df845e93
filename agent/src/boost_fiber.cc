#include "leakscan/agent/boost_fiber.h"

#include <array>
#include <optional>

#include "agent/src/fiber_stack_unwinder.h"
#include "agent/src/private_member.h"

namespace leakscan::fibers {
namespace detail {

// Read on every switch: plain loads here, where Boost's *_is_linked() are calls into its library.
LEAKSCAN_PRIVATE_MEMBER(ContextTerminated, boost::fibers::context, bool, terminated_);
LEAKSCAN_PRIVATE_MEMBER(ContextSleepHook, boost::fibers::context, boost::fibers::detail::sleep_hook,
                        sleep_hook_);

}  // namespace detail

tracked_properties::tracked_properties(boost::fibers::context* context)
    : boost::fibers::fiber_properties(context) {
  // The main and dispatcher contexts are the threads' own, not green threads of the program.
  if (context != nullptr && context->is_context(boost::fibers::type::worker_context)) {
    handle_ = agent::Registry::instance().on_create(
        {.runtime = agent::Runtime::kBoostFiber, .runtime_handle = context});
  }
}

tracked_properties::~tracked_properties() {
  if (handle_) agent::Registry::instance().on_release(handle_);
}

namespace detail {

SchedulerStacks::SchedulerStacks(std::function<void()> wake, bool unwind_runnable)
    : wake_(std::move(wake)), unwind_runnable_(unwind_runnable) {
  id_ = agent::Registry::instance().add_scheduler(this);
  handled_ = agent::Registry::instance().stack_request();
  agent::detail::tls_scheduler = id_;
}

SchedulerStacks::~SchedulerStacks() {
  agent::detail::tls_scheduler = 0;
  agent::Registry::instance().remove_scheduler(id_);
}

MainFiber::MainFiber() {
  boost::fibers::context* active = boost::fibers::context::active();
  if (active == nullptr || !active->is_context(boost::fibers::type::main_context)) return;
  auto& registry = agent::Registry::instance();
  context_ = active;
  // Nobody created it; its creation site would be the thread's start, the same for all.
  handle_ = registry.on_create({.runtime = agent::Runtime::kBoostFiber,
                                .runtime_handle = active,
                                .initial_state = agent::FiberState::kRunning,
                                .capture_creator_stack = false});
  registry.on_run(handle_);
}

MainFiber::~MainFiber() {
  if (handle_) agent::Registry::instance().on_release(handle_);
}

namespace {

struct Unwindable {
  boost::fibers::context* context = nullptr;
  uint64_t runs = 0;
};

// Owner, state and runs read as one state of the slot: a slot this scheduler's fiber left may
// be reused by another thread's new fiber meanwhile, and that fiber must never be resumed here.
std::optional<Unwindable> unwindable(const agent::detail::Slot& slot, uint32_t scheduler,
                                     bool unwind_runnable) {
  uint32_t before = slot.seq.load(std::memory_order_acquire);
  if ((before & 1U) != 0) return std::nullopt;  // being written: not by this thread, so not ours
  uint32_t owner = slot.owner.load(std::memory_order_relaxed);
  agent::FiberState state = slot.state.load(std::memory_order_relaxed);
  uint64_t runs = slot.run_count.load(std::memory_order_relaxed);
  uint64_t unwound_at = slot.stack_run_count.load(std::memory_order_relaxed);
  auto* context =
      static_cast<boost::fibers::context*>(slot.runtime_handle.load(std::memory_order_relaxed));
  std::atomic_thread_fence(std::memory_order_acquire);
  if (slot.seq.load(std::memory_order_relaxed) != before || owner != scheduler) return std::nullopt;
  bool parked = state == agent::FiberState::kWaiting || state == agent::FiberState::kSleeping;
  if (!parked && !(unwind_runnable && state == agent::FiberState::kRunnable)) return std::nullopt;
  if (runs == 0) return std::nullopt;           // not started: only Boost's entry is on its stack
  if (unwound_at == runs) return std::nullopt;  // still valid
  if (context == nullptr || context == boost::fibers::context::active()) return std::nullopt;
  return Unwindable{context, runs};
}

}  // namespace

void SchedulerStacks::serve(uint64_t request) {
  auto& registry = agent::Registry::instance();
  std::array<uintptr_t, agent::kMaxStackFrames> pcs{};
  registry.for_each_owned(id_, [&](agent::detail::Slot& slot) {
    std::optional<Unwindable> fiber = unwindable(slot, id_, unwind_runnable_);
    if (!fiber) return;
    size_t depth = unwind_suspended_fiber(*fiber->context, pcs);
    agent::detail::SlotWrite write(slot);
    for (size_t i = 0; i < depth; ++i) slot.stack_pcs[i].store(pcs[i], std::memory_order_relaxed);
    slot.stack_depth.store(static_cast<uint32_t>(depth), std::memory_order_relaxed);
    slot.stack_run_count.store(fiber->runs, std::memory_order_relaxed);
  });
  handled_ = request;
  registry.stacks_done(id_, request);
}

void note_switch_out(agent::Registry& registry, const boost::fibers::context& fiber,
                     agent::ThreadHandle thread) {
  agent::FiberState state = thread.slot()->state.load(std::memory_order_relaxed);
  // A wrapper (sync.h) already said precisely what the fiber waits for.
  if (state != agent::FiberState::kRunning) return;
  // Boost marks a fiber terminated before its last switch (the terminated queue link comes
  // only for some fibers).
  if (fiber.*member_pointer(ContextTerminated{})) {
    registry.on_exit(thread);
    return;
  }
  // A yield is parked here too, and made runnable by awakened() right after the switch. A wait
  // with a deadline (a timed lock, pop_wait_for) is on a wait queue and a sleep link at once:
  // a wait.
  bool sleeps =
      !fiber.wait_hook_.is_linked() && (fiber.*member_pointer(ContextSleepHook{})).is_linked();
  registry.on_park(thread, nullptr, nullptr,
                   sleeps ? agent::FiberState::kSleeping : agent::FiberState::kWaiting);
}

}  // namespace detail
}  // namespace leakscan::fibers
