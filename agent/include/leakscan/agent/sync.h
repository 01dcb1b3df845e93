// Drop-in wrappers of Boost.Fiber's synchronisation that tell the registry what a fiber waits
// for and on which object, in Go's words where Go has the same operation: a fiber blocked in
// leakscan::fibers::mutex::lock shows as "sync.Mutex.Lock" on that mutex. The analysis names
// the operation from Boost's own frames too (analyzer/runtimes/boost_fiber/rules.toml); what the
// wrappers add is the object waited on, and the reason without a stack. The fast paths (an
// uncontended lock, a channel with room, a ready future) record nothing; a timed wait records
// on every call.
//
// Each wrapper has the members of the Boost type it replaces. The mutexes derive from Boost's,
// so code that names boost::fibers::mutex in its locks (std::unique_lock<boost::fibers::mutex>
// handed to boost::fibers::condition_variable) keeps compiling when only the mutex changes;
// leakscan::fibers::condition_variable waits with any lock.
#pragma once

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/exceptions.hpp>
#include <boost/fiber/future.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/recursive_mutex.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include "leakscan/agent/registry.h"

namespace leakscan::fibers {

// Marks the current fiber as parked on `object` for the scope of a blocking call.
class park_scope {
 public:
  park_scope(const char* reason, const void* object) : thread_(agent::Registry::current()) {
    if (thread_) agent::Registry::instance().on_park(thread_, reason, object);
  }
  ~park_scope() {
    // Back from the call: running again, whether it blocked (pick_next said so already) or not.
    if (thread_) agent::Registry::instance().on_resume(thread_);
  }
  park_scope(const park_scope&) = delete;
  park_scope& operator=(const park_scope&) = delete;

 private:
  agent::ThreadHandle thread_;
};

namespace detail {

// Boost's mutex, locked through lock() with the wait recorded. Locks typed on the Boost base
// (std::unique_lock<boost::fibers::mutex>) lock the same mutex through Boost's own lock().
template <typename Native>
class tracked_mutex : public Native {
 public:
  void lock() {
    if (this->try_lock()) return;
    park_scope park("sync.Mutex.Lock", this);
    Native::lock();
  }
  Native& native() { return *this; }
};

// Range-for over a channel, as over Boost's: each step pops, and the loop ends when the channel
// is closed and drained.
template <typename Channel>
class channel_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = typename Channel::value_type;
  using difference_type = std::ptrdiff_t;
  using pointer = value_type*;
  using reference = value_type&;

  channel_iterator() = default;
  explicit channel_iterator(Channel* channel) : channel_(channel) { advance(); }

  reference operator*() { return value_; }
  pointer operator->() { return &value_; }
  channel_iterator& operator++() {
    advance();
    return *this;
  }
  void operator++(int) { advance(); }
  // Equal to end() once the channel is closed: only the channel is compared.
  friend bool operator==(const channel_iterator& a, const channel_iterator& b) {
    return a.channel_ == b.channel_;
  }

 private:
  void advance() {
    if (channel_->pop(value_) != boost::fibers::channel_op_status::success) channel_ = nullptr;
  }

  Channel* channel_ = nullptr;
  value_type value_{};
};

// What both channels share: the timed operations, value_pop, range-for and closing. `Channel`
// (the derived wrapper) supplies pop, whose fast path differs between the two.
template <typename Native, typename Channel>
class channel_base {
 public:
  using value_type = typename Native::value_type;
  using iterator = channel_iterator<Channel>;

  void close() noexcept { native_.close(); }
  bool is_closed() const noexcept { return native_.is_closed(); }

  template <typename Value, typename Rep, typename Period>
  boost::fibers::channel_op_status push_wait_for(
      Value&& value, const std::chrono::duration<Rep, Period>& timeout) {
    park_scope park("chan send (timed)", this);
    return native_.push_wait_for(std::forward<Value>(value), timeout);
  }
  template <typename Value, typename Clock, typename Duration>
  boost::fibers::channel_op_status push_wait_until(
      Value&& value, const std::chrono::time_point<Clock, Duration>& deadline) {
    park_scope park("chan send (timed)", this);
    return native_.push_wait_until(std::forward<Value>(value), deadline);
  }
  template <typename Rep, typename Period>
  boost::fibers::channel_op_status pop_wait_for(value_type& value,
                                                const std::chrono::duration<Rep, Period>& timeout) {
    park_scope park("chan receive (timed)", this);
    return native_.pop_wait_for(value, timeout);
  }
  template <typename Clock, typename Duration>
  boost::fibers::channel_op_status pop_wait_until(
      value_type& value, const std::chrono::time_point<Clock, Duration>& deadline) {
    park_scope park("chan receive (timed)", this);
    return native_.pop_wait_until(value, deadline);
  }

