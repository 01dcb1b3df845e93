#include "leakscan/testing/run_all_tests.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "leakscan/agent/agent.h"

namespace leakscan::testing {

void run_all_tests_and_exit(FiberLeakOptions options) {
  ::testing::UnitTest::GetInstance()->listeners().Append(
      std::make_unique<FiberLeakListener>(std::move(options)).release());
  uint64_t first_id = agent::next_green_thread_id();
  int result = RUN_ALL_TESTS();
  // A failed run may have leaked fibers the agent never saw (no tracking scheduler).
  if (result != 0 || agent::live_green_threads_since(first_id) != 0) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(result);
  }
  std::exit(result);
}

}  // namespace leakscan::testing
