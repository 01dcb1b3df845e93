// Go execution traces as leakscan's input (issue 26): samples/go/leakyservice, built by Go 1.26
// and Go 1.27, serves /debug/pprof/trace?seconds=2 while under load, and leakscan reads the
// trace, from a file and from the URL, through leakscan-gotrace. Its LEAK and SUSPECT clusters
// must block where those of a debug=2 dump taken right after do; goroutines born in the window
// carry a measured creation time and their creation stack. Broken and wrong inputs, and a Go
// 1.19 trace (the format before Go 1.22), are one-line errors naming the input.
#include <curl/curl.h>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/load_client.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using testing::LoadClient;
using testing::parse_report;
using testing::run_command;

constexpr int kRequests = 5;  // per seeded route and round
constexpr auto kWork = 20ms;  // leakyservice's -work: /api/orders leaks once it has passed
constexpr int kTraceSeconds = 2;

struct Seeded {
  std::string top;    // the topmost package-main frame
  std::string route;  // the route that leaks one per request
};

// "SEEDED timeout-race main.(*OrderService).fetchOrder.func1 main.(*OrderService).fetchOrder
// /api/orders chan_send"
std::optional<Seeded> parse_seeded(const std::string& line) {
  std::istringstream in(line);
  std::string tag, kind, top, creator, route;
  if (!(in >> tag >> kind >> top >> creator >> route) || tag != "SEEDED") return std::nullopt;
  return Seeded{top, route};
}

// The benign goroutines leakyservice starts at start-up ("BENIGN worker-pool
// main.(*OrderService).worker main.newOrderService - chan_receive"): their top functions.
std::optional<std::string> parse_started_at_startup(const std::string& line) {
  std::istringstream in(line);
  std::string tag, kind, top, creator;
  if (!(in >> tag >> kind >> top >> creator) || tag != "BENIGN") return std::nullopt;
  if (creator != "main.main" && creator != "main.newOrderService") return std::nullopt;
  return top;
}

std::set<std::string> reported_blocked_at(const report::Report& report) {
  std::set<std::string> out;
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::LEAK || cluster.verdict() == report::SUSPECT) {
      out.insert(cluster.blocked_at().function());
    }
  }
  return out;
}

std::string gotrace_path() {
  return (std::filesystem::path(testing::cli_path()).parent_path() / "leakscan-gotrace").string();
}

// leakyservice built by one toolchain: started, loaded, traced and dumped once per suite.
class ServiceUnderTrace {
 public:
  explicit ServiceUnderTrace(std::string version) : version_(std::move(version)) {}

  // Starts it, loads every seeded route once, then traces kTraceSeconds while loading them
  // again; the dump follows the trace. False (with failures added) if any step failed.
  bool capture() {
    service_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        testing::go_bin(version_, "leakyservice"), "-work", fmt::format("{}ms", kWork.count()),
        "-handler-timeout", "5ms", "-poll", "10m"});
    for (int i = 0; i < 100 && address_.empty(); ++i) {
      auto line = service_->read_line(30s);
      if (!line) break;
      if (line->starts_with("LISTENING ")) address_ = line->substr(10);
      if (auto seeded = parse_seeded(*line)) seeded_.push_back(*seeded);
      if (auto top = parse_started_at_startup(*line)) startup_.insert(*top);
    }
    EXPECT_TRUE(address_.starts_with("127.0.0.1:")) << address_ << service_->stderr_text();
    EXPECT_EQ(seeded_.size(), 8u);
    if (!address_.starts_with("127.0.0.1:") || seeded_.empty()) return false;
    base_ = "http://" + address_;
    dir_ = testing::temp_dir();
    if (!load()) return false;

    auto traced = std::async(std::launch::async, [this] {
      return testing::http_get(trace_url(), std::chrono::seconds(kTraceSeconds + 30));
    });
    // Early in the window, so that the goroutines born in it wait past the 1 s threshold.
    std::this_thread::sleep_for(200ms);
    bool loaded = load();
    auto trace = traced.get();
    EXPECT_TRUE(trace.has_value());
    if (!loaded || !trace) return false;
    trace_ = dir_ + "/trace.out";
    testing::write_file(trace_, *trace);
    auto dump = testing::http_get(base_ + "/debug/pprof/goroutine?debug=2", 30s);
    EXPECT_TRUE(dump.has_value());
    if (!dump) return false;
    debug2_ = dir_ + "/debug2.txt";
    testing::write_file(debug2_, *dump);
    config_ = testing::write_one_second_thresholds(dir_);
    return true;
  }

  std::string trace_url() const {
    return fmt::format("{}/debug/pprof/trace?seconds={}", base_, kTraceSeconds);
  }
  bool load() {
    LoadClient client;
    for (const auto& seeded : seeded_) {
      for (int k = 0; k < kRequests; ++k) {
        long status = client.get(base_ + seeded.route);
        EXPECT_GE(status, 200) << seeded.route;
        if (status < 200) return false;
      }
    }
    std::this_thread::sleep_for(10 * kWork + 100ms);
    return true;
  }

  std::string version_, address_, base_, dir_, trace_, debug2_, config_;
  std::vector<Seeded> seeded_;
  std::set<std::string> startup_;
  std::unique_ptr<testing::ChildProcess> service_;  // killed by its destructor
};

