// Ground truth for the whole analysis: samples/go/leakyservice serves an order API on 127.0.0.1
// with seeded leaks (one goroutine per request on each SEEDED route) and benign goroutines that
// look like leaks. Under bounded load (3 rounds, every seeded route hit kRequests times each)
// with two idle keep-alive connections and one long poll open, it is captured three times as
// debug=2 and debug=0; the library and the leakscan command must find every seeded population
// and call no benign one a leak.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

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
using testing::LoadClient;
using testing::parse_report;
using testing::run_command;
using Clock = std::chrono::steady_clock;

constexpr int kRounds = 3;
constexpr int kRequests = 5;  // per seeded route and round
// leakyservice's flags: /api/orders' backend takes kWork and is given up on after 5ms, so
// every request leaks its fetch goroutine once kWork has passed; a poll outlives the test.
constexpr auto kWork = 20ms;
constexpr auto kSettle = 10 * kWork + 100ms;  // after each round's load, before capturing
// The routes leakyservice runs under pprof.Do with label http.route (its main.go says which).
const std::set<std::string> kLabelledRoutes{"/api/orders", "/api/audit", "/api/stream"};

// "SEEDED timeout-race main.(*OrderService).fetchOrder.func1 main.(*OrderService).fetchOrder
// /api/orders chan_send"
struct Population {
  bool seeded = false;
  std::string kind;
  std::string top;      // the topmost package-main frame
  std::string creator;  // the function after "created by"
  std::string route;    // "-" for none
  std::string state;    // Go 1.19's bracketed state
};

std::optional<Population> parse_manifest(const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  Population p;
  if (!(in >> tag >> p.kind >> p.top >> p.creator >> p.route >> p.state)) return std::nullopt;
  if (tag != "SEEDED" && tag != "BENIGN") return std::nullopt;
  p.seeded = tag == "SEEDED";
  std::replace(p.state.begin(), p.state.end(), '_', ' ');
  return p;
}

// The manifest's "top function": the topmost frame of the program's own code.
std::string_view first_user_function(const Snapshot& snapshot, Stack stack) {
  for (FrameId id : stack) {
    if (is_user_function(snapshot.frame(id).function)) return snapshot.frame(id).function;
  }
  return {};
}

bool reported(report::Verdict verdict) {
  return verdict == report::LEAK || verdict == report::SUSPECT;
}

bool has_label_anchor(const report::Cluster& cluster, const std::string& name) {
  return std::any_of(cluster.anchors().begin(), cluster.anchors().end(), [&](const auto& a) {
    return a.kind() == "label" && (name.empty() || a.name() == name);
  });
}

