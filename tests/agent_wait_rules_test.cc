// An unmodified Boost.Fiber program: Boost's own channels, mutexes, condition variables,
// futures, barrier and joins, with only the tracking scheduler added. Each classic leak grows
// over three rounds; the agent's profiles (pprof, as a service serves them) go through the
// analysis, which must name each leak's operation in Go's words from Boost's frames
// (analyzer/runtimes/boost_fiber/rules.toml) and call none of the benign fibers a leak.
#include <gtest/gtest.h>

#include <boost/fiber/all.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "analyzer/engine/find_leaks.h"
#include "leakscan/agent/agent.h"
#include "tests/support/tracked_fibers.h"

// Outside namespace leakscan on purpose: leakscan:: frames are the agent's own, and these
// stand for the program.
namespace plain_boost {

using namespace std::chrono_literals;

constexpr int kRounds = 3;
constexpr int kPerRound = 2;  // of each leak
constexpr int kBarrierWaiters = kRounds * kPerRound;

// What the leaked fibers block on, owned by the test so that it can free them at the end.
struct Objects {
  boost::fibers::unbuffered_channel<int> nobody_receives;
  boost::fibers::unbuffered_channel<int> nobody_sends;
  boost::fibers::buffered_channel<int> full{2};  // holds one value
  boost::fibers::buffered_channel<int> empty{2};
  boost::fibers::mutex held;
  boost::fibers::recursive_mutex held_recursive;
  boost::fibers::condition_variable never_notified;
  boost::fibers::condition_variable_any never_notified_any;
  std::deque<boost::fibers::promise<int>> never_set;
  boost::fibers::barrier barrier{kBarrierWaiters + 1};
  boost::fibers::unbuffered_channel<int> child_never_released;
  // Benign: a pool idle on its queue, a ticker, a poll with a timeout.
  boost::fibers::buffered_channel<int> jobs{8};
  boost::fibers::buffered_channel<int> polled{2};
  bool stop = false;
};

[[gnu::noinline]] void sends_unbuffered(Objects& o) { o.nobody_receives.push(1); }
[[gnu::noinline]] void receives_unbuffered(Objects& o) {
  int value = 0;
  o.nobody_sends.pop(value);
}
[[gnu::noinline]] void sends_to_full_buffer(Objects& o) { o.full.push(1); }
[[gnu::noinline]] void receives_from_empty_buffer(Objects& o) {
  try {
    (void)o.empty.value_pop();
  } catch (const boost::fibers::fiber_error&) {
    // closed when the test lets it go
  }
}
[[gnu::noinline]] void locks_held_mutex(Objects& o) { std::lock_guard lock(o.held); }
[[gnu::noinline]] void locks_held_recursive_mutex(Objects& o) {
  std::lock_guard lock(o.held_recursive);
}
[[gnu::noinline]] void waits_never_notified(Objects& o) {
  boost::fibers::mutex own;
  std::unique_lock lock(own);
  o.never_notified.wait(lock);
}
[[gnu::noinline]] void waits_never_notified_any(Objects& o) {
  boost::fibers::mutex own;
  std::unique_lock lock(own);
  o.never_notified_any.wait(lock);
}
[[gnu::noinline]] void gets_never_set_future(boost::fibers::future<int> future) {
  (void)future.get();
}
[[gnu::noinline]] void waits_never_set_future(boost::fibers::future<int> future) { future.wait(); }
[[gnu::noinline]] void waits_at_barrier(Objects& o) {
  o.barrier.wait();
  asm volatile("" ::: "memory");  // no tail call: this frame must stay on the stack
}
[[gnu::noinline]] void stuck_child(Objects& o) {
  int value = 0;
  o.child_never_released.pop(value);
}
[[gnu::noinline]] void joins_stuck_child(Objects& o) {
  boost::fibers::fiber child(stuck_child, std::ref(o));
  child.join();
}

[[gnu::noinline]] void pool_worker(Objects& o) {
  for (int job : o.jobs) (void)job;
}
[[gnu::noinline]] void ticker(Objects& o) {
  while (!o.stop) boost::this_fiber::sleep_for(50ms);
}
[[gnu::noinline]] void polls_with_timeout(Objects& o) {
  int value = 0;
  while (o.polled.pop_wait_for(value, 1h) == boost::fibers::channel_op_status::timeout) {
  }
}

[[gnu::noinline]] void start_benign(Objects& o, std::vector<boost::fibers::fiber>& fibers) {
  for (int i = 0; i < 4; ++i) fibers.emplace_back(pool_worker, std::ref(o));
  fibers.emplace_back(ticker, std::ref(o));
  fibers.emplace_back(polls_with_timeout, std::ref(o));
}

[[gnu::noinline]] void start_leaks(Objects& o, std::vector<boost::fibers::fiber>& fibers) {
  for (int i = 0; i < kPerRound; ++i) {
    fibers.emplace_back(sends_unbuffered, std::ref(o));
    fibers.emplace_back(receives_unbuffered, std::ref(o));
    fibers.emplace_back(sends_to_full_buffer, std::ref(o));
    fibers.emplace_back(receives_from_empty_buffer, std::ref(o));
    fibers.emplace_back(locks_held_mutex, std::ref(o));
    fibers.emplace_back(locks_held_recursive_mutex, std::ref(o));
    fibers.emplace_back(waits_never_notified, std::ref(o));
    fibers.emplace_back(waits_never_notified_any, std::ref(o));
    fibers.emplace_back(gets_never_set_future, o.never_set.emplace_back().get_future());
    fibers.emplace_back(waits_never_set_future, o.never_set.emplace_back().get_future());
    fibers.emplace_back(waits_at_barrier, std::ref(o));
    fibers.emplace_back(joins_stuck_child, std::ref(o));
  }
}

// Everything blocked is let go, so that every fiber ends and the test exits.
void release(Objects& o) {
  o.stop = true;
  o.nobody_receives.close();
  o.nobody_sends.close();
  o.full.close();
  o.empty.close();
  o.held.unlock();
  o.held_recursive.unlock();
  o.never_notified.notify_all();
  o.never_notified_any.notify_all();
  for (auto& promise : o.never_set) promise.set_value(0);
  o.child_never_released.close();
  o.jobs.close();
  o.polled.close();
  o.barrier.wait();
}

// Every cluster with its verdict, operation and stack, for a failure's message.
std::string describe(const leakscan::report::Report& report) {
  std::string out;
  for (const auto& cluster : report.clusters()) {
    out += "\n" + leakscan::report::Verdict_Name(cluster.verdict()) + " " +
           std::to_string(cluster.count()) + " " + cluster.blocking_operation() + " in " +
           cluster.blocked_at().function() + ":";
    for (const auto& frame : cluster.stack()) out += "\n    " + frame.function();
  }
  return out;
}

TEST(AgentWaitRules, PlainBoostLeaksGetTheirOperationInGoWords) {
  leakscan::testing::use_tracking_scheduler();
  Objects objects;
  std::vector<boost::fibers::fiber> fibers;
  objects.full.push(0);
  objects.held.lock();
  objects.held_recursive.lock();
  start_benign(objects, fibers);

  // The endpoint's three forms. Go's text names no runtime: read back, the agent's must still
  // be Boost.Fiber's, judged by its rules (it read back as Go's, and plain Boost waits as
  // "waiting").
  std::vector<leakscan::Input> profiles;
  std::vector<leakscan::Input> dumps;
  std::vector<leakscan::Input> aggregated;
  for (int round = 1; round <= kRounds; ++round) {
    start_leaks(objects, fibers);
    leakscan::testing::let_fibers_park();
    const std::string name = "round " + std::to_string(round);
    profiles.push_back(
        leakscan::Input::from_bytes(leakscan::agent::goroutine_profile_gzip(), name));
    dumps.push_back(leakscan::Input::from_bytes(leakscan::agent::goroutine_text(2), name));
    aggregated.push_back(leakscan::Input::from_bytes(leakscan::agent::goroutine_text(1), name));
    boost::this_fiber::sleep_for(10ms);  // distinct capture times
  }
  for (auto* text : {&dumps, &aggregated}) {
    auto read_back = leakscan::find_leaks(std::move(*text), {});
    ASSERT_TRUE(read_back.has_value()) << read_back.error().message;
    std::set<std::string> operations;
    for (const auto& snapshot : read_back->report().snapshots()) {
      EXPECT_EQ(snapshot.runtime(), "boost.fiber") << snapshot.format();
    }
    for (const auto& cluster : read_back->report().clusters()) {
      operations.insert(cluster.blocking_operation());
    }
    for (std::string operation : {"chan send", "sync.Mutex.Lock", "sync.Cond.Wait", "future get",
                                  "barrier wait", "fiber join"}) {
      EXPECT_TRUE(operations.contains(operation)) << operation << describe(read_back->report());
    }
  }
  auto findings = leakscan::find_leaks(std::move(profiles), {});
  ASSERT_TRUE(findings.has_value()) << findings.error().message;

  const std::map<std::string, std::string> leaks{
      {"plain_boost::sends_unbuffered", "chan send"},
      {"plain_boost::receives_unbuffered", "chan receive"},
      {"plain_boost::sends_to_full_buffer", "chan send"},
      {"plain_boost::receives_from_empty_buffer", "chan receive"},
      {"plain_boost::locks_held_mutex", "sync.Mutex.Lock"},
      {"plain_boost::locks_held_recursive_mutex", "sync.Mutex.Lock"},
      {"plain_boost::waits_never_notified", "sync.Cond.Wait"},
      {"plain_boost::waits_never_notified_any", "sync.Cond.Wait"},
      {"plain_boost::gets_never_set_future", "future get"},
      {"plain_boost::waits_never_set_future", "future wait"},
      {"plain_boost::waits_at_barrier", "barrier wait"},
      {"plain_boost::joins_stuck_child", "fiber join"},
      {"plain_boost::stuck_child", "chan receive"},  // what each join waits for
  };
  const std::map<std::string, std::string> benign{
      {"plain_boost::pool_worker", "chan receive"},
      {"plain_boost::ticker", "sleep"},
      {"plain_boost::polls_with_timeout", "chan receive (timed)"},
  };
  std::map<std::string, std::string> leaked;
  // A ticker caught between its sleeps is runnable: a cluster of its own at the same site.
  std::map<std::string, std::set<std::string>> not_leaked;
  for (const auto& cluster : findings->report().clusters()) {
    const std::string& function = cluster.blocked_at().function();
    if (cluster.verdict() == leakscan::report::LEAK) {
      leaked[function] = cluster.blocking_operation();
    } else {
      not_leaked[function].insert(cluster.blocking_operation());
    }
    if (benign.contains(function)) {
      EXPECT_EQ(cluster.verdict(), leakscan::report::EXPECTED)
          << function << ": " << (cluster.reasons().empty() ? "" : cluster.reasons(0));
    }
  }
  EXPECT_EQ(leaked, leaks) << describe(findings->report());
  for (const auto& [function, operation] : benign) {
    EXPECT_TRUE(not_leaked[function].contains(operation)) << function;
  }

  release(objects);
  for (auto& fiber : fibers) fiber.join();
}

}  // namespace plain_boost
