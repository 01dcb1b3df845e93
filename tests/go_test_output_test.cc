// What `go test` prints when a test leaks or hangs, from real runs: tests/go/leakygotest built
// with `go test -c` (the binary `go test` runs) by each Go toolchain from 1.26, goleak from the
// module proxy. goleak's report and the -test.timeout dump are read like any dump, the test's
// name kept on its goroutines as the label `test`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kPackage = "leakscan.dev/tests/leakygotest";

std::string_view label(const GreenThread& thread, std::string_view key) {
  for (const auto& l : thread.labels) {
    if (l.key == key) return l.str;
  }
  return {};
}

bool runs(const Snapshot& snapshot, const GreenThread& thread, std::string_view function) {
  return std::any_of(thread.stack.begin(), thread.stack.end(),
                     [&](FrameId id) { return snapshot.frame(id).function == function; });
}

Snapshot read_one(const std::string& text, const std::string& name) {
  auto read = read_snapshots_from_memory(text, name);
  EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message) << "\n" << text;
  if (!read || read->size() != 1) {
    ADD_FAILURE() << name << ": expected one snapshot";
    return {};
  }
  return std::move(read->front());
}

class GoTestOutput : public ::testing::TestWithParam<std::string> {
 protected:
  testing::CommandResult run_test(const std::string& test, std::vector<std::string> flags) {
    std::vector<std::string> argv = {testing::go_bin(GetParam(), "leakygotest.test"), "-test.run",
                                     "^" + test + "$"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return testing::run_command(argv, 60s, {}, {"LEAKYGOTEST=" + test});
  }
};

// goleak.VerifyNone fails the test naming three goroutines blocked receiving: all three are
// read with their state, stack and creator, and carry test=TestLeaks.
TEST_P(GoTestOutput, GoleakReportOfALeakingTest) {
  auto run = run_test("TestLeaks", {});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  ASSERT_NE(run.out.find("found unexpected goroutines:"), std::string::npos) << run.out;
  Snapshot snapshot = read_one(run.out, "goleak");
  EXPECT_EQ(snapshot.reason, "goleak: found unexpected goroutines");
  ASSERT_EQ(snapshot.threads.size(), 3u) << run.out;
  for (const auto& thread : snapshot.threads) {
    EXPECT_EQ(thread.status, "chan receive");
    ASSERT_FALSE(thread.stack.empty());
    EXPECT_EQ(snapshot.frame(thread.stack.front()).function,
              fmt::format("{}.ReceiveForever", kPackage));
    EXPECT_EQ(snapshot.frame(thread.stack.front()).line, 14);
    ASSERT_NE(thread.created_by, kNoFrame);
    EXPECT_EQ(snapshot.frame(thread.created_by).function,
              fmt::format("{}.StartWorkers.func1", kPackage));
    EXPECT_NE(thread.creator_id, 0u);
    EXPECT_EQ(label(thread, "test"), "TestLeaks");
  }
  // Read as goleak's verdict: a leak of TestLeaks, no crash, and --fail-on leak fails.
  const std::string path = testing::temp_dir() + "/goleak.txt";
  testing::write_file(path, run.out);
  auto report = testing::run_command({testing::cli_path(), path, "--fail-on", "leak"}, 60s);
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_NE(report.out.find("1 leak, 0 suspects"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("goleak reported them"), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find("CRASH"), std::string::npos) << report.out;
}

// -test.timeout ends a hung test with a dump headed by "running tests:": the test's own
// goroutine and the two it started carry test=TestHang; the testing package's do not.
TEST_P(GoTestOutput, TimeoutDumpOfAHangingTest) {
  auto run = run_test("TestHang", {"-test.timeout", "1s"});
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_NE(run.err.find("running tests:"), std::string::npos) << run.err;
  Snapshot snapshot = read_one(run.err, "timeout");
  EXPECT_EQ(snapshot.reason, "panic: test timed out after 1s");
  int workers = 0, test_goroutines = 0;
  for (const auto& thread : snapshot.threads) {
    bool worker = runs(snapshot, thread, fmt::format("{}.ReceiveForever", kPackage));
    bool test = runs(snapshot, thread, fmt::format("{}.TestHang", kPackage));
    SCOPED_TRACE(thread.id);
    if (worker || test) {
      EXPECT_EQ(label(thread, "test"), "TestHang");
    } else {
      EXPECT_EQ(label(thread, "test"), "");
    }
    workers += worker;
    if (test) {
      ++test_goroutines;
      EXPECT_EQ(thread.status, "sync.WaitGroup.Wait");  // named since Go 1.25
    }
  }
  EXPECT_EQ(workers, 2);
  EXPECT_EQ(test_goroutines, 1);
}

// What a paste from the middle of a log holds: the goroutines, without the lines above the first
// one ("panic: ...", "[signal ...]", "running tests:").
std::string without_header(const std::string& output) {
  size_t first = output.find("goroutine ");
  return first == std::string::npos ? std::string() : output.substr(first);
}

testing::CommandResult report_of(const std::string& name, const std::string& text) {
  const std::string path = testing::temp_dir() + "/" + name;
  testing::write_file(path, text);
  return testing::run_command({testing::cli_path(), path}, 60s);
}

// A test's panic with its header cut is still a panic, read from the panicking goroutine's
// frames, and that goroutine (the test's own) is named first.
TEST_P(GoTestOutput, PanicWithoutItsHeader) {
  auto run = run_test("TestPanics", {});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  std::string output = run.out + run.err;
  ASSERT_NE(output.find("panic: runtime error"), std::string::npos) << output;
  std::string cut = without_header(output);
  ASSERT_EQ(cut.find("panic: "), std::string::npos) << cut;
  auto report = report_of("panic-" + GetParam() + ".txt", cut);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("PANIC  panic (the header is not in the input"), std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find(fmt::format("{}.TestPanics", kPackage)), std::string::npos)
      << report.out;
  // The whole output says the same from its header.
  auto whole = report_of("panic-whole-" + GetParam() + ".txt", output);
  EXPECT_NE(whole.out.find("PANIC  panic: runtime error"), std::string::npos) << whole.out;
}

// The same for -test.timeout: the alarm goroutine panicking is a test timeout.
TEST_P(GoTestOutput, TimeoutWithoutItsHeader) {
  auto run = run_test("TestHang", {"-test.timeout", "1s"});
  std::string cut = without_header(run.err);
  ASSERT_EQ(cut.find("panic: "), std::string::npos) << cut;
  auto report = report_of("timeout-" + GetParam() + ".txt", cut);
  EXPECT_NE(report.out.find("TIMEOUT  panic: test timed out (the header is not in the input"),
            std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find(fmt::format("{}.WaitForever", kPackage)), std::string::npos)
      << report.out;
}

INSTANTIATE_TEST_SUITE_P(EveryGo, GoTestOutput, ::testing::Values("go1.26", "go1.27"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

}  // namespace
}  // namespace leakscan
