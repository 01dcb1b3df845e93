// Ground truth for the C++ agent, end to end: samples/cpp/order_service serves an order API on
// 127.0.0.1 from Boost.Fiber (two fiber threads, leakscan's tracking scheduler) with seeded
// fiber leaks and benign look-alikes, described by the manifest it prints. Under bounded load
// (3 rounds, every seeded route hit kRequests times each, one long-poll in flight) its agent
// endpoint is captured as debug=0 and debug=2 once each round has settled. The agent's three
// debug levels, `go tool pprof`, the library and the leakscan command must each see every seeded
// population with its wait reason, creation site and labels, and call no benign one a leak; the
// periodic snapshots and the signal dump must read back the same.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/pipeline.h"
#include "analyzer/readers/read_snapshots.h"
#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/load_client.h"
#include "tests/support/loopback_connection.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using testing::parse_report;
using testing::run_command;

constexpr int kRounds = 3;
constexpr int kRequests = 5;  // per seeded route and round
// order_service's flags: an /api/orders fetch takes 20ms and is given up on after 5ms; a
// long-poll outlives the test.
const std::vector<std::string> kServiceFlags{"--work-ms", "20",        "--handler-timeout-ms",
                                             "5",         "--poll-ms", "600000"};
constexpr auto kSettleTimeout = 30s;  // for the fibers a round of load leaves behind
constexpr std::string_view kSourceFile = "samples/cpp/order_service.cc";

// "SEEDED timeout-race order_service::OrderService::fetch_from_backend
// order_service::OrderService::fetch_order /api/orders chan_send http.route=/api/orders 1"
struct Population {
  bool seeded = false;
  std::string kind;
  std::string blocked_at;  // "-" for a fiber that ended
  std::string created_by;
  std::string route;  // "-" for none
  std::string wait;   // the agent's wait reason, or "sleeping" / "exited"
  std::string label_key;
  std::string label_value;  // both empty for "-"
  int64_t count = 0;        // SEEDED: per request; BENIGN: in all

  bool exited() const { return wait == "exited"; }
  // What the analysis calls it: a sleeping fiber's frames say Go's "sleep".
  std::string operation() const { return sleeping() ? "sleep" : wait; }
  bool sleeping() const { return wait == "sleeping"; }
  ThreadState state() const {
    if (exited()) return ThreadState::kExited;
    return sleeping() ? ThreadState::kSleeping : ThreadState::kWaiting;
  }
  int64_t expected(int round) const { return seeded ? count * round * kRequests : count; }
};

std::optional<Population> parse_manifest(const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  std::string labels;
  Population p;
  if (!(in >> tag >> p.kind >> p.blocked_at >> p.created_by >> p.route >> p.wait >> labels >>
        p.count)) {
    return std::nullopt;
  }
  if (tag != "SEEDED" && tag != "BENIGN") return std::nullopt;
  p.seeded = tag == "SEEDED";
  if (p.created_by == "-") p.created_by.clear();  // a thread's main fiber
  std::replace(p.wait.begin(), p.wait.end(), '_', ' ');
  if (labels != "-") {
    size_t equals = labels.find('=');
    p.label_key = labels.substr(0, equals);
    p.label_value = labels.substr(equals + 1);
  }
  return p;
}

std::string_view first_user_function(const Snapshot& snapshot, Stack stack) {
  for (FrameId id : stack) {
    if (is_user_function(snapshot.frame(id).function)) return snapshot.frame(id).function;
  }
  return {};
}

std::string_view creator_function(const Snapshot& snapshot, const GreenThread& thread) {
  return thread.created_by == kNoFrame ? std::string_view{}
                                       : snapshot.frame(thread.created_by).function;
}

// A fiber that ended has no stack: it is known by its creator.
bool belongs(const Snapshot& snapshot, const GreenThread& thread, const Population& p) {
  if (p.exited()) {
    return thread.state == ThreadState::kExited &&
           creator_function(snapshot, thread) == p.created_by;
  }
  return thread.state != ThreadState::kExited &&
         first_user_function(snapshot, thread.stack) == p.blocked_at &&
         creator_function(snapshot, thread) == p.created_by;
}

// Where the manifest says it ends up: a fetch still sleeping out its backend call is not yet
// blocked on its send.
bool settled(const Snapshot& snapshot, const GreenThread& thread, const Population& p) {
  return belongs(snapshot, thread, p) && thread.state == p.state() &&
         (p.state() != ThreadState::kWaiting || thread.wait_reason == p.wait);
}

