// A fiber service written as many are: free functions in the global namespace, plain Boost
// primitives, the agent's scheduler, and `main` itself a fiber that waits. Built with -g,
// without it and stripped of its DWARF (tests/cpp_debug_info_test.cc), it leaks the same
// fibers in all three.
//
// Prints "AGENT 127.0.0.1:PORT" once its fibers and main are parked, then runs until killed.
#include <fmt/format.h>

#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <vector>

#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"

// Global, not in a namespace, and never inlined: each is a frame of its own in every build.
[[gnu::noinline]] static void await_reply(boost::fibers::buffered_channel<int>& replies) {
  int reply = 0;
  replies.pop(reply);  // nobody ever pushes: the leak
}

[[gnu::noinline]] static void hold_and_wait(boost::fibers::mutex& lock,
                                            boost::fibers::condition_variable& done) {
  std::unique_lock held(lock);
  done.wait(held);  // nobody ever notifies: the leak
}

[[gnu::noinline]] static void start_requests(std::vector<boost::fibers::fiber>& fibers,
                                             boost::fibers::buffered_channel<int>& replies,
                                             boost::fibers::mutex& lock,
                                             boost::fibers::condition_variable& done) {
  for (int i = 0; i < 6; ++i) fibers.emplace_back([&] { await_reply(replies); });
  for (int i = 0; i < 4; ++i) fibers.emplace_back([&] { hold_and_wait(lock, done); });
}

[[gnu::noinline]] static void serve_forever(boost::fibers::buffered_channel<long>& shutdown) {
  long signal = 0;
  shutdown.pop(signal);
}

static int serve() {
  auto agent = leakscan::agent::Agent::start({.http_port = 0});
  if (!agent) {
    fmt::print(stderr, "plain_fibers: {}\n", agent.error().message);
    return 1;
  }
  boost::fibers::use_scheduling_algorithm<
      leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
  boost::fibers::buffered_channel<int> replies(2);
  boost::fibers::buffered_channel<long> shutdown(2);
  boost::fibers::mutex lock;
  boost::fibers::condition_variable done;
  std::vector<boost::fibers::fiber> fibers;
  start_requests(fibers, replies, lock, done);
  // Said once every fiber, main included, is parked: a snapshot before would find main
  // running. The fiber that says it parks too rather than end while a snapshot reads it.
  boost::fibers::fiber([port = (*agent)->http_port(), &shutdown] {
    boost::this_fiber::sleep_for(std::chrono::milliseconds(100));
    fmt::print("AGENT 127.0.0.1:{}\n", port);
    std::fflush(stdout);
    serve_forever(shutdown);
  }).detach();
  serve_forever(shutdown);
  for (auto& fiber : fibers) fiber.detach();
  return 0;
}

int main() {
  try {
    return serve();
  } catch (const std::exception& error) {
    std::fputs(error.what(), stderr);
    return 1;
  }
}
