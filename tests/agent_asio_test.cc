// Boost.Asio coroutines end to end: samples/cpp/asio_service (awaitable + co_spawn, tracked by
// including leakscan/agent/asio.h) leaks one watcher per "watch" line. Under three rounds of
// load on 127.0.0.1, its agent's profile must show each watcher as one green thread, one stack
// (`until_signalled` on a timer, awaited by `watch_shipment`), created where it was co_spawn'ed
// (`handle_line`); leakscan's
// analysis of the three captures must report it as a leak and nothing else: the accept loop
// and the open session wait on the network, and the pings completed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/loopback_connection.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

constexpr int kRounds = 3;
constexpr int kWatchesPerRound = 4;
constexpr std::string_view kWatcher = "asio_service::watch_shipment";
constexpr std::string_view kWaiter = "asio_service::until_signalled";  // what kWatcher awaits
constexpr std::string_view kSpawner = "asio_service::handle_line";

size_t occurrences(std::string_view text, std::string_view what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

// "AGENT 127.0.0.1:PORT" -> "127.0.0.1:PORT"
std::optional<std::string> address_after(testing::ChildProcess& service, std::string_view tag) {
  auto line = service.read_line(30s);
  if (!line || !line->starts_with(tag)) return std::nullopt;
  return line->substr(tag.size() + 1);
}

class AsioService : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::temp_dir();
    service_ =
        std::make_unique<testing::ChildProcess>(std::vector<std::string>{LEAKSCAN_ASIO_SERVICE});
    auto agent = address_after(*service_, "AGENT");
    auto listening = address_after(*service_, "LISTENING");
    ASSERT_TRUE(agent && listening) << service_->stderr_text();
    agent_ = "http://" + *agent;
    auto port = static_cast<uint16_t>(std::stoi(listening->substr(listening->find(':') + 1)));
    // One session stays open throughout: its coroutine waits on the network, steadily.
    client_ = std::make_unique<testing::LoopbackConnection>(port);
    ASSERT_TRUE(client_->connected());
    for (int round = 1; round <= kRounds; ++round) {
      for (int k = 0; k < kWatchesPerRound; ++k) {
        ASSERT_TRUE(client_->send_all(fmt::format("watch {}\nping\n", round * 100 + k)));
      }
      ASSERT_TRUE(wait_for_watchers(static_cast<size_t>(round * kWatchesPerRound)));
      fetched_at_.push_back(std::chrono::system_clock::now());
      ASSERT_TRUE(testing::capture_goroutines(agent_, fmt::format("{}/asio-{}", dir_, round),
                                              debug2_, debug0_));
    }
    config_ = testing::write_one_second_thresholds(dir_);
  }

  static void TearDownTestSuite() {
    client_.reset();
    service_.reset();  // kills the service it started
  }

  void SetUp() override {
    ASSERT_EQ(debug2_.size(), static_cast<size_t>(kRounds)) << "setup failed";
  }

  // Until the agent lists `count` watchers (bounded: 30 s).
  static bool wait_for_watchers(size_t count) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      auto text = testing::http_get(agent_ + "/debug/pprof/goroutine?debug=2");
      if (text && occurrences(*text, kWatcher) == count) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  static inline std::string dir_;
  static inline std::unique_ptr<testing::ChildProcess> service_;
  static inline std::unique_ptr<testing::LoopbackConnection> client_;
  static inline std::string agent_;
  static inline std::vector<std::string> debug2_;
  static inline std::vector<std::string> debug0_;
  static inline std::vector<std::chrono::system_clock::time_point> fetched_at_;
  static inline std::string config_;
};

TEST_F(AsioService, TheProfileShowsEachLeakedCoroutineWhereItWasSpawnedAndWhatItAwaits) {
  std::string text = testing::read_file(debug2_.back());
  // Each watcher's goroutine: its wait, the co_await in watch_shipment, the co_spawn site.
  size_t watchers = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find("\n\n", start), text.size());
    std::string_view goroutine(text.data() + start, end - start);
    start = end + 2;
    if (goroutine.find(kWatcher) == std::string_view::npos) continue;
    ++watchers;
    EXPECT_NE(goroutine.find("[timer wait"), std::string_view::npos) << goroutine;
    // One stack for the chain, innermost first: the awaited coroutine, then its awaiter.
    size_t waiter = goroutine.find(kWaiter);
    EXPECT_NE(waiter, std::string_view::npos) << goroutine;
    EXPECT_LT(waiter, goroutine.find(kWatcher)) << goroutine;
    EXPECT_NE(goroutine.find(fmt::format("created by {}", kSpawner)), std::string_view::npos)
        << goroutine;
    EXPECT_NE(goroutine.find("samples/cpp/asio_service.cc:"), std::string_view::npos) << goroutine;
  }
  EXPECT_EQ(watchers, static_cast<size_t>(kRounds * kWatchesPerRound)) << text;
  // The pings completed and their frames were destroyed.
  EXPECT_EQ(occurrences(text, "asio_service::answer_ping"), 0U) << text;
}

TEST_F(AsioService, TheAnalysisReportsTheLeakAndNoBenignCoroutine) {
  for (const auto* paths : {&debug2_, &debug0_}) {
    auto run = testing::analyze_files(*paths, fetched_at_, config_);
    ASSERT_NE(run, nullptr);
    const report::Report& report = run->analysis.report;
    int leaks = 0;
    for (const auto& cluster : report.clusters()) {
      bool watcher = cluster.blocked_at().function() == kWaiter;
      bool reported = cluster.verdict() == report::LEAK || cluster.verdict() == report::SUSPECT;
      if (!watcher) {
        EXPECT_FALSE(reported) << cluster.blocked_at().function() << ": " << cluster.reasons(0);
        continue;
      }
      ++leaks;
      EXPECT_EQ(cluster.verdict(), report::LEAK) << cluster.reasons(0);
      EXPECT_EQ(cluster.created_by().function(), kSpawner);
      EXPECT_EQ(cluster.blocking_operation(), "timer wait");
      std::vector<int64_t> counts(cluster.count_per_snapshot().begin(),
                                  cluster.count_per_snapshot().end());
      EXPECT_EQ(counts, (std::vector<int64_t>{4, 8, 12}));
    }
    EXPECT_EQ(leaks, 1);
  }
}

}  // namespace
}  // namespace leakscan
