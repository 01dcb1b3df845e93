// leakscan::testing::FiberLeakListener, from outside: the probe's leaking test fails and names
// the fiber's creation site and what it waits for; its clean tests pass, including one whose
// fibers are still finishing when it returns.
#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace {

leakscan::testing::CommandResult run_probe(const std::string& filter) {
  return leakscan::testing::run_command(
      {LEAKSCAN_LISTENER_PROBE, "--gtest_filter=" + filter, "--gtest_color=no"},
      std::chrono::seconds(60));
}

TEST(FiberLeakListener, FailsTheTestThatLeftAFiberBlockedAndSaysWhere) {
  auto result = run_probe("Probe.LeavesAFiberBlocked");
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("[  FAILED  ] Probe.LeavesAFiberBlocked"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("green threads left behind by this test"), std::string::npos);
  EXPECT_NE(result.out.find("1 x chan receive"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("blocked at listener_probe::wait_for_a_reply at "), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("created by listener_probe::start_request_handler at "),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("fiber_leak_listener_probe.cc:"), std::string::npos);
}

TEST(FiberLeakListener, PassesTestsThatJoinOrWhoseFibersFinishSoon) {
  auto result = run_probe("Probe.JoinsItsFibers:Probe.LeavesFibersThatFinishSoon");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("[  PASSED  ] 2 tests"), std::string::npos) << result.out;
}

}  // namespace
