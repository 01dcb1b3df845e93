// C++20 coroutines as green threads. Derive a task type's promise from tracked_promise:
//
//   struct promise_type : leakscan::coro::tracked_promise {
//     auto final_suspend() noexcept { leakscan_final(); return ...; }
//     ...
//   };
//
// Every co_await in the coroutine then records where it suspends and on what. A task type
// that exposes `leakscan::agent::ThreadHandle leakscan_thread() const` (its promise's) lets an
// awaiting coroutine link itself as the parent, so that a chain of coroutines awaiting one
// another shows as one stack, innermost first, in the green thread at its end. A coroutine
// that finished but whose frame was never destroyed shows as exited: its memory leaks.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "leakscan/agent/registry.h"

namespace leakscan::coro {
namespace detail {

template <typename T>
concept has_member_co_await = requires(T&& t) {
  std::forward<T>(t).operator co_await();
};
template <typename T>
concept has_free_co_await = requires(T&& t) {
  operator co_await(std::forward<T>(t));
};

template <typename T>
decltype(auto) get_awaiter(T&& awaitable) {
  if constexpr (has_member_co_await<T>) {
    return std::forward<T>(awaitable).operator co_await();
  } else if constexpr (has_free_co_await<T>) {
    return operator co_await(std::forward<T>(awaitable));
  } else {
    return std::forward<T>(awaitable);
  }
}

template <typename T>
concept tracked_task = requires(const std::remove_cvref_t<T>& t) {
  { t.leakscan_thread() } -> std::same_as<agent::ThreadHandle>;
};
template <typename T>
concept names_its_wait = requires(const T& t) {
  { t.leakscan_wait_reason() } -> std::convertible_to<const char*>;
};

// Wraps the awaiter of one co_await: what the coroutine waits for is recorded as it suspends.
template <typename Awaiter>
class tracked_awaiter {
 public:
  tracked_awaiter(Awaiter&& awaiter, agent::ThreadHandle self, agent::ThreadHandle child,
                  const void* object, uintptr_t site)
      : awaiter_(std::forward<Awaiter>(awaiter)),
        self_(self),
        child_(child),
        object_(object),
        site_(site) {}

  bool await_ready() { return awaiter_.await_ready(); }

  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) {
    auto& registry = agent::Registry::instance();
    if (self_) {
      const char* reason = "co_await";
      if constexpr (names_its_wait<std::remove_cvref_t<Awaiter>>) {
        reason = awaiter_.leakscan_wait_reason();
      }
      registry.set_suspend_point(self_, site_, static_cast<bool>(child_));
      if (child_) registry.set_parent(child_, self_);
      registry.on_park(self_, reason, object_);
    }
    using Result = decltype(awaiter_.await_suspend(handle));
    if constexpr (std::is_same_v<Result, bool>) {
      bool suspended = awaiter_.await_suspend(handle);
      if (!suspended) resumed();
      return suspended;
    } else {
      return awaiter_.await_suspend(handle);
    }
  }

  decltype(auto) await_resume() {
    resumed();
    return awaiter_.await_resume();
  }

 private:
  void resumed() {
    if (!self_) return;
    auto& registry = agent::Registry::instance();
    registry.set_suspend_point(self_, 0, false);
    registry.on_resume(self_);
  }

  // An lvalue awaiter is the caller's; an rvalue one moves in.
  std::conditional_t<std::is_lvalue_reference_v<Awaiter>, Awaiter, std::remove_cvref_t<Awaiter>>
      awaiter_;
  agent::ThreadHandle self_;
  agent::ThreadHandle child_;
  const void* object_;
  uintptr_t site_;
};

}  // namespace detail

class tracked_promise {
 public:
  tracked_promise()
      : thread_(
            agent::Registry::instance().on_create({.runtime = agent::Runtime::kCppCoroutine,
                                                   .initial_state = agent::FiberState::kRunnable,
                                                   .creator_frames = 6})) {}
  ~tracked_promise() {
    if (thread_) agent::Registry::instance().on_release(thread_);
  }
  tracked_promise(const tracked_promise&) = delete;
  tracked_promise& operator=(const tracked_promise&) = delete;

  agent::ThreadHandle leakscan_thread() const { return thread_; }

  // Out of line, so that the return address is the co_await's own site in the coroutine.
  template <typename Awaitable>
  [[gnu::noinline]] auto await_transform(Awaitable&& awaitable) {
    auto site = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
    agent::ThreadHandle child;
    if constexpr (detail::tracked_task<Awaitable>) child = awaitable.leakscan_thread();
    const void* object = nullptr;
    if constexpr (std::is_lvalue_reference_v<Awaitable>) object = &awaitable;
    using Awaiter = decltype(detail::get_awaiter(std::forward<Awaitable>(awaitable)));
    return detail::tracked_awaiter<Awaiter>(detail::get_awaiter(std::forward<Awaitable>(awaitable)),
                                            thread_, child, object, site);
  }

  // Call from final_suspend: the coroutine is done; until its frame is destroyed, it holds
  // memory as an exited green thread.
  void leakscan_final() noexcept {
    if (thread_) agent::Registry::instance().on_exit(thread_);
  }

  // The coroutine starts running (first resume after initial_suspend).
  void leakscan_started() noexcept {
    if (thread_) agent::Registry::instance().on_resume(thread_);
  }

 private:
  agent::ThreadHandle thread_;
};

}  // namespace leakscan::coro
