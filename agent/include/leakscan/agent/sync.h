// Drop-in wrappers of Boost.Fiber's synchronisation that tell the registry precisely what a
// fiber waits for and on which object, in Go's words where Go has the same operation: a fiber
// blocked in leakscan::fibers::mutex::lock shows as "sync.Mutex.Lock" on that mutex, not just
// "waiting". The fast paths (an uncontended lock, a channel with room) record nothing.
#pragma once

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/future.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
#include <chrono>
#include <cstddef>
#include <mutex>
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

class mutex {
 public:
  void lock() {
    if (native_.try_lock()) return;
    park_scope park("sync.Mutex.Lock", this);
    native_.lock();
  }
  bool try_lock() { return native_.try_lock(); }
  void unlock() { native_.unlock(); }
  boost::fibers::mutex& native() { return native_; }

 private:
  boost::fibers::mutex native_;
};

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
  template <typename Lock, typename Rep, typename Period>
  boost::fibers::cv_status wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout) {
    park_scope park("sync.Cond.Wait", this);
    return native_.wait_for(lock, timeout);
  }
  template <typename Lock, typename Rep, typename Period, typename Predicate>
  bool wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout,
                Predicate predicate) {
    park_scope park("sync.Cond.Wait", this);
    return native_.wait_for(lock, timeout, std::move(predicate));
  }

 private:
  // _any: it waits with leakscan::fibers::mutex as well as with Boost's own.
  boost::fibers::condition_variable_any native_;
};

template <typename T>
class buffered_channel {
 public:
  using value_type = T;
  explicit buffered_channel(std::size_t capacity) : native_(capacity) {}

  boost::fibers::channel_op_status push(const T& value) { return push_value(value); }
  boost::fibers::channel_op_status push(T&& value) { return push_value(std::move(value)); }
  boost::fibers::channel_op_status pop(T& value) {
    boost::fibers::channel_op_status status = native_.try_pop(value);
    if (status != boost::fibers::channel_op_status::empty) return status;
    park_scope park("chan receive", this);
    return native_.pop(value);
  }
  T value_pop() {
    T value;
    if (pop(value) != boost::fibers::channel_op_status::success) {
      throw boost::fibers::fiber_error(std::make_error_code(std::errc::operation_not_permitted),
                                       "buffered_channel: closed");
    }
    return value;
  }
  boost::fibers::channel_op_status try_push(const T& value) { return native_.try_push(value); }
  boost::fibers::channel_op_status try_pop(T& value) { return native_.try_pop(value); }
  void close() noexcept { native_.close(); }
  bool is_closed() const noexcept { return native_.is_closed(); }

 private:
  template <typename U>
  boost::fibers::channel_op_status push_value(U&& value) {
    // try_push moves only on success, so the value is intact for the blocking push.
    boost::fibers::channel_op_status status = native_.try_push(value);
    if (status != boost::fibers::channel_op_status::full) return status;
    park_scope park("chan send", this);
    return native_.push(std::forward<U>(value));
  }

  boost::fibers::buffered_channel<T> native_;
};

template <typename T>
class unbuffered_channel {
 public:
  using value_type = T;

  // An unbuffered send always waits for its receiver.
  boost::fibers::channel_op_status push(const T& value) {
    park_scope park("chan send", this);
    return native_.push(value);
  }
  boost::fibers::channel_op_status push(T&& value) {
    park_scope park("chan send", this);
    return native_.push(std::move(value));
  }
  boost::fibers::channel_op_status pop(T& value) {
    park_scope park("chan receive", this);
    return native_.pop(value);
  }
  T value_pop() {
    park_scope park("chan receive", this);
    return native_.value_pop();
  }
  void close() noexcept { native_.close(); }
  bool is_closed() const noexcept { return native_.is_closed(); }

 private:
  boost::fibers::unbuffered_channel<T> native_;
};

template <typename T>
class future {
 public:
  future() = default;
  explicit future(boost::fibers::future<T>&& native) : native_(std::move(native)) {}

  bool valid() const noexcept { return native_.valid(); }
  T get() {
    wait();
    return native_.get();
  }
  void wait() const {
    if (native_.wait_for(std::chrono::seconds(0)) == boost::fibers::future_status::ready) return;
    park_scope park("future get", this);
    native_.wait();
  }

 private:
  boost::fibers::future<T> native_;
};

}  // namespace leakscan::fibers
