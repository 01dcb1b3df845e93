// Boost.Fiber without patching Boost: a scheduling algorithm that wraps round_robin,
// work_stealing or shared_work and tells the registry of every fiber's creation, switches and
// end. Install it on each thread that runs fibers:
//
//   boost::fibers::use_scheduling_algorithm<
//       leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
//   boost::fibers::use_scheduling_algorithm<
//       leakscan::fibers::tracking_algorithm<boost::fibers::algo::work_stealing>>(threads);
//
// It sees creation in new_properties() (on the creator's stack for launch::post, the default),
// and each switch in pick_next(), which runs on the stack of the fiber switching out; the
// fiber's wait/sleep/terminated links give the coarse cause of the switch. The wrappers in
// sync.h give the precise one. Stacks are unwound only when a snapshot asks
// (agent/src/fiber_stack_unwinder.h).
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "leakscan/agent/registry.h"

namespace leakscan::fibers {

// The registry's handle for one fiber, kept where Boost keeps a fiber's scheduling properties;
// Boost destroys it with the fiber's context, which is the fiber's release.
class tracked_properties : public boost::fibers::fiber_properties {
 public:
  explicit tracked_properties(boost::fibers::context* context);
  ~tracked_properties() override;
  tracked_properties(const tracked_properties&) = delete;
  tracked_properties& operator=(const tracked_properties&) = delete;

  agent::ThreadHandle handle() const { return handle_; }

 private:
  agent::ThreadHandle handle_;
};

namespace detail {

// Runs on the scheduler's own thread, between fibers: unwinds the suspended fibers it owns for
// a pending snapshot. `unwind_runnable` is false where other threads may steal ready fibers.
// Built on the thread it serves, it is that thread's scheduler (tls_scheduler) while it lives.
class SchedulerStacks : public agent::StackProvider {
 public:
  SchedulerStacks(std::function<void()> wake, bool unwind_runnable);
  ~SchedulerStacks() override;
  SchedulerStacks(const SchedulerStacks&) = delete;
  SchedulerStacks& operator=(const SchedulerStacks&) = delete;

  void wake() override { wake_(); }
  void serve_here(uint64_t request) override { serve(request); }
  uint32_t id() const { return id_; }
  void service() {
    // The only cost on the switch path when no snapshot is pending: one load and a compare.
    uint64_t request = registry_.stack_request();
    if (request != handled_) serve(request);
  }

 private:
  void serve(uint64_t request);

  agent::Registry& registry_ = agent::Registry::instance();
  std::function<void()> wake_;
  bool unwind_runnable_;
  uint32_t id_ = 0;
  uint64_t handled_ = 0;
};

// Records why the fiber now switching out stopped running, unless a wrapper said it already.
void note_switch_out(agent::Registry& registry, boost::fibers::context* context,
                     agent::ThreadHandle thread);

// The thread's main fiber (the context it ran before any fiber), as a green thread of the
// program: like Go's goroutine 1, it blocks in joins and waits like any fiber. Registered
// where the scheduler is installed, released with it at thread exit. Empty when the scheduler
// was installed from a fiber other than the main one.
class MainFiber {
 public:
  MainFiber();
  ~MainFiber();
  MainFiber(const MainFiber&) = delete;
  MainFiber& operator=(const MainFiber&) = delete;

  boost::fibers::context* context() const { return context_; }
  agent::ThreadHandle handle() const { return handle_; }

 private:
  boost::fibers::context* context_ = nullptr;
  agent::ThreadHandle handle_;
};

}  // namespace detail

template <typename Inner>
class tracking_algorithm
    : public boost::fibers::algo::algorithm_with_properties<tracked_properties> {
 public:
  using context = boost::fibers::context;

  template <typename... Args>
  explicit tracking_algorithm(Args&&... args)
      : inner_(std::forward<Args>(args)...),
        stacks_([this] { inner_.notify(); }, kUnwindRunnable) {}
  ~tracking_algorithm() override = default;
  tracking_algorithm(const tracking_algorithm&) = delete;
  tracking_algorithm& operator=(const tracking_algorithm&) = delete;

  void awakened(context* ctx, tracked_properties& properties) noexcept override {
    agent::ThreadHandle thread = ctx == main_.context() ? main_.handle() : properties.handle();
    if (thread) registry_.on_ready(thread);
    inner_.awakened(ctx);
  }

  context* pick_next() noexcept override {
    context* leaving = context::active();
    if (leaving != nullptr) detail::note_switch_out(registry_, leaving, handle_of(leaving));
    stacks_.service();
    context* next = inner_.pick_next();
    agent::ThreadHandle thread = next != nullptr ? handle_of(next) : agent::ThreadHandle();
    if (thread) {
      registry_.on_run(thread);
    } else {
      agent::Registry::clear_current();
    }
    return next;
  }

  bool has_ready_fibers() const noexcept override { return inner_.has_ready_fibers(); }

  void suspend_until(std::chrono::steady_clock::time_point const& until) noexcept override {
    stacks_.service();
    inner_.suspend_until(until);
    stacks_.service();
  }

  void notify() noexcept override { inner_.notify(); }

  boost::fibers::fiber_properties* new_properties(context* ctx) override {
    // Boost takes ownership and deletes the properties with the context.
    return std::make_unique<tracked_properties>(ctx).release();
  }

 private:
  // Work stealing moves ready fibers between threads: only parked ones stay put while unwound.
  static constexpr bool kUnwindRunnable =
      !std::is_same_v<Inner, boost::fibers::algo::work_stealing>;

  // The main fiber's, a worker fiber's, or none (the dispatcher is the scheduler's own).
  agent::ThreadHandle handle_of(context* ctx) {
    if (ctx == main_.context()) return main_.handle();
    if (!ctx->is_context(boost::fibers::type::worker_context)) return {};
    auto* properties = static_cast<tracked_properties*>(get_properties(ctx));
    if (properties == nullptr) {
      // A fiber launched with launch::dispatch runs before it is ever awakened.
      properties = static_cast<tracked_properties*>(new_properties(ctx));
      set_properties(ctx, properties);
    }
    return properties->handle();
  }

  // Looked up once: the hooks run on every switch.
  agent::Registry& registry_ = agent::Registry::instance();
  Inner inner_;
  detail::SchedulerStacks stacks_;
  detail::MainFiber main_;
};

}  // namespace leakscan::fibers
