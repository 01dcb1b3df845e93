// The wrappers of sync.h as drop-ins for Boost.Fiber's types: each member behaves as Boost's
// (values, statuses, timeouts, exceptions) and, where it blocks, the fiber shows the precise
// wait reason while it waits.
#include <gtest/gtest.h>

#include <boost/fiber/all.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "leakscan/agent/agent.h"
#include "leakscan/agent/sync.h"
#include "tests/support/tracked_fibers.h"

namespace agent_sync_test {

using namespace std::chrono_literals;
using boost::fibers::channel_op_status;
using leakscan::testing::let_fibers_park;
using Reasons = std::vector<std::string>;

class SyncWrappers : public ::testing::Test {
 protected:
  void SetUp() override {
    leakscan::testing::use_tracking_scheduler();
    first_id_ = leakscan::agent::next_green_thread_id();
  }
  void TearDown() override {
    let_fibers_park();  // detached async fibers end after setting their value
    EXPECT_EQ(leakscan::agent::live_green_threads_since(first_id_), 0U);
  }
  Reasons reasons() const { return leakscan::testing::wait_reasons_since(first_id_); }

  uint64_t first_id_ = 0;
};

template <typename Channel>
class ChannelWrappers : public SyncWrappers {
 protected:
  static constexpr bool kBuffered = std::is_constructible_v<Channel, size_t>;
  static Channel make() {
    if constexpr (kBuffered) {
      return Channel(4);
    } else {
      return Channel();
    }
  }
  // A buffered channel holds capacity - 1 values; an unbuffered one is always full.
  void fill() {
    if constexpr (kBuffered) {
      for (int i = 0; i < 16 && channel_.try_push(0) == channel_op_status::success; ++i) {
      }
    }
  }
  Channel channel_ = make();
};

using Channels = ::testing::Types<leakscan::fibers::buffered_channel<int>,
                                  leakscan::fibers::unbuffered_channel<int>>;
TYPED_TEST_SUITE(ChannelWrappers, Channels);

TYPED_TEST(ChannelWrappers, RangeForReceivesEveryValueUntilClosed) {
  std::vector<int> received;
  boost::fibers::fiber consumer([&] {
    for (int value : this->channel_) received.push_back(value);
  });
  EXPECT_EQ(this->reasons(), Reasons{"chan receive"});
  for (int i = 0; i < 5; ++i) this->channel_.push(i);
  this->channel_.close();
  consumer.join();
  EXPECT_EQ(received, (std::vector<int>{0, 1, 2, 3, 4}));
}

TYPED_TEST(ChannelWrappers, PushWaitForTimesOutOrSends) {
  this->fill();
  EXPECT_EQ(this->channel_.push_wait_for(1, 1ms), channel_op_status::timeout);
  channel_op_status status = channel_op_status::closed;
  boost::fibers::fiber sender([&] { status = this->channel_.push_wait_for(2, 60s); });
  EXPECT_EQ(this->reasons(), Reasons{"chan send (timed)"});
  int value = 0;
  for (int i = 0; i < 16 && value != 2; ++i) this->channel_.pop(value);
  sender.join();
  EXPECT_EQ(value, 2);
  EXPECT_EQ(status, channel_op_status::success);
}

TYPED_TEST(ChannelWrappers, PushWaitUntilTimesOut) {
  this->fill();
  EXPECT_EQ(this->channel_.push_wait_until(1, std::chrono::steady_clock::now() + 1ms),
            channel_op_status::timeout);
}

TYPED_TEST(ChannelWrappers, PopWaitForAndUntilTimeOutOrReceive) {
  int value = 0;
  EXPECT_EQ(this->channel_.pop_wait_until(value, std::chrono::steady_clock::now() + 1ms),
            channel_op_status::timeout);
  EXPECT_EQ(this->channel_.pop_wait_for(value, 1ms), channel_op_status::timeout);
  channel_op_status status = channel_op_status::closed;
  boost::fibers::fiber receiver([&] { status = this->channel_.pop_wait_for(value, 60s); });
  EXPECT_EQ(this->reasons(), Reasons{"chan receive (timed)"});
  this->channel_.push(5);
  receiver.join();
  EXPECT_EQ(status, channel_op_status::success);
  EXPECT_EQ(value, 5);
}

TYPED_TEST(ChannelWrappers, ValuePopReturnsValuesThenThrowsOnceClosed) {
  boost::fibers::fiber sender([&] {
    this->channel_.push(3);
    this->channel_.close();
  });
  EXPECT_EQ(this->channel_.value_pop(), 3);
  sender.join();
  EXPECT_TRUE(this->channel_.is_closed());
  EXPECT_THROW(this->channel_.value_pop(), boost::fibers::fiber_error);
  EXPECT_EQ(this->channel_.push(4), channel_op_status::closed);
}

TEST_F(SyncWrappers, BufferedChannelTryPushAndTryPop) {
  leakscan::fibers::buffered_channel<std::string> channel(2);
  EXPECT_EQ(channel.try_push(std::string("a")), channel_op_status::success);
  EXPECT_EQ(channel.try_push(std::string("b")), channel_op_status::full);
  std::string value;
  EXPECT_EQ(channel.try_pop(value), channel_op_status::success);
  EXPECT_EQ(value, "a");
  EXPECT_EQ(channel.try_pop(value), channel_op_status::empty);
}

TEST_F(SyncWrappers, ContendedMutexRecordsItsLock) {
  leakscan::fibers::mutex mutex;
  mutex.lock();
  boost::fibers::fiber waiter([&] { std::lock_guard lock(mutex); });
  EXPECT_EQ(reasons(), Reasons{"sync.Mutex.Lock"});
  mutex.unlock();
  waiter.join();
  EXPECT_TRUE(mutex.try_lock());
  mutex.unlock();
}

// The user changed only the mutex's declaration; the locks still name Boost's mutex, as
// boost::fibers::condition_variable requires.
TEST_F(SyncWrappers, MutexSwappedAloneKeepsBoostConditionVariableWorking) {
  leakscan::fibers::mutex mutex;  // was boost::fibers::mutex
  boost::fibers::condition_variable ready;
  bool flag = false;
  boost::fibers::fiber waiter([&] {
    std::unique_lock<boost::fibers::mutex> lock(mutex);
    ready.wait(lock, [&] { return flag; });
  });
  // Boost's own condition variable: no wrapper records it; named from the frames by the
  // analysis's rules (agent_wait_rules_test.cc).
  EXPECT_EQ(reasons(), Reasons{"sync.Cond.Wait"});
  {
    std::lock_guard lock(mutex);
    flag = true;
  }
  ready.notify_one();
  waiter.join();
}

TEST_F(SyncWrappers, RecursiveMutexLocksTwiceAndRecordsContention) {
  leakscan::fibers::recursive_mutex mutex;
  mutex.lock();
  mutex.lock();
  bool locked = false;
  boost::fibers::fiber other([&] {
    std::lock_guard lock(mutex);
    locked = true;
  });
  EXPECT_EQ(reasons(), Reasons{"sync.Mutex.Lock"});
  mutex.unlock();
  EXPECT_EQ(reasons(), Reasons{"sync.Mutex.Lock"}) << "still held once";
  mutex.unlock();
  other.join();
  EXPECT_TRUE(locked);
}

TEST_F(SyncWrappers, ConditionVariableTimedWaitsWithEitherMutex) {
  leakscan::fibers::condition_variable cv;
  boost::fibers::mutex boost_mutex;
  leakscan::fibers::mutex our_mutex;
  {
    std::unique_lock lock(boost_mutex);
    EXPECT_EQ(cv.wait_until(lock, std::chrono::steady_clock::now() + 1ms),
              boost::fibers::cv_status::timeout);
    EXPECT_EQ(cv.wait_for(lock, 1ms), boost::fibers::cv_status::timeout);
  }
  {
    std::unique_lock lock(our_mutex);
    EXPECT_FALSE(cv.wait_for(lock, 1ms, [] { return false; }));
    EXPECT_FALSE(cv.wait_until(lock, std::chrono::steady_clock::now() + 1ms, [] { return false; }));
  }
  bool flag = false;
  bool woken = false;
  boost::fibers::fiber waiter([&] {
    std::unique_lock lock(our_mutex);
    woken = cv.wait_for(lock, 60s, [&] { return flag; });
  });
  EXPECT_EQ(reasons(), Reasons{"sync.Cond.Wait (timed)"});
  {
    std::lock_guard lock(our_mutex);
    flag = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(woken);
}

TEST_F(SyncWrappers, FutureFromBoostGetFutureWaitsForAndGets) {
  boost::fibers::promise<int> promise;
  leakscan::fibers::future<int> future = promise.get_future();
  EXPECT_TRUE(future.valid());
  EXPECT_EQ(future.wait_for(1ms), boost::fibers::future_status::timeout);
  EXPECT_EQ(future.wait_until(std::chrono::steady_clock::now() + 1ms),
            boost::fibers::future_status::timeout);
  int got = 0;
  boost::fibers::fiber getter([&] { got = future.get(); });
  EXPECT_EQ(reasons(), Reasons{"future get"});
  promise.set_value(42);
  getter.join();
  EXPECT_EQ(got, 42);
  EXPECT_FALSE(future.valid());
}

TEST_F(SyncWrappers, FutureFromAsyncBoostsOrOurs) {
  leakscan::fibers::future<int> from_boost = boost::fibers::async([] { return 7; });
  EXPECT_EQ(from_boost.get(), 7);
  auto ours = leakscan::fibers::async(
      boost::fibers::launch::post, [](int x) { return 2 * x; }, 21);
  static_assert(std::is_same_v<decltype(ours), leakscan::fibers::future<int>>);
  EXPECT_EQ(ours.get(), 42);
}

TEST_F(SyncWrappers, PromiseShareServesEveryWaiter) {
  leakscan::fibers::promise<std::string> promise;
  leakscan::fibers::future<std::string> future = promise.get_future();
  leakscan::fibers::shared_future<std::string> shared = future.share();
  EXPECT_FALSE(future.valid());
  std::vector<std::string> got;
  boost::fibers::fiber first([&, copy = shared] { got.push_back(copy.get()); });
  boost::fibers::fiber second([&, copy = shared] { got.push_back(copy.get()); });
  EXPECT_EQ(reasons(), (Reasons{"future get", "future get"}));
  promise.set_value("done");
  first.join();
  second.join();
  EXPECT_EQ(got, (std::vector<std::string>{"done", "done"}));
  EXPECT_EQ(shared.get(), "done") << "a shared future can be read again";
}

TEST_F(SyncWrappers, FutureOfVoidWaitsAndFutureOfReferenceGetsTheObject) {
  leakscan::fibers::promise<void> done;
  leakscan::fibers::future<void> future = done.get_future();
  EXPECT_EQ(future.wait_until(std::chrono::steady_clock::now() + 1ms),
            boost::fibers::future_status::timeout);
  boost::fibers::fiber waiter([&] { future.wait(); });
  EXPECT_EQ(reasons(), Reasons{"future wait"});
  done.set_value();
  waiter.join();
  future.get();

  int target = 1;
  leakscan::fibers::promise<int&> reference;
  leakscan::fibers::future<int&> to_target = reference.get_future();
  reference.set_value(target);
  EXPECT_EQ(&to_target.get(), &target);
}

}  // namespace agent_sync_test
