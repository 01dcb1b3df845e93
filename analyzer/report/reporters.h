// Reporters only read the analysis; each writes one format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/model/result.h"
#include "analyzer/report/source_map.h"

namespace leakscan {

enum class OutputFormat : uint8_t { kText, kJson, kMarkdown, kSarif, kHtml };

std::optional<OutputFormat> parse_output_format(std::string_view text);  // "text", "html"...

struct TextOptions {
  bool color = false;    // ANSI colours, for a terminal
  bool verbose = false;  // -v: every cluster, and why each goroutine was kept or dropped
  size_t max_frames = 12;
  bool compact_json = false;  // JSON on one line: a stream of reports is NDJSON
  SourceMap sources;          // SARIF: frame files as repository paths
};

// Where a cluster's "why" starts in its reasons: a leak's or suspect's first reason is a headline
// restating the verdict, count and growth (for JSON and SARIF readers); the rest say why.
int first_why_reason(const report::Cluster& cluster);

void write_text_report(const Analysis& analysis, const TextOptions& options, std::FILE* out);
// One cluster's block of the text report, as the report prints it (`leakscan watch` prints one
// when a cluster becomes a leak).
void write_text_cluster(const report::Cluster& cluster, const TextOptions& options, std::FILE* out);
void write_markdown_report(const Analysis& analysis, std::FILE* out);
// protobuf's JSON mapping of report::Report (proto/leakscan_report.proto); `compact`: on one
// line, without whitespace.
Result<std::string> json_report(const report::Report& report, bool compact = false);
// SARIF 2.1.0: each leak and suspect at its creation site (else where it blocks), at the
// repository path `sources` gives it (uriBaseId SRCROOT), else at the path the dump printed.
Result<std::string> sarif_report(const report::Report& report,
                                 const SourceMap& sources = SourceMap());
// A warning when `sources` was given a root or prefixes and places none of the files the SARIF
// report's results point at: the report would look right and link nowhere.
std::optional<std::string> unplaced_sources_warning(const report::Report& report,
                                                    const SourceMap& sources);
// One self-contained HTML page that works offline: the JSON report above inlined as data, and
// the bundled script and styles (report-ui/) that draw it.
Result<std::string> html_report(const report::Report& report);

// The report in `format` (JSON and SARIF followed by a newline).
Status write_report(const Analysis& analysis, OutputFormat format, const TextOptions& options,
                    std::FILE* out);
// The same, as text.
Result<std::string> render_report(const Analysis& analysis, OutputFormat format,
                                  const TextOptions& options);

}  // namespace leakscan
