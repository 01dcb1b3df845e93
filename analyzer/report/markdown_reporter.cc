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

// The reasons after the headline: the other columns already say what the headline says.
std::string why(const report::Cluster& cluster) {
  std::string out;
  for (int i = first_why_reason(cluster); i < cluster.reasons_size(); ++i) {
    if (!out.empty()) out += "; ";
    out += cluster.reasons(i);
  }
  return out;
}

// When and by whom the oldest goroutine was made, where the input says.
std::string oldest_text(const report::Cluster& cluster) {
  const report::Oldest& oldest = cluster.oldest();
  std::string out;
  if (!oldest.created_at().empty()) out = oldest.created_at();
  if (oldest.creator_id() != 0) {
    out += fmt::format("{}by goroutine {}", out.empty() ? "" : " ", oldest.creator_id());
  }
  if (oldest.age_seconds() > 0) {
    out += fmt::format(" (age {})", format_seconds(oldest.age_seconds()));
  }
  return out;
}

}  // namespace

void write_markdown_report(const Analysis& analysis, std::FILE* out) {
  const report::Report& report = analysis.report;
  const auto& summary = report.summary();
  fmt::print(out, "## leakscan: {}, {}\n\n", counted(summary.leaks(), "leak"),
             counted(summary.suspects(), "suspect"));
  fmt::print(out, "{} in the last of {}; {} set aside.\n\n",
             counted(summary.goroutines(), "goroutine"),
             counted(report.snapshots_size(), "snapshot"),
             counted(summary.dropped_system(), "runtime and standard-library goroutine"));
  for (const auto& proof : report.leak_proofs()) {
    fmt::print(out, "Go's leak proof: `{}`, {} proven leaked by its GC.\n\n", cell(proof.source()),
               counted(proof.goroutines(), "goroutine"));
  }
  if (report.has_process_end()) {
    const auto& end = report.process_end();
    fmt::print(out, "**The process ended: `{}`**. {}\n\n", cell(end.reason()),
               cell(end.explanation()));
  }
  fmt::print(out,
             "| verdict | goroutines | blocked on | in | created by | oldest created | why |\n");
  fmt::print(out, "|---|---:|---|---|---|---|---|\n");
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::EXPECTED) continue;
    fmt::print(out, "| {} | {} | {} | {} | {} | {} | {} |\n",
               !cluster.baseline_reason().empty()
                   ? "accepted: " + cell(cluster.baseline_reason())
                   : std::string(cluster.verdict() == report::LEAK ? "**leak**" : "suspect"),
               with_thousands(cluster.count()), cell(cluster.blocking_operation()),
               cell(frame_text(cluster.blocked_at())), cell(frame_text(cluster.created_by())),
               cell(oldest_text(cluster)), cell(why(cluster)));
  }
  fmt::print(out, "\n");
}

}  // namespace leakscan
