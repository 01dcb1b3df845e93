// Boost.Fiber under the tracking algorithm: states and precise wait reasons, creation sites,
// stacks unwound lazily and cached until a fiber runs again, exited-but-unjoined fibers, and
// snapshots taken from other threads while fibers churn on two schedulers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/all.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "agent/src/profiles.h"
#include "analyzer/model/snapshot.h"
#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/sync.h"
#include "tests/support/tracked_fibers.h"

// Outside namespace leakscan on purpose: the analyzer counts leakscan:: frames as the agent's
// own, not the program's, and these stand for the program.
namespace agent_fiber_test {
using namespace leakscan;         // NOLINT(google-build-using-namespace)
using namespace leakscan::agent;  // NOLINT(google-build-using-namespace)

using leakscan::testing::let_fibers_park;
using leakscan::testing::use_tracking_scheduler;

struct Found {
  const Snapshot* snapshot = nullptr;
  const GreenThread* thread = nullptr;
};

Found find_thread(const std::vector<Snapshot>& snapshots, uint64_t id) {
  for (const auto& snapshot : snapshots) {
    for (const auto& thread : snapshot.threads) {
      if (thread.id == id) return {&snapshot, &thread};
    }
  }
  return {};
}

std::vector<std::string> stack_functions(const Found& found) {
  std::vector<std::string> names;
  for (FrameId id : found.thread->stack) {
    names.emplace_back(found.snapshot->frame(id).function);
  }
  return names;
}

bool has_function(const std::vector<std::string>& names, std::string_view wanted) {
  return std::any_of(names.begin(), names.end(), [&](const auto& n) { return n == wanted; });
}

leakscan::fibers::mutex g_mutex;
leakscan::fibers::buffered_channel<int> g_empty_channel(4);
leakscan::fibers::condition_variable g_never_notified;

[[gnu::noinline]] void blocked_on_the_mutex() { std::lock_guard lock(g_mutex); }
[[gnu::noinline]] void blocked_receiving() {
  int value = 0;
  g_empty_channel.pop(value);
}
[[gnu::noinline]] void blocked_on_the_condition() {
  leakscan::fibers::mutex local;
  std::unique_lock lock(local);
  g_never_notified.wait(lock);
}
[[gnu::noinline]] void start_the_blocked_fibers(std::vector<boost::fibers::fiber>& fibers) {
  fibers.emplace_back(blocked_on_the_mutex);
  fibers.emplace_back(blocked_receiving);
  fibers.emplace_back(blocked_on_the_condition);
  asm volatile("" ::: "memory");  // no tail call: this frame must be on the creator's stack
}

class AgentFibers : public ::testing::Test {
 protected:
  void SetUp() override {
    use_tracking_scheduler();
    first_id_ = next_green_thread_id();
  }
  // The fibers this test created, by the function they are blocked in.
  std::map<std::string, GreenThreadSummary> by_blocked_function() {
    std::map<std::string, GreenThreadSummary> result;
    for (auto& thread : describe_green_threads(first_id_)) {
      std::string function = thread.blocked_at.substr(0, thread.blocked_at.find(" at "));
      result[function] = thread;
    }
    return result;
  }
  uint64_t first_id_ = 0;
};

TEST_F(AgentFibers, WrappersGivePreciseWaitReasonsAndCreationSites) {
  g_mutex.lock();
  std::vector<boost::fibers::fiber> fibers;
  start_the_blocked_fibers(fibers);
  let_fibers_park();

  auto threads = by_blocked_function();
  const std::string prefix = "agent_fiber_test::";
  ASSERT_EQ(threads.count(prefix + "blocked_on_the_mutex"), 1U);
  ASSERT_EQ(threads.count(prefix + "blocked_receiving"), 1U);
  ASSERT_EQ(threads.count(prefix + "blocked_on_the_condition"), 1U);
  EXPECT_EQ(threads[prefix + "blocked_on_the_mutex"].wait_reason, "sync.Mutex.Lock");
  EXPECT_EQ(threads[prefix + "blocked_receiving"].wait_reason, "chan receive");
  EXPECT_EQ(threads[prefix + "blocked_on_the_condition"].wait_reason, "sync.Cond.Wait");
  for (const auto& [function, thread] : threads) {
    EXPECT_EQ(thread.state, "waiting") << function;
    EXPECT_TRUE(thread.created_by.starts_with(prefix + "start_the_blocked_fibers at "))
        << thread.created_by;
    EXPECT_NE(thread.created_by.find("agent_fiber_test.cc:"), std::string::npos);
  }

  // Unblock them all; the registry forgets each fiber once joined.
  g_mutex.unlock();
  g_empty_channel.push(1);
  g_never_notified.notify_all();
  for (auto& fiber : fibers) fiber.join();
  EXPECT_EQ(live_green_threads_since(first_id_), 0U);
}

// No wrapper records what these wait for: the coarse state, and the wait worded from the stack
// by the analysis's rules (Boost's frames), as the listener and the report word it.
TEST_F(AgentFibers, UnwrappedBoostPrimitivesAreWordedFromTheirStacks) {
  boost::fibers::mutex raw_mutex;
  raw_mutex.lock();
  boost::fibers::fiber waits([&] { std::lock_guard lock(raw_mutex); });
  boost::fibers::fiber sleeps([] { boost::this_fiber::sleep_for(std::chrono::milliseconds(300)); });
  let_fibers_park();

  std::vector<std::string> states;
  std::vector<std::string> waits_for;
  for (const auto& thread : describe_green_threads(first_id_)) {
    states.push_back(thread.state);
    waits_for.push_back(thread.wait_reason);
  }
  std::sort(states.begin(), states.end());
  std::sort(waits_for.begin(), waits_for.end());
  EXPECT_EQ(states, (std::vector<std::string>{"sleeping", "waiting"}));
  EXPECT_EQ(waits_for, (std::vector<std::string>{"sleep", "sync.Mutex.Lock"}));

  raw_mutex.unlock();
  waits.join();
  sleeps.join();
}

TEST_F(AgentFibers, AFiberThatEndedButWasNeverJoinedIsExited) {
  boost::fibers::fiber done([] {});
  let_fibers_park();
  auto threads = describe_green_threads(first_id_);
  ASSERT_EQ(threads.size(), 1U);
  EXPECT_EQ(threads[0].state, "exited");
  EXPECT_NE(threads[0].created_by.find("AFiberThatEndedButWasNeverJoinedIsExited"),
            std::string::npos)
      << threads[0].created_by;
  done.join();
  EXPECT_EQ(live_green_threads_since(first_id_), 0U);
}

TEST_F(AgentFibers, AYieldingFiberIsRunnable) {
  std::atomic<bool> stop{false};
  boost::fibers::fiber spinner([&] {
    while (!stop) boost::this_fiber::yield();
  });
  boost::this_fiber::yield();
  auto threads = describe_green_threads(first_id_);
  ASSERT_EQ(threads.size(), 1U);
  EXPECT_EQ(threads[0].state, "runnable");
  stop = true;
  spinner.join();
}

std::string state_of(uint64_t id, const std::vector<GreenThreadSummary>& threads) {
  for (const auto& thread : threads) {
    if (thread.id == id) return thread.state;
  }
  return "absent";
}

// A fiber launched with launch::dispatch runs at once, through no switch the scheduler picks:
// when it parks, it is the one seen parking, and its creator runs on.
TEST_F(AgentFibers, ADispatchedFiberIsSeenParkingAndItsCreatorRunsOn) {
  uint64_t this_main = Registry::current().id();
  boost::fibers::unbuffered_channel<int> never;
  boost::fibers::fiber dispatched(boost::fibers::launch::dispatch, [&] {
    int value = 0;
    never.pop(value);
  });
  // Back here only once it parked, with no switch since.
  auto threads = describe_green_threads(first_id_);
  ASSERT_EQ(threads.size(), 1U) << "registered at its first switch";
  EXPECT_EQ(threads[0].state, "waiting");
  EXPECT_EQ(state_of(this_main, describe_green_threads(this_main)), "running");

  // Parked and woken again, each of them is still told apart.
  boost::this_fiber::yield();
  EXPECT_EQ(state_of(threads[0].id, describe_green_threads(first_id_)), "waiting");
  EXPECT_EQ(state_of(this_main, describe_green_threads(this_main)), "running");
  never.close();
  dispatched.join();
  EXPECT_EQ(live_green_threads_since(first_id_), 0U);
}

leakscan::fibers::unbuffered_channel<int> g_first_stop;
leakscan::fibers::unbuffered_channel<int> g_second_stop;
[[gnu::noinline]] void waits_at_the_first_stop() { g_first_stop.value_pop(); }
[[gnu::noinline]] void waits_at_the_second_stop() { g_second_stop.value_pop(); }

TEST_F(AgentFibers, StacksAreCachedUntilTheFiberRunsAgain) {
  boost::fibers::fiber walker([] {
    waits_at_the_first_stop();
    waits_at_the_second_stop();
  });
  let_fibers_park();
  auto first = take_snapshots(std::chrono::seconds(5));
  auto repeat = take_snapshots(std::chrono::seconds(5));
  auto threads = describe_green_threads(first_id_);
  ASSERT_EQ(threads.size(), 1U);
  uint64_t id = threads[0].id;
  Found before = find_thread(first, id);
  Found again = find_thread(repeat, id);
  ASSERT_NE(before.thread, nullptr);
  ASSERT_NE(again.thread, nullptr);
  EXPECT_EQ(stack_functions(before), stack_functions(again));
  EXPECT_TRUE(has_function(stack_functions(before), "agent_fiber_test::waits_at_the_first_stop"));

  g_first_stop.push(1);  // it runs again and parks elsewhere: the cached stack is stale
  let_fibers_park();
  auto later = take_snapshots(std::chrono::seconds(5));
  Found moved = find_thread(later, id);
  ASSERT_NE(moved.thread, nullptr);
  auto names = stack_functions(moved);
  EXPECT_TRUE(has_function(names, "agent_fiber_test::waits_at_the_second_stop"));
  EXPECT_FALSE(has_function(names, "agent_fiber_test::waits_at_the_first_stop"));
  g_second_stop.push(2);
  walker.join();
}

TEST_F(AgentFibers, WaitTimesGrowWhileParked) {
  leakscan::fibers::unbuffered_channel<int> never;
  boost::fibers::fiber parked([&] {
    int value = 0;
    never.pop(value);
  });
  let_fibers_park();
  auto before = take_snapshots(std::chrono::seconds(5));
  boost::this_fiber::sleep_for(std::chrono::milliseconds(60));
  auto after = take_snapshots(std::chrono::seconds(5));
  auto threads = describe_green_threads(first_id_);
  ASSERT_EQ(threads.size(), 1U);
  Found a = find_thread(before, threads[0].id);
  Found b = find_thread(after, threads[0].id);
  ASSERT_TRUE(a.thread && b.thread && a.thread->wait && b.thread->wait);
  // The coarse clock ticks every few milliseconds: 60 ms apart shows as at least 40.
  EXPECT_GE(*b.thread->wait - *a.thread->wait, std::chrono::milliseconds(40));
  EXPECT_TRUE(a.thread->created_at.has_value());
  never.close();
  parked.join();
}

// Creates batches of fibers that wait for work, get it and end, on this thread, until `stop`.
void churn_fibers_until(const std::atomic<bool>& stop) {
  while (!stop) {
    constexpr int kBatch = 16;
    std::vector<boost::fibers::fiber> batch;
    batch.reserve(kBatch);
    leakscan::fibers::buffered_channel<int> work(8);
    for (int i = 0; i < kBatch; ++i) {
      batch.emplace_back([&] {
        int value = 0;
        work.pop(value);
        boost::this_fiber::yield();
      });
    }
    for (int i = 0; i < kBatch; ++i) work.push(i);
    for (auto& fiber : batch) fiber.join();
  }
}

// Two scheduler threads create, park and end fibers without pause while another thread,
// which runs no fibers, takes snapshots: every snapshot completes, and fibers parked for
// good on both threads are all unwound.
TEST_F(AgentFibers, SnapshotsFromAnotherThreadUnderChurnOnTwoSchedulers) {
  std::atomic<bool> stop{false};
  std::atomic<int> parked_for_good{0};
  leakscan::fibers::unbuffered_channel<int>* forever[2] = {};
  std::vector<std::thread> workers;
  uint64_t first = first_id_;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      use_tracking_scheduler();
      leakscan::fibers::unbuffered_channel<int> channel;
      forever[w] = &channel;
      std::vector<boost::fibers::fiber> stuck;
      for (int i = 0; i < 50; ++i)
        stuck.emplace_back([&] {
          int value = 0;
          channel.pop(value);
        });
      parked_for_good += 50;
      churn_fibers_until(stop);
      channel.close();
      for (auto& fiber : stuck) fiber.join();
    });
  }
  while (parked_for_good.load() < 100) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  size_t unwound = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<Snapshot> snapshots = take_snapshots(std::chrono::seconds(5));
    unwound = 0;
    for (const auto& snapshot : snapshots) {
      EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
      for (const auto& thread : snapshot.threads) {
        if (thread.id < first || thread.wait_reason != "chan receive") continue;
        for (FrameId id : thread.stack) {
          if (snapshot.frame(id).function.find("SnapshotsFromAnotherThreadUnderChurn") !=
              std::string_view::npos) {
            ++unwound;
            break;
          }
        }
      }
    }
  }
  if (unwound < 100) {
    for (const auto& snapshot : take_snapshots(std::chrono::seconds(5))) {
      for (const auto& thread : snapshot.threads) {
        std::string names;
        for (FrameId id : thread.stack) names += std::string(snapshot.frame(id).function) + " | ";
        ADD_FAILURE() << thread.id << " " << thread.status << " " << thread.wait_reason << ": "
                      << names;
        break;
      }
    }
  }
  stop = true;
  for (auto& worker : workers) worker.join();
  // The 100 parked fibers, and perhaps some of the churning ones caught waiting.
  EXPECT_GE(unwound, 100U);
  EXPECT_EQ(live_green_threads_since(first), 0U);
  (void)forever;
}

