// Recall and precision on real bugs: samples/go/bugs reproduces, one subcommand each, the shape
// of leaks and deadlocks reported in public Go projects (grpc-go, kubernetes, moby, etcd,
// cockroachdb and others; its README cites each report). Every bug runs as its own process,
// next to benign look-alikes (an idle worker pool, a ticker loop, an in-flight request that
// finishes, an idle keep-alive connection). Three rounds of triggers, each followed by a
// capture as debug=2 and debug=0; the program's manifest says where its goroutines block and how
// many each round leaks. Three modes are measured against it:
//   one debug=2 dump      the last capture alone: found = a cluster at the site is LEAK or SUSPECT
//   three debug=2         the three captures: found = LEAK
//   three debug=0         the same as pprof profiles: found = LEAK
// A false positive is a cluster with the mode's verdict at a benign site of the manifest.
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "analyzer/model/user_code.h"
#include "analyzer/readers/read_snapshots.h"
#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

constexpr int kRounds = 3;
constexpr auto kSettle = 1500ms;  // after each round, before capturing
constexpr int kParallel = 2;      // bugs run at a time (the machine has two cores)

// The floors are the goals of the issue "Verdicts an operator can trust from one dump": from one
// debug=2 dump, >= 80% of the leak sites judged LEAK or SUSPECT with >= 90% precision; from three
// snapshots, >= 98% recall with >= 97% precision. Measured (32 bugs, 45 leak sites): one dump
// 45/45 with no benign site reported (it was 0/45 before the goroutine-id clock); three
// snapshots 45/45 in both formats, no benign site. The three-snapshot floors stay at what was
// measured, above the goals.
constexpr double kOneDumpRecallFloor = 0.8;
constexpr double kOneDumpPrecisionFloor = 0.9;
constexpr double kThreeDebug2RecallFloor = 1.0;
constexpr double kThreeDebug2PrecisionFloor = 1.0;
constexpr double kThreeDebug0RecallFloor = 1.0;
constexpr double kThreeDebug0PrecisionFloor = 1.0;

struct Site {
  std::string function;
  bool leak = false;
  int64_t per_round = 0;  // leak sites: goroutines each round leaks there
};

// One bug's run: its manifest and its captures.
struct BugRun {
  std::string name;
  std::string program = testing::go_bin("bugs");
  bool leak_profile = false;  // also capture Go's goroutineleak profile after the last round
  std::string ref;
  std::string shape;
  std::vector<Site> sites;
  std::vector<std::string> debug2;
  std::vector<std::string> debug0;
  std::vector<std::chrono::system_clock::time_point> captured_at;
  std::string proven;      // goroutineleak?debug=1: only what the GC proved leaked
  std::string all_marked;  // goroutineleak?debug=2: every goroutine, the proven "(leaked)"
  std::string error;       // empty when the run went through
};

std::vector<std::pair<std::string, std::string>> list_bugs() {
  auto listed = testing::run_command({testing::go_bin("bugs"), "-list"}, 30s);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(listed.out);
  std::string name, ref, url;
  while (in >> name >> ref >> url) out.emplace_back(name, ref);
  return out;
}

