// goleak for fibers: a GoogleTest listener that fails every test which leaves green threads
// (fibers, coroutines) behind, naming where each was created and where it is stuck.
//
//   int main(int argc, char** argv) {
//     testing::InitGoogleTest(&argc, argv);
//     testing::UnitTest::GetInstance()->listeners().Append(
//         std::make_unique<leakscan::testing::FiberLeakListener>().release());
//     return RUN_ALL_TESTS();
//   }
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
  FiberLeakOptions options_;
  uint64_t first_id_ = 0;
};

}  // namespace leakscan::testing
