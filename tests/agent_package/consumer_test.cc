// A test binary outside the leakscan tree using the packaged leak listener: one test that
// joins its fiber, one that leaves a fiber blocked for good.
#include <gtest/gtest.h>
#include <leakscan/agent/boost_fiber.h>
#include <leakscan/agent/sync.h>
#include <leakscan/testing/run_all_tests.h>

#include <boost/fiber/all.hpp>

namespace {

leakscan::fibers::unbuffered_channel<int> g_nobody_sends;

TEST(Consumer, JoinsItsFiber) {
  boost::fibers::fiber worker([] { boost::this_fiber::yield(); });
  worker.join();
}

TEST(Consumer, LeavesAFiberBlocked) {
  boost::fibers::fiber([] { g_nobody_sends.value_pop(); }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  boost::fibers::use_scheduling_algorithm<
      leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
  testing::InitGoogleTest(&argc, argv);
  leakscan::testing::run_all_tests_and_exit();
}
