// Writes a pprof snapshot into a directory at a fixed interval, each atomically renamed into
// place, keeping the newest `retain`. A failing write (a full disk) is reported once and
// retried at the next interval; the service is never affected.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "analyzer/model/result.h"
#include "producer/snapshot_directory.h"

namespace leakscan::agent {

class PeriodicWriter {
 public:
  // Creates `directory` if needed; an error names it.
  static Result<std::unique_ptr<PeriodicWriter>> start(const std::filesystem::path& directory,
                                                       std::chrono::milliseconds every,
                                                       size_t retain,
                                                       std::chrono::milliseconds stack_timeout);
  PeriodicWriter(SnapshotDirectory directory, std::chrono::milliseconds every,
                 std::chrono::milliseconds stack_timeout);
  ~PeriodicWriter();
  PeriodicWriter(const PeriodicWriter&) = delete;
  PeriodicWriter& operator=(const PeriodicWriter&) = delete;

  size_t written() const;
  size_t failed() const;

 private:
  void run();
  void write_one();

  SnapshotDirectory directory_;
  std::chrono::milliseconds every_;
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
