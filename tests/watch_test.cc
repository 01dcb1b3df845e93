// `leakscan watch` end to end, as a user runs it: against the bundled leaky Go service on
// 127.0.0.1 (a leak found within a bounded number of polls; the service killed and restarted),
// against hostile endpoints (garbage, a hang) served by a tiny loopback server, and its store
// (retention by count and bytes, the report rewritten whole, no half-written snapshot after
// kill -9). Every wait is bounded; the processes started here are ended by pid.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/engine/process_identity.h"
#include "analyzer/readers/read_snapshots.h"
#include "producer/snapshot_directory.h"
#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/process.h"
#include "tests/support/scripted_http_server.h"
#include "tests/support/test_support.h"
#include "watch/watcher.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::ScriptedHttpServer;

constexpr auto kLineTimeout = 30s;  // for one line of watch's output
constexpr auto kRunTimeout = 120s;  // for a whole bounded watch run

// A real capture of samples/go/leakyservice (scripts/capture-sample-profiles.sh).
std::string real_dump() {
  return testing::read_file(std::string(LEAKSCAN_SAMPLE_PROFILES) + "/leakyservice-1.txt");
}

// The snapshot files of one series directory, in name order.
std::vector<fs::path> snapshot_files(const fs::path& series) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(series, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("goroutine-") && (name.ends_with(".txt") || name.ends_with(".pb.gz"))) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> series_directories(const fs::path& target) {
  std::vector<fs::path> out;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(target, error)) {
    if (entry.path().filename().string().starts_with("series-")) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every stored file reads back as at least one snapshot with goroutines.
void expect_all_parse(const std::vector<fs::path>& files) {
  for (const auto& file : files) {
    auto snapshots = read_snapshots(file.string());
    ASSERT_TRUE(snapshots.has_value()) << file << ": " << snapshots.error().message;
    ASSERT_FALSE(snapshots->empty()) << file;
    EXPECT_TRUE(!snapshots->front().threads.empty() || !snapshots->front().samples.empty()) << file;
  }
}

std::vector<std::string> watch_command(const std::vector<std::string>& urls, const std::string& out,
                                       const std::vector<std::string>& flags) {
  std::vector<std::string> argv{testing::cli_path(), "watch"};
  argv.insert(argv.end(), urls.begin(), urls.end());
  argv.insert(argv.end(), {"--out", out});
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

// The directory watch keeps a target's series in: "127.0.0.1_PORT".
std::string target_directory(const std::string& address) {
  std::string name = address;
  std::replace(name.begin(), name.end(), ':', '_');
  return name;
}

size_t count_lines_with(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// samples/go/leakyservice on 127.0.0.1, at `addr` (a port of its own when "127.0.0.1:0").
class LeakyService {
 public:
  explicit LeakyService(const std::string& addr = "127.0.0.1:0")
      : process_(std::make_unique<testing::ChildProcess>(
            std::vector<std::string>{testing::go_bin("leakyservice"), "-work", "20ms",
                                     "-handler-timeout", "5ms", "-poll", "10m", "-addr", addr})) {
    for (int i = 0; i < 100 && address_.empty(); ++i) {
      auto line = process_->read_line(kLineTimeout);
      if (!line) break;
      if (line->starts_with("LISTENING ")) address_ = line->substr(10);
    }
  }

  const std::string& address() const { return address_; }  // empty if it did not start
  std::string base() const { return "http://" + address_; }
  void kill() {
    process_->signal(SIGKILL);
    process_->wait(kLineTimeout);
  }
  // One round of load on the route whose fetch goroutines leak: each request leaves one.
  void leak_orders(int requests) const {
    for (int i = 0; i < requests; ++i) testing::http_status(base() + "/api/orders");
  }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  std::string address_;
};

// Reads watch's output until a line matches `pattern` or `max_lines` came; the lines read.
std::vector<std::string> read_until(testing::ChildProcess& watch, const std::regex& pattern,
                                    int max_lines, bool& found) {
  std::vector<std::string> lines;
  found = false;
  for (int i = 0; i < max_lines && !found; ++i) {
    auto line = watch.read_line(kLineTimeout);
    if (!line) break;
    lines.push_back(*line);
    found = std::regex_search(*line, pattern);
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

Snapshot with_ids(std::initializer_list<uint64_t> ids) {
  Snapshot snapshot;
  for (uint64_t id : ids) snapshot.threads.push_back(GreenThread{.id = id});
  return snapshot;
}

TEST(WatchUnits, ARestartIsTheHighestIdFallingPastGoReorderSlack) {
  Snapshot running = with_ids({1, 2, 17, 400, 455});
  EXPECT_FALSE(restart_between(running, with_ids({1, 2, 17, 470})));
  // Go hands ids out 16 per P: the newest goroutine may carry an id below an older one's.
  EXPECT_FALSE(restart_between(running, with_ids({1, 2, 17, 340})));
  EXPECT_EQ(restart_between(running, with_ids({1, 2, 17, 21})),
            "highest goroutine id fell from 455 to 21");
  // Without ids or mappings (an aggregated profile) nothing can be said.
  EXPECT_FALSE(restart_between(running, Snapshot{}));
  EXPECT_FALSE(restart_between(Snapshot{}, with_ids({1})));
  EXPECT_TRUE(shows_restarts(running));
  EXPECT_FALSE(shows_restarts(Snapshot{}));
}

// A pprof profile names no ids but where it maps its objects: a new process maps the vDSO
// elsewhere; the fixed vsyscall page and a library loaded meanwhile say nothing.
TEST(WatchUnits, WithoutIdsARestartIsAnObjectMappedElsewhere) {
  auto mapped = [](std::vector<Snapshot::MappedObject> objects) {
    Snapshot snapshot;
    snapshot.mapped_objects = std::move(objects);
    return snapshot;
  };
  Snapshot running = mapped({{"/srv/app", 0x400000}, {"[vdso]", 0x7ffd1000}, {"[vsyscall]", 1}});
  EXPECT_FALSE(restart_between(running, running));
  EXPECT_FALSE(restart_between(
      running, mapped({{"/srv/app", 0x400000}, {"[vdso]", 0x7ffd1000}, {"/lib/x.so", 0x7f00}})));
  EXPECT_EQ(restart_between(running, mapped({{"/srv/app", 0x400000}, {"[vdso]", 0x7ffe2000}})),
            "[vdso] is mapped at 0x7ffe2000, not 0x7ffd1000");
  EXPECT_TRUE(shows_restarts(running));
  EXPECT_FALSE(shows_restarts(mapped({{"[vsyscall]", 1}})));
}

TEST(WatchUnits, ABareAddressPollsTheGoroutineProfile) {
  EXPECT_EQ(goroutine_url("http://127.0.0.1:6060"),
            "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2");
  EXPECT_EQ(goroutine_url("http://127.0.0.1:6060/"),
            "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2");
  EXPECT_EQ(goroutine_url("http://h:1/debug/pprof/goroutine"), "http://h:1/debug/pprof/goroutine");
}

TEST(WatchUnits, RetentionByBytesKeepsTheNewestThatFit) {
  std::string dir = testing::temp_dir();
  auto directory = SnapshotDirectory::open(
      {.path = dir, .prefix = "goroutine-", .suffix = ".txt", .retain_bytes = 250});
  ASSERT_TRUE(directory.has_value()) << directory.error().message;
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(directory->write(std::to_string(i), std::string(100, 'x')).has_value());
  }
  ASSERT_EQ(directory->files().size(), 2U);
  EXPECT_EQ(directory->files().back().filename(), "goroutine-4.txt");
  EXPECT_EQ(directory->total_bytes(), 200U);
  // One snapshot larger than the limit is kept all the same: it is the newest.
  ASSERT_TRUE(directory->write("5", std::string(300, 'y')).has_value());
  ASSERT_EQ(directory->files().size(), 1U);
  EXPECT_EQ(snapshot_files(dir).size(), 1U);
}

// A temporary file as a write killed between create and rename leaves it, `age` old.
fs::path interrupted_write(const fs::path& directory, const std::string& name,
                           std::chrono::seconds age) {
  fs::create_directories(directory);
  fs::path file = directory / name;
  std::ofstream(file) << "half a snapshot";
  fs::last_write_time(file, fs::file_time_type::clock::now() - age);
  return file;
}

TEST(WatchUnits, InterruptedWritesAreRemovedOnceNoWriterCanFinishThem) {
  fs::path dir = testing::temp_dir();
  fs::path stale = interrupted_write(dir, "goroutine-7.txt.tmp", std::chrono::hours(1));
  fs::path fresh = interrupted_write(dir, "goroutine-8.txt.tmp", std::chrono::seconds(0));
  fs::path foreign = interrupted_write(dir, "notes.txt.tmp", std::chrono::hours(1));
  fs::path other_suffix = interrupted_write(dir, "goroutine-9.pb.gz.tmp", std::chrono::hours(1));
  auto directory = SnapshotDirectory::open({.path = dir, .prefix = "goroutine-", .suffix = ".txt"});
  ASSERT_TRUE(directory.has_value()) << directory.error().message;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));  // its writer may still be running
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_TRUE(fs::exists(other_suffix));
  EXPECT_TRUE(directory->files().empty());
}

TEST(WatchStore, ANewRunRemovesWhatAKilledRunLeftHalfWritten) {
  ScriptedHttpServer server({{ScriptedHttpServer::Reply::kBody, real_dump()}});
  ASSERT_NE(server.port(), 0);
  std::string out = testing::temp_dir();
  fs::path target = fs::path(out) / target_directory(fmt::format("127.0.0.1:{}", server.port()));
  fs::path left = interrupted_write(target / "series-0001", "goroutine-000004.txt.tmp",
                                    std::chrono::minutes(5));
  auto run =
      testing::run_command(watch_command({server.url()}, out, {"--polls", "1"}), kRunTimeout);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(fs::exists(left));
  auto series = series_directories(target);
  ASSERT_EQ(series.size(), 2U);  // the killed run's series is kept; this run starts the next
  EXPECT_EQ(snapshot_files(series[1]).size(), 1U);
}

TEST(WatchLeakyService, LeakIsReportedWithinTheExpectedPolls) {
  LeakyService service;
  ASSERT_FALSE(service.address().empty()) << "leakyservice did not start";
  std::string out = testing::temp_dir();
  std::string config = testing::write_one_second_thresholds(out);
  // Load between polls, so that every snapshot holds more leaked fetches than the one before.
  std::atomic<bool> done{false};
  std::thread load([&] {
    for (int round = 0; round < 40 && !done; ++round) {
      service.leak_orders(5);
      std::this_thread::sleep_for(150ms);
    }
  });
  const std::string html = out + "/leaks.html";
  testing::ChildProcess watch(
      watch_command({service.base()}, out + "/watch",
                    {"--every", "300ms", "--polls", "12", "--config", config, "--html", html}));
  bool found = false;
  auto lines = read_until(watch, std::regex("poll [0-9]+: a cluster became a leak"), 200, found);
  std::vector<std::string> finding;
  for (int i = 0; found && i < 6; ++i) {
    if (auto line = watch.read_line(kLineTimeout)) finding.push_back(*line);
  }
  done = true;
  load.join();
  ASSERT_TRUE(found) << joined(lines) << watch.stderr_text();
  std::smatch poll;
  ASSERT_TRUE(std::regex_search(lines.back(), poll, std::regex("poll ([0-9]+):")));
  // Growth in every snapshot needs a few of them; one snapshot reads ids as a clock and may
  // already say so once the fetches are older than the one-second threshold.
  EXPECT_LE(std::stoi(poll[1]), 6) << joined(lines);
  // The text report's block for the cluster: verdict, site, creator, counts, cluster id.
  std::string block = joined(finding);
  EXPECT_TRUE(block.starts_with("LEAK ")) << block;
  EXPECT_NE(block.find("main.(*OrderService).fetchOrder"), std::string::npos) << block;
  EXPECT_NE(block.find("cluster "), std::string::npos) << block;
  // One status line per poll before it, each naming the poll and what was stored.
  EXPECT_GE(count_lines_with(joined(lines), " goroutines · "), 1U) << joined(lines);
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(kRunTimeout), 0) << watch.stderr_text();
  auto target = fs::path(out) / "watch" / target_directory(service.address());
  auto series = series_directories(target);
  ASSERT_EQ(series.size(), 1U) << target;
  expect_all_parse(snapshot_files(series[0]));
  // --html kept the page current: the last poll's report, the leak in its data.
  std::string page = testing::read_file(html);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>")) << page.substr(0, 200);
  EXPECT_NE(page.find("main.(*OrderService).fetchOrder"), std::string::npos);
  EXPECT_NE(page.find("\"verdict\":\"LEAK\""), std::string::npos);
}

// The C++ agent serves the same protocol: samples/cpp/order_service's fiber leak is found the
// same way.
TEST(WatchCppService, AgentFiberLeakIsReported) {
  testing::ChildProcess service({LEAKSCAN_ORDER_SERVICE, "--work-ms", "20", "--handler-timeout-ms",
                                 "5", "--poll-ms", "600000"});
  std::string agent;
  std::string api;
  for (int i = 0; i < 100 && (agent.empty() || api.empty()); ++i) {
    auto line = service.read_line(kLineTimeout);
    if (!line) break;
    if (line->starts_with("AGENT ")) agent = "http://" + line->substr(6);
    if (line->starts_with("LISTENING ")) api = "http://" + line->substr(10);
  }
  ASSERT_FALSE(agent.empty() || api.empty()) << service.stderr_text();
  std::atomic<bool> done{false};
  std::thread load([&] {
    for (int round = 0; round < 60 && !done; ++round) {
      for (int k = 0; k < 5; ++k) testing::http_status(api + "/api/orders");
      std::this_thread::sleep_for(150ms);
    }
  });
  // The agent symbolizes stacks on its first request: a generous timeout for that one.
  testing::ChildProcess watch(
      watch_command({agent}, testing::temp_dir(),
                    {"--every", "300ms", "--timeout", "20s", "--polls", "20", "--min-wait", "1s"}));
  bool found = false;
  auto lines = read_until(watch, std::regex("a cluster became a leak"), 200, found);
  std::vector<std::string> finding;
  for (int i = 0; found && i < 3; ++i) {
    if (auto line = watch.read_line(kLineTimeout)) finding.push_back(*line);
  }
  done = true;
  load.join();
  ASSERT_TRUE(found) << joined(lines) << watch.stderr_text();
  std::string block = joined(finding);
  EXPECT_TRUE(block.starts_with("LEAK ")) << block;
  EXPECT_NE(block.find("order_service::OrderService::fetch_from_backend"), std::string::npos)
      << block;
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(kRunTimeout), 0) << watch.stderr_text();
}