testing::CommandResult leakscan(std::vector<std::string> args) {
  args.insert(args.begin(), testing::cli_path());
  return run_command(args, 120s);
}

// The trace's JSON report under the test's one-second thresholds.
report::Report traced_report(const ServiceUnderTrace& s) {
  auto traced = leakscan({s.trace_, "--format", "json", "--config", s.config_});
  EXPECT_EQ(traced.exit_code, 0) << traced.err;
  return parse_report(traced.out);
}

class GoTrace : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { services_.clear(); }

  ServiceUnderTrace& service() {
    auto& slot = services_[GetParam()];
    if (!slot) {
      slot = std::make_unique<ServiceUnderTrace>(GetParam());
      if (!slot->capture()) slot->trace_.clear();
    }
    return *slot;
  }

  static inline std::map<std::string, std::unique_ptr<ServiceUnderTrace>> services_;
};

TEST_P(GoTrace, FindsTheLeaksADebug2DumpOfTheSameProcessShows) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  ASSERT_TRUE(testing::read_file(s.trace_).starts_with("go 1.")) << "not a trace";

  auto traced = leakscan({s.trace_, "--format", "json", "--config", s.config_});
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  auto dumped = leakscan({s.debug2_, "--format", "json", "--config", s.config_});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  report::Report from_trace = parse_report(traced.out);
  report::Report from_dump = parse_report(dumped.out);
  ASSERT_EQ(from_trace.snapshots_size(), 1);
  EXPECT_EQ(from_trace.snapshots(0).source(), s.trace_);

  std::set<std::string> trace_sites = reported_blocked_at(from_trace);
  std::set<std::string> dump_sites = reported_blocked_at(from_dump);
  for (const auto& seeded : s.seeded_) {
    EXPECT_TRUE(trace_sites.contains(seeded.top)) << seeded.top << " not found in the trace";
    EXPECT_TRUE(dump_sites.contains(seeded.top)) << seeded.top << " not found in the dump";
  }
  // Everything the dump reports, the trace reports, and no more but for one difference: the
  // trace measures waits. Goroutines started at start-up (a worker pool, a signal loop) were
  // there before the window, so carry no creation site, and blocked through it they are past
  // the test's 1 s threshold, where the dump, which prints no wait under a minute, lets them be.
  ASSERT_EQ(s.startup_.size(), 3u) << "leakyservice's manifest changed";
  for (const auto& site : dump_sites) {
    EXPECT_TRUE(trace_sites.contains(site)) << site << " reported from the dump, not the trace";
  }
  for (const auto& site : trace_sites) {
    if (!dump_sites.contains(site)) {
      EXPECT_TRUE(s.startup_.contains(site)) << site << " reported from the trace only";
    }
  }
}