std::vector<const GreenThread*> members(const Snapshot& snapshot, const Population& p) {
  std::vector<const GreenThread*> out;
  for (const auto& thread : snapshot.threads) {
    if (belongs(snapshot, thread, p)) out.push_back(&thread);
  }
  return out;
}

std::optional<std::string_view> label(const GreenThread& thread, std::string_view key) {
  for (const auto& l : thread.labels) {
    if (l.key == key) return l.str;
  }
  return std::nullopt;
}

// One snapshot of the bytes, or a failure naming `what`.
std::optional<Snapshot> read_one(const std::string& bytes, const std::string& what) {
  auto read = read_snapshots_from_memory(bytes, what);
  EXPECT_TRUE(read.has_value()) << what << ": " << (read ? "" : read.error().message);
  if (!read) return std::nullopt;
  EXPECT_EQ(read->size(), 1u) << what;
  if (read->size() != 1) return std::nullopt;
  return std::move(read->front());
}

bool reported(report::Verdict verdict) {
  return verdict == report::LEAK || verdict == report::SUSPECT;
}

bool has_label_anchor(const report::Cluster& cluster, const std::string& name) {
  return std::any_of(cluster.anchors().begin(), cluster.anchors().end(), [&](const auto& a) {
    return a.kind() == "label" && (name.empty() || a.name() == name);
  });
}

bool matches(const report::Cluster& cluster, const Population& p) {
  return cluster.blocked_at().function() == p.blocked_at &&
         cluster.created_by().function() == p.created_by;
}

// Snapshots taken mid-round also hold fibers on their way to their blocking point (a fetch
// still sleeping out its backend call): a cluster of their own, with another operation.
bool matches_settled(const report::Cluster& cluster, const Population& p) {
  return matches(cluster, p) && cluster.blocking_operation() == p.operation();
}

