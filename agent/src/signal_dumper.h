// Dumps the green threads as Go-style text when a signal arrives. The signal is taken by
// sigtimedwait on a thread of its own, never by a handler: building a dump allocates and locks,
// which no signal handler may do.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "analyzer/model/result.h"

namespace leakscan::agent {

class SignalDumper {
 public:
  // Blocks `signal` in the calling thread (threads created afterwards inherit that).
  static Result<std::unique_ptr<SignalDumper>> start(int signal, std::string path,
                                                     std::chrono::milliseconds stack_timeout);
  SignalDumper(int signal, std::string path, std::chrono::milliseconds stack_timeout);
  ~SignalDumper();
  SignalDumper(const SignalDumper&) = delete;
  SignalDumper& operator=(const SignalDumper&) = delete;

  // Dumps taken so far; for tests.
  size_t dumps() const { return dumps_.load(); }

 private:
  void run();
  void dump();

  int signal_;
  std::string path_;
  std::chrono::milliseconds stack_timeout_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> dumps_{0};
  std::thread thread_;
};

}  // namespace leakscan::agent