// As `go tool trace` takes it, and as a proxy may serve it: gzipped, read the same.
TEST_P(GoTrace, ReadsAGzippedTraceAsThePlainOne) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  auto gzipped = run_command({"gzip", "-c", s.trace_}, 60s);
  ASSERT_EQ(gzipped.exit_code, 0) << gzipped.err;
  ASSERT_TRUE(gzipped.out.starts_with("\x1f\x8b"));
  std::string path = s.dir_ + "/trace.out.gz";
  testing::write_file(path, gzipped.out);
  auto plain = leakscan({s.trace_, "--format", "json", "--config", s.config_});
  auto zipped = leakscan({path, "--format", "json", "--config", s.config_});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  report::Report from_plain = parse_report(plain.out);
  report::Report from_zipped = parse_report(zipped.out);
  EXPECT_EQ(from_zipped.snapshots(0).goroutines(), from_plain.snapshots(0).goroutines());
  EXPECT_EQ(reported_blocked_at(from_zipped), reported_blocked_at(from_plain));
  EXPECT_EQ(from_zipped.clusters_size(), from_plain.clusters_size());
}

// `curl .../debug/pprof/trace?seconds=5 | leakscan -`: standard input is sniffed once.
TEST_P(GoTrace, ReadsATraceOnStandardInput) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  auto from_file = leakscan({s.trace_, "--format", "json", "--config", s.config_});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  auto from_stdin =
      run_command({testing::cli_path(), "-", "--format", "json", "--config", s.config_}, 120s,
                  testing::read_file(s.trace_));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  report::Report file_report = parse_report(from_file.out);
  report::Report stdin_report = parse_report(from_stdin.out);
  EXPECT_EQ(stdin_report.snapshots(0).source(), "<stdin>");
  EXPECT_EQ(stdin_report.snapshots(0).goroutines(), file_report.snapshots(0).goroutines());
  EXPECT_EQ(reported_blocked_at(stdin_report), reported_blocked_at(file_report));
  // A dump on standard input still reads as before.
  auto dump = run_command({testing::cli_path(), "-", "--format", "json"}, 120s,
                          testing::read_file(s.debug2_));
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(parse_report(dump.out).snapshots(0).format(), "debug=2");
}

// Each seeded route leaked one goroutine per request in the window: their clusters carry a
// measured creation, and count their creation site's births (all still there, none ended), as
// `leakscan trace` counts a site's.
TEST_P(GoTrace, GoroutinesBornInTheWindowCarryAMeasuredCreation) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  report::Report report = traced_report(s);
  std::set<std::string> measured;
  std::set<std::string> counted;
  for (const auto& cluster : report.clusters()) {
    if (cluster.created_by().function().empty()) {  // there before the window
      EXPECT_FALSE(cluster.has_window_turnover()) << cluster.blocked_at().function();
      continue;
    }
    SCOPED_TRACE(cluster.blocked_at().function());
    EXPECT_EQ(cluster.oldest().created_at_precision(), "measured");
    EXPECT_FALSE(cluster.oldest().created_at().empty());
    ASSERT_GT(cluster.creation_stack_size(), 0);
    // The creation stack starts at the go statement, in the creator.
    EXPECT_EQ(cluster.creation_stack(0).function(), cluster.created_by().function());
    measured.insert(cluster.blocked_at().function());

    ASSERT_TRUE(cluster.has_window_turnover());
    const auto& site = cluster.window_turnover();
    EXPECT_EQ(site.window_nanos(), report.snapshots(0).trace_window_nanos());
    EXPECT_GE(site.born(), site.died());
    if (cluster.verdict() == report::EXPECTED) continue;
    EXPECT_GE(site.born(), kRequests);
    EXPECT_EQ(site.died(), 0);
    EXPECT_EQ(site.born(), cluster.count());
    counted.insert(cluster.blocked_at().function());
  }
  for (const auto& seeded : s.seeded_) {
    EXPECT_TRUE(measured.contains(seeded.top)) << seeded.top << ": no cluster born in the window";
    EXPECT_TRUE(counted.contains(seeded.top)) << seeded.top << ": no births counted";
  }
  auto text = leakscan({s.trace_, "--config", s.config_, "--color", "never"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(fmt::format("its creation site +{} born, 0 died in the ", kRequests)),
            std::string::npos)
      << text.out;
}