// Starts the bug's program, runs the rounds and captures; the program is killed on return.
void run_bug(BugRun& run, const std::string& dir) {
  testing::ChildProcess program({run.program, "-bug", run.name});
  std::string base;
  for (int i = 0; i < 100 && base.empty(); ++i) {
    auto line = program.read_line(30s);
    if (!line) {
      run.error = "no LISTENING line: " + program.stderr_text();
      return;
    }
    if (line->starts_with("LISTENING ")) {
      base = line->substr(10);
      break;
    }
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(*line, &entry).ok()) {
      run.error = "bad manifest line: " + *line;
      return;
    }
    const auto& fields = entry.fields();
    if (fields.contains("bug")) {
      run.ref = fields.at("ref").string_value();
      run.shape = fields.at("shape").string_value();
    } else if (fields.contains("site")) {
      Site site{fields.at("site").string_value(), fields.at("kind").string_value() == "leak", 0};
      if (site.leak) site.per_round = static_cast<int64_t>(fields.at("per_round").number_value());
      run.sites.push_back(site);
    }
  }
  if (!base.starts_with("http://127.0.0.1:")) {
    run.error = "no address: " + base;
    return;
  }
  for (int round = 1; round <= kRounds; ++round) {
    if (!testing::http_get(base + "/round", 10s)) {
      run.error = fmt::format("round {} failed", round);
      return;
    }
    std::this_thread::sleep_for(kSettle);
    run.captured_at.push_back(std::chrono::system_clock::now());
    if (!testing::capture_goroutines(base, fmt::format("{}/{}-{}", dir, run.name, round),
                                     run.debug2, run.debug0)) {
      run.error = fmt::format("capture {} failed", round);
      return;
    }
  }
  if (!run.leak_profile) return;
  for (auto [debug, path] : {std::pair{1, &run.proven}, std::pair{2, &run.all_marked}}) {
    auto body =
        testing::http_get(base + fmt::format("/debug/pprof/goroutineleak?debug={}", debug), 30s);
    if (!body) {
      run.error = fmt::format("goroutineleak?debug={} failed", debug);
      return;
    }
    *path = fmt::format("{}/{}-leak{}.txt", dir, run.name, debug);
    testing::write_file(*path, *body);
  }
}

// Runs every bug, two at a time.
void run_bugs(std::vector<BugRun>& runs, const std::string& dir) {
  testing::run_in_parallel(runs.size(), kParallel, [&](size_t i) { run_bug(runs[i], dir); });
}

// Goroutines per leaf-most function of the program's own code, from one capture.
std::map<std::string, int64_t> count_by_site(const std::string& path) {
  std::map<std::string, int64_t> out;
  auto read = read_snapshots(path);
  EXPECT_TRUE(read.has_value() && read->size() == 1u) << path;
  if (!read || read->empty()) return out;
  const Snapshot& snapshot = read->front();
  auto add = [&](Stack stack, int64_t count) {
    FrameId id = first_user_frame(snapshot, stack);
    if (id != kNoFrame) out[std::string(snapshot.frame(id).function)] += count;
  };
  for (const auto& thread : snapshot.threads) add(thread.stack, 1);
  for (const auto& sample : snapshot.samples) add(sample.stack, sample.count);
  return out;
}

struct Score {
  int sites = 0;
  int found = 0;
  int true_clusters = 0;   // clusters with the verdict at a leak site
  int false_clusters = 0;  // clusters with the verdict at a benign site
  int other_clusters = 0;  // clusters with the verdict elsewhere (not in the manifest)
  double recall() const { return sites > 0 ? double(found) / sites : 0; }
  double precision() const {
    int reported = true_clusters + false_clusters;
    return reported > 0 ? double(true_clusters) / reported : 0;
  }
};

std::string score_line(const char* mode, const Score& s) {
  return fmt::format(
      "{:<34} recall {:.3f} ({}/{} sites)  precision {:.3f} ({} at leak sites, {} at benign "
      "sites; {} elsewhere)\n",
      mode, s.recall(), s.found, s.sites, s.precision(), s.true_clusters, s.false_clusters,
      s.other_clusters);
}