// A scheduler stuck in one fiber that never yields cannot unwind: the snapshot gives up on it
// after its timeout and says so, instead of hanging.
TEST_F(AgentFibers, ABusySchedulerDelaysASnapshotOnlyUntilItsTimeout) {
  std::atomic<bool> spinning{false};
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    use_tracking_scheduler();
    leakscan::fibers::unbuffered_channel<int> never;
    boost::fibers::fiber parked([&] {
      int value = 0;
      never.pop(value);
    });
    boost::fibers::fiber hog([&] {
      spinning = true;
      while (!stop) {
      }
    });
    hog.join();
    never.close();
    parked.join();
  });
  while (!spinning) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread snapshotter([&] {
    auto snapshots = take_snapshots(std::chrono::milliseconds(200));
    bool warned = false;
    for (const auto& snapshot : snapshots) warned = warned || !snapshot.warnings.empty();
    EXPECT_TRUE(warned);
  });
  snapshotter.join();
  stop = true;
  busy.join();
}

// Like Go's goroutine 1, each thread's main fiber is a green thread: blocked in a join on
// another thread it shows with its own stack; running (this one, taking the snapshot) it shows
// the frame that says so.
TEST_F(AgentFibers, EachThreadsMainFiberAppearsInProfiles) {
  uint64_t this_main = Registry::current().id();
  ASSERT_NE(this_main, 0U) << "installing the scheduler registered this thread's main fiber";
  std::atomic<uint64_t> worker_main{0};
  boost::fibers::unbuffered_channel<int> never;
  std::thread worker([&] {
    use_tracking_scheduler();
    worker_main = Registry::current().id();
    boost::fibers::fiber child([&] {
      int value = 0;
      never.pop(value);
    });
    child.join();
  });
  Found joining;
  std::vector<Snapshot> snapshots;
  for (int attempt = 0; attempt < 500; ++attempt) {
    snapshots = take_snapshots(std::chrono::seconds(5));
    joining = find_thread(snapshots, worker_main.load());
    if (joining.thread != nullptr && joining.thread->state == ThreadState::kWaiting &&
        has_function(stack_functions(joining), "boost::fibers::fiber::join")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_NE(joining.thread, nullptr);
  EXPECT_EQ(joining.thread->state, ThreadState::kWaiting);
  auto names = stack_functions(joining);
  EXPECT_TRUE(has_function(names, "boost::fibers::fiber::join")) << ::testing::PrintToString(names);
  EXPECT_EQ(joining.thread->created_by, kNoFrame) << "nobody created a thread's main fiber";

  Found running = find_thread(snapshots, this_main);
  ASSERT_NE(running.thread, nullptr);
  EXPECT_EQ(running.thread->state, ThreadState::kRunning);
  EXPECT_EQ(stack_functions(running),
            std::vector<std::string>{"leakscan::agent::unknown_stack::running_on_its_thread"});

  never.close();
  worker.join();
  EXPECT_EQ(find_thread(take_snapshots(std::chrono::seconds(5)), worker_main.load()).thread,
            nullptr)
      << "released with its thread";
}

// Fibers created and ending without pause on two threads while debug=1 profiles are fetched:
// no group is without frames (a stack the agent could not read says why in one frame), and
// the aggregated counts add up to the total.
TEST_F(AgentFibers, Debug1UnderChurnHasFramesInEveryGroup) {
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::vector<std::thread> workers;
  workers.reserve(2);
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      use_tracking_scheduler();
      ++started;
      churn_fibers_until(stop);
    });
  }
  while (started.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  size_t groups = 0;
  for (int round = 0; round < 40; ++round) {
    std::string text = goroutine_text(1);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    ASSERT_TRUE(line.starts_with("goroutine profile: total ")) << line;
    int64_t total = std::stoll(line.substr(line.rfind(' ') + 1));
    int64_t counted = 0;
    // A group: "N @ pcs", perhaps "# labels: ...", its frames ("#\t..."), a blank line.
    std::string header;
    size_t frames = 0;
    auto end_group = [&] {
      if (header.empty()) return;
      EXPECT_GT(frames, 0U) << "a group without frames: " << header;
      EXPECT_NE(header.find(" @ 0x"), std::string::npos) << header;
      ++groups;
      header.clear();
      frames = 0;
    };
    while (std::getline(lines, line)) {
      if (line.empty()) {
        end_group();
      } else if (line.find(" @") != std::string::npos && line.front() != '#') {
        end_group();
        header = line;
        counted += std::stoll(line.substr(0, line.find(' ')));
      } else if (line.starts_with("#\t")) {
        ++frames;
      }
    }
    end_group();
    EXPECT_EQ(counted, total);
  }
  stop = true;
  for (auto& worker : workers) worker.join();
  EXPECT_GT(groups, 40U);
}

}  // namespace agent_fiber_test
