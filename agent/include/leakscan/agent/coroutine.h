// C++20 coroutines as green threads, with one line per task type: name the promise through
// leakscan::coro::tracked.
//
//   struct promise { ... };                             // the task's own promise, unchanged
//   using promise_type = leakscan::coro::tracked<promise>;
//
// Every co_await in the coroutine then records where it suspends and on what; the promise's
// own await_transform, if it has one, still runs first. A coroutine that a tracked coroutine
// awaits by symmetric transfer (await_suspend returning its handle) links itself to its
// awaiter, so a chain shows as one stack, innermost first, under the identity and creation
// site of its root: where it was spawned. A coroutine that finished but whose frame was never
// destroyed shows as exited: its memory leaks.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
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
concept names_its_wait = requires(const T& t) {
  { t.leakscan_wait_reason() } -> std::convertible_to<const char*>;
};

// One coroutine frame's green thread, from the promise's construction to its destruction.
class green_thread {
 public:
  // Creator frames cost about a microsecond; a framework whose inner frames are never a
  // chain's root (and so never name a creation site) passes 0 for those.
  explicit green_thread(size_t creator_frames);
  ~green_thread();
  green_thread(const green_thread&) = delete;
  green_thread& operator=(const green_thread&) = delete;

  agent::ThreadHandle handle() const { return thread_; }
  // First resume. `key` identifies the awaiter this coroutine may have been started by (see
  // awaiting): if the last tracked coroutine to suspend on this thread named that key, it
  // is this one's parent.
  void started(const void* key) const noexcept;
  // At final_suspend: done, but its frame still holds memory until destroyed.
  void finished() const noexcept;

 private:
  agent::ThreadHandle thread_;
};

// The coroutine that suspended last on this thread, awaiting a child that offers `key`, if
// there is one: taken, so that it links one child only.
agent::ThreadHandle take_awaiter(const void* key) noexcept;

// Out of line, once per suspension and resumption.
void suspending(agent::ThreadHandle self, uintptr_t site, const char* reason,
                const void* object) noexcept;
void resumed(agent::ThreadHandle self) noexcept;
// Touches only this thread's state, never `self`'s slot (its frame may be gone already):
// a coroutine started next on this thread that offers `child_key` is `self`'s awaited child.
void awaiting(agent::ThreadHandle self, const void* child_key) noexcept;

// The handle an awaiter expects: its own promise type's when it takes no other (a promise
// written before tracked<> wrapped it); the tracked promise starts with it at the same address.
template <typename Base, typename Awaiter, typename Promise>
auto expected_handle(std::coroutine_handle<Promise> handle) {
  if constexpr (requires(Awaiter & a) { a.await_suspend(handle); }) {
    return handle;
  } else {
    return std::coroutine_handle<Base>::from_address(handle.address());
  }
}

// Wraps the awaiter of one co_await: what the coroutine waits for is recorded as it suspends.
// After the inner await_suspend, the frame (and this awaiter) may already be resumed or
// destroyed on another thread: nothing here touches it then.
template <typename Awaiter, typename Base>
class tracked_awaiter {
 public:
  tracked_awaiter(Awaiter&& awaiter, agent::ThreadHandle self, const char* reason,
                  const void* object, uintptr_t site, const void* child_key)
      : awaiter_(std::forward<Awaiter>(awaiter)),
        self_(self),
        reason_(reason),
        object_(object),
        site_(site),
        child_key_(child_key) {}

  bool await_ready() { return awaiter_.await_ready(); }

  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) {
    auto inner = expected_handle<Base, decltype(awaiter_)>(handle);
    const char* reason = reason_;
    if constexpr (names_its_wait<std::remove_cvref_t<Awaiter>>) {
      reason = awaiter_.leakscan_wait_reason();
    }
    agent::ThreadHandle self = self_;
    if (self) suspending(self, site_, reason, object_);
    using Result = decltype(awaiter_.await_suspend(inner));
    if constexpr (std::is_same_v<Result, bool>) {
      if (self) awaiting(self, child_key_);
      bool suspended = inner_suspend(inner, self);
      if (!suspended && self) resumed(self);
      return suspended;
    } else if constexpr (std::is_void_v<Result>) {
      if (self) awaiting(self, child_key_);
      inner_suspend(inner, self);
    } else {
      // Symmetric transfer: the coroutine resumed next is the awaited one if it starts now.
      auto next = inner_suspend(inner, self);
      if (self) awaiting(self, next.address());
      return next;
    }
  }

  decltype(auto) await_resume() {
    if (self_) resumed(self_);
    return awaiter_.await_resume();
  }

 private:
  template <typename Handle>
  decltype(auto) inner_suspend(Handle inner, agent::ThreadHandle self) {
#if defined(__cpp_exceptions)
    // A throwing await_suspend resumes the coroutine at once, with the exception.
    try {
      return awaiter_.await_suspend(inner);
    } catch (...) {
      if (self) resumed(self);
      throw;
    }
#else
    return awaiter_.await_suspend(inner);
#endif
  }

  // An lvalue awaiter is the caller's; an rvalue one moves in.
  std::conditional_t<std::is_lvalue_reference_v<Awaiter>, Awaiter, std::remove_cvref_t<Awaiter>>
      awaiter_;
  agent::ThreadHandle self_;
  const char* reason_;
  const void* object_;
  uintptr_t site_;
  const void* child_key_;
};

