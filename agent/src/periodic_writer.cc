#include "agent/src/periodic_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "agent/src/profiles.h"
#include "producer/gzipped_pprof.h"

namespace leakscan::agent {

Result<std::unique_ptr<PeriodicWriter>> PeriodicWriter::start(
    const std::filesystem::path& directory, std::chrono::milliseconds every, size_t retain,
    std::chrono::milliseconds stack_timeout) {
  auto opened = SnapshotDirectory::open({.path = directory,
                                         .prefix = "goroutine-",
                                         .suffix = ".pb.gz",
                                         .retain = std::max<size_t>(retain, 1)});
  if (!opened) return Error{fmt::format("leakscan agent: {}", opened.error().message)};
  return std::make_unique<PeriodicWriter>(std::move(*opened), every, stack_timeout);
}

PeriodicWriter::PeriodicWriter(SnapshotDirectory directory, std::chrono::milliseconds every,
                               std::chrono::milliseconds stack_timeout)
    : directory_(std::move(directory)), every_(every), stack_timeout_(stack_timeout) {
  thread_ = std::thread([this] { run(); });
}

PeriodicWriter::~PeriodicWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_signal_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t PeriodicWriter::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

size_t PeriodicWriter::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void PeriodicWriter::run() {
  std::unique_lock lock(mutex_);
  while (!stop_signal_.wait_for(lock, every_, [this] { return stop_; })) {
    lock.unlock();
    write_one();
    lock.lock();
  }
}

void PeriodicWriter::write_one() {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  Status status = Ok{};
  // An exception leaving this thread would end the host service: a snapshot the host has no
  // memory for is a failed snapshot, retried at the next interval.
  try {
    std::vector<Snapshot> snapshots = take_snapshots(stack_timeout_);
    // Zero-padded times: name order is time order, which retention relies on.
    if (auto encoded = encode_gzipped_pprof(snapshots); !encoded) {
      status = encoded.error();
    } else if (auto written = directory_.write(fmt::format("{:013}", now.count()), *encoded);
               !written) {
      status = written.error();
    }
  } catch (const std::exception& error) {
    status = Error{fmt::format("the snapshot could not be built: {}", error.what())};
  }
  std::lock_guard lock(mutex_);
  if (status) {
    ++written_;
    if (!last_error_.empty()) {
      fmt::print(stderr, "leakscan agent: periodic snapshots written again\n");
      last_error_.clear();
    }
  } else {
    ++failed_;
    // Said when failures start, not at every interval of a full disk.
    if (last_error_.empty()) {
      fmt::print(stderr, "leakscan agent: periodic snapshot failed (retrying every {} ms): {}\n",
                 every_.count(), status.error().message);
    }
    last_error_ = status.error().message;
  }
}

}  // namespace leakscan::agent
