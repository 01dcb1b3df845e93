// The analysis: five layers over the snapshots of one process, and the report they make.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analyzer/analysis/baseline.h"
#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/rules.h"
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

// Where each snapshot's capture time came from, for the report ("profile", "file modification
// time", "order given").
struct SnapshotOrigin {
  std::string capture_time_origin;
};

struct Analysis {
  report::Report report;
  AnalysisInput input;            // every goroutine with what the layers decided, for -v
  std::vector<Cluster> clusters;  // in report order
  std::vector<std::string> warnings;
  // The rules applied, owned here: records' blocking_operation and why point into them, and
  // must outlive the caller's options.
  std::shared_ptr<const Rules> rules;
};

// `snapshots` in capture order, all of one process. The analysis keeps pointers into them.
Result<Analysis> analyze(std::span<const Snapshot> snapshots,
                         std::span<const SnapshotOrigin> origins, const AnalysisOptions& options);

}  // namespace leakscan
