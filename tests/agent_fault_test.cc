// The agent under faults, as a host service would meet them: fibers created and destroyed on
// two threads while snapshots are taken and the endpoint is hammered for a bounded time, and a
// full disk under the periodic snapshots. The host keeps running, nothing deadlocks, and every
// profile served or written is whole.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <atomic>
#include <boost/fiber/all.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/src/profiles.h"
#include "analyzer/readers/read_snapshots.h"
#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/sync.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace agent_fault_test {
using namespace leakscan;  // NOLINT(google-build-using-namespace)

constexpr auto kChurnTime = std::chrono::seconds(20);

// Two scheduler threads that create, park, wake and end fibers as fast as they can, counting
// the fibers they finished, until stopped.
class FiberChurn {
 public:
  FiberChurn() {
    for (int t = 0; t < 2; ++t) {
      threads_.emplace_back([this] {
        boost::fibers::use_scheduling_algorithm<
            leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
        leakscan::fibers::mutex mutex;
        while (!stop_) {
          leakscan::fibers::buffered_channel<int> work(4);
          std::vector<boost::fibers::fiber> batch;
          for (int i = 0; i < 32; ++i) {
            batch.emplace_back([&] {
              int value = 0;
              while (work.pop(value) == boost::fibers::channel_op_status::success) {
                std::lock_guard lock(mutex);
                boost::this_fiber::yield();
              }
            });
          }
          for (int i = 0; i < 64; ++i) work.push(i);
          work.close();
          for (auto& fiber : batch) fiber.join();
          finished_ += 32;
        }
      });
    }
  }
  ~FiberChurn() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  uint64_t finished() const { return finished_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> finished_{0};
  std::vector<std::thread> threads_;
};

TEST(AgentFaults, SnapshotsAndEndpointHammeringDuringFiberChurn) {
  FiberChurn churn;
  auto started = agent::Agent::start({.http_port = 0});
  ASSERT_TRUE(started) << started.error().message;
  uint16_t port = (*started)->http_port();

  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  std::atomic<int> bad{0};
  std::mutex first_error_mutex;
  std::string first_error;
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&, c] {
      while (!stop) {
        std::string path = c == 0 ? "/debug/pprof/goroutine" : "/debug/pprof/goroutine?debug=2";
        auto body = leakscan::testing::http_get(fmt::format("http://127.0.0.1:{}{}", port, path),
                                                std::chrono::seconds(30));
        auto snapshots = body ? read_snapshots_from_memory(*body, "endpoint")
                              : Result<std::vector<Snapshot>>(Error{"no answer"});
        // Between two batches both threads may have no fiber at all: Go's text form of no
        // green threads is empty, and whole.
        bool empty_dump = body && body->empty() && c != 0;
        if (snapshots || empty_dump) {
          ++served;
        } else {
          ++bad;
          std::lock_guard lock(first_error_mutex);
          if (first_error.empty()) first_error = snapshots.error().message;
        }
      }
    });
  }
  size_t direct = 0;
  uint64_t before = churn.finished();
  auto deadline = std::chrono::steady_clock::now() + kChurnTime;
  while (std::chrono::steady_clock::now() < deadline) {
    auto snapshots = agent::take_snapshots(std::chrono::seconds(2));
    ASSERT_FALSE(snapshots.empty());
    ++direct;
  }
  stop = true;
  for (auto& client : clients) client.join();
  uint64_t after = churn.finished();
  churn.stop();

  EXPECT_GT(direct, 10U);
  EXPECT_GT(served.load(), 10);
  EXPECT_EQ(bad.load(), 0) << first_error;
  EXPECT_GT(after, before);  // the host's fibers kept running throughout
  EXPECT_EQ(agent::live_green_threads_since(0), 0U);
}

// A 64 KiB tmpfs stands for a full disk; the writer fails, says so once, and resumes when
// space returns.
class TinyDisk {
 public:
  TinyDisk() : path_(leakscan::testing::temp_dir() + "/tiny") {
    std::filesystem::create_directories(path_);
    mounted_ = mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~TinyDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  TinyDisk(const TinyDisk&) = delete;
  TinyDisk& operator=(const TinyDisk&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(AgentFaults, AFullDiskFailsPeriodicSnapshotsWithoutHarm) {
  TinyDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mounting a tmpfs needs root (CI runs as root)";
  // Fill the disk.
  {
    std::FILE* filler = std::fopen((disk.path() + "/filler").c_str(), "we");
    ASSERT_NE(filler, nullptr);
    std::string block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), filler) == block.size() &&
           std::fflush(filler) == 0) {
    }
    std::fclose(filler);
  }
  leakscan::fibers::unbuffered_channel<int> never;
  std::thread fibers([&] {
    boost::fibers::use_scheduling_algorithm<
        leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
    std::vector<boost::fibers::fiber> parked;
    for (int i = 0; i < 200; ++i) {
      parked.emplace_back([&] {
        int value = 0;
        never.pop(value);
      });
    }
    for (auto& fiber : parked) fiber.join();
  });
  auto started = agent::Agent::start({.http_port = 0,
                                      .snapshot_dir = disk.path() + "/snapshots",
                                      .snapshot_every = std::chrono::milliseconds(20),
                                      .snapshot_retain = 2});
  if (!started) {
    // Even the directory could not be made: also a full disk, reported as such.
    EXPECT_NE(started.error().message.find("cannot create"), std::string::npos);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // The endpoint still answers while the writer fails.
    auto body = leakscan::testing::http_get(
        fmt::format("http://127.0.0.1:{}/debug/pprof/goroutine?debug=2", (*started)->http_port()));
    ASSERT_TRUE(body.has_value());
    EXPECT_NE(body->find("[chan receive]"), std::string::npos);
    // Nothing half-written is left where readers look.
    for (const auto& entry : std::filesystem::directory_iterator(disk.path() + "/snapshots")) {
      std::string name = entry.path().filename().string();
      if (!name.ends_with(".pb.gz")) continue;
      auto snapshots = read_snapshots(entry.path().string());
      EXPECT_TRUE(snapshots) << name << ": " << snapshots.error().message;
    }
    // Space returns: the next intervals write whole snapshots again.
    std::filesystem::remove(disk.path() + "/filler");
    size_t whole = 0;
    for (int i = 0; i < 200 && whole == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (const auto& entry : std::filesystem::directory_iterator(disk.path() + "/snapshots")) {
        if (entry.path().extension() == ".gz" && read_snapshots(entry.path().string())) ++whole;
      }
    }
    EXPECT_GT(whole, 0U);
    started->reset();
  }
  never.close();
  fibers.join();
}

}  // namespace agent_fault_test
