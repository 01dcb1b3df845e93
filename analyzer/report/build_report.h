// The one place the analysis becomes report::Report (proto/leakscan_report.proto), which the
// JSON, SARIF, text and Markdown reporters, Python and leakscan diff read.
#pragma once

#include "analyzer/analysis/pipeline.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

// From an analysis whose clusters are ordered and explained (analysis/pipeline.h); lists at
// most `max_clusters` of them (0: all) and counts the rest in the summary.
report::Report build_report(const Analysis& analysis, const AnalysisOptions& options);

report::Verdict to_report(Verdict verdict);

}  // namespace leakscan