// The agent's periodic snapshots in `dir`, oldest first (goroutine-<unix ms>.pb.gz).
std::vector<std::string> periodic_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string name = entry.path().filename();
    if (name.starts_with("goroutine-") && name.ends_with(".pb.gz")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::chrono::system_clock::time_point taken_at(const std::string& periodic_file) {
  std::string name = std::filesystem::path(periodic_file).filename();
  auto ms = std::stoll(name.substr(10, name.size() - 16));
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

class CppOrderService : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::temp_dir();
    periodic_dir_ = dir_ + "/periodic";
    dump_path_ = dir_ + "/dump.txt";
    std::vector<std::string> argv{LEAKSCAN_ORDER_SERVICE};
    argv.insert(argv.end(), kServiceFlags.begin(), kServiceFlags.end());
    argv.insert(argv.end(),
                {"--snapshot-dir", periodic_dir_, "--snapshot-every-ms", "200", "--snapshot-retain",
                 "100000", "--dump-signal", std::to_string(SIGUSR2), "--dump-path", dump_path_});
    service_ = std::make_unique<testing::ChildProcess>(argv);
    std::string listening;
    for (int i = 0; i < 100 && listening.empty(); ++i) {
      auto line = service_->read_line(30s);
      ASSERT_TRUE(line.has_value()) << "no LISTENING line: " << service_->stderr_text();
      if (line->starts_with("AGENT ")) agent_ = "http://" + line->substr(6);
      if (line->starts_with("LISTENING ")) listening = line->substr(10);
      if (auto population = parse_manifest(*line)) populations_.push_back(*population);
    }
    ASSERT_TRUE(listening.starts_with("127.0.0.1:")) << listening;
    ASSERT_TRUE(agent_.starts_with("http://127.0.0.1:")) << agent_;
    std::string api = "http://" + listening;

    // One long-poll in flight through every capture (it would end after --poll-ms, 10 minutes).
    poll_ = std::make_unique<testing::LoopbackConnection>(
        static_cast<uint16_t>(std::stoi(listening.substr(10))));
    ASSERT_TRUE(poll_->connected() &&
                poll_->send_all("GET /api/poll HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    // One periodic snapshot before any load and one after each round, whatever the timing:
    // the series then shows every seeded population growing.
    ASSERT_TRUE(wait_for_periodic_snapshot_after(std::chrono::system_clock::now()));

    for (int round = 1; round <= kRounds; ++round) {
      for (const auto& p : populations_) {
        if (!p.seeded) continue;
        for (int k = 0; k < kRequests; ++k) {
          long status = testing::http_status(api + p.route);
          ASSERT_GE(status, 200) << p.route;
          ASSERT_LT(status, 600) << p.route;
        }
      }
      // The working path through the pipeline, which must leave nothing behind.
      for (int k = 0; k < kRequests; ++k)
        ASSERT_EQ(testing::http_status(api + "/api/checkout"), 200);
      ASSERT_TRUE(wait_until_settled(round));
      capture_times_.push_back(std::chrono::system_clock::now());
      ASSERT_TRUE(wait_for_periodic_snapshot_after(capture_times_.back()));
      ASSERT_TRUE(testing::capture_goroutines(agent_, fmt::format("{}/orders-{}", dir_, round),
                                              debug2_, debug0_));
    }
    config_ = testing::write_one_second_thresholds(dir_);
  }

  static void TearDownTestSuite() {
    poll_.reset();
    service_.reset();  // kills the service it started
  }

  void SetUp() override {
    ASSERT_EQ(debug2_.size(), static_cast<size_t>(kRounds)) << "setup failed";
    ASSERT_EQ(debug0_.size(), static_cast<size_t>(kRounds));
  }

  // Until every population holds the count a round of load leaves (fetches finish 20ms after
  // their request gives up, consumers park once they ran): bounded by kSettleTimeout.
  static bool wait_until_settled(int round) {
    std::string last;
    auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto body = testing::http_get(agent_ + "/debug/pprof/goroutine", 30s);
      auto read = body ? read_snapshots_from_memory(*body, "settle") : Error{"no profile"};
      if (read && read->size() == 1) {
        last.clear();
        for (const auto& p : populations_) {
          const Snapshot& snapshot = read->front();
          auto count = std::count_if(snapshot.threads.begin(), snapshot.threads.end(),
                                     [&](const auto& t) { return settled(snapshot, t, p); });
          if (count != p.expected(round)) {
            last +=
                fmt::format("{} {}: {} of {}\n", p.kind, p.blocked_at, count, p.expected(round));
          }
        }
        if (last.empty()) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "round " << round << " did not settle:\n" << last;
    return false;
  }

  static bool wait_for_periodic_snapshot_after(std::chrono::system_clock::time_point time) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto files = periodic_files(periodic_dir_);
      if (!files.empty() && taken_at(files.back()) > time) return true;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "no periodic snapshot in " << periodic_dir_ << " within 30s";
    return false;
  }

  static std::vector<Population> seeded() {
    std::vector<Population> out;
    std::copy_if(populations_.begin(), populations_.end(), std::back_inserter(out),
                 [](const Population& p) { return p.seeded; });
    return out;
  }

  static int64_t expected_total(int round) {
    int64_t total = 0;
    for (const auto& p : populations_) total += p.expected(round);
    return total;
  }

  // What the report counts as the process's: ended fibers are layer 2's, not goroutines.
  static int64_t expected_alive(int round) {
    int64_t total = 0;
    for (const auto& p : populations_) total += p.exited() ? 0 : p.expected(round);
    return total;
  }

  static testing::CommandResult leakscan(std::vector<std::string> args) {
    args.insert(args.begin(), testing::cli_path());
    return run_command(args, 120s);
  }

  static std::vector<std::string> with(std::vector<std::string> files,
                                       const std::vector<std::string>& flags) {
    files.insert(files.end(), flags.begin(), flags.end());
    return files;
  }

  // The library's analysis of the captures with the test's config; debug=2 text carries no
  // capture time, so the test gives the ones it noted.
  using LibraryRun = testing::LibraryRun;
  static std::unique_ptr<LibraryRun> analyze_files(const std::vector<std::string>& paths) {
    return testing::analyze_files(paths, capture_times_, config_);
  }

  // A report over the three captures against the manifest: every seeded population a LEAK
  // with its wait reason, creator and (debug=0 only) labels, growing by kRequests a round;
  // the fibers that ended a dead-but-unfreed finding; no benign population reported.
  static void check_report(const report::Report& report, bool debug2, const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(report.snapshots_size(), kRounds);
    int64_t blocked_populations = 0;
    int64_t blocked_fibers = 0;
    for (const auto& p : seeded()) {
      SCOPED_TRACE(p.kind + " " + p.blocked_at);
      if (p.exited()) {
        auto finding =
            std::find_if(report.dead_but_unfreed().begin(), report.dead_but_unfreed().end(),
                         [&](const auto& f) { return f.created_by().function() == p.created_by; });
        ASSERT_NE(finding, report.dead_but_unfreed().end());
        EXPECT_EQ(finding->kind(), "exited_not_released");
        EXPECT_EQ(finding->count(), p.expected(kRounds));
        EXPECT_TRUE(finding->created_by().file().ends_with(kSourceFile));
        EXPECT_FALSE(
            std::any_of(report.clusters().begin(), report.clusters().end(), [&](const auto& c) {
              return c.created_by().function() == p.created_by && reported(c.verdict());
            }));
        continue;
      }
      ++blocked_populations;
      blocked_fibers += p.expected(kRounds);
      std::vector<const report::Cluster*> clusters;
      for (const auto& cluster : report.clusters()) {
        if (matches(cluster, p)) clusters.push_back(&cluster);
      }
      ASSERT_EQ(clusters.size(), 1u) << "one cluster per seeded population";
      const report::Cluster& cluster = *clusters.front();
      EXPECT_EQ(cluster.verdict(), report::LEAK) << cluster.reasons(0);
      EXPECT_EQ(cluster.blocking_operation(), p.operation());
      std::vector<int64_t> counts(cluster.count_per_snapshot().begin(),
                                  cluster.count_per_snapshot().end());
      EXPECT_EQ(counts, (std::vector<int64_t>{p.expected(1), p.expected(2), p.expected(3)}));
      EXPECT_TRUE(cluster.monotonic_growth());
      EXPECT_TRUE(cluster.blocked_at().file().ends_with(kSourceFile))
          << cluster.blocked_at().file();
      EXPECT_GT(cluster.blocked_at().line(), 0);
      EXPECT_TRUE(cluster.created_by().file().ends_with(kSourceFile))
          << cluster.created_by().file();
      if (!debug2) {
        // The agent knows when its oldest fiber was made: before the first capture, as the
        // population was there already (a second's slack: the profile stamps its own time).
        const auto& oldest = cluster.oldest();
        EXPECT_NE(oldest.goroutine_id(), 0u);
        EXPECT_TRUE(oldest.created_at().ends_with("Z")) << oldest.DebugString();
        EXPECT_GE(
            oldest.age_seconds() + 1,
            std::chrono::duration<double>(capture_times_.back() - capture_times_.front()).count());
        EXPECT_LT(oldest.age_seconds(), 600);
      }
      if (!debug2 && !p.label_key.empty()) {
        EXPECT_TRUE(has_label_anchor(cluster, p.label_key + "=" + p.label_value));
      } else {
        EXPECT_FALSE(has_label_anchor(cluster, ""));  // debug=2 text carries no labels
      }
    }
    for (const auto& p : populations_) {
      if (p.seeded) continue;
      for (const auto& cluster : report.clusters()) {
        if (!matches(cluster, p)) continue;
        EXPECT_FALSE(reported(cluster.verdict()))
            << "benign " << p.kind << " " << p.blocked_at << " reported: " << cluster.reasons(0);
        EXPECT_EQ(cluster.count(), p.count) << p.blocked_at;
      }
    }
    EXPECT_EQ(report.summary().leaks(), blocked_populations);
    EXPECT_EQ(report.summary().suspects(), 0);
    EXPECT_EQ(report.summary().leaked_goroutines(), blocked_fibers);
  }

  static inline std::unique_ptr<testing::ChildProcess> service_;
  static inline std::vector<Population> populations_;
  static inline std::string agent_;  // http://127.0.0.1:PORT
  static inline std::unique_ptr<testing::LoopbackConnection> poll_;
  static inline std::string dir_;
  static inline std::string periodic_dir_;
  static inline std::string dump_path_;
  static inline std::string config_;
  static inline std::vector<std::string> debug2_;
  static inline std::vector<std::string> debug0_;
  static inline std::vector<std::chrono::system_clock::time_point> capture_times_;
};

TEST_F(CppOrderService, ManifestSeedsEveryClassicFiberLeak) {
  std::set<std::string> seeded_waits;
  for (const auto& p : seeded()) seeded_waits.insert(p.wait);
  for (std::string_view wait : {"chan send", "chan receive", "sync.Mutex.Lock", "sync.Cond.Wait",
                                "future get", "sleeping", "exited"}) {
    EXPECT_TRUE(seeded_waits.contains(std::string(wait))) << wait;
  }
  EXPECT_TRUE(std::any_of(populations_.begin(), populations_.end(),
                          [](const auto& p) { return !p.seeded; }));
  EXPECT_TRUE(std::any_of(populations_.begin(), populations_.end(),
                          [](const auto& p) { return p.seeded && !p.label_key.empty(); }));
}

// The endpoint's three forms, read back: every fiber, in the state the manifest says.
TEST_F(CppOrderService, EndpointServesDebug0Debug1AndDebug2) {
  auto debug0 = testing::http_get(agent_ + "/debug/pprof/goroutine?debug=0", 30s);
  auto debug1 = testing::http_get(agent_ + "/debug/pprof/goroutine?debug=1", 30s);
  auto debug2 = testing::http_get(agent_ + "/debug/pprof/goroutine?debug=2", 30s);
  ASSERT_TRUE(debug0 && debug1 && debug2);
  EXPECT_TRUE(debug0->starts_with("\x1f\x8b")) << "gzip";
  EXPECT_TRUE(debug1->starts_with("goroutine profile: total ")) << debug1->substr(0, 100);
  EXPECT_TRUE(debug2->starts_with("goroutine ")) << debug2->substr(0, 100);
  auto profile = read_one(*debug0, "debug=0");
  auto aggregated = read_one(*debug1, "debug=1");
  auto text = read_one(*debug2, "debug=2");
  ASSERT_TRUE(profile && aggregated && text);
  const int64_t total = expected_total(kRounds);

  EXPECT_EQ(profile->format, SourceFormat::kPprofProto);
  EXPECT_EQ(profile->runtime, RuntimeKind::kBoostFiber);
  EXPECT_EQ(static_cast<int64_t>(profile->threads.size()), total);
  EXPECT_EQ(text->format, SourceFormat::kGoTraceback);
  EXPECT_EQ(static_cast<int64_t>(text->threads.size()), total);
  EXPECT_EQ(aggregated->format, SourceFormat::kGoDebug1);
  EXPECT_EQ(aggregated->goroutine_count(), total);

  std::set<uint64_t> profile_ids;
  std::set<uint64_t> text_ids;
  for (const auto& thread : profile->threads) profile_ids.insert(thread.id);
  for (const auto& thread : text->threads) text_ids.insert(thread.id);
  EXPECT_EQ(profile_ids.size(), profile->threads.size()) << "one sample per fiber";
  EXPECT_EQ(profile_ids, text_ids);

  for (const auto& p : populations_) {
    SCOPED_TRACE(p.kind + " " + p.blocked_at);
    auto in_profile = members(*profile, p);
    auto in_text = members(*text, p);
    EXPECT_EQ(static_cast<int64_t>(in_profile.size()), p.expected(kRounds));
    EXPECT_EQ(static_cast<int64_t>(in_text.size()), p.expected(kRounds));
    for (const GreenThread* thread : in_profile) {
      EXPECT_EQ(thread->state, p.state());
      if (p.state() == ThreadState::kWaiting) {
        EXPECT_EQ(thread->wait_reason, p.wait);
      }
    }
    for (const GreenThread* thread : in_text) {
      EXPECT_EQ(thread->state, p.state());
      EXPECT_EQ(thread->status, p.wait) << "Go's bracket: the wait reason";
    }
    int64_t in_aggregate = 0;
    for (const auto& sample : aggregated->samples) {
      if (!p.exited() && first_user_function(*aggregated, sample.stack) == p.blocked_at) {
        in_aggregate += sample.count;
      }
    }
    if (!p.exited()) {
      EXPECT_EQ(in_aggregate, p.expected(kRounds));
    }
  }
}

TEST_F(CppOrderService, EverySeededFiberCarriesItsWaitReasonCreationSiteAndLabels) {
  auto read = read_snapshots(debug0_.back());
  ASSERT_TRUE(read.has_value()) << read.error().message;
  const Snapshot& profile = read->front();
  const auto started = capture_times_.front() - 10min;  // created during this test
  for (const auto& p : seeded()) {
    SCOPED_TRACE(p.kind + " " + p.blocked_at);
    auto fibers = members(profile, p);
    ASSERT_EQ(static_cast<int64_t>(fibers.size()), p.expected(kRounds));
    for (const GreenThread* thread : fibers) {
      EXPECT_GT(thread->id, 0u);
      EXPECT_EQ(thread->state, p.state());
      ASSERT_NE(thread->created_by, kNoFrame);
      const Frame& creator = profile.frame(thread->created_by);
      EXPECT_EQ(creator.function, p.created_by);
      EXPECT_TRUE(creator.file.ends_with(kSourceFile)) << creator.file;
      EXPECT_GT(creator.line, 0);
      EXPECT_NE(thread->creator_id, 0u) << "created by a request's handler fiber";
      ASSERT_TRUE(thread->created_at.has_value());
      EXPECT_GT(*thread->created_at, started);
      EXPECT_LE(*thread->created_at, capture_times_.back());
      if (p.state() == ThreadState::kWaiting) {
        EXPECT_EQ(thread->wait_reason, p.wait);
        EXPECT_TRUE(thread->wait.has_value());
        EXPECT_TRUE(label(*thread, "wait_object").has_value()) << "the channel, mutex...";
      }
      if (p.exited()) {
        ASSERT_EQ(thread->stack.size(), 1U) << "one frame saying why there is no stack";
        EXPECT_EQ(profile.frame(thread->stack.front()).function,
                  "leakscan::agent::unknown_stack::exited_not_released");
      } else {
        EXPECT_TRUE(profile.frame(thread->stack.front()).function.starts_with("boost::fibers::"))
            << "the stack is the fiber's own, innermost first";
      }
      if (p.label_key.empty()) {
        EXPECT_FALSE(label(*thread, "http.route").has_value());
      } else {
        EXPECT_EQ(label(*thread, p.label_key), p.label_value) << "inherited from ScopedLabels";
      }
    }
  }
}

// `go tool pprof -traces` blocks: "-----------+---..." then "key:  value" label lines, then
// the stack, one function a line.
struct PprofTrace {
  std::map<std::string, std::string> labels;
  std::vector<std::string> functions;
};

std::vector<PprofTrace> parse_traces(const std::string& out) {
  std::vector<PprofTrace> traces;
  std::istringstream in(out);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("-----------+")) {
      traces.emplace_back();
      inside = true;
      continue;
    }
    if (!inside || line.find_first_not_of(' ') == std::string::npos) continue;
    std::string trimmed = line.substr(line.find_first_not_of(' '));
    if (size_t colon = trimmed.find(":  ");
        colon != std::string::npos && traces.back().functions.empty()) {
      traces.back().labels[trimmed.substr(0, colon)] = trimmed.substr(colon + 3);
      continue;
    }
    // "1   function" on the first stack line, "function" on the others.
    if (std::isdigit(static_cast<unsigned char>(trimmed.front()))) {
      trimmed = trimmed.substr(trimmed.find_first_of(' '));
      trimmed = trimmed.substr(trimmed.find_first_not_of(' '));
    }
    traces.back().functions.push_back(trimmed);
  }
  // pprof closes the last block with a separator too.
  std::erase_if(traces, [](const auto& t) { return t.labels.empty() && t.functions.empty(); });
  return traces;
}

