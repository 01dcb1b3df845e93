// The engine's one call: inputs and options in, findings out. The CLI and Python are thin
// front ends over it; everything they can ask for is an option here.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/engine/inputs.h"
#include "analyzer/model/result.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

struct FindOptions {
  std::optional<std::filesystem::path> config;      // rules to add (leakscan.toml)
  std::optional<std::filesystem::path> baseline;    // accepted leaks (known-leaks.toml)
  std::optional<std::filesystem::path> codeowners;  // owners of the code
  std::string focus;   // RE2: only goroutines with a frame or creator matching
  std::string ignore;  // RE2: leave out goroutines with a frame or creator matching
  std::optional<std::chrono::nanoseconds> min_wait;  // replaces every wait threshold
  size_t max_clusters = 1000;                        // 0: list all
  ReadLimits limits;
  SnapshotOrder order = SnapshotOrder::kByCaptureTime;
  // URLs of /debug/pprof/goroutine: also fetch Go's goroutineleak profile where it is served.
  bool fetch_leak_profile = true;
  HttpOptions http;                            // URL inputs: timeout, headers
  std::optional<std::chrono::sys_days> today;  // for baseline expiry; default: today
};

// What the engine found, owning everything it points into: the snapshots, the rules, the
// CODEOWNERS table. Movable, not copyable.
class Findings {
 public:
  Findings(Findings&&) noexcept = default;
  Findings& operator=(Findings&&) noexcept = default;
  Findings(const Findings&) = delete;
  Findings& operator=(const Findings&) = delete;
  ~Findings() = default;

  const report::Report& report() const { return analysis_.report; }
  const Analysis& analysis() const { return analysis_; }
  std::span<const Snapshot> snapshots() const { return *snapshots_; }
  // Per snapshot, the index of the input it was read from.
  std::span<const uint32_t> input_of() const { return input_of_; }
  // The readers' warnings, then the analysis's (expired baseline entries).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend Result<Findings> find_leaks(std::vector<Input> inputs, const FindOptions& options);
  Findings() = default;

  // Behind pointers so that moving Findings keeps what the analysis points at in place.
  std::unique_ptr<std::vector<Snapshot>> snapshots_;
  std::unique_ptr<CodeOwners> owners_;
  std::vector<uint32_t> input_of_;
  std::vector<std::string> warnings_;
  Analysis analysis_;
};

// Reads the inputs (all of one process), orders them, and runs the analysis.
Result<Findings> find_leaks(std::vector<Input> inputs, const FindOptions& options);

// The three steps of the analysis and its report over snapshots already in order: for those
// who hold snapshots themselves (tests, benchmarks, fuzzers). The analysis points into them.
Result<Analysis> analyze(std::span<const Snapshot> snapshots, const AnalysisOptions& options);

// FindOptions' files loaded into AnalysisOptions; `owners` receives the CODEOWNERS table the
// options then point at.
Result<AnalysisOptions> load_analysis_options(const FindOptions& options,
                                              std::unique_ptr<CodeOwners>& owners);

}  // namespace leakscan
