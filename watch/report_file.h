// The current analysis as a report file that a browser, an editor or CI may open at any
// moment: rewritten whole on every poll, never seen half-written.
#pragma once

#include <filesystem>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/model/result.h"
#include "analyzer/report/reporters.h"

namespace leakscan {

struct ReportFile {
  std::filesystem::path path;
  OutputFormat format = OutputFormat::kText;
  TextOptions text;
};

// Renders `analysis` in the file's format and renames it into place (temporary, fsync, rename).
Status write_report_file(const Analysis& analysis, const ReportFile& file);

}  // namespace leakscan
