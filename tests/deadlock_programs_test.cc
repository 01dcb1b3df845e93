// Verdicts from the wait-for graph, without a clock: samples/go/deadlocks reproduces, one shape
// a run, the blocking bugs of published Go concurrency studies (lock cycles, a channel and a
// lock waiting on each other, a missed Unlock, a Cond nobody signals, a WaitGroup whose Done was
// skipped, senders left by a receiver that returned...), next to benign look-alikes that are
// parked but will be woken (a lock held by a sleeper, a reply a backend will send, an idle
// pool, a ticker loop). Each shape runs once, the way a unit test runs it, and writes one
// debug=2 dump a second later, built by every Go toolchain the tests use. Scored against the
// program's manifest:
//   recall      leak and deadlock sites judged LEAK
//   deadlocks   deadlock sites whose cluster names the cycle
//   precision   of the LEAK clusters at the manifest's sites, those at leak sites
//   flagged     leak and deadlock sites judged LEAK or SUSPECT
// and, where the toolchain has it, Go's own goroutineleak profile beside it. The shapes come in
// two sets: "tuned", the ones the analysis's rules were written against, and "heldout", written
// apart from it and never used to change it; each set is scored on its own.
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "proto/leakscan_report.pb.h"
#include "tests/support/library_run.h"
#include "tests/support/load_client.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using testing::parse_report;

// Measured on the tuned set (see the table the test prints); the goals of the issue "who can
// still wake it" are 60 % LEAK recall from one dump at 95 % precision. The held-out set is held
// to the precision goal only: a benign goroutine called a leak is the error no one forgives.
constexpr double kRecallFloor = 0.6;
constexpr double kPrecisionFloor = 0.95;
constexpr double kDeadlockNamedFloor = 0.5;
constexpr int kParallel = 2;

struct Site {
  std::string function;
  std::string kind;  // leak, deadlock, benign
  int count = 0;
};

struct ShapeRun {
  std::string version;
  std::string program;
  std::string shape;
  std::string set;  // tuned, heldout
  std::vector<Site> sites;
  std::string dump;                // path of the first debug=2 dump, a second after the shape
  std::vector<std::string> dumps;  // it and two more, a second apart
  std::string leak_proof;          // goroutineleak?debug=1 text, when the build has it
  std::string error;
};

std::vector<Site> parse_sites(const std::string& json, std::string& shape,
                              std::string* set = nullptr) {
  std::vector<Site> sites;
  google::protobuf::Struct entry;
  if (!google::protobuf::util::JsonStringToMessage(json, &entry).ok()) return sites;
  shape = entry.fields().at("shape").string_value();
  if (set != nullptr) *set = entry.fields().at("set").string_value();
  for (const auto& value : entry.fields().at("sites").list_value().values()) {
    const auto& fields = value.struct_value().fields();
    sites.push_back(Site{fields.at("function").string_value(), fields.at("kind").string_value(),
                         static_cast<int>(fields.at("count").number_value())});
  }
  return sites;
}

void run_shape(ShapeRun& run, const std::string& dir) {
  auto result = testing::run_command(
      {run.program, "-shape", run.shape, "-dump-after", "1s", "-dumps", "3", "-dump-every", "1s"},
      60s);
  if (result.exit_code != 0) {
    run.error = fmt::format("exit {}: {}", result.exit_code, result.err);
    return;
  }
  std::istringstream in(result.out);
  std::string line;
  std::vector<std::string> dumps;
  std::string proof;
  std::string* into = nullptr;
  while (std::getline(in, line)) {
    if (line.starts_with("MANIFEST ")) {
      std::string shape;
      run.sites = parse_sites(line.substr(9), shape);
    } else if (line == "DUMP debug=2") {
      into = &dumps.emplace_back();
    } else if (line == "DUMP goroutineleak debug=1") {
      into = &proof;
    } else if (line == "END") {
      into = nullptr;
    } else if (into != nullptr) {
      *into += line + "\n";
    }
  }
  if (run.sites.empty() || dumps.size() != 3) {
    run.error = "no manifest or not three dumps in the output";
    return;
  }
  for (size_t i = 0; i < dumps.size(); ++i) {
    run.dumps.push_back(fmt::format("{}/{}-{}-{}.txt", dir, run.version, run.shape, i + 1));
    testing::write_file(run.dumps.back(), dumps[i]);
  }
  run.dump = run.dumps.front();
  run.leak_proof = proof;
}

