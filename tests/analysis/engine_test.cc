// The three steps end to end (analyze()), and every real dump of the corpus through them.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <sstream>

#include "analyzer/engine/find_leaks.h"
#include "analyzer/report/reporters.h"
#include "tests/analysis/layer_fixtures.h"
#include "tests/support/snapshot_helpers.h"

namespace leakscan {
namespace {

TEST(Analyze, ReportOrdersLeaksFirstAndCountsWhatWasSetAside) {
  auto snapshots = three_snapshots({1, 2, 3});
  AnalysisOptions options;
  auto analysis = analyze(snapshots, options);
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& report = analysis->report;
  ASSERT_EQ(report.clusters_size(), 2);
  EXPECT_EQ(report.clusters(0).verdict(), report::LEAK);
  EXPECT_EQ(report.clusters(0).count(), 3);
  EXPECT_EQ(report.clusters(1).verdict(), report::EXPECTED);
  EXPECT_EQ(report.summary().leaks(), 1);
  EXPECT_EQ(report.summary().leaked_goroutines(), 3);
  EXPECT_EQ(report.summary().goroutines(), 7);
  EXPECT_EQ(report.snapshots_size(), 3);
  EXPECT_EQ(report.snapshots(2).capture_time_origin(), "profile");
  EXPECT_EQ(report.rules_version(), default_rules().version);

  // --focus / --ignore leave goroutines out before layer 1.
  options.ignore = "fetchOrder";
  auto ignored = analyze(snapshots, options);
  ASSERT_TRUE(ignored.has_value());
  EXPECT_EQ(ignored->report.summary().leaks(), 0);
  options.ignore = "(";
  auto bad = analyze(snapshots, options);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error().message.starts_with("ignore pattern (: ")) << bad.error().message;
  EXPECT_FALSE(analyze({}, AnalysisOptions{}).has_value());
}

TEST(Analyze, RecordsDoNotPointIntoTheCallersOptions) {
  // The CLI builds its options in a function that returns the analysis; -v then prints each
  // record's why. What the records point to must belong to the analysis.
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  std::optional<Analysis> analysis;
  {
    AnalysisOptions options;
    auto result = analyze(snapshots, options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    analysis = std::move(*result);
    for (auto& rule : options.rules.system) std::fill(rule.why.begin(), rule.why.end(), '#');
    for (auto& rule : options.rules.blocking) {
      std::fill(rule.operation.begin(), rule.operation.end(), '#');
    }
  }
  EXPECT_EQ(record_of(analysis->input, 49).why, "idle HTTP keep-alive connection");
  EXPECT_EQ(record_of(analysis->input, 12).why, "the profile capture itself");
  EXPECT_EQ(record_of(analysis->input, 39).blocking_operation, "sync.Mutex.Lock");
}

// Three debug=2 snapshots of a growing leak carry no capture time; their goroutine ids do.
// Copied with plain cp in another order (modification times newest first), they give the same
// verdicts, and the report says it ordered them.
TEST(FindLeaks, ShuffledFilesAndModificationTimesGiveTheSameVerdicts) {
  const std::string samples = std::string(LEAKSCAN_SAMPLES_DIR) + "/profiles/";
  std::vector<Input> in_order;
  for (const char* name : {"leakyservice-1.txt", "leakyservice-2.txt", "leakyservice-3.txt"}) {
    in_order.push_back(Input::from_argument(samples + name));
  }
  auto expected = find_leaks(std::move(in_order), FindOptions{});
  ASSERT_TRUE(expected.has_value()) << expected.error().message;
  ASSERT_EQ(expected->report().summary().leaks(), 8);

  const std::string dir = testing::temp_dir() + "/shuffled";
  std::filesystem::create_directories(dir);
  std::vector<Input> shuffled;
  int age = 0;
  for (const char* name : {"leakyservice-3.txt", "leakyservice-1.txt", "leakyservice-2.txt"}) {
    std::string copy = dir + "/" + name;
    std::filesystem::copy_file(samples + name, copy,
                               std::filesystem::copy_options::overwrite_existing);
    // The newest file first: modification times say nothing about capture order.
    std::filesystem::last_write_time(
        copy, std::filesystem::file_time_type::clock::now() - std::chrono::hours(++age));
    shuffled.push_back(Input::from_argument(copy));
  }
  auto actual = find_leaks(std::move(shuffled), FindOptions{});
  ASSERT_TRUE(actual.has_value()) << actual.error().message;
  ASSERT_EQ(actual->report().clusters_size(), expected->report().clusters_size());
  for (int i = 0; i < expected->report().clusters_size(); ++i) {
    EXPECT_EQ(actual->report().clusters(i).id(), expected->report().clusters(i).id());
    EXPECT_EQ(actual->report().clusters(i).verdict(), expected->report().clusters(i).verdict());
  }
  bool said_so = std::any_of(
      actual->warnings().begin(), actual->warnings().end(), [](const std::string& warning) {
        return warning.starts_with("snapshots ordered by their goroutine ids");
      });
  EXPECT_TRUE(said_so);
}

// Snapshots of two processes: a goroutine of one is older than the other's newest, yet absent
// from it, which no order of one process explains.
TEST(FindLeaks, SnapshotsOfTwoProcessesAreRefused) {
  std::vector<Input> inputs;
  inputs.push_back(Input::from_argument(
      testing::data_path("corpus/tidb-v4-prod-indexmergejoin-hang-debug2-go1.13.txt")));
  inputs.push_back(Input::from_argument(testing::data_path("corpus/cdk-erigon-debug2-go1.21.txt")));
  auto mixed = find_leaks(std::move(inputs), FindOptions{});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_NE(mixed.error().message.find("not of one process"), std::string::npos)
      << mixed.error().message;
}

TEST(SarifReport, NothingFoundIsAnEmptyResultsList) {
  // SARIF 2.1.0, 3.14.23: a run that found nothing has "results": []; without the list, it
  // says the tool did not run.
  auto sarif = sarif_report(report::Report{});
  ASSERT_TRUE(sarif.has_value()) << sarif.error().message;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*sarif, &parsed).ok()) << *sarif;
  const auto& run = parsed.fields().at("runs").list_value().values(0).struct_value();
  ASSERT_TRUE(run.fields().contains("results")) << *sarif;
  EXPECT_TRUE(run.fields().at("results").has_list_value());
  EXPECT_EQ(run.fields().at("results").list_value().values_size(), 0);
}

