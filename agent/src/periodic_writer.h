// Writes a pprof snapshot into a directory at a fixed interval, each atomically renamed into
// place, keeping the newest `retain`. A failing write (a full disk) is reported once and
// retried at the next interval; the service is never affected.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace leakscan::agent {

class PeriodicWriter {
 public:
  PeriodicWriter(std::filesystem::path directory, std::chrono::milliseconds every, size_t retain,
                 std::chrono::milliseconds stack_timeout);
  ~PeriodicWriter();
  PeriodicWriter(const PeriodicWriter&) = delete;
  PeriodicWriter& operator=(const PeriodicWriter&) = delete;

  size_t written() const;
  size_t failed() const;

 private:
  void run();
  void write_one();
  void remove_old();

  std::filesystem::path directory_;
  std::chrono::milliseconds every_;
  size_t retain_;
  std::chrono::milliseconds stack_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stop_ = false;
  size_t written_ = 0;
  size_t failed_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace leakscan::agent
