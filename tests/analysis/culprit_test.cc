// Real dumps with a known cause: leakscan's first finding names the culprit (the goals of the
// issue "Verdicts an operator can trust from one dump": on at least 90% of them), and healthy
// services' dumps get no LEAK.
#include "analyzer/engine/find_leaks.h"
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

// The process_end section of a crash, panic, deadlock or hang comes first in every report
// format; else the first cluster.
std::string first_finding(const report::Report& report) {
  if (report.has_process_end()) return report.process_end().blocked_at().function();
  return report.clusters_size() > 0 ? report.clusters(0).blocked_at().function() : "(nothing)";
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

TEST(Culprits, TheFirstFindingNamesTheCulpritOfRealDumps) {
  auto rows = testing::read_tsv(testing::data_path("corpus/culprits.tsv"));
  ASSERT_GE(rows.size(), 12u);
  size_t named = 0;
  std::string misses;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    auto snapshots = read_snapshots(testing::data_path("corpus/" + row[0]));
    ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
    auto analysis = analyze(*snapshots, AnalysisOptions{});
    ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
    std::string first = first_finding(analysis->report);
    auto culprits = split(row[1], '|');
    if (std::find(culprits.begin(), culprits.end(), first) != culprits.end()) {
      ++named;
    } else {
      misses += fmt::format("  {}: first finding {}, culprit {}\n", row[0], first, row[1]);
    }
  }
  double share = static_cast<double>(named) / static_cast<double>(rows.size());
  std::printf("culprit first on %zu of %zu dumps with a known cause (%.0f%%)\n%s", named,
              rows.size(), share * 100, misses.c_str());
  EXPECT_GE(share, 0.9) << misses;
}

TEST(Culprits, CrashDumpsExplainTheEndAndNeverAdviseCapturingAgain) {
  for (const char* name :
       {"gotfmt-deadlock-nilchan-go1.2.txt", "gokrazy-rsync-sigquit-hang-go1.23.txt",
        "responsewriter-issue-stackoverflow-go1.22.txt",
        "mhub-send-on-closed-chan-panic-go1.3.txt"}) {
    auto snapshots = read_snapshots(testing::data_path(std::string("corpus/") + name));
    ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
    auto analysis = analyze(*snapshots, AnalysisOptions{});
    ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
    const auto& report = analysis->report;
    ASSERT_TRUE(report.has_process_end()) << name;
    EXPECT_FALSE(report.process_end().explanation().empty()) << name;
    EXPECT_GT(report.process_end().stack_size(), 0) << name;
    for (const auto& cluster : report.clusters()) {
      for (const auto& reason : cluster.reasons()) {
        EXPECT_EQ(reason.find("capture again"), std::string::npos) << name << ": " << reason;
      }
    }
  }
  auto deadlock = read_snapshots(testing::data_path("corpus/gotfmt-deadlock-nilchan-go1.2.txt"));
  ASSERT_TRUE(deadlock.has_value());
  auto analysis = analyze(*deadlock, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value());
  const auto& end = analysis->report.process_end();
  EXPECT_EQ(end.kind(), "deadlock");
  // Both goroutines of the test, each blocked on a nil channel; the test binary's main
  // goroutine is not the culprit.
  std::set<uint64_t> waiting;
  for (const auto& group : end.waiting()) {
    for (uint64_t id : group.goroutine_ids()) waiting.insert(id);
  }
  EXPECT_TRUE(waiting.contains(3) && waiting.contains(4)) << end.DebugString();
  EXPECT_EQ(end.goroutine_id(), 3u);
}

TEST(Culprits, HealthyServicesGetNoLeak) {
  for (const char* name :
       {"cdk-erigon-debug2-go1.21.txt", "cdk-erigon-debug0-go1.21.pb.gz",
        "go-musicfox-postfix-debug2-macos.txt", "nats-server-2391-mqtt-debug1-go1.17.txt"}) {
    auto snapshots = read_snapshots(testing::data_path(std::string("corpus/") + name));
    ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
    auto analysis = analyze(*snapshots, AnalysisOptions{});
    ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
    EXPECT_EQ(analysis->report.summary().leaks(), 0) << name;
  }
}

TEST(Culprits, OneLeakHasOneIdInDebug1AndInPprof) {
  auto id_of = [](const char* name) {
    auto snapshots = read_snapshots(testing::data_path(std::string("corpus/") + name));
    EXPECT_TRUE(snapshots.has_value());
    if (!snapshots) return std::string();
    auto analysis = analyze(*snapshots, AnalysisOptions{});
    EXPECT_TRUE(analysis.has_value());
    for (const auto& cluster : analysis->report.clusters()) {
      if (cluster.blocked_at().function() ==
          "github.com/ledgerwatch/erigon/zk/utils.(*TxGasLogger).Start.func1") {
        return cluster.id();
      }
    }
    return std::string("none");
  };
  std::string debug1 = id_of("cdk-erigon-txgaslogger-leak-debug1-go1.21.txt");
  EXPECT_NE(debug1, "none");
  EXPECT_EQ(debug1, id_of("cdk-erigon-txgaslogger-leak-debug0-go1.21.pb.gz"));
}

}  // namespace
}  // namespace leakscan
