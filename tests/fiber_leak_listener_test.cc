// leakscan::testing::FiberLeakListener, from outside: the probe's leaking test fails and names
// the fiber's creation site and what it waits for; its clean tests pass, including one whose
// fibers are still finishing when it returns; without a tracking scheduler every test fails,
// saying what to install; and the probe ends after a leak (run_all_tests_and_exit), where
// `return RUN_ALL_TESTS()` would wait at exit for the leaked fiber for good.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/process.h"

namespace {

// Far above the probe's few seconds: a probe that does not end is killed and reads as -1.
constexpr std::chrono::seconds kProbeLimit{60};

leakscan::testing::CommandResult run_probe(const std::string& filter, bool tracking = true) {
  std::vector<std::string> argv = {LEAKSCAN_LISTENER_PROBE};
  if (!tracking) argv.emplace_back("--no-tracking-scheduler");
  argv.push_back("--gtest_filter=" + filter);
  argv.emplace_back("--gtest_color=no");
  return leakscan::testing::run_command(argv, kProbeLimit);
}

// The line of `TEST(Probe, NAME)` in the probe's source, read from the file.
int probe_test_line(const std::string& name) {
  std::ifstream source(LEAKSCAN_LISTENER_PROBE_SOURCE);
  int number = 0;
  for (std::string line; std::getline(source, line);) {
    ++number;
    if (line.starts_with("TEST(Probe, " + name + ")")) return number;
  }
  ADD_FAILURE() << "no TEST(Probe, " << name << ") in " << LEAKSCAN_LISTENER_PROBE_SOURCE;
  return -1;
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
  // The failure is the test's: at its TEST line, not at a line of the listener.
  EXPECT_NE(result.out.find("fiber_leak_listener_probe.cc:" +
                            std::to_string(probe_test_line("LeavesAFiberBlocked")) + ": Failure"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find("fiber_leak_listener.cc:"), std::string::npos) << result.out;
  // The summary is printed before the process ends without waiting for the leaked fiber.
  EXPECT_NE(result.out.find("1 FAILED TEST"), std::string::npos) << result.out;
}

// Boost's condition_variable, unwrapped: the wait in the analysis's words, from the stack.
TEST(FiberLeakListener, WordsAWaitOnPlainBoostTypesAsTheAnalysisDoes) {
  auto result = run_probe("Probe.LeavesAFiberWaitingOnAPlainCondition");
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("1 x sync.Cond.Wait\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("blocked at listener_probe::wait_for_a_signal at "), std::string::npos)
      << result.out;
  EXPECT_NE(
      result.out.find("fiber_leak_listener_probe.cc:" +
                      std::to_string(probe_test_line("LeavesAFiberWaitingOnAPlainCondition")) +
                      ": Failure"),
      std::string::npos)
      << result.out;
}

TEST(FiberLeakListener, PassesTestsThatJoinOrWhoseFibersFinishSoon) {
  auto result = run_probe("Probe.JoinsItsFibers:Probe.LeavesFibersThatFinishSoon");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("[  PASSED  ] 2 tests"), std::string::npos) << result.out;
}

TEST(FiberLeakListener, FailsEveryTestWhenNoSchedulerTracksFibersAndSaysWhatToInstall) {
  auto result = run_probe("Probe.LeavesAFiberBlocked:Probe.JoinsItsFibers", false);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("[  FAILED  ] Probe.LeavesAFiberBlocked"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("[  FAILED  ] Probe.JoinsItsFibers"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("no green thread is tracked"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("boost::fibers::use_scheduling_algorithm<leakscan::fibers::"
                            "tracking_algorithm<boost::fibers::algo::round_robin>>()"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("2 FAILED TESTS"), std::string::npos) << result.out;
}

}  // namespace