struct Score {
  int sites = 0;           // leak and deadlock sites
  int found = 0;           // of them, judged LEAK
  int flagged = 0;         // judged LEAK or SUSPECT
  int found_in_three = 0;  // judged LEAK from all three dumps
  int false_in_three = 0;  // benign sites judged LEAK from all three dumps
  int fewer_in_three = 0;  // runs with fewer LEAK sites from three dumps than from the first
  int deadlock_sites = 0;
  int deadlocks_named = 0;
  int true_clusters = 0;
  int false_clusters = 0;
  int proven_sites = 0;  // by Go's own profile, where there is one
  int proof_runs = 0;
  double recall() const { return sites > 0 ? double(found) / sites : 0; }
  double flagged_recall() const { return sites > 0 ? double(flagged) / sites : 0; }
  double precision() const {
    int reported = true_clusters + false_clusters;
    return reported > 0 ? double(true_clusters) / reported : 1;
  }
};

bool names_deadlock(const report::Cluster& cluster) {
  for (const auto& reason : cluster.reasons()) {
    if (reason.starts_with("deadlock:")) return true;
  }
  return false;
}

TEST(DeadlockPrograms, VerdictsFromOneDumpByWhoCanWakeThem) {
  const std::string dir = testing::temp_dir();
  std::vector<ShapeRun> runs;
  for (const auto& version : testing::go_versions()) {
    const std::string program = testing::go_bin(version, "deadlocks");
    auto listed = testing::run_command({program, "-list"}, 30s);
    ASSERT_EQ(listed.exit_code, 0) << program << ": " << listed.err;
    std::istringstream in(listed.out);
    std::string line;
    while (std::getline(in, line)) {
      ShapeRun run{.version = version, .program = program};
      run.sites = parse_sites(line, run.shape, &run.set);
      ASSERT_FALSE(run.shape.empty()) << line;
      ASSERT_TRUE(run.set == "tuned" || run.set == "heldout") << line;
      // Go's own proof where the toolchain builds it in.
      std::string with_proof = testing::go_bin(version, "deadlocks-leakprofile");
      if (version != "go1.19") run.program = with_proof;
      runs.push_back(run);
    }
  }
  ASSERT_GE(runs.size(), 3u * 20u) << "at least 20 shapes on each of three toolchains";
  testing::run_in_parallel(runs.size(), kParallel, [&](size_t i) { run_shape(runs[i], dir); });

  std::map<std::string, Score> totals;  // by set
  std::string table = fmt::format("{:<8} {:<28} {:>9} {:>9} {:>9}  {}\n", "go", "shape", "leak",
                                  "deadlock", "go proof", "misses and false positives");
  for (const auto& run : runs) {
    ASSERT_TRUE(run.error.empty()) << run.version << " " << run.shape << ": " << run.error;
    Score& total = totals[run.set];
    auto analyzed = testing::analyze_files({run.dump}, {}, "");
    ASSERT_TRUE(analyzed) << run.dump;
    const auto& clusters = analyzed->analysis.report.clusters();
    // The same program a second and two seconds later: flat counts, the same goroutines.
    const auto now = std::chrono::system_clock::now();
    auto three = testing::analyze_files(run.dumps, {now - 2s, now - 1s, now}, "");
    ASSERT_TRUE(three) << run.dump;
    int found_in_three = 0;
    for (const auto& site : run.sites) {
      for (const auto& cluster : three->analysis.report.clusters()) {
        if (cluster.blocked_at().function() != site.function || cluster.verdict() != report::LEAK) {
          continue;
        }
        if (site.kind == "benign") {
          ++total.false_in_three;
        } else {
          ++found_in_three;
        }
        break;
      }
    }
    int sites = 0, found = 0, flagged = 0, deadlock_sites = 0, named = 0, proven = 0;
    std::vector<std::string> notes;
    for (const auto& site : run.sites) {
      const bool bad = site.kind != "benign";
      bool leak_here = false;
      bool flagged_here = false;
      bool named_here = false;
      for (const auto& cluster : clusters) {
        if (cluster.blocked_at().function() != site.function) continue;
        if (cluster.verdict() == report::LEAK) {
          leak_here = true;
          bad ? ++total.true_clusters : ++total.false_clusters;
          if (!bad) notes.push_back("benign " + site.function + " LEAK");
        }
        flagged_here = flagged_here || cluster.verdict() == report::LEAK ||
                       cluster.verdict() == report::SUSPECT;
        named_here = named_here || names_deadlock(cluster);
      }
      if (!bad) continue;
      ++sites;
      found += leak_here;
      flagged += flagged_here;
      if (!leak_here) notes.push_back("missed " + site.function);
      if (site.kind == "deadlock") {
        ++deadlock_sites;
        named += named_here;
      }
      proven +=
          !run.leak_proof.empty() && run.leak_proof.find(site.function + "+") != std::string::npos;
    }
    total.sites += sites;
    total.found += found;
    total.flagged += flagged;
    total.found_in_three += found_in_three;
    if (found_in_three < found) {
      ++total.fewer_in_three;
      notes.push_back(fmt::format("three dumps: {} LEAK, one: {}", found_in_three, found));
    }
    total.deadlock_sites += deadlock_sites;
    total.deadlocks_named += named;
    if (!run.leak_proof.empty() || run.version != "go1.19") {
      total.proven_sites += proven;
      total.proof_runs += sites;
    }
    std::string proof_cell = run.version == "go1.19" ? "-" : fmt::format("{}/{}", proven, sites);
    table += fmt::format("{:<8} {:<28} {:>9} {:>9} {:>9}  {}\n", run.version,
                         (run.set == "heldout" ? "*" : "") + run.shape,
                         fmt::format("{}/{}", found, sites),
                         deadlock_sites > 0 ? fmt::format("{}/{}", named, deadlock_sites) : "-",
                         proof_cell, fmt::join(notes, "; "));
  }
  table += "* held out: written apart from the analysis, never used to tune it\n";
  for (const auto& [set, total] : totals) {
    table += fmt::format(
        "{:<8} recall {:.3f} ({}/{} sites LEAK), LEAK or SUSPECT {:.3f}, precision {:.3f} ({} "
        "LEAK clusters at leak sites, {} at benign sites), deadlocks named {}/{}; Go's "
        "goroutineleak profile proved {}/{} sites\n",
        set, total.recall(), total.found, total.sites, total.flagged_recall(), total.precision(),
        total.true_clusters, total.false_clusters, total.deadlocks_named, total.deadlock_sites,
        total.proven_sites, total.proof_runs);
    table += fmt::format(
        "{:<8} three dumps a second apart: {}/{} sites LEAK, {} LEAK at benign sites, {} runs "
        "with fewer LEAK sites than their first dump alone\n",
        set, total.found_in_three, total.sites, total.false_in_three, total.fewer_in_three);
  }
  fmt::print("{}", table);
  std::fflush(stdout);
  // Go's proof beside the dump, in either order: evidence for the dump's clusters, never a
  // snapshot of its own; every site it proves is a LEAK that says so, with leakscan's own facts.
  int proof_runs = 0;
  for (const auto& run : runs) {
    if (run.leak_proof.empty()) continue;
    ++proof_runs;
    const std::string proof = run.dump + ".leak1.txt";
    testing::write_file(proof, run.leak_proof);
    for (const auto& order :
         {std::vector<std::string>{proof, run.dump}, std::vector<std::string>{run.dump, proof}}) {
      SCOPED_TRACE(run.version + " " + run.shape + (order.front() == proof ? " proof first" : ""));
      auto analyzed = testing::analyze_files(order, {}, "");
      ASSERT_TRUE(analyzed);
      const auto& report = analyzed->analysis.report;
      EXPECT_EQ(report.snapshots_size(), 1);
      for (const auto& site : run.sites) {
        if (site.kind == "benign" ||
            run.leak_proof.find(site.function + "+") == std::string::npos) {
          continue;
        }
        bool proven = false;
        for (const auto& cluster : report.clusters()) {
          if (cluster.blocked_at().function() != site.function) continue;
          EXPECT_EQ(cluster.verdict(), report::LEAK) << site.function;
          EXPECT_FALSE(cluster.created_by().function().empty()) << site.function;
          for (const auto& reason : cluster.reasons()) {
            proven = proven || reason.starts_with("proven by the Go runtime");
          }
        }
        EXPECT_TRUE(proven) << site.function;
      }
      for (const auto& cluster : report.clusters()) {
        EXPECT_FALSE(cluster.blocking_operation().ends_with("(leaked)"))
            << cluster.blocking_operation();
        for (const auto& reason : cluster.reasons()) {
          EXPECT_FALSE(reason.starts_with("gone by the last snapshot")) << reason;
        }
      }
    }
  }
  EXPECT_GE(proof_runs, 2 * 20) << "Go 1.26 and 1.27 builds with the leak profile";
  // The same through the command, whose inputs are read and ordered by the engine.
  for (const auto& run : runs) {
    if (run.leak_proof.empty()) continue;
    const std::string proof = run.dump + ".leak1.txt";
    std::vector<std::string> summaries;
    for (const auto& order :
         {std::vector<std::string>{proof, run.dump}, std::vector<std::string>{run.dump, proof}}) {
      auto result =
          testing::run_command({testing::cli_path(), order[0], order[1], "--format", "json"}, 60s);
      ASSERT_EQ(result.exit_code, 0) << result.err;
      report::Report report;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &report).ok());
      EXPECT_EQ(report.snapshots_size(), 1) << run.shape;
      summaries.push_back(report.summary().ShortDebugString());
    }
    EXPECT_EQ(summaries[0], summaries[1]) << run.shape;
    break;
  }
  // `convert` keeps the leak profile's type, to pprof and back to text, and its proof holds.
  for (const auto& run : runs) {
    if (run.leak_proof.empty()) continue;
    const std::string proof = run.dump + ".leak1.txt";
    const std::string converted = run.dump + ".leak.pb.gz";
    auto to_pprof =
        testing::run_command({testing::cli_path(), "convert", proof, "-o", converted}, 60s);
    ASSERT_EQ(to_pprof.exit_code, 0) << to_pprof.err;
    auto to_text =
        testing::run_command({testing::cli_path(), "convert", converted, "--to", "text"}, 60s);
    ASSERT_EQ(to_text.exit_code, 0) << to_text.err;
    EXPECT_TRUE(to_text.out.starts_with("goroutineleak profile: total ")) << to_text.out;
    auto mixed = testing::run_command(
        {testing::cli_path(), "convert", converted, run.dump, "-o", converted + ".mixed"}, 60s);
    EXPECT_EQ(mixed.exit_code, 2) << mixed.out;
    EXPECT_NE(mixed.err.find("convert them apart"), std::string::npos) << mixed.err;
    auto analyzed = testing::analyze_files({converted, run.dump}, {}, "");
    ASSERT_TRUE(analyzed);
    EXPECT_EQ(analyzed->analysis.report.snapshots_size(), 1);
    EXPECT_GE(analyzed->analysis.report.summary().leaks(), 1) << run.shape;
    break;
  }
  const Score& tuned = totals["tuned"];
  EXPECT_GE(tuned.recall(), kRecallFloor);
  EXPECT_GE(tuned.precision(), kPrecisionFloor);
  EXPECT_GE(tuned.deadlock_sites > 0 ? double(tuned.deadlocks_named) / tuned.deadlock_sites : 0,
            kDeadlockNamedFloor);
  // Three snapshots of the same programs: never fewer leaks than one, never a benign one.
  EXPECT_EQ(tuned.fewer_in_three, 0);
  EXPECT_EQ(tuned.false_in_three, 0);
  const Score& heldout = totals["heldout"];
  EXPECT_GE(heldout.sites, 3 * 12) << "the held-out set: a dozen shapes or more";
  EXPECT_GE(heldout.precision(), kPrecisionFloor);
}