// The table, its notes and how long the runs took, to the test's output.
void print_table(std::string table, const std::vector<std::string>& notes, size_t bugs,
                 std::chrono::steady_clock::time_point started) {
  for (const auto& note : notes) table += note + "\n";
  table += fmt::format(
      "{} bugs in {:.0f}s\n", bugs,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  fmt::print("{}", table);
  std::fflush(stdout);
}

// Scores one analysis of one bug; `suspect_counts` for the one-dump mode. Appends the bug's
// cell ("2/2", "-" for a failed analysis) to `cell` and the false positives to `notes`.
void score(const BugRun& run, const testing::LibraryRun* analyzed, bool suspect_counts,
           Score& total, std::string& cell, std::vector<std::string>& notes,
           const std::string& mode) {
  int sites = 0, found = 0;
  for (const auto& site : run.sites) sites += site.leak;
  total.sites += sites;
  if (analyzed == nullptr) {
    cell = fmt::format("-/{}", sites);
    return;
  }
  auto counts = [&](report::Verdict verdict) {
    return verdict == report::LEAK || (suspect_counts && verdict == report::SUSPECT);
  };
  const auto& clusters = analyzed->analysis.report.clusters();
  for (const auto& site : run.sites) {
    bool reported_here = false;
    for (const auto& cluster : clusters) {
      if (cluster.blocked_at().function() != site.function || !counts(cluster.verdict())) continue;
      reported_here = true;
      if (site.leak) {
        ++total.true_clusters;
      } else {
        ++total.false_clusters;
        notes.push_back(fmt::format("{} {}: benign {} reported as {}", mode, run.name,
                                    site.function, report::Verdict_Name(cluster.verdict())));
      }
    }
    found += site.leak && reported_here;
  }
  for (const auto& cluster : clusters) {
    if (!counts(cluster.verdict())) continue;
    bool listed = std::any_of(run.sites.begin(), run.sites.end(), [&](const Site& site) {
      return site.function == cluster.blocked_at().function();
    });
    total.other_clusters += !listed;
  }
  total.found += found;
  cell = fmt::format("{}/{}", found, sites);
}

TEST(BugPrograms, RecallAndPrecisionFromOneDumpAndThreeSnapshots) {
  auto started = std::chrono::steady_clock::now();
  auto bugs = list_bugs();
  ASSERT_GE(bugs.size(), 30u) << "at least 30 bug programs";
  const std::string dir = testing::temp_dir();
  const std::string config = testing::write_one_second_thresholds(dir);

  std::vector<BugRun> runs(bugs.size());
  for (size_t i = 0; i < bugs.size(); ++i) runs[i].name = bugs[i].first;
  run_bugs(runs, dir);

  Score one_dump, three_debug2, three_debug0;
  std::vector<std::string> notes;
  std::string table = fmt::format("{:<18} {:<32} {:>9} {:>9} {:>9}\n", "bug", "report", "1 dump",
                                  "3 dbg=2", "3 dbg=0");
  for (auto& run : runs) {
    SCOPED_TRACE(run.name);
    EXPECT_TRUE(run.error.empty()) << run.error;
    EXPECT_FALSE(run.sites.empty());
    std::unique_ptr<testing::LibraryRun> last, d2, d0;
    if (run.error.empty()) {
      // The ground truth holds in the captures: every leak site at exactly its count.
      for (int round = 1; round <= kRounds; ++round) {
        for (const auto* paths : {&run.debug2, &run.debug0}) {
          auto counts = count_by_site((*paths)[round - 1]);
          for (const auto& site : run.sites) {
            if (!site.leak) continue;
            EXPECT_EQ(counts[site.function], round * site.per_round)
                << site.function << " in capture " << (*paths)[round - 1];
          }
        }
      }
      last = testing::analyze_files({run.debug2.back()}, {run.captured_at.back()}, config);
      d2 = testing::analyze_files(run.debug2, run.captured_at, config);
      d0 = testing::analyze_files(run.debug0, run.captured_at, config);
    }
    std::string a, b, c;
    score(run, last.get(), /*suspect_counts=*/true, one_dump, a, notes, "1 dump");
    score(run, d2.get(), /*suspect_counts=*/false, three_debug2, b, notes, "3 debug=2");
    score(run, d0.get(), /*suspect_counts=*/false, three_debug0, c, notes, "3 debug=0");
    table += fmt::format("{:<18} {:<32} {:>9} {:>9} {:>9}\n", run.name, run.ref, a, b, c);
  }
  table += score_line("one debug=2 dump (LEAK or SUSPECT)", one_dump);
  table += score_line("three debug=2 snapshots (LEAK)", three_debug2);
  table += score_line("three debug=0 snapshots (LEAK)", three_debug0);
  print_table(table, notes, runs.size(), started);

  constexpr double kSlack = 1e-9;
  EXPECT_GE(one_dump.recall(), kOneDumpRecallFloor - kSlack);
  EXPECT_GE(one_dump.precision(), kOneDumpPrecisionFloor - kSlack);
  EXPECT_GE(three_debug2.recall(), kThreeDebug2RecallFloor - kSlack);
  EXPECT_GE(three_debug2.precision(), kThreeDebug2PrecisionFloor - kSlack);
  EXPECT_GE(three_debug0.recall(), kThreeDebug0RecallFloor - kSlack);
  EXPECT_GE(three_debug0.precision(), kThreeDebug0PrecisionFloor - kSlack);
}

// Go's own leak detector (the goroutineleak profile, bugs built by Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile) beside leakscan's heuristics, on one dump after three
// rounds of each bug:
//   Go runtime      the sites in goroutineleak?debug=1, which holds only what the GC proved
//   heuristics      goroutine?debug=2 analysed alone: LEAK, and LEAK or SUSPECT
//   both            goroutineleak?debug=2 analysed: the same dump with the proven "(leaked)"
// The GC proves a goroutine leaked only when nothing reachable can wake it, so it never names a
// benign site, and it misses leaks whose channel or lock a live object still reaches (a global,
// a running goroutine); the heuristics see those. Together they must lose nothing either has.
TEST(BugPrograms, GoLeakProfileBesideTheHeuristics) {
  auto started = std::chrono::steady_clock::now();
  auto bugs = list_bugs();
  ASSERT_GE(bugs.size(), 30u);
  const std::string dir = testing::temp_dir();
  const std::string config = testing::write_one_second_thresholds(dir);
  std::vector<BugRun> runs(bugs.size());
  for (size_t i = 0; i < bugs.size(); ++i) {
    runs[i].name = bugs[i].first;
    runs[i].program = testing::go_bin("go1.26", "bugs-leakprofile");
    runs[i].leak_profile = true;
  }
  run_bugs(runs, dir);

  Score runtime, heuristics_leak, heuristics_any, both_leak, both_any;
  std::vector<std::string> notes;
  std::string table =
      fmt::format("{:<18} {:<32} {:>8} {:>11} {:>11} {:>8} {:>11}\n", "bug", "report", "runtime",
                  "heur. LEAK", "heur. L|S", "both L", "both L|S");
  for (auto& run : runs) {
    SCOPED_TRACE(run.name);
    ASSERT_TRUE(run.error.empty()) << run.error;
    // The runtime's verdict: every site its profile holds.
    std::string proven_cell;
    {
      auto proven = count_by_site(run.proven);
      int sites = 0, found = 0;
      for (const auto& site : run.sites) {
        sites += site.leak;
        if (proven[site.function] == 0) continue;
        found += site.leak;
        ++(site.leak ? runtime.true_clusters : runtime.false_clusters);
        if (!site.leak)
          notes.push_back(fmt::format("runtime {}: benign {} proven", run.name, site.function));
      }
      runtime.sites += sites;
      runtime.found += found;
      proven_cell = fmt::format("{}/{}", found, sites);
    }
    auto alone = testing::analyze_files({run.debug2.back()}, {run.captured_at.back()}, config);
    auto marked = testing::analyze_files({run.all_marked}, {run.captured_at.back()}, config);
    std::string a, b, c, d;
    score(run, alone.get(), false, heuristics_leak, a, notes, "heuristics LEAK");
    score(run, alone.get(), true, heuristics_any, b, notes, "heuristics LEAK|SUSPECT");
    score(run, marked.get(), false, both_leak, c, notes, "both LEAK");
    score(run, marked.get(), true, both_any, d, notes, "both LEAK|SUSPECT");
    table += fmt::format("{:<18} {:<32} {:>8} {:>11} {:>11} {:>8} {:>11}\n", run.name, run.ref,
                         proven_cell, a, b, c, d);
  }
  table += score_line("Go runtime (goroutineleak)", runtime);
  table += score_line("heuristics, one dump (LEAK)", heuristics_leak);
  table += score_line("heuristics, one dump (LEAK|SUSPECT)", heuristics_any);
  table += score_line("both, one dump (LEAK)", both_leak);
  table += score_line("both, one dump (LEAK|SUSPECT)", both_any);
  print_table(table, notes, runs.size(), started);

  EXPECT_EQ(runtime.false_clusters, 0) << "the GC proves no benign goroutine leaked";
  EXPECT_GT(runtime.found, 0);
  // A proven leak is a leak whatever its wait; the proof never loses what the heuristics saw.
  EXPECT_GE(both_leak.found, runtime.found);
  EXPECT_GE(both_leak.found, heuristics_leak.found);
  EXPECT_GE(both_any.found, heuristics_any.found);
  EXPECT_GE(both_any.precision(), kOneDumpPrecisionFloor);
}

}  // namespace
}  // namespace leakscan
