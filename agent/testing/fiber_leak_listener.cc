#include "leakscan/testing/fiber_leak_listener.h"

#include <fmt/format.h>

#include <boost/fiber/operations.hpp>
#include <map>
#include <string>

#include "leakscan/agent/agent.h"

namespace leakscan::testing {

FiberLeakListener::FiberLeakListener(FiberLeakOptions options) : options_(std::move(options)) {
  if (!options_.settle_step) {
    options_.settle_step = [] { boost::this_fiber::sleep_for(std::chrono::milliseconds(1)); };
  }
}

void FiberLeakListener::OnTestStart(const ::testing::TestInfo& /*test*/) {
  first_id_ = agent::next_green_thread_id();
}

bool FiberLeakListener::tracking() const {
  // A tracked coroutine registers itself without a scheduler.
  return agent::tracking_schedulers() != 0 || agent::next_green_thread_id() != first_id_;
}

size_t FiberLeakListener::settle() const {
  auto start = std::chrono::steady_clock::now();
  auto last_change = start;
  size_t left = agent::live_green_threads_since(first_id_);
  while (left != 0) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_change >= options_.quiet || now - start >= options_.settle_limit) break;
    options_.settle_step();
    size_t now_left = agent::live_green_threads_since(first_id_);
    if (now_left != left) {
      left = now_left;
      last_change = std::chrono::steady_clock::now();
    }
  }
  return left;
}

// Failures name the test's own file and line, where its author looks, not this file's.
void FiberLeakListener::OnTestEnd(const ::testing::TestInfo& test) {
  const char* file = test.file() != nullptr ? test.file() : "unknown file";
  if (!tracking()) {
    ADD_FAILURE_AT(file, test.line())
        << "leakscan: no green thread is tracked, so this test's leaks cannot be "
           "seen: install the tracking scheduler on each thread that runs fibers "
           "before the tests run (boost::fibers::use_scheduling_algorithm<"
           "leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>()"
           ", from <leakscan/agent/boost_fiber.h>), or track coroutines "
           "(<leakscan/agent/coroutine.h>)";
    return;
  }
  if (settle() == 0) return;
  // Grouped by where they were created and where they are stuck, as goleak words it.
  std::map<std::string, size_t> groups;
  for (const auto& thread : agent::describe_green_threads(first_id_)) {
    std::string what = thread.wait_reason.empty() ? thread.state : thread.wait_reason;
    groups[fmt::format("{}\n      blocked at {}\n      created by {}", what,
                       thread.blocked_at.empty() ? "?" : thread.blocked_at,
                       thread.created_by.empty() ? "?" : thread.created_by)]++;
  }
  std::string message = "leakscan: green threads left behind by this test:\n";
  for (const auto& [description, count] : groups) {
    message += fmt::format("  {} x {}\n", count, description);
  }
  // OnTestEnd runs before the result printer's (listeners end in reverse order), so this
  // failure is the test's own.
  ADD_FAILURE_AT(file, test.line()) << message;
}

}  // namespace leakscan::testing