TEST_F(CppOrderService, GoToolPprofTracesShowsTheFibersWithTheirLabels) {
  std::string home = testing::temp_dir();
  auto result =
      run_command({LEAKSCAN_GO_PPROF, "-traces", agent_ + "/debug/pprof/goroutine"}, 120s, {},
                  {"HOME=" + home, "GOPATH=" + home + "/go", "GOCACHE=" + home + "/cache",
                   "GOPROXY=off", "GOFLAGS=", "PPROF_TMPDIR=" + home});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto traces = parse_traces(result.out);
  // Every fiber has a trace: one that ended has one frame that says so.
  int64_t fibers = 0;
  for (const auto& p : populations_) fibers += p.expected(kRounds);
  EXPECT_EQ(static_cast<int64_t>(traces.size()), fibers) << result.out.substr(0, 3000);
  for (const auto& p : populations_) {
    SCOPED_TRACE(p.kind + " " + p.blocked_at);
    if (p.exited()) continue;  // blocked nowhere
    int64_t found = 0;
    for (const auto& trace : traces) {
      auto created_by = trace.labels.find("created_by");
      std::string creator = created_by == trace.labels.end() ? "" : created_by->second;
      if (p.created_by.empty() ? !creator.empty() : !creator.starts_with(p.created_by + " at ")) {
        continue;
      }
      bool blocked_here = std::find(trace.functions.begin(), trace.functions.end(), p.blocked_at) !=
                          trace.functions.end();
      if (!blocked_here) continue;
      ++found;
      EXPECT_EQ(trace.labels.count("goid"), 1u);
      EXPECT_EQ(trace.labels.at("runtime"), "boost.fiber") << "only non-Go runtimes say so";
      // A time pprof shows as one ("2026-12-01T22:31:05.123456789Z"), not "498929.30hrs".
      auto created_at_label = trace.labels.find("created_at");
      ASSERT_NE(created_at_label, trace.labels.end());
      const std::string& created_at = created_at_label->second;
      EXPECT_EQ(created_at.size(), 30u) << created_at;
      EXPECT_EQ(created_at.substr(10, 1), "T") << created_at;
      EXPECT_EQ(created_at.substr(19, 1), ".") << created_at;
      EXPECT_TRUE(created_at.ends_with("Z")) << created_at;
      if (!p.created_by.empty()) {
        EXPECT_TRUE(creator.find(std::string(kSourceFile) + ":") != std::string::npos) << creator;
      }
      if (p.state() == ThreadState::kWaiting) {
        EXPECT_EQ(trace.labels.at("state"), "waiting");
        EXPECT_EQ(trace.labels.count("wait_reason") ? trace.labels.at("wait_reason") : "", p.wait);
      } else {
        EXPECT_EQ(trace.labels.at("state"), p.wait);  // sleeping, exited
      }
      if (!p.label_key.empty()) {
        EXPECT_EQ(trace.labels.count(p.label_key) ? trace.labels.at(p.label_key) : "",
                  p.label_value);
      }
    }
    EXPECT_EQ(found, p.expected(kRounds));
  }
}