TEST(WatchLeakyService, FailAfterEndsTheWatchWhenALeakPersists) {
  LeakyService service;
  ASSERT_FALSE(service.address().empty()) << "leakyservice did not start";
  std::string out = testing::temp_dir();
  std::atomic<bool> done{false};
  std::thread load([&] {
    for (int round = 0; round < 100 && !done; ++round) {
      service.leak_orders(5);
      std::this_thread::sleep_for(150ms);
    }
  });
  auto run = testing::run_command(watch_command({service.base()}, out,
                                                {"--every", "200ms", "--polls", "100", "--min-wait",
                                                 "1s", "--fail-after", "1s"}),
                                  kRunTimeout);
  done = true;
  load.join();
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("main.(*OrderService).fetchOrder.func1"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--fail-after 1s"), std::string::npos) << run.err;
  // It ended on the leak, long before its hundred polls.
  EXPECT_EQ(run.out.find("poll 100:"), std::string::npos) << run.out;
}

// The bare address (debug=2, goroutine ids) and the profile URL `watch --help` shows (debug=0:
// no ids, only where the process maps its objects) both see the restart.
class WatchRestart : public ::testing::TestWithParam<std::string> {};

TEST_P(WatchRestart, ARestartStartsANewSeries) {
  auto first = std::make_unique<LeakyService>();
  ASSERT_FALSE(first->address().empty()) << "leakyservice did not start";
  std::string address = first->address();
  // Enough requests that the goroutine ids of the first process are far above a new one's.
  first->leak_orders(150);
  std::string out = testing::temp_dir();
  testing::ChildProcess watch(
      watch_command({first->base() + GetParam()}, out, {"--every", "200ms", "--polls", "40"}));
  bool found = false;
  auto before = read_until(watch, std::regex("poll 2: "), 50, found);
  ASSERT_TRUE(found) << joined(before) << watch.stderr_text();

  first->kill();
  first.reset();
  // Polls fail while nothing listens, then succeed again on the new process.
  std::this_thread::sleep_for(500ms);
  LeakyService second(address);
  ASSERT_EQ(second.address(), address) << "the port was not free again";
  auto after = read_until(watch, std::regex("the target restarted"), 100, found);
  ASSERT_TRUE(found) << joined(after) << watch.stderr_text();
  EXPECT_NE(joined(after).find("failed: "), std::string::npos) << joined(after);
  EXPECT_NE(after.back().find("new series 2"), std::string::npos) << after.back();
  auto next = read_until(watch, std::regex("goroutines · .* · series 2, 1 stored"), 20, found);
  EXPECT_TRUE(found) << joined(next);
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(kRunTimeout), 0) << watch.stderr_text();

  auto series = series_directories(fs::path(out) / target_directory(address));
  ASSERT_EQ(series.size(), 2U);
  for (const auto& directory : series) {
    auto files = snapshot_files(directory);
    EXPECT_FALSE(files.empty()) << directory;
    expect_all_parse(files);
  }
  if (GetParam().empty()) return;  // debug=2 read back: refused as two processes, by their ids
  // Read back together, the profiles of both processes are split, the older set aside.
  std::vector<std::string> argv = {testing::cli_path()};
  for (const auto& directory : series) {
    for (const auto& file : snapshot_files(directory)) argv.push_back(file.string());
  }
  testing::ChildProcess read_back(argv);
  EXPECT_TRUE(read_back.wait(kRunTimeout).has_value());
  EXPECT_NE(read_back.stderr_text().find("these snapshots hold more than one process"),
            std::string::npos)
      << read_back.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, WatchRestart,
                         ::testing::Values("", "/debug/pprof/goroutine"),
                         [](const auto& info) { return info.param.empty() ? "Debug2" : "Debug0"; });