// Serves one shape's goroutines over net/http/pprof; killed when it goes out of scope.
class ServedShape {
 public:
  ServedShape(const std::string& program, const std::string& shape)
      : process_({program, "-shape", shape, "-serve", "-dump-after", "1s"}) {
    for (int i = 0; i < 3 && base_.empty(); ++i) {
      auto line = process_.read_line(60s);
      if (!line) break;
      if (line->starts_with("LISTENING ")) base_ = line->substr(10);
      if (line->starts_with("MANIFEST ")) manifest_ = line->substr(9);
    }
  }
  const std::string& base() const { return base_; }
  const std::string& manifest() const { return manifest_; }
  std::string stderr_text() const { return process_.stderr_text(); }

 private:
  testing::ChildProcess process_;
  std::string base_;
  std::string manifest_;
};

bool cites_proof(const report::Cluster& cluster) {
  for (const auto& reason : cluster.reasons()) {
    if (reason.starts_with("proven by the Go runtime")) return true;
  }
  return false;
}

// `leakscan URL` and `watch` fetch Go's goroutineleak profile beside the goroutine profile where
// the target serves it (Go 1.27 by default), say so, and use it as proof; --no-leak-profile turns
// it off; a target that does not serve it (Go 1.19) is read as before, without an error.
TEST(DeadlockPrograms, LeakProfileFetchedBesideAUrl) {
  constexpr std::string_view kSite = "main.(*rateLimiter).allow";  // missed-unlock's waiters
  for (const std::string version : {"go1.27", "go1.19"}) {
    SCOPED_TRACE(version);
    const bool served = version == "go1.27";
    ServedShape target(testing::go_bin(version, "deadlocks"), "missed-unlock");
    ASSERT_FALSE(target.base().empty()) << target.stderr_text();
    const std::string url = target.base() + "/debug/pprof/goroutine?debug=2";

    // First, before any leak profile is taken: once one is, Go marks the proven goroutines
    // "(leaked)" in every later dump too, which is the same proof.
    auto without = testing::run_command(
        {testing::cli_path(), url, "--format", "json", "--no-leak-profile"}, 60s);
    ASSERT_EQ(without.exit_code, 0) << without.err;
    report::Report plain = parse_report(without.out);
    EXPECT_EQ(plain.leak_proofs_size(), 0);
    for (const auto& cluster : plain.clusters()) EXPECT_FALSE(cites_proof(cluster));

    auto fetched = testing::run_command({testing::cli_path(), url, "--format", "json"}, 60s);
    ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
    report::Report report = parse_report(fetched.out);
    EXPECT_EQ(report.snapshots_size(), 1);
    ASSERT_EQ(report.leak_proofs_size(), served ? 1 : 0);
    bool proven = false;
    for (const auto& cluster : report.clusters()) {
      if (cluster.blocked_at().function() != kSite) continue;
      proven = proven || cites_proof(cluster);
      if (served) {
        EXPECT_EQ(cluster.verdict(), report::LEAK);
      }
    }
    EXPECT_EQ(proven, served);
    if (served) {
      EXPECT_NE(report.leak_proofs(0).source().find("/debug/pprof/goroutineleak?debug=1"),
                std::string::npos);
      EXPECT_GE(report.leak_proofs(0).goroutines(), 3);
      EXPECT_NE(
          fetched.err.find("/debug/pprof/goroutineleak?debug=1: Go's goroutineleak profile ("),
          std::string::npos)
          << fetched.err;
      auto text = testing::run_command({testing::cli_path(), url}, 60s);
      EXPECT_NE(text.out.find("Go's leak proof: "), std::string::npos) << text.out;
    }

    // watch: the proof joins every poll's analysis.
    const std::string out = testing::temp_dir() + "/watch-" + version;
    const std::string written = out + "/report.json";
    auto watched =
        testing::run_command({testing::cli_path(), "watch", url, "--polls", "2", "--every", "1s",
                              "--out", out, "--report", written, "--report-format", "json"},
                             60s);
    ASSERT_EQ(watched.exit_code, 0) << watched.out << watched.err;
    report::Report last = parse_report(testing::read_file(written));
    EXPECT_EQ(last.snapshots_size(), 2);
    EXPECT_EQ(last.leak_proofs_size(), served ? 1 : 0);
    bool watched_proof = false;
    for (const auto& cluster : last.clusters()) {
      watched_proof =
          watched_proof || (cluster.blocked_at().function() == kSite && cites_proof(cluster));
    }
    EXPECT_EQ(watched_proof, served);
  }
}

