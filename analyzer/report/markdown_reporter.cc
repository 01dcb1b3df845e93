#include <fmt/format.h>

#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/model/text_format.h"
#include "analyzer/report/dead_but_unfreed_words.h"
#include "analyzer/report/reporters.h"
#include "analyzer/report/visible_text.h"

namespace leakscan {
namespace {

std::string frame_text(const report::Frame& frame) {
  if (frame.function().empty()) return "";
  return fmt::format("{} {}:{}", markdown_code(frame.function(), MarkdownPlace::kTableCell),
                     markdown_text(frame.file()), frame.line());
}

// The reasons after the headline: the other columns already say what the headline says.
std::string why(const report::Cluster& cluster) {
  std::string out;
  for (int i = first_why_reason(cluster); i < cluster.reasons_size(); ++i) {
    if (!out.empty()) out += "; ";
    out += cluster.reasons(i);
  }
  return markdown_text(out);
}

// When and by whom the oldest goroutine was made, where the input says.
std::string oldest_text(const report::Cluster& cluster) {
  const report::Oldest& oldest = cluster.oldest();
  std::string out;
  const bool inferred = oldest.created_at_precision() == "inferred";
  if (!oldest.created_at().empty()) out = (inferred ? "after " : "") + oldest.created_at();
  if (inferred && oldest.before_snapshot() > 0) {
    out += fmt::format(" and before snapshot {}", oldest.before_snapshot());
  }
  if (oldest.has_creator_id()) {
    out += fmt::format("{}by goroutine {}", out.empty() ? "" : " ", oldest.creator_id());
  }
  if (oldest.age_seconds() > 0) {
    out += fmt::format(" (age {}{})", inferred ? "at most " : "",
                       format_seconds(oldest.age_seconds()));
  }
  return markdown_text(out);
}

// Layer 2 apart from the table: ended green threads whose memory is still held are never leaks.
void write_dead_but_unfreed(const report::Report& report, std::FILE* out) {
  if (report.dead_but_unfreed().empty()) return;
  fmt::print(out, "**Ended, not freed** (never counted as a leak):\n\n");
  for (const auto& finding : report.dead_but_unfreed()) {
    std::string held;
    if (finding.stack_bytes() > 0) held += ", " + megabytes(finding.stack_bytes()) + " of stacks";
    if (finding.g_struct_bytes() > 0) {
      held += ", " + megabytes(finding.g_struct_bytes()) + " of g structs";
    }
    const std::string site = frame_text(finding.created_by());
    std::string peak = peak_words(finding);
    if (!peak.empty()) peak = fmt::format(" ({})", peak);
    fmt::print(out, "- {} {}{}, created by {}, {} alive there{}: {}\n",
               with_thousands(finding.count()),
               finding.kind() == "finishing" ? "finishing" : "ended", held,
               site.empty() ? "a site they no longer carry" : site,
               with_thousands(finding.alive_at_site()), peak, markdown_text(finding.explanation()));
    if (auto lists = free_list_words(finding); !lists.empty()) {
      fmt::print(out, "  - {}\n", markdown_text(lists));
    }
  }
  fmt::print(out, "\n");
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
    fmt::print(out, "Go's leak proof: {}, {} proven leaked by its GC.\n\n",
               markdown_code(proof.source(), MarkdownPlace::kParagraph),
               counted(proof.goroutines(), "goroutine"));
  }
  if (report.has_process_end()) {
    const auto& end = report.process_end();
    fmt::print(out, "**The process ended: {}**. {}\n\n",
               markdown_code(end.reason(), MarkdownPlace::kParagraph),
               markdown_text(end.explanation()));
  }
  fmt::print(out,
             "| verdict | goroutines | blocked on | in | created by | oldest created | why |\n");
  fmt::print(out, "|---|---:|---|---|---|---|---|\n");
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::EXPECTED) continue;
    fmt::print(out, "| {} | {} | {} | {} | {} | {} | {} |\n",
               !cluster.baseline_reason().empty()
                   ? "accepted: " + markdown_text(cluster.baseline_reason())
                   : std::string(cluster.verdict() == report::LEAK ? "**leak**" : "suspect"),
               with_thousands(cluster.count()), markdown_text(cluster.blocking_operation()),
               frame_text(cluster.blocked_at()), frame_text(cluster.created_by()),
               oldest_text(cluster), why(cluster));
  }
  fmt::print(out, "\n");
  write_dead_but_unfreed(report, out);
}

}  // namespace leakscan
