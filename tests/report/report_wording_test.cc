// What the text and Markdown reports and --emit-pprof say, read from the leakscan command's
// output on real captures (samples/profiles, tests/data/corpus): cluster ids, counts in words,
// the Markdown reason column, and what an --emit-pprof file holds.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <filesystem>
#include <string>
#include <vector>

#include "analyzer/report/visible_text.h"
#include "proto/leakscan_report.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> leakyservice() {
  std::vector<std::string> files;
  for (int i = 1; i <= 3; ++i) {
    files.push_back(fmt::format("{}/leakyservice-{}.txt", LEAKSCAN_SAMPLE_PROFILES, i));
  }
  return files;
}

testing::CommandResult leakscan(std::vector<std::string> args) {
  args.insert(args.begin(), testing::cli_path());
  args.emplace_back("--color=never");
  auto result = testing::run_command(args, 120s);
  EXPECT_TRUE(result.exit_code == 0) << result.err;
  return result;
}

std::vector<std::string> with(std::vector<std::string> files,
                              const std::vector<std::string>& flags) {
  files.insert(files.end(), flags.begin(), flags.end());
  return files;
}

report::Report json_report(const std::vector<std::string>& args) {
  report::Report report;
  auto json = leakscan(with(args, {"--format", "json"}));
  auto status = google::protobuf::util::JsonStringToMessage(json.out, &report);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return report;
}

TEST(TextReport, NamesEveryClusterByItsId) {
  report::Report report = json_report(with(leakyservice(), {"-v"}));
  ASSERT_EQ(report.clusters_size(), 12);
  std::string text = leakscan(with(leakyservice(), {"-v"})).out;
  for (const auto& cluster : report.clusters()) {
    EXPECT_NE(text.find(fmt::format(" · cluster {}\n", cluster.id())), std::string::npos)
        << cluster.id();
  }
}

// Every dump of the corpus and the samples, every cluster listed: no "1 goroutines", "1 more
// clusters", "blocked on running".
TEST(TextReport, CountsAgreeWithTheirNouns) {
  std::vector<std::string> inputs;
  for (const auto& dir : {testing::data_path("corpus"), std::string(LEAKSCAN_SAMPLE_PROFILES)}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (name.ends_with(".txt") || name.ends_with(".pb.gz")) inputs.push_back(entry.path());
    }
  }
  ASSERT_GE(inputs.size(), 30u);
  RE2 singular_as_plural(R"((?:^|[^0-9,.])1 (?:more )?(?:runtime and standard-library )?)"
                         R"((goroutines|clusters|leaks|suspects|snapshots|objects)\b)");
  for (const auto& input : inputs) {
    std::string text = leakscan({input, "-v"}).out + leakscan({input, "--format", "markdown"}).out;
    std::string noun;
    EXPECT_FALSE(RE2::PartialMatch(text, singular_as_plural, &noun)) << input << ": 1 " << noun;
    EXPECT_EQ(text.find("blocked on running"), std::string::npos) << input;
    EXPECT_EQ(text.find("blocked on runnable"), std::string::npos) << input;
  }
}

TEST(TextReport, OneOfAThingIsSingular) {
  std::string lockedm = leakscan({testing::data_path("corpus/gostackparse-lockedm.txt"), "-v"}).out;
  EXPECT_NE(lockedm.find("expected  1 goroutine (100.0%) running\n"), std::string::npos) << lockedm;
  EXPECT_NE(lockedm.find("0 leaks, 0 suspects in 1 cluster;"), std::string::npos) << lockedm;
  std::string cgo = leakscan({testing::data_path("corpus/gostackparse-cgo.txt")}).out;
  EXPECT_NE(cgo.find("; 1 runtime and standard-library goroutine set aside"), std::string::npos)
      << cgo;
  // 12 clusters, 11 listed: the last is one cluster of one goroutine.
  std::string cut = leakscan(with(leakyservice(), {"--max-clusters", "11"})).out;
  EXPECT_NE(cut.find("not listed: 1 more cluster, 1 goroutine (--max-clusters)\n"),
            std::string::npos)
      << cut;
  std::string one = leakscan(with(leakyservice(), {"--focus", "handleTicker|pool|worker"})).out;
  EXPECT_NE(one.find("\n1 leak, 0 suspects in 2 clusters;"), std::string::npos) << one;
  EXPECT_NE(one.find("expected: 1 more cluster, "), std::string::npos) << one;
}

// The Markdown "why" column: the reasons after the headline, which the other columns repeat.
TEST(MarkdownReport, WhyColumnCarriesTheReason) {
  report::Report report = json_report(leakyservice());
  std::string markdown = leakscan(with(leakyservice(), {"--format", "markdown"})).out;
  int rows = 0;
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::EXPECTED) continue;
    ASSERT_GE(cluster.reasons_size(), 2);
    std::string why = cluster.reasons(1);
    for (int i = 2; i < cluster.reasons_size(); ++i) why += "; " + cluster.reasons(i);
    size_t row = markdown.find(fmt::format("| {} |\n", markdown_text(why)));
    EXPECT_NE(row, std::string::npos) << why;
    ++rows;
  }
  EXPECT_EQ(rows, 8);
  EXPECT_EQ(markdown.find(report.clusters(0).reasons(0)), std::string::npos)
      << "the headline is not repeated: " << report.clusters(0).reasons(0);
  EXPECT_NE(markdown.find("grows in every snapshot: goroutines are created here and never finish"),
            std::string::npos);
}

TEST(EmitPprof, SaysWhatItWrote) {
  std::string dir = testing::temp_dir();
  report::Report report = json_report(leakyservice());
  auto leaks = leakscan(with(leakyservice(), {"--emit-pprof", dir + "/leaks.pb.gz"}));
  EXPECT_EQ(leaks.err, fmt::format("leakscan: wrote {} goroutines judged leaking to {}\n",
                                   report.summary().leaked_goroutines(), dir + "/leaks.pb.gz"));
  EXPECT_GT(std::filesystem::file_size(dir + "/leaks.pb.gz"), 0u);
}

TEST(EmitPprof, SaysWhyTheProfileIsEmptyWhenOnlySuspectsWereFound) {
  std::string dir = testing::temp_dir();
  // One snapshot: the leaks that nothing can wake (a nil channel, a send and a WaitGroup no
  // goroutine holds) are left out; the rest, without a clock, are suspects.
  std::vector<std::string> last = {leakyservice().back(), "--ignore",
                                   "watchSubscription|fetchOrder|handleBatch"};
  report::Report report = json_report(last);
  ASSERT_EQ(report.summary().leaks(), 0);
  ASSERT_EQ(report.summary().suspects(), 5);
  auto result = leakscan(with(last, {"--emit-pprof", dir + "/leaks.pb.gz"}));
  EXPECT_EQ(result.err, fmt::format("leakscan: wrote an empty profile to {}: no cluster was judged "
                                    "leak (5 suspects left out; --emit-pprof holds leaks only)\n",
                                    dir + "/leaks.pb.gz"));
  auto clean = leakscan(
      {testing::data_path("corpus/gostackparse-lockedm.txt"), "--emit-pprof", dir + "/none.pb.gz"});
  EXPECT_EQ(clean.err, fmt::format("leakscan: wrote an empty profile to {}: no cluster was judged "
                                   "leak\n",
                                   dir + "/none.pb.gz"));
}

}  // namespace
}  // namespace leakscan
