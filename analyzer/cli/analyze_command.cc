// `leakscan FILE...`: read the snapshots, run the five layers, print the report.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/load_inputs.h"
#include "analyzer/model/merge.h"
#include "analyzer/report/reporters.h"
#include "analyzer/writers/pprof_writer.h"

namespace leakscan::cli {
namespace {

bool use_color(const std::string& choice) {
  if (choice == "always") return true;
  if (choice == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
}

// The goroutines of the last snapshot in clusters judged leak and not accepted by the baseline,
// as a profile of their own.
Status emit_leaks(const Analysis& analysis, const std::string& path) {
  const auto& snapshots = analysis.input.snapshots;
  const Snapshot& last = snapshots.back();
  const auto last_index = static_cast<uint32_t>(snapshots.size() - 1);
  std::vector<size_t> threads;
  std::vector<size_t> samples;
  for (const auto& cluster : analysis.clusters) {
    if (cluster.verdict != report::LEAK || !cluster.baseline_reason.empty()) continue;
    for (size_t index : cluster.records) {
      const GoroutineRecord& record = analysis.input.records[index];
      if (record.snapshot != last_index) continue;
      if (record.thread != nullptr) threads.push_back(record.thread - last.threads.data());
      if (record.sample != nullptr) samples.push_back(record.sample - last.samples.data());
    }
  }
  Snapshot leaks = subset_snapshot(last, threads, samples);
  return write_pprof_file(std::span<const Snapshot>(&leaks, 1), path);
}

}  // namespace

std::optional<Analysis> load_and_analyze(const AnalyzeOptions& options,
                                         const std::vector<std::string>& inputs, bool order_by_time,
                                         std::vector<Snapshot>& storage, CodeOwners& owners) {
  AnalysisOptions analysis_options;
  if (!options.config.empty()) {
    auto rules = load_config(analysis_options.rules, options.config);
    if (!rules) {
      fmt::print(stderr, "leakscan: {}\n", rules.error().message);
      return std::nullopt;
    }
    analysis_options.rules = std::move(*rules);
  }
  if (!options.min_wait.empty()) {
    analysis_options.min_wait = parse_duration(options.min_wait);
    if (!analysis_options.min_wait) {
      fmt::print(stderr, "leakscan: --min-wait {}: expected a duration like 90s, 5m or 1h\n",
                 options.min_wait);
      return std::nullopt;
    }
  }
  if (!options.baseline.empty()) {
    auto baseline = load_baseline(options.baseline);
    if (!baseline) {
      fmt::print(stderr, "leakscan: {}\n", baseline.error().message);
      return std::nullopt;
    }
    analysis_options.baseline = std::move(*baseline);
  }
  if (!options.codeowners.empty()) {
    auto loaded = CodeOwners::load(options.codeowners);
    if (!loaded) {
      fmt::print(stderr, "leakscan: {}\n", loaded.error().message);
      return std::nullopt;
    }
    owners = std::move(*loaded);
    analysis_options.owners = &owners;
  }
  analysis_options.max_clusters = options.max_clusters;
  analysis_options.focus = options.focus;
  analysis_options.ignore = options.ignore;

  auto loaded = load_inputs(inputs, options.limits, order_by_time);
  if (!loaded) return std::nullopt;
  storage = std::move(loaded->snapshots);
  auto analysis = analyze(storage, loaded->origins, analysis_options);
  if (!analysis) {
    fmt::print(stderr, "leakscan: {}\n", analysis.error().message);
    return std::nullopt;
  }
  for (const auto& warning : analysis->warnings) {
    fmt::print(stderr, "leakscan: warning: {}\n", warning);
  }
  return std::move(*analysis);
}

int run_analyze(const AnalyzeOptions& options) {
  std::vector<Snapshot> snapshots;
  CodeOwners owners;
  auto analysis =
      load_and_analyze(options, options.inputs, /*order_by_time=*/true, snapshots, owners);
  if (!analysis) return kExitUsageOrInput;

  if (options.format == "json" || options.format == "sarif") {
    auto text =
        options.format == "json" ? json_report(analysis->report) : sarif_report(analysis->report);
    if (!text) {
      fmt::print(stderr, "leakscan: {}\n", text.error().message);
      return kExitUsageOrInput;
    }
    fmt::print("{}\n", *text);
  } else if (options.format == "markdown") {
    write_markdown_report(*analysis, stdout);
  } else {
    write_text_report(*analysis, TextOptions{use_color(options.color), options.verbose}, stdout);
  }
  if (!options.emit_pprof.empty()) {
    auto status = emit_leaks(*analysis, options.emit_pprof);
    if (!status) {
      fmt::print(stderr, "leakscan: {}\n", status.error().message);
      return kExitUsageOrInput;
    }
  }
  const auto& summary = analysis->report.summary();
  if (options.fail_on == "leak" && summary.leaks() > 0) return kExitFound;
  if (options.fail_on == "suspect" && summary.leaks() + summary.suspects() > 0) return kExitFound;
  return kExitOk;
}

}  // namespace leakscan::cli
