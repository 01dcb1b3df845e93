// The one place the analysis becomes report::Report (proto/leakscan_report.proto), which the
// JSON, SARIF, text and Markdown reporters, Python and leakscan diff read.
#pragma once

#include <span>

#include "analyzer/analysis/pipeline.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

// From an analysis whose clusters are ordered and explained (analysis/pipeline.h); lists at
// most `max_clusters` of them (0: all) and counts the rest in the summary.
report::Report build_report(const Analysis& analysis, const AnalysisOptions& options);

report::Verdict to_report(Verdict verdict);

// The wait histogram of waits sorted shortest first: buckets on steps from 10ms to 7 days,
// from the step at or below the shortest wait to the bucket holding the longest.
void fill_wait_histogram(std::span<const double> sorted_waits, report::WaitStats& out);

}  // namespace leakscan
