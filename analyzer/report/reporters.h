// Reporters only read the analysis; each writes one format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/model/result.h"

namespace leakscan {

enum class OutputFormat : uint8_t { kText, kJson, kMarkdown, kSarif, kHtml };

std::optional<OutputFormat> parse_output_format(std::string_view text);  // "text", "html"...

struct TextOptions {
  bool color = false;    // ANSI colours, for a terminal
  bool verbose = false;  // -v: every cluster, and why each goroutine was kept or dropped
  size_t max_frames = 12;
  bool compact_json = false;  // JSON on one line: a stream of reports is NDJSON
};

void write_text_report(const Analysis& analysis, const TextOptions& options, std::FILE* out);
// One cluster's block of the text report, as the report prints it (`leakscan watch` prints one
// when a cluster becomes a leak).
void write_text_cluster(const report::Cluster& cluster, const TextOptions& options, std::FILE* out);
void write_markdown_report(const Analysis& analysis, std::FILE* out);
// protobuf's JSON mapping of report::Report (proto/leakscan_report.proto); `compact`: on one
// line, without whitespace.
Result<std::string> json_report(const report::Report& report, bool compact = false);
// SARIF 2.1.0: each leak and suspect at its creation site (else where it blocks).
Result<std::string> sarif_report(const report::Report& report);
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