class LeakyService : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        testing::go_bin("leakyservice"), "-work", fmt::format("{}ms", kWork.count()),
        "-handler-timeout", "5ms", "-poll", "10m"});
    for (int i = 0; i < 100 && address_.empty(); ++i) {
      auto line = service_->read_line(30s);
      ASSERT_TRUE(line.has_value()) << "no LISTENING line: " << service_->stderr_text();
      if (line->starts_with("LISTENING ")) address_ = line->substr(10);
      if (auto population = parse_manifest(*line)) populations_.push_back(*population);
    }
    ASSERT_TRUE(address_.starts_with("127.0.0.1:")) << address_;
    auto port = static_cast<uint16_t>(std::stoi(address_.substr(10)));
    std::string base = "http://" + address_;

    // Two idle keep-alive connections: each made one complete request and read the answer.
    for (int i = 0; i < 2; ++i) {
      auto& idle = idle_.emplace_back(std::make_unique<testing::LoopbackConnection>(port));
      ASSERT_TRUE(idle->connected());
      ASSERT_TRUE(idle->send_all("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      auto response = idle->read_response(10s);
      ASSERT_TRUE(response.has_value());
      ASSERT_TRUE(response->starts_with("HTTP/1.1 200 ")) << *response;
    }
    // One long poll in flight through every capture (it would end after -poll, 10 minutes).
    poll_ = std::make_unique<testing::LoopbackConnection>(port);
    ASSERT_TRUE(poll_->connected());
    ASSERT_TRUE(poll_->send_all("GET /api/poll HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));

    dir_ = testing::temp_dir();
    LoadClient client;
    for (int round = 1; round <= kRounds; ++round) {
      for (const auto& p : populations_) {
        if (!p.seeded) continue;
        for (int k = 0; k < kRequests; ++k) {
          long status = client.get(base + p.route);
          ASSERT_GE(status, 200) << p.route;
          ASSERT_LT(status, 600) << p.route;
        }
      }
      std::this_thread::sleep_for(kSettle);
      capture_times_.push_back(std::chrono::system_clock::now());
      ASSERT_TRUE(testing::capture_goroutines(base, fmt::format("{}/leaky-{}", dir_, round),
                                              debug2_, debug0_));
    }
    config_ = testing::write_one_second_thresholds(dir_);
  }

  static void TearDownTestSuite() {
    idle_.clear();
    poll_.reset();
    service_.reset();  // kills the service it started
  }

  void SetUp() override {
    ASSERT_EQ(debug2_.size(), static_cast<size_t>(kRounds)) << "setup failed";
    ASSERT_EQ(debug0_.size(), static_cast<size_t>(kRounds));
  }

  static std::vector<Population> seeded() {
    std::vector<Population> out;
    for (const auto& p : populations_) {
      if (p.seeded) out.push_back(p);
    }
    return out;
  }

  static bool matches(const report::Cluster& cluster, const Population& p, bool with_creator) {
    return cluster.blocked_at().function() == p.top &&
           (!with_creator || cluster.created_by().function() == p.creator);
  }

  // The library's analysis of the captures, with the test's config; debug=2 files carry no
  // capture time, so the test gives the ones it noted.
  using LibraryRun = testing::LibraryRun;
  static std::unique_ptr<LibraryRun> analyze_files(const std::vector<std::string>& paths) {
    return testing::analyze_files(paths, capture_times_, config_);
  }

  // `leakscan ARGS...`: exit code, stdout, stderr.
  static testing::CommandResult leakscan(std::vector<std::string> args) {
    args.insert(args.begin(), testing::cli_path());
    return run_command(args, 120s);
  }

  static std::vector<std::string> with(std::vector<std::string> files,
                                       const std::vector<std::string>& flags) {
    files.insert(files.end(), flags.begin(), flags.end());
    return files;
  }

  // Checks a report against the manifest and prints precision and recall as `what`.
  static void check_report(const report::Report& report, bool debug2, const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(report.snapshots_size(), kRounds);
    const auto populations = seeded();
    ASSERT_EQ(populations.size(), 8u);
    int found = 0;
    for (const auto& p : populations) {
      SCOPED_TRACE(p.kind + " " + p.top);
      std::vector<const report::Cluster*> clusters;
      for (const auto& cluster : report.clusters()) {
        if (matches(cluster, p, debug2)) clusters.push_back(&cluster);
      }
      ASSERT_EQ(clusters.size(), 1u) << "one cluster per seeded population";
      const report::Cluster& cluster = *clusters.front();
      if (reported(cluster.verdict())) ++found;
      EXPECT_EQ(cluster.verdict(), report::LEAK) << cluster.reasons(0);
      std::vector<int64_t> counts(cluster.count_per_snapshot().begin(),
                                  cluster.count_per_snapshot().end());
      EXPECT_EQ(counts, (std::vector<int64_t>{kRequests, 2 * kRequests, 3 * kRequests}));
      EXPECT_TRUE(cluster.monotonic_growth());
      EXPECT_TRUE(cluster.blocked_at().file().ends_with("leakyservice/main.go"))
          << cluster.blocked_at().file();
      if (debug2) {
        EXPECT_EQ(cluster.state(), p.state);
        EXPECT_FALSE(has_label_anchor(cluster, ""));  // debug=2 prints no labels
      } else if (kLabelledRoutes.contains(p.route)) {
        EXPECT_TRUE(has_label_anchor(cluster, "http.route=" + p.route));
      } else {
        EXPECT_FALSE(has_label_anchor(cluster, ""));
      }
    }
    int benign_leaks = 0;
    for (const auto& p : populations_) {
      if (p.seeded) continue;
      for (const auto& cluster : report.clusters()) {
        if (matches(cluster, p, debug2) && cluster.verdict() == report::LEAK) {
          ADD_FAILURE() << "benign " << p.kind << " reported as a leak: " << cluster.reasons(0);
          ++benign_leaks;
        }
      }
    }
    int leak_clusters = 0;
    int seeded_leak_clusters = 0;
    for (const auto& cluster : report.clusters()) {
      if (cluster.verdict() != report::LEAK || !cluster.baseline_reason().empty()) continue;
      ++leak_clusters;
      seeded_leak_clusters +=
          std::any_of(populations.begin(), populations.end(),
                      [&](const Population& p) { return matches(cluster, p, debug2); });
    }
    double precision = leak_clusters > 0 ? double(seeded_leak_clusters) / leak_clusters : 0;
    double recall = double(found) / double(populations.size());
    fmt::print("precision {:.2f} recall {:.2f} ({})\n", precision, recall, what);
    std::fflush(stdout);
    EXPECT_EQ(found, static_cast<int>(populations.size()));
    EXPECT_EQ(recall, 1.0);
    EXPECT_EQ(benign_leaks, 0);
  }

  static inline std::unique_ptr<testing::ChildProcess> service_;
  static inline std::vector<Population> populations_;
  static inline std::string address_;
  static inline std::vector<std::unique_ptr<testing::LoopbackConnection>> idle_;
  static inline std::unique_ptr<testing::LoopbackConnection> poll_;
  static inline std::string dir_;
  static inline std::string config_;
  static inline std::vector<std::string> debug2_;
  static inline std::vector<std::string> debug0_;
  static inline std::vector<std::chrono::system_clock::time_point> capture_times_;
};

// The captures themselves, before any analysis: the manifest's populations at the counts the
// load made.
TEST_F(LeakyService, CapturesHoldTheManifestsPopulations) {
  ASSERT_EQ(populations_.size(), 13u);
  EXPECT_EQ(seeded().size(), 8u);
  for (int round = 1; round <= kRounds; ++round) {
    auto debug2 = read_snapshots(debug2_[round - 1]);
    auto debug0 = read_snapshots(debug0_[round - 1]);
    ASSERT_TRUE(debug2.has_value() && debug0.has_value());
    const Snapshot& text = debug2->front();
    const Snapshot& profile = debug0->front();
    EXPECT_EQ(text.format, SourceFormat::kGoTraceback);
    EXPECT_EQ(profile.format, SourceFormat::kPprofProto);
    for (const auto& p : seeded()) {
      int64_t in_text = 0;
      for (const auto& thread : text.threads) {
        if (first_user_function(text, thread.stack) != p.top) continue;
        ++in_text;
        EXPECT_EQ(thread.status, p.state) << p.top;
        ASSERT_NE(thread.created_by, kNoFrame);
        EXPECT_EQ(text.frame(thread.created_by).function, p.creator);
      }
      EXPECT_EQ(in_text, round * kRequests) << p.top << " in round " << round;
      int64_t in_profile = 0;
      for (const auto& sample : profile.samples) {
        if (first_user_function(profile, sample.stack) == p.top) in_profile += sample.count;
      }
      EXPECT_EQ(in_profile, round * kRequests) << p.top << " in round " << round;
    }
  }
}

TEST_F(LeakyService, LibraryFindsEverySeededLeakInDebug2) {
  auto run = analyze_files(debug2_);
  ASSERT_NE(run, nullptr);
  check_report(run->analysis.report, /*debug2=*/true, "debug=2");

  // The benign look-alikes: steady, so expected; idle connections set aside as the server's.
  const auto& report = run->analysis.report;
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() == "main.(*OrderService).worker") {
      EXPECT_EQ(cluster.verdict(), report::EXPECTED);
      EXPECT_EQ(cluster.count(), 8);
    }
    if (cluster.blocked_at().function() == "main.(*OrderService).handlePoll") {
      EXPECT_EQ(cluster.verdict(), report::EXPECTED);
      std::vector<int64_t> counts(cluster.count_per_snapshot().begin(),
                                  cluster.count_per_snapshot().end());
      EXPECT_EQ(counts, (std::vector<int64_t>{1, 1, 1})) << "the long poll stays in flight";
    }
  }
  const auto& input = run->analysis.input;
  int64_t idle = 0;
  for (const auto& record : input.records) {
    if (record.snapshot + 1 == input.snapshots.size() &&
        record.disposition == Disposition::kSystem &&
        record.why == "idle HTTP keep-alive connection") {
      idle += record.count();
    }
  }
  EXPECT_GE(idle, 2) << "the two idle keep-alive connections";
  EXPECT_EQ(report.summary().leaks(), 8);
  EXPECT_EQ(report.summary().leaked_goroutines(), 8 * kRounds * kRequests);
}

