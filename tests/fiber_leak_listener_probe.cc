// A test program with the leak listener installed: fiber_leak_listener_test.cc runs its tests
// one by one and checks which fail, what the listener says and that the program ends.
// `--no-tracking-scheduler` leaves Boost's default scheduler, as a user who missed that step.
#include <boost/fiber/all.hpp>
#include <string_view>

#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/sync.h"
#include "leakscan/testing/run_all_tests.h"

namespace listener_probe {

leakscan::fibers::unbuffered_channel<int> g_nobody_sends;

[[gnu::noinline]] void wait_for_a_reply() { g_nobody_sends.value_pop(); }

[[gnu::noinline]] void start_request_handler() { boost::fibers::fiber(wait_for_a_reply).detach(); }

TEST(Probe, LeavesAFiberBlocked) { start_request_handler(); }

// Boost's own types, not the agent's wrappers: only the stack says what the fiber waits for.
boost::fibers::mutex g_mutex;
boost::fibers::condition_variable g_never_notified;
[[gnu::noinline]] void wait_for_a_signal() {
  std::unique_lock lock(g_mutex);
  g_never_notified.wait(lock);
}
[[gnu::noinline]] void start_signal_waiter() { boost::fibers::fiber(wait_for_a_signal).detach(); }

TEST(Probe, LeavesAFiberWaitingOnAPlainCondition) { start_signal_waiter(); }

TEST(Probe, JoinsItsFibers) {
  boost::fibers::fiber worker([] { boost::this_fiber::yield(); });
  worker.join();
}

// Fibers still finishing when the test returns: the listener's settling lets them end.
TEST(Probe, LeavesFibersThatFinishSoon) {
  for (int i = 0; i < 3; ++i) {
    boost::fibers::fiber([i] {
      boost::this_fiber::sleep_for(std::chrono::milliseconds(20 * (i + 1)));
    }).detach();
  }
}

}  // namespace listener_probe

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2 || std::string_view(argv[1]) != "--no-tracking-scheduler") {
    boost::fibers::use_scheduling_algorithm<
        leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
  }
  leakscan::testing::run_all_tests_and_exit();
}