// The awaiter of initial_suspend: the coroutine starts when it resumes from it. `Key` gives
// what identifies the awaiter it may have been started by, read at that moment.
template <typename Awaiter, typename Base, typename Thread, typename Key>
class starting_awaiter {
 public:
  starting_awaiter(Awaiter awaiter, Thread& thread, Key key)
      : awaiter_(std::move(awaiter)), thread_(thread), key_(std::move(key)) {}

  bool await_ready() noexcept { return awaiter_.await_ready(); }
  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) noexcept {
    return awaiter_.await_suspend(expected_handle<Base, Awaiter>(handle));
  }
  decltype(auto) await_resume() noexcept {
    thread_.started(key_());
    return awaiter_.await_resume();
  }

 private:
  Awaiter awaiter_;
  Thread& thread_;
  Key key_;
};

// The awaiter of final_suspend, unchanged but for the handle its promise type expects.
template <typename Awaiter, typename Base>
class final_awaiter {
 public:
  explicit final_awaiter(Awaiter awaiter) : awaiter_(std::move(awaiter)) {}
  bool await_ready() noexcept { return awaiter_.await_ready(); }
  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) noexcept {
    return awaiter_.await_suspend(expected_handle<Base, Awaiter>(handle));
  }
  decltype(auto) await_resume() noexcept { return awaiter_.await_resume(); }

 private:
  Awaiter awaiter_;
};

// The awaiter a promise's own await_transform makes of `awaitable`, or the plain one.
template <typename Promise, typename Awaitable>
decltype(auto) transformed(Promise& promise, Awaitable&& awaitable) {
  if constexpr (requires { promise.await_transform(std::forward<Awaitable>(awaitable)); }) {
    using Transformed = decltype(promise.await_transform(std::forward<Awaitable>(awaitable)));
    if constexpr (!std::is_reference_v<Transformed> && !has_member_co_await<Transformed> &&
                  !has_free_co_await<Transformed>) {
      // A temporary made here: returned by value, not as a reference that would outlive it.
      return promise.await_transform(std::forward<Awaitable>(awaitable));
    } else {
      return get_awaiter(promise.await_transform(std::forward<Awaitable>(awaitable)));
    }
  } else {
    return get_awaiter(std::forward<Awaitable>(awaitable));
  }
}

// What both tracked promises do at a co_await; `site` is the co_await's return address.
template <typename Base, typename Awaitable>
auto track(Base& base, Awaitable&& awaitable, agent::ThreadHandle self, const char* reason,
           uintptr_t site, const void* child_key) {
  const void* object = nullptr;
  if constexpr (std::is_lvalue_reference_v<Awaitable>) object = &awaitable;
  using Awaiter = decltype(transformed(base, std::forward<Awaitable>(awaitable)));
  return tracked_awaiter<Awaiter, Base>(transformed(base, std::forward<Awaitable>(awaitable)), self,
                                        reason, object, site, child_key);
}

}  // namespace detail

// A task type's promise, tracked. Derives from `Promise` and forwards its hooks, so the
// promise's own initial_suspend, final_suspend and await_transform keep their meaning.
// `Promise`'s own `std::coroutine_handle<Promise>::from_promise(*this)` names this frame: the
// base is at the tracked promise's address, and GCC and Clang place a promise at one offset in
// its frame for every alignment up to 16.
template <typename Promise>
class tracked : public Promise {
 public:
  static constexpr size_t kCreatorFrames = 8;

  template <typename... Args>
  explicit tracked(Args&&... args) requires std::constructible_from<Promise, Args&&...>
      : Promise(std::forward<Args>(args)...), thread_(kCreatorFrames) {}
  tracked() requires std::default_initializable<Promise> : thread_(kCreatorFrames) {}

  auto initial_suspend() noexcept {
    static_assert(alignof(tracked) <= 16 || alignof(tracked) == alignof(Promise),
                  "the promise's own from_promise must name this frame (see above)");
    auto key = [this] {
      return static_cast<const void*>(
          std::coroutine_handle<tracked>::from_promise(*this).address());
    };
    using Awaiter = decltype(Promise::initial_suspend());
    return detail::starting_awaiter<Awaiter, Promise, detail::green_thread, decltype(key)>(
        Promise::initial_suspend(), thread_, key);
  }

  auto final_suspend() noexcept {
    thread_.finished();
    using Awaiter = decltype(Promise::final_suspend());
    return detail::final_awaiter<Awaiter, Promise>(Promise::final_suspend());
  }

  // Out of line, so that the return address is the co_await's own site in the coroutine.
  template <typename Awaitable>
  [[gnu::noinline]] auto await_transform(Awaitable&& awaitable) {
    auto site = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
    return detail::track(static_cast<Promise&>(*this), std::forward<Awaitable>(awaitable),
                         thread_.handle(), "co_await", site, nullptr);
  }

 private:
  detail::green_thread thread_;
};

}  // namespace leakscan::coro