TEST_F(LeakyService, LibraryFindsEverySeededLeakInDebug0WithRouteLabels) {
  auto run = analyze_files(debug0_);
  ASSERT_NE(run, nullptr);
  for (const auto& snapshot : run->analysis.report.snapshots()) {
    EXPECT_EQ(snapshot.capture_time_origin(), "profile");
  }
  check_report(run->analysis.report, /*debug2=*/false, "debug=0");
}

TEST_F(LeakyService, CommandJsonReportsTheSame) {
  for (bool debug2 : {true, false}) {
    auto result =
        leakscan(with(debug2 ? debug2_ : debug0_, {"--format", "json", "--config", config_}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    report::Report report = parse_report(result.out);
    // Files in capture order, by their own times or their modification times.
    for (int i = 0; i < kRounds; ++i) {
      EXPECT_EQ(report.snapshots(i).source(), (debug2 ? debug2_ : debug0_)[i]);
    }
    check_report(report, debug2,
                 debug2 ? "debug=2, leakscan --format json" : "debug=0, leakscan --format json");
    for (const auto& cluster : report.clusters()) {
      if (cluster.verdict() == report::LEAK) {
        EXPECT_EQ(cluster.threshold_seconds(), 1);
      }
    }
  }
}

TEST_F(LeakyService, VerboseTextSaysWhyGoroutinesWereSetAside) {
  auto result = leakscan(with(debug2_, {"--config", config_, "-v", "--color", "never"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("8 leaks, 0 suspects"), std::string::npos) << result.out;
  auto set_aside = result.out.find("set aside in the last snapshot:");
  ASSERT_NE(set_aside, std::string::npos) << result.out;
  std::string tail = result.out.substr(set_aside);
  for (std::string_view why : {"idle HTTP keep-alive connection", "the profile capture itself",
                               "HTTP server accept loop", "os/signal delivery loop"}) {
    EXPECT_NE(tail.find(why), std::string::npos) << why << " in:\n" << tail;
  }
}

// pprofcheck's lines: "COUNT\tf1;f2;...\tk=v,..." then "total N".
struct CheckedProfile {
  int64_t total = -1;
  std::vector<std::string> stacks;
  std::multiset<uint64_t> goids;
};

CheckedProfile pprofcheck(const std::string& path) {
  auto check = run_command({testing::go_bin("pprofcheck"), path}, 60s);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  CheckedProfile out;
  std::istringstream in(check.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("total ")) {
      out.total = std::stoll(line.substr(6));
      continue;
    }
    auto tab = line.find('\t');
    auto tab2 = line.find('\t', tab + 1);
    out.stacks.push_back(line.substr(tab + 1, tab2 - tab - 1));
    std::string labels = line.substr(tab2 + 1);
    if (auto goid = labels.find("goid="); goid != std::string::npos) {
      out.goids.insert(std::stoull(labels.substr(goid + 5)));
    }
  }
  return out;
}

TEST_F(LeakyService, EmitPprofHoldsExactlyTheLeakingGoroutinesOfTheLastSnapshot) {
  auto run = analyze_files(debug2_);
  ASSERT_NE(run, nullptr);
  const auto& input = run->analysis.input;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  std::multiset<uint64_t> leaking;
  for (const auto& cluster : run->analysis.clusters) {
    if (cluster.verdict != Verdict::kLeak) continue;
    for (size_t index : cluster.records()) {
      const auto& record = input.records[index];
      if (record.snapshot == last) leaking.insert(record.thread->id);
    }
  }
  ASSERT_EQ(leaking.size(), static_cast<size_t>(8 * kRounds * kRequests));

  for (bool debug2 : {true, false}) {
    SCOPED_TRACE(debug2 ? "debug=2" : "debug=0");
    std::string out = fmt::format("{}/leaks-debug{}.pb.gz", testing::temp_dir(), debug2 ? 2 : 0);
    auto result = leakscan(with(debug2 ? debug2_ : debug0_,
                                {"--format", "json", "--config", config_, "--emit-pprof", out}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    report::Report report = parse_report(result.out);
    int64_t leaked = 0;
    for (const auto& cluster : report.clusters()) {
      if (cluster.verdict() == report::LEAK) leaked += cluster.count();
    }
    EXPECT_EQ(leaked, report.summary().leaked_goroutines());
    CheckedProfile profile = pprofcheck(out);
    EXPECT_EQ(profile.total, leaked);
    if (debug2) {
      EXPECT_EQ(profile.goids, leaking);  // one sample per goroutine, by its id
    }
    for (const auto& stack : profile.stacks) {
      bool seeded_stack = std::any_of(populations_.begin(), populations_.end(), [&](const auto& p) {
        return p.seeded && (";" + stack + ";").find(";" + p.top + ";") != std::string::npos;
      });
      EXPECT_TRUE(seeded_stack) << stack;
    }
  }
}

TEST_F(LeakyService, FailOnLeakExitsOneHereAndZeroWithoutLeaks) {
  auto leaks = leakscan(with(debug2_, {"--config", config_, "--fail-on", "leak"}));
  EXPECT_EQ(leaks.exit_code, 1) << leaks.err;
  auto suspects = leakscan(with(debug0_, {"--config", config_, "--fail-on", "suspect"}));
  EXPECT_EQ(suspects.exit_code, 1) << suspects.err;
  auto quiet =
      leakscan({std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug1.txt", "--fail-on", "leak"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  auto plain = leakscan(with(debug2_, {"--config", config_}));
  EXPECT_EQ(plain.exit_code, 0) << "no --fail-on, no failure";
}

// SARIF results: locations, rule ids and cluster fingerprints.
struct SarifResult {
  std::string rule;
  std::string uri;
  std::string cluster;
};

std::vector<SarifResult> parse_sarif(const std::string& json) {
  google::protobuf::Struct sarif;
  auto status = google::protobuf::util::JsonStringToMessage(json, &sarif);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<SarifResult> out;
  const auto& fields = sarif.fields();
  EXPECT_EQ(fields.at("version").string_value(), "2.1.0");
  const auto& runs = fields.at("runs").list_value();
  EXPECT_EQ(runs.values_size(), 1);
  if (runs.values_size() != 1) return out;
  const auto& run = runs.values(0).struct_value().fields();
  EXPECT_EQ(run.at("tool")
                .struct_value()
                .fields()
                .at("driver")
                .struct_value()
                .fields()
                .at("name")
                .string_value(),
            "leakscan");
  for (const auto& value : run.at("results").list_value().values()) {
    const auto& result = value.struct_value().fields();
    SarifResult item;
    item.rule = result.at("ruleId").string_value();
    const auto& locations = result.at("locations").list_value();
    EXPECT_EQ(locations.values_size(), 1);
    item.uri = locations.values(0)
                   .struct_value()
                   .fields()
                   .at("physicalLocation")
                   .struct_value()
                   .fields()
                   .at("artifactLocation")
                   .struct_value()
                   .fields()
                   .at("uri")
                   .string_value();
    item.cluster = result.at("partialFingerprints")
                       .struct_value()
                       .fields()
                       .at("leakscanCluster/v1")
                       .string_value();
    out.push_back(item);
  }
  return out;
}

// Clusters a SARIF report must hold: leaks and suspects the baseline did not accept.
std::map<std::string, report::Verdict> sarif_worthy(const report::Report& report) {
  std::map<std::string, report::Verdict> out;
  for (const auto& cluster : report.clusters()) {
    if (reported(cluster.verdict()) && cluster.baseline_reason().empty()) {
      out[cluster.id()] = cluster.verdict();
    }
  }
  return out;
}

void expect_sarif_matches(const std::vector<SarifResult>& results, const report::Report& report) {
  auto expected = sarif_worthy(report);
  EXPECT_EQ(results.size(), expected.size());
  std::set<std::string> seen;
  for (const auto& result : results) {
    EXPECT_TRUE(result.uri.ends_with("leakyservice/main.go")) << result.uri;
    auto it = expected.find(result.cluster);
    ASSERT_NE(it, expected.end()) << "result for cluster " << result.cluster;
    EXPECT_EQ(result.rule,
              it->second == report::LEAK ? "goroutine-leak" : "goroutine-leak-suspect");
    EXPECT_TRUE(seen.insert(result.cluster).second) << "two results for " << result.cluster;
  }
}

TEST_F(LeakyService, SarifHasOneResultPerLeakOrSuspect) {
  auto json = leakscan(with(debug2_, {"--format", "json", "--config", config_}));
  auto sarif = leakscan(with(debug2_, {"--format", "sarif", "--config", config_}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ASSERT_EQ(sarif.exit_code, 0) << sarif.err;
  report::Report report = parse_report(json.out);
  auto results = parse_sarif(sarif.out);
  EXPECT_EQ(results.size(), 8u);
  expect_sarif_matches(results, report);
}

TEST_F(LeakyService, DiffShowsEverySeededClusterGrowing) {
  auto diff = leakscan({"diff", debug2_[0], debug2_[1], "--config", config_});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  std::vector<std::string> lines;
  std::istringstream in(diff.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines[0].starts_with(fmt::format("{} → {}: ", debug2_[0], debug2_[1]))) << lines[0];
  for (const auto& p : seeded()) {
    std::string site = fmt::format(" in {}, created by {}", p.top, p.creator);
    auto line = std::find_if(lines.begin(), lines.end(),
                             [&](const std::string& l) { return l.ends_with(site); });
    ASSERT_NE(line, lines.end()) << p.top << " missing from:\n" << diff.out;
    EXPECT_NE(line->find(fmt::format("+{}  ({} → {})", kRequests, kRequests, 2 * kRequests)),
              std::string::npos)
        << *line;
  }
}

std::string toml_date(std::chrono::sys_days day) {
  std::chrono::year_month_day date(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

std::string next_year() {
  auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return toml_date(today + std::chrono::days(365));
}

TEST_F(LeakyService, BaselineAcceptsOneLeak) {
  std::string baseline = testing::temp_dir() + "/known-leaks.toml";
  testing::write_file(baseline,
                      fmt::format("[[accepted]]\n"
                                  "blocked_at = \"main.(*OrderService).watchSubscription\"\n"
                                  "reason = \"nil channel, fix in v2 (JIRA-42)\"\n"
                                  "expires = {}\n",
                                  next_year()));
  std::vector<std::string> flags{"--config", config_, "--baseline", baseline};
  auto json = leakscan(with(debug2_, with(flags, {"--format", "json"})));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.err, "");
  report::Report report = parse_report(json.out);
  EXPECT_EQ(report.summary().leaks(), 7);
  EXPECT_EQ(report.summary().baselined(), 1);
  std::string accepted_id;
  for (const auto& cluster : report.clusters()) {
    if (!cluster.baseline_reason().empty()) {
      EXPECT_EQ(cluster.blocked_at().function(), "main.(*OrderService).watchSubscription");
      EXPECT_EQ(cluster.baseline_reason(), "nil channel, fix in v2 (JIRA-42)");
      EXPECT_EQ(cluster.verdict(), report::LEAK);  // the verdict stands; it just does not fail
      accepted_id = cluster.id();
    }
  }
  ASSERT_FALSE(accepted_id.empty());

  auto sarif = leakscan(with(debug2_, with(flags, {"--format", "sarif"})));
  ASSERT_EQ(sarif.exit_code, 0) << sarif.err;
  auto results = parse_sarif(sarif.out);
  EXPECT_EQ(results.size(), 7u);
  for (const auto& result : results) EXPECT_NE(result.cluster, accepted_id);
  expect_sarif_matches(results, report);

  // Seven leaks remain: --fail-on still fails.
  EXPECT_EQ(leakscan(with(debug2_, with(flags, {"--fail-on", "leak"}))).exit_code, 1);
}

TEST_F(LeakyService, BaselineAcceptingEveryLeakPassesFailOn) {
  std::string baseline = testing::temp_dir() + "/known-leaks.toml";
  std::string text;
  for (const auto& p : seeded()) {
    text += fmt::format(
        "[[accepted]]\nblocked_at = \"{}\"\ncreated_by = \"{}\"\n"
        "reason = \"{}\"\nexpires = {}\n\n",
        p.top, p.creator, p.kind, next_year());
  }
  testing::write_file(baseline, text);
  auto result =
      leakscan(with(debug2_, {"--config", config_, "--baseline", baseline, "--fail-on", "leak"}));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  auto sarif =
      leakscan(with(debug2_, {"--config", config_, "--baseline", baseline, "--format", "sarif"}));
  ASSERT_EQ(sarif.exit_code, 0);
  EXPECT_TRUE(parse_sarif(sarif.out).empty());
}

TEST_F(LeakyService, ExpiredBaselineEntryWarnsWithFileAndLine) {
  std::string baseline = testing::temp_dir() + "/known-leaks.toml";
  testing::write_file(baseline,
                      fmt::format("# leakyservice's accepted leaks\n"
                                  "[[accepted]]\n"
                                  "blocked_at = \"main.(*OrderService).auditConsumer\"\n"
                                  "reason = \"audit consumer, fixed in v3\"\n"
                                  "expires = {}\n"
                                  "\n"
                                  "[[accepted]]\n"
                                  "blocked_at = \"main.(*OrderService).watchSubscription\"\n"
                                  "reason = \"nil channel, was to be fixed by 2020\"\n"
                                  "expires = 2020-01-31\n",
                                  next_year()));
  auto json =
      leakscan(with(debug2_, {"--config", config_, "--baseline", baseline, "--format", "json"}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.err.find(fmt::format("leakscan: warning: {}:7: accepted leak expired on "
                                      "2020-01-31",
                                      baseline)),
            std::string::npos)
      << json.err;
  EXPECT_EQ(std::count(json.err.begin(), json.err.end(), '\n'), 1) << json.err;
  report::Report report = parse_report(json.out);
  EXPECT_EQ(report.summary().baselined(), 1);  // only the live entry
  EXPECT_EQ(report.summary().leaks(), 7);
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() == "main.(*OrderService).watchSubscription") {
      EXPECT_EQ(cluster.baseline_reason(), "");
    }
  }
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

TEST_F(LeakyService, AHeapProfileIsRefusedAsNoGoroutineProfile) {
  // The service's own heap profile: samples of bytes and objects, which read as goroutines would
  // be thousands of made-up goroutines.
  auto heap = testing::http_get("http://" + address_ + "/debug/pprof/heap");
  ASSERT_TRUE(heap.has_value());
  auto read = read_snapshots_from_memory(*heap, "heap.pb.gz");
  ASSERT_FALSE(read.has_value());
  EXPECT_TRUE(read.error().message.starts_with("heap.pb.gz: a profile of alloc_objects, "))
      << read.error().message;
  EXPECT_NE(read.error().message.find("not of goroutines"), std::string::npos)
      << read.error().message;
}

}  // namespace
}  // namespace leakscan
