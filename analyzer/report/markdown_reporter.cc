#include <fmt/format.h>

#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/model/text_format.h"
#include "analyzer/report/reporters.h"

namespace leakscan {
namespace {

// Markdown table cells: pipes would end the cell, newlines the row.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string frame_text(const report::Frame& frame) {
  if (frame.function().empty()) return "";
  return fmt::format("`{}` {}:{}", frame.function(), frame.file(), frame.line());
}

}  // namespace

void write_markdown_report(const Analysis& analysis, std::FILE* out) {
  const report::Report& report = analysis.report;
  const auto& summary = report.summary();
  fmt::print(out, "## leakscan: {} leak{}, {} suspect{}\n\n", summary.leaks(),
             summary.leaks() == 1 ? "" : "s", summary.suspects(),
             summary.suspects() == 1 ? "" : "s");
  fmt::print(out,
             "{} goroutines in the last of {} snapshot{}; {} runtime and standard-library "
             "goroutines set aside.\n\n",
             with_thousands(summary.goroutines()), report.snapshots_size(),
             report.snapshots_size() == 1 ? "" : "s", with_thousands(summary.dropped_system()));
  if (report.has_process_end()) {
    const auto& end = report.process_end();
    fmt::print(out, "**The process ended: `{}`**. {}\n\n", cell(end.reason()),
               cell(end.explanation()));
  }
  fmt::print(out, "| verdict | goroutines | blocked on | in | created by | why |\n");
  fmt::print(out, "|---|---:|---|---|---|---|\n");
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::EXPECTED) continue;
    fmt::print(out, "| {} | {} | {} | {} | {} | {} |\n",
               !cluster.baseline_reason().empty()
                   ? "accepted: " + cell(cluster.baseline_reason())
                   : std::string(cluster.verdict() == report::LEAK ? "**leak**" : "suspect"),
               with_thousands(cluster.count()), cell(cluster.blocking_operation()),
               cell(frame_text(cluster.blocked_at())), cell(frame_text(cluster.created_by())),
               cell(cluster.reasons_size() > 0 ? cluster.reasons(0) : ""));
  }
  fmt::print(out, "\n");
}

}  // namespace leakscan
