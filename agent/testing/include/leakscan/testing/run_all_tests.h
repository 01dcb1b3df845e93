// RUN_ALL_TESTS for test binaries whose tests may leak fibers: Boost.Fiber's scheduler waits,
// when its thread exits, for every fiber it owns, so `return RUN_ALL_TESTS()` after a leak
// hangs the binary for good, with the failure already printed.
#pragma once

#include "leakscan/testing/fiber_leak_listener.h"

namespace leakscan::testing {

// Appends a FiberLeakListener, runs the tests and ends the process with their result. A run
// that failed or left green threads alive ends with std::_Exit after flushing stdio (no
// destructor runs, so no scheduler waits for its leaked fibers); a clean run ends with
// std::exit, so that coverage and sanitizer exit hooks still run. Call after
// InitGoogleTest and after installing the tracking scheduler.
[[noreturn]] void run_all_tests_and_exit(FiberLeakOptions options = {});

}  // namespace leakscan::testing