  // Boost's: the value, or fiber_error once the channel is closed and drained.
  value_type value_pop() {
    value_type value{};
    if (static_cast<Channel&>(*this).pop(value) != boost::fibers::channel_op_status::success) {
      throw boost::fibers::fiber_error(std::make_error_code(std::errc::operation_not_permitted),
                                       "boost fiber: channel is closed");
    }
    return value;
  }

  iterator begin() { return iterator(static_cast<Channel*>(this)); }
  iterator end() { return iterator(); }

  Native& native() { return native_; }

 protected:
  template <typename... Args>
  explicit channel_base(Args&&... args) : native_(std::forward<Args>(args)...) {}

  Native native_;
};

// The waits of a future and of a shared future.
template <typename Native>
class future_base {
 public:
  future_base() = default;
  explicit future_base(Native&& native) noexcept : native_(std::move(native)) {}

  bool valid() const noexcept { return native_.valid(); }
  void wait() const {
    auto park = park_unless_ready("future wait");
    native_.wait();
  }
  template <typename Rep, typename Period>
  boost::fibers::future_status wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
    auto park = park_unless_ready("future wait (timed)");
    return native_.wait_for(timeout);
  }
  template <typename Clock, typename Duration>
  boost::fibers::future_status wait_until(
      const std::chrono::time_point<Clock, Duration>& deadline) const {
    auto park = park_unless_ready("future wait (timed)");
    return native_.wait_until(deadline);
  }
  Native& native() { return native_; }

 protected:
  // Parked for the scope of the caller's wait, unless the value is there (the fast path).
  // The caller waits through Boost's own call (get, wait), whose frame says the same.
  std::optional<park_scope> park_unless_ready(const char* reason) const {
    if (ready()) return std::nullopt;
    return std::optional<park_scope>(std::in_place, reason, this);
  }

  Native native_;

 private:
  bool ready() const {
    return native_.wait_for(std::chrono::seconds(0)) == boost::fibers::future_status::ready;
  }
};

}  // namespace detail

class mutex : public detail::tracked_mutex<boost::fibers::mutex> {};
class recursive_mutex : public detail::tracked_mutex<boost::fibers::recursive_mutex> {};

class condition_variable {
 public:
  void notify_one() noexcept { native_.notify_one(); }
  void notify_all() noexcept { native_.notify_all(); }

  template <typename Lock>
  void wait(Lock& lock) {
    park_scope park("sync.Cond.Wait", this);
    native_.wait(lock);
  }
  template <typename Lock, typename Predicate>
  void wait(Lock& lock, Predicate predicate) {
    while (!predicate()) wait(lock);
  }
  template <typename Lock, typename Clock, typename Duration>
  boost::fibers::cv_status wait_until(Lock& lock,
                                      const std::chrono::time_point<Clock, Duration>& deadline) {
    park_scope park("sync.Cond.Wait (timed)", this);
    return native_.wait_until(lock, deadline);
  }
  template <typename Lock, typename Clock, typename Duration, typename Predicate>
  bool wait_until(Lock& lock, const std::chrono::time_point<Clock, Duration>& deadline,
                  Predicate predicate) {
    park_scope park("sync.Cond.Wait (timed)", this);
    return native_.wait_until(lock, deadline, std::move(predicate));
  }
  template <typename Lock, typename Rep, typename Period>
  boost::fibers::cv_status wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout) {
    return wait_until(lock, std::chrono::steady_clock::now() + timeout);
  }
  template <typename Lock, typename Rep, typename Period, typename Predicate>
  bool wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout,
                Predicate predicate) {
    return wait_until(lock, std::chrono::steady_clock::now() + timeout, std::move(predicate));
  }

 private:
  // _any: it waits with any lock, on leakscan's mutexes as well as on Boost's own.
  boost::fibers::condition_variable_any native_;
};