TEST_P(GoTrace, ReadsTheTraceFromItsUrl) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  auto result = leakscan({s.trace_url(), "--format", "json", "--config", s.config_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  report::Report report = parse_report(result.out);
  ASSERT_EQ(report.snapshots_size(), 1);
  EXPECT_EQ(report.snapshots(0).source(), s.trace_url());
  // Every seeded leak was there when the window began: blocked the whole window, past 1 s.
  std::set<std::string> sites = reported_blocked_at(report);
  for (const auto& seeded : s.seeded_) EXPECT_TRUE(sites.contains(seeded.top)) << seeded.top;
}

// The header says the snapshot is a trace's window, how long and ending when; JSON too.
TEST_P(GoTrace, TheReportStatesTheTracesWindow) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  auto text = leakscan({s.trace_, "--config", s.config_, "--color", "never"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::string first = text.out.substr(0, text.out.find('\n'));
  EXPECT_TRUE(first.starts_with(s.trace_ + ": ")) << first;
  EXPECT_NE(first.find(" goroutines (Go execution trace, "), std::string::npos) << first;
  EXPECT_NE(first.find("s window ending 20"), std::string::npos) << first;
  EXPECT_TRUE(first.ends_with("Z)")) << first;

  auto json = leakscan({s.trace_, "--format", "json", "--config", s.config_});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const report::Report report = parse_report(json.out);
  ASSERT_EQ(report.snapshots_size(), 1);
  const auto& snapshot = report.snapshots(0);
  EXPECT_TRUE(snapshot.reason().starts_with("Go execution trace, ")) << snapshot.reason();
  EXPECT_GE(snapshot.trace_window_nanos(), kTraceSeconds * 900'000'000LL);
  EXPECT_LE(snapshot.trace_window_nanos(), kTraceSeconds * 2'000'000'000LL);
  EXPECT_GT(snapshot.captured_at_unix_nanos(), 0);
  // A dump is no window.
  auto dumped = leakscan({s.debug2_, "--format", "json", "--config", s.config_});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  EXPECT_EQ(parse_report(dumped.out).snapshots(0).trace_window_nanos(), 0);
}

// `leakscan http://HOST:PORT --trace-window 2s`: the debug=2 dump, then the trace; the trace's
// goroutines there before its window take their creators from the dump, so that each seeded
// leak is one cluster in both snapshots.
TEST_P(GoTrace, APlainUrlWithATraceWindowReadsTheDumpThenTheTrace) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  auto result = leakscan({s.base_, "--trace-window", fmt::format("{}s", kTraceSeconds), "--format",
                          "json", "--config", s.config_});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  report::Report report = parse_report(result.out);
  ASSERT_EQ(report.snapshots_size(), 2);
  EXPECT_EQ(report.snapshots(0).source(), s.base_ + "/debug/pprof/goroutine?debug=2");
  EXPECT_EQ(report.snapshots(0).format(), "debug=2");
  EXPECT_EQ(report.snapshots(1).source(), s.trace_url());
  EXPECT_GT(report.snapshots(1).trace_window_nanos(), 0);
  std::set<std::string> both;
  for (const auto& cluster : report.clusters()) {
    ASSERT_EQ(cluster.count_per_snapshot_size(), 2);
    // Load stopped before the dump: a seeded leak's count holds, and its creator is named.
    if (!cluster.created_by().function().empty() && cluster.count_per_snapshot(0) > 0 &&
        cluster.count_per_snapshot(0) == cluster.count_per_snapshot(1)) {
      both.insert(cluster.blocked_at().function());
    }
  }
  for (const auto& seeded : s.seeded_) EXPECT_TRUE(both.contains(seeded.top)) << seeded.top;

  // Only a plain URL has a dump and a trace to fetch.
  auto refused = leakscan({s.debug2_, "--trace-window", "2s"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--trace-window 2s: give a plain http://HOST:PORT"), std::string::npos)
      << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
}

// leakyservice's seeded leaks are woken by nothing: each reported cluster born before the
// window says so, and that a quiet window proves little.
TEST_P(GoTrace, AQuietWindowIsSaidAndProvesLittle) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  report::Report report = traced_report(s);
  int quiet = 0;
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() != "main.(*OrderService).syncInventory") continue;
    for (const auto& reason : cluster.reasons()) {
      if (reason.starts_with("no goroutine blocked here was woken in the ")) ++quiet;
    }
    EXPECT_NE(cluster.verdict(), report::EXPECTED);
  }
  EXPECT_GE(quiet, 1) << report.ShortDebugString().substr(0, 4000);
}

// tests/go/wakepool: a pool's workers woken job after job and orphans blocked on the same line
// for good. The orphans' cluster stays blocked through the window while the site's wakes are
// counted.
TEST_P(GoTrace, StuckWhereOthersWereWokenIsEvidence) {
  std::string dir = testing::temp_dir();
  std::string trace = dir + "/wakepool.trace";
  auto ran = run_command({testing::go_bin(GetParam(), "wakepool"), "-o", trace}, 60s);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  ASSERT_NE(ran.out.find("TRACED " + trace), std::string::npos) << ran.out;
  std::string config = testing::write_one_second_thresholds(dir);
  auto result = leakscan({trace, "--format", "json", "--config", config});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  report::Report report = parse_report(result.out);
  const report::Cluster* orphans = nullptr;
  std::string words;
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() != "main.worker") continue;
    for (const auto& reason : cluster.reasons()) {
      if (reason.find("stayed blocked for the whole ") != std::string::npos &&
          reason.find(" goroutines blocked at the same site were woken") != std::string::npos) {
        orphans = &cluster;
        words = reason;
      }
    }
  }
  ASSERT_NE(orphans, nullptr) << result.out.substr(0, 4000);
  EXPECT_EQ(orphans->verdict(), report::LEAK) << words;
  // The 30 orphans at least, blocked through the window; the pool's hundreds of wakes.
  EXPECT_GE(orphans->count(), 30) << words;
  auto woken_at = words.find(" while ");
  ASSERT_NE(woken_at, std::string::npos) << words;
  std::string number = words.substr(woken_at + 7, words.find(' ', woken_at + 7) - woken_at - 7);
  number.erase(std::remove(number.begin(), number.end(), ','), number.end());
  EXPECT_GE(std::stoll(number), 100) << words;
  // Who woke the others: the short-lived senders, whose send is the wake (wake edges).
  EXPECT_NE(words.find(" were woken ("), std::string::npos) << words;
  EXPECT_NE(words.find(" times by main.main.func1.1 at "), std::string::npos) << words;
  EXPECT_TRUE(words.ends_with(")")) << words;
}