// The shapes served and read through Go's execution trace (issue 26): `leakscan URL
// --trace-window 1s` reads a debug=2 dump, then a one-second trace, whose snapshot is judged and
// holds no argument values: no holder can be told apart in it, so no benign site may be called
// a leak. Every leak and deadlock site is said to have blocked through the whole window. Go
// 1.26's plain build, which serves no goroutineleak proof: the trace's evidence alone.
TEST(DeadlockPrograms, ThroughAnExecutionTraceNoBenignSiteIsALeak) {
  const std::string program = testing::go_bin("go1.26", "deadlocks");
  auto listed = testing::run_command({program, "-list"}, 30s);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  struct TracedRun {
    std::string shape;
    std::vector<Site> sites;
    std::string report;  // JSON
    std::string error;
  };
  std::vector<TracedRun> runs;
  std::istringstream in(listed.out);
  for (std::string line; std::getline(in, line);) {
    TracedRun run;
    run.sites = parse_sites(line, run.shape);
    ASSERT_FALSE(run.shape.empty()) << line;
    runs.push_back(std::move(run));
  }
  ASSERT_GE(runs.size(), 40u);
  testing::run_in_parallel(runs.size(), kParallel, [&](size_t i) {
    ServedShape target(program, runs[i].shape);
    if (target.base().empty()) {
      runs[i].error = "no LISTENING line: " + target.stderr_text();
      return;
    }
    auto result = testing::run_command(
        {testing::cli_path(), target.base(), "--trace-window", "1s", "--format", "json"}, 90s);
    if (result.exit_code != 0) {
      runs[i].error = fmt::format("exit {}: {}", result.exit_code, result.err);
      return;
    }
    runs[i].report = result.out;
  });
  int benign_leaks = 0, bad_sites = 0, said_never_woken = 0, flagged = 0, leaks = 0;
  std::string notes;
  for (const auto& run : runs) {
    ASSERT_TRUE(run.error.empty()) << run.shape << ": " << run.error;
    report::Report report = parse_report(run.report);
    ASSERT_EQ(report.snapshots_size(), 2) << run.shape;
    ASSERT_GT(report.snapshots(1).trace_window_nanos(), 0) << run.shape;
    for (const auto& site : run.sites) {
      const bool bad = site.kind != "benign";
      bool present = false, whole_window = false, flagged_here = false, leak_here = false;
      for (const auto& cluster : report.clusters()) {
        if (cluster.blocked_at().function() != site.function) continue;
        present = true;
        if (!bad && cluster.verdict() == report::LEAK) {
          ++benign_leaks;
          notes += fmt::format("{}: benign {} LEAK: {}\n", run.shape, site.function,
                               fmt::join(cluster.reasons(), " / "));
        }
        leak_here = leak_here || cluster.verdict() == report::LEAK;
        flagged_here = flagged_here || cluster.verdict() == report::LEAK ||
                       cluster.verdict() == report::SUSPECT;
        for (const auto& reason : cluster.reasons()) {
          whole_window = whole_window ||
                         reason.find("blocked through all of it") != std::string::npos ||
                         reason.find("stayed blocked for the whole") != std::string::npos;
        }
      }
      if (!bad || !present) continue;
      ++bad_sites;
      flagged += flagged_here;
      leaks += leak_here;
      said_never_woken += whole_window;
      if (!whole_window)
        notes +=
            fmt::format("{}: {} not said to be blocked all window\n", run.shape, site.function);
    }
  }
  fmt::print(
      "through a 1 s trace (go1.26, {} shapes): {} leak and deadlock sites, {} LEAK, {} LEAK or "
      "SUSPECT, {} said blocked through the whole window; {} LEAK clusters at benign sites\n{}",
      runs.size(), bad_sites, leaks, flagged, said_never_woken, benign_leaks, notes);
  EXPECT_EQ(benign_leaks, 0);
  EXPECT_GE(bad_sites, static_cast<int>(runs.size()));  // a leak or deadlock site in each shape
  EXPECT_EQ(said_never_woken, bad_sites);
}

}  // namespace
}  // namespace leakscan
