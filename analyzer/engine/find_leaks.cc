#include "analyzer/engine/find_leaks.h"

#include "analyzer/report/build_report.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace leakscan {

Result<Analysis> analyze(std::span<const Snapshot> snapshots, const AnalysisOptions& options) {
  auto analysis = run_layers(snapshots, options);
  if (!analysis) return analysis.error();
  order_clusters(*analysis);
  explain_clusters(*analysis, options);
  analysis->report = build_report(*analysis, options);
  return analysis;
}

Result<AnalysisOptions> load_analysis_options(const FindOptions& options,
                                              std::unique_ptr<CodeOwners>& owners) {
  AnalysisOptions out;
  if (options.config) {
    auto rules = load_config(out.rules, options.config->string());
    if (!rules) return rules.error();
    out.rules = std::move(*rules);
  }
  if (options.baseline) {
    auto baseline = load_baseline(options.baseline->string());
    if (!baseline) return baseline.error();
    out.baseline = std::move(*baseline);
  }
  if (options.codeowners) {
    auto loaded = CodeOwners::load(options.codeowners->string());
    if (!loaded) return loaded.error();
    owners = std::make_unique<CodeOwners>(std::move(*loaded));
    out.owners = owners.get();
  }
  out.min_wait = options.min_wait;
  out.focus = options.focus;
  out.ignore = options.ignore;
  out.max_clusters = options.max_clusters;
  if (options.today) out.today = *options.today;
  return out;
}

Result<Findings> find_leaks(std::vector<Input> inputs, const FindOptions& options) {
  Findings findings;
  auto analysis_options = load_analysis_options(options, findings.owners_);
  if (!analysis_options) return analysis_options.error();
  auto loaded = load_snapshots(std::move(inputs),
                               LoadOptions{.limits = options.limits,
                                           .order = options.order,
                                           .fetch_leak_profile = options.fetch_leak_profile,
                                           .http = options.http});
  if (!loaded) return loaded.error();
  findings.snapshots_ = std::make_unique<std::vector<Snapshot>>(std::move(loaded->snapshots));
  findings.input_of_ = std::move(loaded->input_of);
  findings.warnings_ = std::move(loaded->warnings);
  // Nothing interns into these snapshots again: their indexes are a third of a wide model.
  for (auto& snapshot : *findings.snapshots_) snapshot.frames().drop_indexes();
#if defined(__GLIBC__)
  // The readers' scratch (per-thread buffers, merged tables' indexes) is freed by now but glibc
  // keeps it: on a wide input that is ~50 MB the analysis would otherwise add on top.
  malloc_trim(0);
#endif
  auto analysis = analyze(*findings.snapshots_, *analysis_options);
  if (!analysis) return analysis.error();
  findings.analysis_ = std::move(*analysis);
  for (auto& warning : findings.analysis_.warnings) findings.warnings_.push_back(warning);
  return findings;
}

}  // namespace leakscan