template <typename T>
class buffered_channel
    : public detail::channel_base<boost::fibers::buffered_channel<T>, buffered_channel<T>> {
  using base = detail::channel_base<boost::fibers::buffered_channel<T>, buffered_channel<T>>;

 public:
  explicit buffered_channel(std::size_t capacity) : base(capacity) {}

  boost::fibers::channel_op_status push(const T& value) { return push_value(value); }
  boost::fibers::channel_op_status push(T&& value) { return push_value(std::move(value)); }
  boost::fibers::channel_op_status pop(T& value) {
    boost::fibers::channel_op_status status = this->native_.try_pop(value);
    if (status != boost::fibers::channel_op_status::empty) return status;
    park_scope park("chan receive", this);
    return this->native_.pop(value);
  }
  boost::fibers::channel_op_status try_push(const T& value) {
    return this->native_.try_push(value);
  }
  boost::fibers::channel_op_status try_push(T&& value) {
    return this->native_.try_push(std::move(value));
  }
  boost::fibers::channel_op_status try_pop(T& value) { return this->native_.try_pop(value); }

 private:
  template <typename U>
  boost::fibers::channel_op_status push_value(U&& value) {
    // try_push moves only on success, so the value is intact for the blocking push.
    boost::fibers::channel_op_status status = this->native_.try_push(value);
    if (status != boost::fibers::channel_op_status::full) return status;
    park_scope park("chan send", this);
    return this->native_.push(std::forward<U>(value));
  }
};

template <typename T>
class unbuffered_channel
    : public detail::channel_base<boost::fibers::unbuffered_channel<T>, unbuffered_channel<T>> {
 public:
  unbuffered_channel() = default;

  // An unbuffered send always waits for its receiver.
  boost::fibers::channel_op_status push(const T& value) {
    park_scope park("chan send", this);
    return this->native_.push(value);
  }
  boost::fibers::channel_op_status push(T&& value) {
    park_scope park("chan send", this);
    return this->native_.push(std::move(value));
  }
  boost::fibers::channel_op_status pop(T& value) {
    park_scope park("chan receive", this);
    return this->native_.pop(value);
  }
};

template <typename T>
class shared_future : public detail::future_base<boost::fibers::shared_future<T>> {
 public:
  shared_future() = default;
  // Implicit, as Boost's future converts: `leakscan::fibers::shared_future<T> f = native.share()`.
  shared_future(
      boost::fibers::shared_future<T>&& native) noexcept  // NOLINT(google-explicit-constructor)
      : detail::future_base<boost::fibers::shared_future<T>>(std::move(native)) {}

  // Boost's type: const T& for a value, T& for a reference, void.
  decltype(auto) get() const {
    auto park = this->park_unless_ready("future get");
    return this->native_.get();
  }
};

template <typename T>
class future : public detail::future_base<boost::fibers::future<T>> {
 public:
  future() = default;
  // Implicit, so that what Boost returns converts: `leakscan::fibers::future<T> f =
  // promise.get_future()` or `= boost::fibers::async(...)`.
  future(boost::fibers::future<T>&& native) noexcept  // NOLINT(google-explicit-constructor)
      : detail::future_base<boost::fibers::future<T>>(std::move(native)) {}

  decltype(auto) get() {
    auto park = this->park_unless_ready("future get");
    return this->native_.get();
  }
  shared_future<T> share() { return shared_future<T>(this->native_.share()); }
};

// Boost's promise, whose get_future() is a leakscan future.
template <typename T>
class promise : public boost::fibers::promise<T> {
 public:
  using boost::fibers::promise<T>::promise;
  future<T> get_future() { return future<T>(boost::fibers::promise<T>::get_future()); }
};

// boost::fibers::async, returning a leakscan future; the same arguments (a launch policy, an
// allocator, the function and its arguments).
template <typename... Args>
auto async(Args&&... args) {
  return future(boost::fibers::async(std::forward<Args>(args)...));
}

}  // namespace leakscan::fibers
