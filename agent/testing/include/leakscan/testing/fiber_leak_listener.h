// goleak for fibers: a GoogleTest listener that fails every test which leaves green threads
// (fibers, coroutines) behind, naming where each was created and where it is stuck.
//
//   int main(int argc, char** argv) {
//     boost::fibers::use_scheduling_algorithm<
//         leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
//     testing::InitGoogleTest(&argc, argv);
//     leakscan::testing::run_all_tests_and_exit();  // appends this listener
//   }
//
// It cannot pass silently: a test during which nothing was tracked (no tracking scheduler in
// the process and no tracked coroutine created) fails, saying what to install. Use
// run_all_tests_and_exit (run_all_tests.h) rather than `return RUN_ALL_TESTS()`: Boost.Fiber
// waits at thread exit for every fiber of the thread, and a leaked one never ends.
//
// Fibers a test started may still be finishing when it returns: the listener lets them run
// (settle_step) until the number left stops changing for `quiet`, or `settle_limit` passes,
// instead of sleeping a fixed time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>

namespace leakscan::testing {

struct FiberLeakOptions {
  std::chrono::milliseconds quiet{50};
  std::chrono::milliseconds settle_limit{5000};
  // One step of letting other fibers run; by default the calling fiber sleeps 1 ms, which
  // runs this thread's other fibers (and other threads' fibers run meanwhile).
  std::function<void()> settle_step;
};

class FiberLeakListener : public ::testing::EmptyTestEventListener {
 public:
  explicit FiberLeakListener(FiberLeakOptions options = {});

  void OnTestStart(const ::testing::TestInfo& test) override;
  void OnTestEnd(const ::testing::TestInfo& test) override;

  // Settles, then the number of green threads created since the test started still alive.
  size_t settle() const;

 private:
  // Whether the agent could have seen a green thread the test started.
  bool tracking() const;

  FiberLeakOptions options_;
  uint64_t first_id_ = 0;
};

}  // namespace leakscan::testing
