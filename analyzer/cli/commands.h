#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan::cli {

// One meaning each, as ripgrep's: found what --fail-on asks about, clean, or could not run.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsageOrInput = 2;

struct ConvertOptions {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string to = "pprof";
  ReadLimits limits;
};

struct AnalyzeOptions {
  std::vector<std::string> inputs;
  std::string format = "text";
  std::string min_wait;
  std::string config;
  std::string baseline;
  std::string codeowners;
  std::string focus;
  std::string ignore;
  std::string emit_pprof;
  std::string fail_on;  // "", "leak", "suspect"
  std::string color = "auto";
  bool verbose = false;
  size_t max_clusters = 1000;
  ReadLimits limits;
};

struct TraceCommandOptions {
  int pid = 0;
  std::vector<std::string> command;  // after `--`: started and traced
  std::string duration;              // empty: until Ctrl-C or the target exits
  std::string every = "30s";
  std::string out;  // default: leakscan-trace-PID
  std::string probe_duty = "10%";
  bool all_events = false;
  bool report = false;
  size_t retain = 0;
  AnalyzeOptions analysis;  // for --report
};

struct DiffOptions {
  std::string old_input;
  std::string new_input;
  AnalyzeOptions analysis;
};

// Loads the inputs and runs the analysis with the options' config, baseline and filters;
// prints what went wrong and returns nothing on error. The analysis points into `storage`.
std::optional<Analysis> load_and_analyze(const AnalyzeOptions& options,
                                         const std::vector<std::string>& inputs, bool order_by_time,
                                         std::vector<Snapshot>& storage, CodeOwners& owners);

int run_convert(const ConvertOptions& options);
int run_analyze(const AnalyzeOptions& options);
int run_diff(const DiffOptions& options);
int run_trace(const TraceCommandOptions& options);

}  // namespace leakscan::cli
