// Boost.Asio's C++20 coroutines (`awaitable`, `co_spawn`) as green threads, with no change to
// the coroutines: include this header before any coroutine returning `boost::asio::awaitable`
// is defined (or compile with `-include leakscan/agent/asio.h`). It names a tracked promise for
// every `awaitable` through std::coroutine_traits, so each co_spawn'ed coroutine is one green
// thread whose stack is its chain of awaiting frames, created where co_spawn was called, waiting
// on the asynchronous operation its innermost frame started.
#pragma once

// Boost 1.74 knows C++20 coroutines under GCC only (under Clang, the Coroutines TS).
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

// clang-format off
#include <utility>  // before Asio's: Boost 1.74's awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "leakscan/agent/coroutine.h"

namespace leakscan::asio::detail {

template <typename T>
constexpr std::string_view type_name() {
  return __PRETTY_FUNCTION__;
}

// The operation an `async_result<use_awaitable_t>::initiate` frame waits for, from its
// initiation's type, in Go's words where Go has the operation.
template <typename Initiation>
constexpr const char* operation_reason() {
  constexpr std::string_view name = type_name<Initiation>();
  if (name.find("waitable_timer") != std::string_view::npos) return "timer wait";
  if (name.find("initiate_async_") != std::string_view::npos ||
      name.find("async_read") != std::string_view::npos ||
      name.find("async_write") != std::string_view::npos) {
    return "IO wait";
  }
  return "asio async operation";
}

template <typename... Args>
struct frame_kind {
  static constexpr const char* reason = "co_await";
  static constexpr bool spawns = false;
  static constexpr bool operation = false;
};
// co_spawn's entry point, the root of every chain: the only frame whose creator is reported.
template <typename T, typename Executor, typename... Rest>
struct frame_kind<boost::asio::awaitable<T, Executor>*, Rest...> {
  static constexpr const char* reason = "co_await";
  static constexpr bool spawns = true;
  static constexpr bool operation = false;
};
// Asio's frame for one asynchronous operation (async_result<use_awaitable_t>::initiate).
template <typename Initiation, typename Executor, typename... Rest>
struct frame_kind<Initiation, boost::asio::use_awaitable_t<Executor>, Rest...> {
  static constexpr const char* reason = operation_reason<Initiation>();
  static constexpr bool spawns = false;
  static constexpr bool operation = true;
};

// An asynchronous operation's frame is no green thread of its own, which would cost a slot
// per operation and show Asio's machinery as the innermost frame: it names its awaiter's wait.
class operation_link {
 public:
  void started(const void* key) noexcept { awaiter_ = coro::detail::take_awaiter(key); }
  void finished() const noexcept {}
  agent::ThreadHandle awaiter() const { return awaiter_; }

 private:
  agent::ThreadHandle awaiter_;
};

// The operation frame's one co_await: its awaiter, suspended at its own site, now waits for
// the operation. Nothing after the inner await_suspend: the operation may complete (and
// destroy this frame) on another thread at once.
template <typename Awaiter, typename Base>
class operation_awaiter {
 public:
  operation_awaiter(Awaiter&& awaiter, agent::ThreadHandle waiting, const char* reason)
      : awaiter_(std::forward<Awaiter>(awaiter)), waiting_(waiting), reason_(reason) {}

  bool await_ready() { return awaiter_.await_ready(); }
  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) {
    if (waiting_) agent::Registry::instance().on_park(waiting_, reason_);
    return awaiter_.await_suspend(coro::detail::expected_handle<Base, decltype(awaiter_)>(handle));
  }
  decltype(auto) await_resume() { return awaiter_.await_resume(); }

 private:
  std::remove_cvref_t<Awaiter> awaiter_;
  agent::ThreadHandle waiting_;
  const char* reason_;
};

// Asio's own promise, plus the frame's green thread. A child frame knows its awaiter through
// Asio's `caller_` link, set when the awaiter pushes it: that pointer is the child key.
template <typename T, typename Executor, typename... Args>
class tracked_frame : public boost::asio::detail::awaitable_frame<T, Executor> {
  using base = boost::asio::detail::awaitable_frame<T, Executor>;
  using kind = frame_kind<std::remove_cvref_t<Args>...>;
  static constexpr size_t kCreatorFrames = kind::spawns ? agent::kMaxCreatorFrames : 0;
  using thread_type =
      std::conditional_t<kind::operation, operation_link, coro::detail::green_thread>;

 public:
  boost::asio::awaitable<T, Executor> get_return_object() noexcept {
    auto result = base::get_return_object();
    // The handle of this promise type, not of the base's: the frame's own.
    this->coro_ = std::coroutine_handle<tracked_frame>::from_promise(*this);
    return result;
  }

  auto initial_suspend() noexcept {
    auto key = [this] { return static_cast<const void*>(this->caller_); };
    using Awaiter = decltype(base::initial_suspend());
    return coro::detail::starting_awaiter<Awaiter, base, thread_type, decltype(key)>(
        base::initial_suspend(), thread_, key);
  }

  auto final_suspend() noexcept {
    thread_.finished();
    return base::final_suspend();
  }

  // Out of line, so that the return address is the co_await's own site in the coroutine.
  template <typename Awaitable>
  requires requires(base& frame, Awaitable&& awaitable) {
    frame.await_transform(std::forward<Awaitable>(awaitable));
  }
  [[gnu::noinline]] auto await_transform(Awaitable&& awaitable) {
    if constexpr (kind::operation) {
      using Awaiter = decltype(coro::detail::transformed(static_cast<base&>(*this),
                                                         std::forward<Awaitable>(awaitable)));
      return operation_awaiter<Awaiter, base>(
          coro::detail::transformed(static_cast<base&>(*this), std::forward<Awaitable>(awaitable)),
          thread_.awaiter(), kind::reason);
    } else {
      auto site = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
      const void* child_key =
          static_cast<boost::asio::detail::awaitable_frame_base<Executor>*>(this);
      return coro::detail::track(static_cast<base&>(*this), std::forward<Awaitable>(awaitable),
                                 thread_.handle(), kind::reason, site, child_key);
    }
  }

 private:
  thread_type thread_ = make_thread();

  static thread_type make_thread() {
    if constexpr (kind::operation) {
      return {};
    } else {
      return thread_type(kCreatorFrames);
    }
  }
};

}  // namespace leakscan::asio::detail

// More specialized than Asio's own (any executor), so it is the one chosen: awaitables on
// Asio's default executor, which co_spawn on an io_context or a strand of it uses.
template <typename T, typename... Args>
struct std::coroutine_traits<boost::asio::awaitable<T, boost::asio::any_io_executor>, Args...> {
  using promise_type =
      leakscan::asio::detail::tracked_frame<T, boost::asio::any_io_executor, Args...>;
};