// debug=1 names neither goroutine ids nor mappings: watch says at the start, and in the
// series it keeps, that it cannot see a restart.
TEST(WatchWithoutIdentity, ATargetThatCannotShowARestartIsSaidToBeSo) {
  LeakyService service;
  ASSERT_FALSE(service.address().empty()) << "leakyservice did not start";
  std::string out = testing::temp_dir();
  testing::ChildProcess watch(watch_command({service.base() + "/debug/pprof/goroutine?debug=1"},
                                            out, {"--every", "200ms", "--polls", "2"}));
  bool found = false;
  auto lines = read_until(watch, std::regex("restarts cannot be seen"), 20, found);
  EXPECT_TRUE(found) << joined(lines) << watch.stderr_text();
  EXPECT_EQ(watch.wait(kRunTimeout), 0) << watch.stderr_text();
  auto series = series_directories(fs::path(out) / target_directory(service.address()));
  ASSERT_EQ(series.size(), 1U);
  EXPECT_TRUE(fs::exists(series.front() / "RESTARTS-UNSEEN.txt"));
}

TEST(WatchHostileEndpoints, GarbageAndAHangAreSurvived) {
  std::string dump = real_dump();
  using Reply = ScriptedHttpServer::Reply;
  // A real dump, garbage, an empty body, then real dumps again.
  ScriptedHttpServer flaky({{Reply::kBody, dump},
                            {Reply::kBody, "<html>502 Bad Gateway</html>\n"},
                            {Reply::kBody, std::string()},
                            {Reply::kBody, dump}});
  // Hangs twice, then answers.
  ScriptedHttpServer hanging({{Reply::kHang, {}}, {Reply::kHang, {}}, {Reply::kBody, dump}});
  ASSERT_NE(flaky.port(), 0);
  ASSERT_NE(hanging.port(), 0);
  std::string out = testing::temp_dir();
  auto run = testing::run_command(
      watch_command({flaky.url(), hanging.url()}, out,
                    {"--every", "200ms", "--timeout", "300ms", "--polls", "6", "--report",
                     out + "/report.md", "--report-format", "markdown"}),
      kRunTimeout);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // Several targets, a report each, named after the target.
  for (uint16_t port : {flaky.port(), hanging.port()}) {
    std::string report = fmt::format("{}/report.127.0.0.1_{}.md", out, port);
    EXPECT_TRUE(fs::exists(report)) << report;
    EXPECT_NE(testing::read_file(report).find("goroutines"), std::string::npos) << report;
  }

  // Each failure is a line naming what was wrong; garbage is retried sooner, a timeout that
  // outlasted its interval by the next poll.
  EXPECT_NE(run.out.find("no goroutine found"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("empty input"), std::string::npos) << run.out;
  EXPECT_EQ(count_lines_with(run.out, "Timeout was reached"), 2U) << run.out;
  EXPECT_EQ(count_lines_with(run.out, "; retrying in "), 2U) << run.out;

  // Only what parsed was stored, and all of it is still there.
  auto flaky_series = series_directories(
      fs::path(out) / target_directory(fmt::format("127.0.0.1:{}", flaky.port())));
  ASSERT_EQ(flaky_series.size(), 1U) << run.out;
  auto flaky_files = snapshot_files(flaky_series[0]);
  // Poll 2 got garbage, then an empty body, and its second retry a dump: six polls, six files.
  EXPECT_EQ(flaky_files.size(), 6U) << run.out;
  expect_all_parse(flaky_files);
  auto hanging_series = series_directories(
      fs::path(out) / target_directory(fmt::format("127.0.0.1:{}", hanging.port())));
  ASSERT_EQ(hanging_series.size(), 1U) << run.out;
  auto hanging_files = snapshot_files(hanging_series[0]);
  // Polls 1 and 2 timed out past their interval, so were not retried.
  EXPECT_EQ(hanging_files.size(), 4U) << run.out;
  expect_all_parse(hanging_files);
  for (const auto& file : hanging_files) EXPECT_EQ(testing::read_file(file.string()), dump);
}

TEST(WatchHostileEndpoints, ATargetThatNeverAnswersIsAnError) {
  ScriptedHttpServer hanging({{ScriptedHttpServer::Reply::kHang, {}}});
  ASSERT_NE(hanging.port(), 0);
  auto run = testing::run_command(
      watch_command({hanging.url()}, testing::temp_dir(),
                    {"--every", "200ms", "--timeout", "200ms", "--polls", "2"}),
      kRunTimeout);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("no snapshot was stored"), std::string::npos) << run.err;
}

