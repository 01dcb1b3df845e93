#include "tests/support/library_run.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "analyzer/analysis/rules.h"
#include "analyzer/readers/read_snapshots.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan::testing {

std::unique_ptr<LibraryRun> analyze_files(
    const std::vector<std::string>& paths,
    const std::vector<std::chrono::system_clock::time_point>& fetched_at,
    const std::string& config) {
  auto run = std::make_unique<LibraryRun>();
  for (size_t i = 0; i < paths.size(); ++i) {
    auto read = read_snapshots(paths[i]);
    EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message);
    if (!read) return nullptr;
    EXPECT_EQ(read->size(), 1u) << paths[i];
    Snapshot& snapshot = run->snapshots.emplace_back(std::move(read->front()));
    if (!snapshot.captured_at && i < fetched_at.size()) {
      snapshot.captured_at = fetched_at[i];
      snapshot.capture_time_origin = CaptureTimeOrigin::kFetched;
    }
  }
  // As load_snapshots does: Go's leak profiles first, out of the series (analysis/leak_proof.h).
  std::stable_partition(run->snapshots.begin(), run->snapshots.end(),
                        [](const Snapshot& snapshot) { return snapshot.proven_leaked; });
  AnalysisOptions options;
  if (!config.empty()) {
    auto rules = load_config(options.rules, config);
    EXPECT_TRUE(rules.has_value()) << (rules ? "" : rules.error().message);
    if (!rules) return nullptr;
    options.rules = std::move(*rules);
  }
  auto analysis = analyze(run->snapshots, options);
  EXPECT_TRUE(analysis.has_value()) << (analysis ? "" : analysis.error().message);
  if (!analysis) return nullptr;
  run->analysis = std::move(*analysis);
  return run;
}

bool capture_goroutines(const std::string& base, const std::string& prefix,
                        std::vector<std::string>& debug2, std::vector<std::string>& debug0) {
  for (int debug : {2, 0}) {
    auto body = http_get(fmt::format("{}/debug/pprof/goroutine?debug={}", base, debug),
                         std::chrono::seconds(30));
    EXPECT_TRUE(body.has_value()) << "debug=" << debug;
    if (!body) return false;
    std::string path = prefix + (debug == 2 ? ".txt" : ".pb.gz");
    write_file(path, *body);
    (debug == 2 ? debug2 : debug0).push_back(path);
  }
  return true;
}

std::string write_one_second_thresholds(const std::string& dir) {
  std::string path = dir + "/leakscan.toml";
  write_file(path,
             "# Seconds, not minutes: the test runs for seconds.\n"
             "[thresholds]\n"
             "default = \"1s\"\n"
             "http_handler = \"1s\"\n"
             "label = \"1s\"\n");
  return path;
}

}  // namespace leakscan::testing
