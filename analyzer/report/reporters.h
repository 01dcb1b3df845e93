// Reporters only read the analysis; each writes one format.
#pragma once

#include <cstdio>
#include <string>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/model/result.h"

namespace leakscan {

struct TextOptions {
  bool color = false;    // ANSI colours, for a terminal
  bool verbose = false;  // -v: every cluster, and why each goroutine was kept or dropped
  size_t max_frames = 12;
};

void write_text_report(const Analysis& analysis, const TextOptions& options, std::FILE* out);
void write_markdown_report(const Analysis& analysis, std::FILE* out);
// protobuf's JSON mapping of report::Report (proto/leakscan_report.proto).
Result<std::string> json_report(const report::Report& report);
// SARIF 2.1.0: each leak and suspect at its creation site (else where it blocks).
Result<std::string> sarif_report(const report::Report& report);

}  // namespace leakscan
