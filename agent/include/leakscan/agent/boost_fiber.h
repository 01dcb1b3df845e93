// Boost.Fiber without patching Boost: a scheduling algorithm that wraps round_robin,
// work_stealing or shared_work and tells the registry of every fiber's creation, switches and
// end. Install it on each thread that runs fibers:
//
//   boost::fibers::use_scheduling_algorithm<
//       leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
//   boost::fibers::use_scheduling_algorithm<
//       leakscan::fibers::tracking_algorithm<boost::fibers::algo::work_stealing>>(threads);
//
// It sees creation where a fiber is first awakened (on the creator's stack for launch::post, the
// default), and each switch in pick_next(), which runs on the stack of the fiber switching out;
// the fiber's wait/sleep links and terminated flag give the coarse cause of the switch. The
// wrappers in sync.h give the precise one. Stacks are unwound only when a snapshot asks
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

// Records why the fiber now switching out stopped running (ended, asleep, or waiting: a yield
// is made runnable by awakened() after the switch), unless a wrapper said it already.
void note_switch_out(agent::Registry& registry, const boost::fibers::context& fiber,
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

// Derives from algorithm_with_properties_base, not algorithm_with_properties: the latter's final
// awakened() makes two calls into libboost_fiber on every switch to find the properties, which
// are one load away (context::get_properties is inline).
template <typename Inner>
class tracking_algorithm : public boost::fibers::algo::algorithm_with_properties_base {
 public:
  using context = boost::fibers::context;

  template <typename... Args>
  explicit tracking_algorithm(Args&&... args)
      : inner_(std::forward<Args>(args)...),
        stacks_([this] { inner_.notify(); }, kUnwindRunnable) {}
  ~tracking_algorithm() override = default;
  tracking_algorithm(const tracking_algorithm&) = delete;
  tracking_algorithm& operator=(const tracking_algorithm&) = delete;

  void awakened(context* ctx) noexcept override {
    agent::ThreadHandle thread = handle_of(ctx);
    if (thread) registry_.on_ready(thread);
    // launch::dispatch: the creator is made ready on the stack of the fiber it started, which
    // runs without passing pick_next. Who runs is unknown until the next switch asks Boost.
    if (ctx == running_) running_ = nullptr;
    inner_.awakened(ctx);
  }

  context* pick_next() noexcept override {
    // Boost's context::active() is a call and a __tls_get_addr: known here but after a dispatch.
    if (running_ == nullptr) {
      running_ = context::active();
      running_thread_ = handle_of(running_);
      // It ran unseen (a dispatched fiber, perhaps registered just now): running, until here.
      if (running_thread_) registry_.on_run(running_thread_);
    }
    if (running_thread_) detail::note_switch_out(registry_, *running_, running_thread_);
    stacks_.service();
    context* next = inner_.pick_next();
    // None: the dispatcher, which asked, goes on running and waits for work.
    if (next == nullptr) return nullptr;
    running_ = next;
    running_thread_ = handle_of(next);
    if (running_thread_) {
      registry_.on_run(running_thread_);
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

  // Nobody changes tracked_properties after creation: nothing for the inner algorithm to hear.
  void property_change_(context* /*ctx*/,
                        boost::fibers::fiber_properties* /*properties*/) noexcept override {}

 private:
  // Work stealing moves ready fibers between threads: only parked ones stay put while unwound.
  static constexpr bool kUnwindRunnable =
      !std::is_same_v<Inner, boost::fibers::algo::work_stealing>;

  // The main fiber's, a worker fiber's, or none (the dispatcher is the scheduler's own).
  agent::ThreadHandle handle_of(context* ctx) {
    if (ctx == main_.context()) return main_.handle();
    auto* properties = static_cast<tracked_properties*>(ctx->get_properties());
    if (properties == nullptr) {
      // Made where the fiber is first awakened: on its creator's stack for launch::post. One
      // launched with launch::dispatch runs first, and is seen at its first switch.
      // Boost takes ownership and deletes the properties with the context.
      properties = std::make_unique<tracked_properties>(ctx).release();
      set_properties(ctx, properties);
    }
    return properties->handle();
  }

  // Looked up once: the hooks run on every switch.
  agent::Registry& registry_ = agent::Registry::instance();
  Inner inner_;
  detail::SchedulerStacks stacks_;
  detail::MainFiber main_;
  // The context this thread runs, as the last switch left it; nullptr: unknown.
  context* running_ = context::active();
  agent::ThreadHandle running_thread_ =
      running_ != nullptr ? handle_of(running_) : agent::ThreadHandle();
};

}  // namespace leakscan::fibers