// Stored files are named by what the target answered, not by what its URL asked for: text from
// a URL without debug= is .txt, a gzipped profile from a debug=2 URL is .pb.gz.
TEST(WatchStore, FilesAreNamedByWhatTheTargetAnswered) {
  ScriptedHttpServer text({{ScriptedHttpServer::Reply::kBody, real_dump()}});
  ScriptedHttpServer profile(
      {{ScriptedHttpServer::Reply::kBody,
        testing::read_file(std::string(LEAKSCAN_SAMPLE_PROFILES) + "/leakyservice-1.pb.gz")}});
  std::string out = testing::temp_dir();
  auto run = testing::run_command(
      watch_command(
          {fmt::format("http://127.0.0.1:{}/debug/pprof/goroutine", text.port()), profile.url()},
          out, {"--every", "100ms", "--polls", "2"}),
      kRunTimeout);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto stored = [&](uint16_t port) {
    std::vector<std::string> names;
    for (const auto& series :
         series_directories(fs::path(out) / target_directory(fmt::format("127.0.0.1:{}", port)))) {
      for (const auto& entry : fs::directory_iterator(series)) {
        names.push_back(entry.path().filename().string());
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(stored(text.port()),
            (std::vector<std::string>{"goroutine-000001.txt", "goroutine-000002.txt"}));
  EXPECT_EQ(stored(profile.port()),
            (std::vector<std::string>{"goroutine-000001.pb.gz", "goroutine-000002.pb.gz"}));
}

TEST(WatchStore, RetentionByCountAndBytesHolds) {
  std::string dump = real_dump();
  ScriptedHttpServer server({{ScriptedHttpServer::Reply::kBody, dump}});
  ASSERT_NE(server.port(), 0);
  std::string out = testing::temp_dir();
  std::string report = out + "/report.json";
  auto by_count =
      testing::run_command(watch_command({server.url()}, out,
                                         {"--every", "100ms", "--polls", "7", "--retain", "3",
                                          "--report", report, "--report-format", "json"}),
                           kRunTimeout);
  ASSERT_EQ(by_count.exit_code, 0) << by_count.out << by_count.err;
  // A second run into the same directory starts a series of its own.
  auto by_bytes =
      testing::run_command(watch_command({server.url()}, out,
                                         {"--every", "100ms", "--polls", "5", "--retain", "0",
                                          "--retain-bytes", std::to_string(dump.size() * 5 / 2)}),
                           kRunTimeout);
  ASSERT_EQ(by_bytes.exit_code, 0) << by_bytes.out << by_bytes.err;

  auto series = series_directories(fs::path(out) /
                                   target_directory(fmt::format("127.0.0.1:{}", server.port())));
  ASSERT_EQ(series.size(), 2U);
  auto kept = snapshot_files(series[0]);
  ASSERT_EQ(kept.size(), 3U);
  EXPECT_EQ(kept.front().filename(), "goroutine-000005.txt");
  EXPECT_EQ(kept.back().filename(), "goroutine-000007.txt");
  expect_all_parse(kept);
  kept = snapshot_files(series[1]);
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept.back().filename(), "goroutine-000005.txt");

  // The report file holds the last poll's analysis, whole.
  report::Report parsed;
  auto status = google::protobuf::util::JsonStringToMessage(testing::read_file(report), &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_GT(parsed.summary().goroutines(), 0);
  EXPECT_EQ(parsed.snapshots_size(), 3);  // the window: the series' snapshots so far, up to 10
}

TEST(WatchStore, KillNineDuringWritesLeavesNoHalfSnapshot) {
  // A large body (a real dump many times over: a log of dumps) makes each write take a while.
  std::string dump = real_dump();
  std::string large;
  for (int i = 0; i < 50; ++i) large += dump;
  ScriptedHttpServer server({{ScriptedHttpServer::Reply::kBody, large}});
  ASSERT_NE(server.port(), 0);
  std::string out = testing::temp_dir();
  constexpr int kAttempts = 10;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    testing::ChildProcess watch(
        watch_command({server.url()}, out, {"--every", "10ms", "--window", "1", "--retain", "4"}));
    bool found = false;
    auto lines =
        read_until(watch, std::regex(fmt::format("poll {}: ", 2 + attempt % 3)), 50, found);
    ASSERT_TRUE(found) << joined(lines) << watch.stderr_text();
    // Polls follow each other at once; a delay that differs per attempt lands the kill at a
    // different step of one (fetch, parse, write, fsync, rename).
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * attempt));
    watch.signal(SIGKILL);
    ASSERT_TRUE(watch.wait(kRunTimeout).has_value());
  }
  auto series = series_directories(fs::path(out) /
                                   target_directory(fmt::format("127.0.0.1:{}", server.port())));
  ASSERT_EQ(series.size(), static_cast<size_t>(kAttempts));
  size_t files = 0;
  size_t interrupted = 0;  // writes the kill cut short: left under their temporary name only
  for (const auto& directory : series) {
    auto stored = snapshot_files(directory);
    files += stored.size();
    for (const auto& file : stored) EXPECT_EQ(fs::file_size(file), large.size()) << file;
    expect_all_parse(stored);
    for (const auto& entry : fs::directory_iterator(directory)) {
      interrupted += entry.path().extension() == ".tmp" ? 1 : 0;
    }
  }
  EXPECT_GE(files, static_cast<size_t>(kAttempts));
  RecordProperty("interrupted_writes", static_cast<int>(interrupted));
}

}  // namespace
}  // namespace leakscan
