// One leak, one cluster id: the zoo's blocked populations built by every Go the tests run, read
// from debug=2, debug=1, pprof (debug=0) and a trace of the same process, give each site one
// id everywhere, and a baseline written from one reading accepts the same clusters in all.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/analysis/baseline.h"
#include "analyzer/engine/find_leaks.h"
#include "analyzer/readers/read_snapshots.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"
#include "tests/support/traced_go_program.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

// The zoo's population blocked in a system call (its EXPECT line says "syscall").
const std::string kInASystemCall = "main.blockSyscall:";

struct Reading {
  std::string program;  // "zoo"
  std::string name;     // "go1.19 zoo debug=2"
  std::vector<Snapshot> snapshots;
};

// The program's own clusters by blocking site (function and line), with their ids.
std::map<std::string, std::set<std::string>> ids_by_site(const report::Report& report) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& cluster : report.clusters()) {
    if (!cluster.blocked_at().function().starts_with("main.")) continue;
    out[fmt::format("{}:{}", cluster.blocked_at().function(), cluster.blocked_at().line())].insert(
        cluster.id());
  }
  return out;
}

report::Report analyzed(const Reading& reading, const std::vector<BaselineEntry>& baseline = {}) {
  AnalysisOptions options;
  options.baseline = baseline;
  auto analysis = analyze(reading.snapshots, options);
  EXPECT_TRUE(analysis.has_value()) << reading.name << ": " << analysis.error().message;
  return analysis ? analysis->report : report::Report();
}

// One program's goroutines as debug=2, debug=1, debug=0 and a trace read them. `round`, when
// given, is fetched first and leaves the program's bug blocked within ~100 ms.
std::vector<Reading> read_program(const std::string& version, const std::string& program,
                                  const std::string& path, const std::vector<std::string>& args,
                                  const std::string& round) {
  std::vector<Reading> readings;
  testing::Target target(version + "/" + path, args);
  EXPECT_FALSE(target.base.empty()) << version << ": " << target.process->stderr_text();
  if (target.base.empty()) return readings;
  if (!round.empty()) {
    EXPECT_TRUE(testing::http_get(target.base + round, 30s).has_value()) << round;
    std::this_thread::sleep_for(500ms);
  }
  for (int debug : {2, 1, 0}) {
    std::string name = fmt::format("{} {} debug={}", version, program, debug);
    auto body = testing::http_get(
        fmt::format("{}/debug/pprof/goroutine?debug={}", target.base, debug), 30s);
    EXPECT_TRUE(body.has_value()) << name;
    if (!body) continue;
    auto snapshots = read_snapshots_from_memory(*body, name);
    EXPECT_TRUE(snapshots.has_value()) << name << ": " << snapshots.error().message;
    if (snapshots) readings.push_back({program, name, std::move(*snapshots)});
  }
  testing::Trace trace(target.pid(), {"--probe-duty=0", "--every", "500ms"});
  EXPECT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  EXPECT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  std::vector<Snapshot> traced;
  traced.push_back(trace.last_snapshot());
  readings.push_back({program, fmt::format("{} {} trace", version, program), std::move(traced)});
  return readings;
}

TEST(ClusterIds, OneLeakHasOneIdAcrossGoVersionsFormatsAndTheTracer) {
  std::vector<Reading> readings;
  for (const auto& version : testing::go_versions()) {
    for (auto& reading : read_program(version, "zoo", "zoo", {}, "")) {
      readings.push_back(std::move(reading));
    }
    // One function blocked at two lines, on a lock and on a send: debug=1 names neither
    // operation. The bug programs are built by Go 1.19 at the root, by later Go with the
    // goroutineleak profile on.
    std::string bugs = version == testing::go_versions().front() ? "../bugs" : "bugs-leakprofile";
    for (auto& reading :
         read_program(version, "bugs", bugs, {"-bug", "kubernetes10182"}, "/round")) {
      readings.push_back(std::move(reading));
    }
  }
  ASSERT_EQ(readings.size(), testing::go_versions().size() * 8);
  // Every site seen in every reading of its program, with one id in all of them.
  std::map<std::string, std::map<std::string, std::set<std::string>>> seen;  // site -> id -> in
  for (const auto& reading : readings) {
    for (const auto& [site, ids] : ids_by_site(analyzed(reading))) {
      for (const auto& id : ids) seen[reading.program + " " + site][id].insert(reading.name);
    }
  }
  ASSERT_GE(seen.size(), 12U);  // the zoo's populations, the bug's two lines, their mains
  for (const auto& [site, ids] : seen) {
    EXPECT_EQ(ids.size(), 1U) << site << " has " << ids.size() << " ids; the first is in "
                              << fmt::format("{}", fmt::join(ids.begin()->second, ", "));
    std::vector<std::string> missing;
    for (const auto& reading : readings) {
      if (!site.starts_with(reading.program + " ")) continue;
      // Go 1.19's goroutines in a system call are traced to their syscall frame only, which
      // is the standard library's (a known limit of the tracer on Go before 1.20).
      bool unwound =
          !(reading.name == "go1.19 zoo trace" && site.starts_with("zoo " + kInASystemCall));
      if (unwound && !ids.begin()->second.contains(reading.name)) missing.push_back(reading.name);
    }
    EXPECT_TRUE(missing.empty()) << site << " is missing from "
                                 << fmt::format("{}", fmt::join(missing, ", "));
  }

  // A baseline of the first reading's clusters of each program, by id, accepts them in every
  // other reading.
  std::string toml;
  for (const Reading* first : {&readings[0], &readings[4]}) {
    for (const auto& [site, ids] : ids_by_site(analyzed(*first))) {
      toml += fmt::format("[[accepted]]\ncluster = \"{}\"\nreason = \"{}\"\n", *ids.begin(), site);
    }
  }
  auto baseline = parse_baseline(toml, "known-leaks.toml");
  ASSERT_TRUE(baseline.has_value()) << baseline.error().message;
  for (const auto& reading : readings) {
    report::Report report = analyzed(reading, *baseline);
    for (const auto& cluster : report.clusters()) {
      if (!cluster.blocked_at().function().starts_with("main.")) continue;
      EXPECT_FALSE(cluster.baseline_reason().empty())
          << reading.name << ": " << cluster.blocked_at().function() << " is not accepted";
    }
  }
}

}  // namespace
}  // namespace leakscan
