#include "agent/src/periodic_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "agent/src/profiles.h"
#include "analyzer/writers/pprof_writer.h"

namespace leakscan::agent {
namespace {

constexpr std::string_view kPrefix = "goroutine-";
constexpr std::string_view kSuffix = ".pb.gz";

}  // namespace

PeriodicWriter::PeriodicWriter(std::filesystem::path directory, std::chrono::milliseconds every,
                               size_t retain, std::chrono::milliseconds stack_timeout)
    : directory_(std::move(directory)),
      every_(every),
      retain_(std::max<size_t>(retain, 1)),
      stack_timeout_(stack_timeout) {
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
  auto path = directory_ / fmt::format("{}{:013}{}", kPrefix, now.count(), kSuffix);
  std::vector<Snapshot> snapshots = take_snapshots(stack_timeout_);
  Status status = write_pprof_file(snapshots, path.string());
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
  if (status) remove_old();
}

void PeriodicWriter::remove_old() {
  std::error_code error;
  std::vector<std::filesystem::path> snapshots;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kPrefix) && name.ends_with(kSuffix)) snapshots.push_back(entry.path());
  }
  if (snapshots.size() <= retain_) return;
  // Names carry zero-padded times: name order is time order.
  std::sort(snapshots.begin(), snapshots.end());
  for (size_t i = 0; i + retain_ < snapshots.size(); ++i)
    std::filesystem::remove(snapshots[i], error);
}

}  // namespace leakscan::agent