// A site's last wake, and whether its wakers are gone, as times inside the window: "the last
// at T" (RFC 3339, to the millisecond), then "every goroutine that woke one here has ended
// since, the last at T".
std::optional<int64_t> time_after(const std::string& words, std::string_view before) {
  auto at = words.find(before);
  if (at == std::string::npos) return std::nullopt;
  std::tm tm{};
  const std::string text = words.substr(at + before.size(), 24);
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int millis = 0;
  if (std::sscanf(rest, ".%3dZ", &millis) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000 + millis * 1'000'000LL;
}

// The pool's feeding stops a second into the window: every short-lived sender that woke a
// worker ends inside it, and the orphans' reason says when the site was last woken and that its
// wakers are gone. Fed to the window's end, the last wake is at its end.
TEST_P(GoTrace, TheSitesLastWakeAndItsEndedWakersAreDated) {
  std::string dir = testing::temp_dir();
  std::string config = testing::write_one_second_thresholds(dir);
  for (const bool stops : {true, false}) {
    SCOPED_TRACE(stops ? "feeding stops 1s in" : "fed to the end");
    std::string trace = dir + "/wakepool.trace";
    std::vector<std::string> argv{testing::go_bin(GetParam(), "wakepool"), "-o", trace, "-window",
                                  "2s"};
    if (stops) argv.insert(argv.end(), {"-feed-for", "1s"});
    auto ran = run_command(argv, 60s);
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    auto result = leakscan({trace, "--format", "json", "--config", config});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    report::Report report = parse_report(result.out);
    ASSERT_EQ(report.snapshots_size(), 1);
    const int64_t end = report.snapshots(0).captured_at_unix_nanos();
    const int64_t start = end - report.snapshots(0).trace_window_nanos();
    std::string words;
    for (const auto& cluster : report.clusters()) {
      if (cluster.blocked_at().function() != "main.worker") continue;
      for (const auto& reason : cluster.reasons()) {
        if (reason.find("stayed blocked for the whole ") != std::string::npos) words = reason;
      }
    }
    auto last_woken = time_after(words, "; the last at ");
    ASSERT_TRUE(last_woken.has_value()) << words << "\n" << result.out.substr(0, 4000);
    EXPECT_GE(*last_woken, start) << words;
    EXPECT_LE(*last_woken, end) << words;
    auto wakers_ended = time_after(words,
                                   "; every goroutine that woke one here has ended since, "
                                   "the last at ");
    if (stops) {
      // About a second in; the senders end right after their send.
      EXPECT_LE(*last_woken, start + 1'500'000'000) << words;
      ASSERT_TRUE(wakers_ended.has_value()) << words;
      EXPECT_GE(*wakers_ended, *last_woken) << words;
      EXPECT_LE(*wakers_ended, *last_woken + 100'000'000) << words;
    } else {
      EXPECT_GE(*last_woken, end - 500'000'000) << words;
    }
  }
}

TEST_P(GoTrace, BrokenAndWrongInputsAreOneLineErrorsNamingTheFile) {
  auto& s = service();
  ASSERT_FALSE(s.trace_.empty()) << "capture failed";
  std::string bytes = testing::read_file(s.trace_);
  ASSERT_GT(bytes.size(), 4096u);
  std::string truncated = s.dir_ + "/truncated.out";
  testing::write_file(truncated, bytes.substr(0, bytes.size() / 2));
  auto cpu = testing::http_get(s.base_ + "/debug/pprof/profile?seconds=1", 30s);
  ASSERT_TRUE(cpu.has_value());
  std::string cpu_path = s.dir_ + "/cpu.pb.gz";
  testing::write_file(cpu_path, *cpu);
  for (const auto& path : {truncated, cpu_path}) {
    SCOPED_TRACE(path);
    auto result = leakscan({path});
    EXPECT_EQ(result.exit_code, 2) << result.out;
    EXPECT_NE(result.err.find(path), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
  EXPECT_NE(leakscan({truncated}).err.find("truncated or corrupt trace"), std::string::npos);

  // No helper: what to build.
  auto missing = run_command({testing::cli_path(), s.trace_}, 60s, {},
                             {"LEAKSCAN_GOTRACE=" + s.dir_ + "/no-such-helper"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("leakscan_gotrace"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
}

INSTANTIATE_TEST_SUITE_P(Versions, GoTrace, ::testing::Values("go1.26", "go1.27"),
                         [](const auto& info) {
                           std::string name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '.'), name.end());
                           return name;
                         });

// Go 1.19 writes the format before Go 1.22: refused by its version, by leakscan and the helper.
TEST(GoTraceGo119, AnOlderTraceIsRefusedNamingItsVersion) {
  ServiceUnderTrace s("go1.19");
  s.service_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{testing::go_bin("go1.19", "leakyservice")});
  for (int i = 0; i < 100 && s.address_.empty(); ++i) {
    auto line = s.service_->read_line(30s);
    if (!line) break;
    if (line->starts_with("LISTENING ")) s.address_ = line->substr(10);
  }
  ASSERT_TRUE(s.address_.starts_with("127.0.0.1:")) << s.service_->stderr_text();
  s.base_ = "http://" + s.address_;
  auto trace = testing::http_get(fmt::format("{}/debug/pprof/trace?seconds=1", s.base_), 30s);
  ASSERT_TRUE(trace.has_value());
  ASSERT_TRUE(trace->starts_with(std::string("go 1.19 trace\0\0\0", 16))) << trace->substr(0, 16);
  std::string path = testing::temp_dir() + "/go119.trace";
  testing::write_file(path, *trace);
  auto result = leakscan({path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(path + ": a Go 1.19 execution trace"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  auto helper = run_command({gotrace_path(), path}, 60s);
  EXPECT_EQ(helper.exit_code, 1);
  EXPECT_NE(helper.err.find("a Go 1.19 execution trace"), std::string::npos) << helper.err;
}

}  // namespace
}  // namespace leakscan
