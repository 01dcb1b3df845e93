// The five layers in order over the snapshots of one process, and the order reports list
// their clusters in. The engine (analyzer/engine) runs these steps and has report/ build the
// report from what they decided.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analyzer/analysis/age_bound.h"
#include "analyzer/analysis/baseline.h"
#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/dead_but_unfreed.h"
#include "analyzer/analysis/process_end.h"
#include "analyzer/analysis/rules.h"
#include "analyzer/analysis/wait_for_graph.h"
#include "analyzer/model/result.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

struct AnalysisOptions {
  Rules rules = default_rules();
  std::optional<std::chrono::nanoseconds> min_wait;  // replaces every threshold
  std::string focus;   // RE2: keep only goroutines with a frame or creator matching
  std::string ignore;  // RE2: leave out goroutines with a frame or creator matching
  const CodeOwners* owners = nullptr;
  std::vector<BaselineEntry> baseline;
  // The report lists at most this many clusters (0: all), leaks and suspects first; the rest
  // are counted in the summary. A dump of a million distinct stacks would otherwise make a
  // report of a million clusters, larger than the dump.
  size_t max_clusters = 1000;
  std::chrono::sys_days today =
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
};

struct Analysis {
  AnalysisInput input;            // every goroutine with what the layers decided, for -v
  std::vector<Cluster> clusters;  // in report order once ordered
  std::vector<DeadButUnfreedFinding> dead_but_unfreed;
  WaitForGraph wait_for;                  // the last snapshot's: who can still wake whom
  std::optional<ProcessEnd> process_end;  // a panic, crash, deadlock or SIGQUIT dump
  std::span<const Snapshot> leak_proofs;  // Go's goroutineleak profiles read as evidence
  std::vector<std::string> warnings;
  // The rules applied, owned here: records' blocking_operation and why point into them, and
  // must outlive the caller's options.
  std::shared_ptr<const Rules> rules;
  report::Report report;  // built by report/build_report.h from the above
};

// Step 1: layers 1 to 5 and the baseline. `snapshots` in capture order, all of one process;
// the analysis keeps pointers into them. Decides verdicts; words none of them yet.
Result<Analysis> run_layers(std::span<const Snapshot> snapshots, const AnalysisOptions& options);

// Step 2: most likely leak first (leaks, suspects, expected; by size; by id), records' cluster
// indices kept pointing at the same clusters.
void order_clusters(Analysis& analysis);

// Step 3: the reasons, in words, of the first `max_clusters` clusters (0: all): those a report
// lists.
void explain_clusters(Analysis& analysis, const AnalysisOptions& options);

}  // namespace leakscan