// Struct prints its map in an order that changes between runs: the same report printed twice
// differed, and the Python bindings' SARIF differed from the command's. Keys come sorted.
TEST(SarifReport, KeysOfEveryObjectAreSorted) {
  auto snapshots = read_snapshots(testing::data_path("corpus/gotfmt-deadlock-nilchan-go1.2.txt"));
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  auto analysis = analyze(*snapshots, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  auto sarif = sarif_report(analysis->report);
  ASSERT_TRUE(sarif.has_value()) << sarif.error().message;
  // One key a line, indented by depth: the last key seen at each depth of the open objects.
  std::vector<std::string> last_key;
  size_t keys = 0;
  std::istringstream lines(*sarif);
  for (std::string line; std::getline(lines, line);) {
    const size_t depth = line.find_first_not_of(' ');
    if (depth == std::string::npos) continue;
    last_key.resize(depth + 1);
    if (line[depth] != '"') continue;
    const size_t end = line.find("\": ", depth + 1);
    if (end == std::string::npos) continue;
    std::string key = line.substr(depth + 1, end - depth - 1);
    EXPECT_LT(last_key[depth], key) << "line: " << line;
    last_key[depth] = std::move(key);
    ++keys;
  }
  EXPECT_GT(keys, 30U);
}

// Every real dump of the corpus goes through all five layers and every reporter: the report
// accounts for each goroutine of the last snapshot exactly once.
class CorpusAnalysis : public ::testing::TestWithParam<std::string> {};

std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  for (const auto& row : testing::read_tsv(testing::data_path("corpus/expected.tsv"))) {
    names.push_back(row.at(0));
  }
  return names;
}

TEST_P(CorpusAnalysis, EveryGoroutineIsClusteredOrSetAside) {
  auto snapshots = read_snapshots(testing::data_path("corpus/" + GetParam()));
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  auto analysis = analyze(*snapshots, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& summary = analysis->report.summary();
  int64_t clustered = 0;
  for (const auto& cluster : analysis->report.clusters()) {
    clustered += cluster.count();
    EXPECT_FALSE(cluster.reasons().empty()) << cluster.id();
    EXPECT_EQ(cluster.count_per_snapshot_size(), static_cast<int>(snapshots->size()));
  }
  EXPECT_EQ(clustered + summary.dropped_system() + summary.finishing(), summary.goroutines())
      << GetParam();
  EXPECT_EQ(summary.goroutines(), snapshots->back().goroutine_count());
  EXPECT_TRUE(json_report(analysis->report).has_value());
  EXPECT_TRUE(sarif_report(analysis->report).has_value());
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  write_text_report(*analysis, TextOptions{.color = false, .verbose = true}, out);
  write_markdown_report(*analysis, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("goroutines"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusAnalysis, ::testing::ValuesIn(corpus_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace leakscan