TEST_F(CppOrderService, LibraryFindsEverySeededLeakAndNoBenignFiber) {
  for (bool debug2 : {false, true}) {
    auto run = analyze_files(debug2 ? debug2_ : debug0_);
    ASSERT_NE(run, nullptr);
    check_report(run->analysis.report, debug2, debug2 ? "library, debug=2" : "library, debug=0");
  }
}

TEST_F(CppOrderService, CommandJsonReportsTheSame) {
  for (bool debug2 : {false, true}) {
    auto result =
        leakscan(with(debug2 ? debug2_ : debug0_, {"--format", "json", "--config", config_}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    check_report(parse_report(result.out), debug2,
                 debug2 ? "leakscan --format json, debug=2" : "leakscan --format json, debug=0");
  }
}

// One live snapshot: no growth to go by. The pprof form carries every fiber's wait, and a short
// --min-wait makes each parked fiber count (benign ones too, which is why this test looks at
// the seeded ones only). Go's debug=2 text prints a wait only from the first minute on: read
// live, it must still name every seeded site, operation and creator.
TEST_F(CppOrderService, CommandReadsTheLiveEndpoint) {
  for (bool debug2 : {false, true}) {
    std::string url = agent_ + "/debug/pprof/goroutine" + (debug2 ? "?debug=2" : "");
    SCOPED_TRACE(url);
    auto result = leakscan(
        {url, "--format", "json", "--min-wait", "1ms", "--fail-on", debug2 ? "suspect" : "leak"});
    report::Report report = parse_report(result.out);
    // The pprof form finds leaks by the waits; the debug=2 text, which has none and shows no
    // addresses either, suspects senders and Cond waiters whose creators returned, as no
    // goroutine is seen to hold what they wait on. Every LEAK is at a seeded site.
    EXPECT_EQ(result.exit_code, 1) << result.err;
    const auto seeded_sites = seeded();
    for (const auto& cluster : report.clusters()) {
      if (cluster.verdict() != report::LEAK) continue;
      EXPECT_TRUE(std::any_of(
          seeded_sites.begin(), seeded_sites.end(),
          [&](const auto& p) { return p.blocked_at == cluster.blocked_at().function(); }))
          << cluster.blocked_at().function() << " is no seeded site";
    }
    ASSERT_EQ(report.snapshots_size(), 1);
    EXPECT_EQ(report.snapshots(0).goroutines(), expected_alive(kRounds));
    for (const auto& p : seeded()) {
      SCOPED_TRACE(p.kind + " " + p.blocked_at);
      if (p.exited()) {
        EXPECT_TRUE(std::any_of(
            report.dead_but_unfreed().begin(), report.dead_but_unfreed().end(), [&](const auto& f) {
              return f.created_by().function() == p.created_by && f.count() == p.expected(kRounds);
            }));
        continue;
      }
      auto cluster = std::find_if(report.clusters().begin(), report.clusters().end(),
                                  [&](const auto& c) { return matches(c, p); });
      ASSERT_NE(cluster, report.clusters().end());
      EXPECT_EQ(cluster->count(), p.expected(kRounds));
      EXPECT_EQ(cluster->blocking_operation(), p.operation());
      if (!debug2) {
        // One snapshot cannot tell a ticker never stopped from one that will be: a timer
        // wakes it, as it wakes Go's sleep. The growth over three snapshots tells (above).
        EXPECT_EQ(cluster->verdict(), p.sleeping() ? report::EXPECTED : report::LEAK)
            << cluster->reasons(0);
        EXPECT_GT(cluster->wait().min_seconds(), 0);
      } else {
        EXPECT_NE(cluster->verdict(), report::LEAK) << cluster->reasons(0);
      }
    }
  }
}

TEST_F(CppOrderService, PeriodicSnapshotsFillTheDirectoryAndAnalyze) {
  // One before the load and one after each round, at least (the setup waited for them).
  std::vector<std::string> files = periodic_files(periodic_dir_);
  ASSERT_GE(files.size(), static_cast<size_t>(kRounds + 1));
  EXPECT_LT(taken_at(files.front()), capture_times_.front());
  EXPECT_GT(taken_at(files.back()), capture_times_.back());
  for (const auto& file : files) {
    auto read = read_snapshots(file);
    ASSERT_TRUE(read.has_value()) << file << ": " << read.error().message;
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(read->front().format, SourceFormat::kPprofProto);
    EXPECT_EQ(read->front().runtime, RuntimeKind::kBoostFiber);
    EXPECT_TRUE(read->front().captured_at.has_value());
  }
  auto newest = read_snapshots(files.back());
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(static_cast<int64_t>(newest->front().threads.size()), expected_total(kRounds));

  // Taken at their own pace under the load: every seeded population grows through them (a
  // leak, or a suspect where two snapshots fell within one round).
  auto result = leakscan(with(files, {"--format", "json", "--config", config_}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  report::Report report = parse_report(result.out);
  EXPECT_EQ(report.snapshots_size(), static_cast<int>(files.size()));
  for (const auto& p : populations_) {
    if (p.exited()) continue;
    SCOPED_TRACE(p.kind + " " + p.blocked_at);
    auto cluster = std::find_if(report.clusters().begin(), report.clusters().end(),
                                [&](const auto& c) { return matches_settled(c, p); });
    ASSERT_NE(cluster, report.clusters().end());
    if (p.seeded) {
      EXPECT_TRUE(reported(cluster->verdict())) << cluster->reasons(0);
      EXPECT_EQ(cluster->count_per_snapshot(cluster->count_per_snapshot_size() - 1),
                p.expected(kRounds));
    } else {
      EXPECT_NE(cluster->verdict(), report::LEAK) << cluster->reasons(0);
    }
  }
}

TEST_F(CppOrderService, SignalDumpWritesGoStyleText) {
  service_->signal(SIGUSR2);
  std::optional<Snapshot> dump;
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!dump && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    if (!std::filesystem::exists(dump_path_)) continue;
    text = testing::read_file(dump_path_);
    auto read = read_snapshots_from_memory(text, dump_path_);
    if (read && read->size() == 1 &&
        static_cast<int64_t>(read->front().threads.size()) == expected_total(kRounds)) {
      dump = std::move(read->front());
    }
  }
  ASSERT_TRUE(dump.has_value()) << "no complete dump in " << dump_path_ << ":\n"
                                << text.substr(0, 2000) << service_->stderr_text();
  EXPECT_TRUE(text.starts_with("goroutine ")) << text.substr(0, 200);
  EXPECT_EQ(dump->format, SourceFormat::kGoTraceback);
  for (const auto& p : populations_) {
    SCOPED_TRACE(p.kind + " " + p.blocked_at);
    auto fibers = members(*dump, p);
    EXPECT_EQ(static_cast<int64_t>(fibers.size()), p.expected(kRounds));
    for (const GreenThread* thread : fibers) EXPECT_EQ(thread->status, p.wait);
  }
  EXPECT_NE(text.find("\ncreated by order_service::OrderService::"), std::string::npos);
}

}  // namespace
}  // namespace leakscan
