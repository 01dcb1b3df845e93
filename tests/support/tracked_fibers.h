// The agent's tests run fibers on leakscan's tracking scheduler: installing it, letting fibers
// reach their waits, and reading what they wait for.
#pragma once

#include <algorithm>
#include <boost/fiber/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"

namespace leakscan::testing {

inline void use_tracking_scheduler() {
  // Once per thread: Boost keeps the first algorithm a thread installs.
  thread_local bool installed = [] {
    boost::fibers::use_scheduling_algorithm<
        leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
    return true;
  }();
  (void)installed;
}

// Lets this thread's other fibers run until they have all parked (or ended).
inline void let_fibers_park() {
  for (int i = 0; i < 20; ++i) boost::this_fiber::yield();
}

// The wait reasons of the live green threads with an id of at least `first_id`, sorted, once
// they parked: "" for a wait the agent has no words for.
inline std::vector<std::string> wait_reasons_since(uint64_t first_id) {
  let_fibers_park();
  std::vector<std::string> reasons;
  for (const auto& thread : agent::describe_green_threads(first_id)) {
    reasons.push_back(thread.wait_reason);
  }
  std::sort(reasons.begin(), reasons.end());
  return reasons;
}

}  // namespace leakscan::testing
