// A minimal service using the installed agent: one fiber blocked on a channel, dumped as text.
#include <boost/fiber/all.hpp>
#include <cstdio>
#include <leakscan/agent/agent.h>
#include <leakscan/agent/boost_fiber.h>
#include <leakscan/agent/sync.h>
#include <string>

int main() {
  boost::fibers::use_scheduling_algorithm<
      leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
  leakscan::fibers::unbuffered_channel<int> nobody_sends;
  boost::fibers::fiber waiting([&] {
    int value = 0;
    nobody_sends.pop(value);
  });
  boost::this_fiber::yield();
  std::string dump = leakscan::agent::goroutine_text(2);
  std::fputs(dump.c_str(), stdout);
  nobody_sends.close();
  waiting.join();
  return dump.find("[chan receive]") == std::string::npos ? 1 : 0;
}
