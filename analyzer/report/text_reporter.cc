#include <fmt/format.h>

#include <chrono>
#include <map>

#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/model/text_format.h"
#include "analyzer/report/dead_but_unfreed_words.h"
#include "analyzer/report/reporters.h"
#include "analyzer/report/visible_text.h"

namespace leakscan {
namespace {

struct Style {
  bool color;
  std::string paint(std::string_view text, std::string_view code) const {
    return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
  }
};

std::string_view verdict_word(report::Verdict verdict) {
  switch (verdict) {
    case report::LEAK:
      return "LEAK";
    case report::SUSPECT:
      return "SUSPECT";
    default:
      return "expected";
  }
}

std::string location(const report::Frame& frame) {
  if (frame.file().empty()) return frame.function();
  // The file's last two path elements are enough to find it and keep the line short.
  std::string_view file = frame.file();
  size_t cut = file.rfind('/');
  if (cut != std::string_view::npos && cut > 0) cut = file.rfind('/', cut - 1);
  if (cut != std::string_view::npos) file.remove_prefix(cut + 1);
  return fmt::format("{} ({}:{})", frame.function(), file, frame.line());
}

// A stack from its `skip`th frame on, at most options.max_frames of them.
void write_frames(const google::protobuf::RepeatedPtrField<report::Frame>& frames, int skip,
                  std::string_view indent, const TextOptions& options, std::FILE* out) {
  int shown = 0;
  for (int i = skip; i < frames.size(); ++i) {
    if (static_cast<size_t>(shown++) >= options.max_frames) {
      fmt::print(out, "{}  ... {} more\n", indent, frames.size() - i);
      break;
    }
    fmt::print(out, "{}  {}\n", indent, location(frames[i]));
  }
}

// What only the agent, the tracer and tracebackancestors know: when and by whom the cluster's
// oldest goroutine was made, and the stack that made it.
void write_creation(const report::Cluster& cluster, std::string_view indent,
                    const TextOptions& options, std::FILE* out) {
  const report::Oldest& oldest = cluster.oldest();
  const bool shown = !oldest.created_at().empty() || oldest.has_creator_id();
  if (shown) {
    // A time dated by snapshots is only a bound: the goroutine was made after it.
    const bool inferred = oldest.created_at_precision() == "inferred";
    std::string line = fmt::format("oldest, goroutine {}: created", oldest.goroutine_id());
    if (!oldest.created_at().empty()) {
      line += fmt::format(" {} {}", inferred ? "after" : "at", oldest.created_at());
    }
    if (inferred && oldest.before_snapshot() > 0) {
      line += fmt::format(" and before snapshot {}", oldest.before_snapshot());
    }
    if (oldest.has_creator_id()) line += fmt::format(" by goroutine {}", oldest.creator_id());
    if (oldest.age_seconds() > 0) {
      line += fmt::format(" (age {}{})", inferred ? "at most " : "",
                          format_seconds(oldest.age_seconds()));
    }
    if (inferred) line += ", inferred from snapshots";
    fmt::print(out, "{}{}\n", indent, line);
  }
  if (cluster.creation_stack_size() == 0) return;
  // Under the oldest only its own stack; another goroutine's says whose it is.
  if (shown && cluster.creation_stack_goroutine_id() != oldest.goroutine_id()) {
    fmt::print(out, "{}creation stack of goroutine {} (the oldest with one):\n", indent,
               cluster.creation_stack_goroutine_id());
  } else {
    fmt::print(out, "{}creation stack:\n", indent);
  }
  write_frames(cluster.creation_stack(), 0, indent, options, out);
}

void write_cluster(const report::Cluster& cluster, const Style& style, const TextOptions& options,
                   std::FILE* out) {
  std::string word(verdict_word(cluster.verdict()));
  std::string code = cluster.verdict() == report::LEAK      ? "1;31"
                     : cluster.verdict() == report::SUSPECT ? "1;33"
                                                            : "2";
  // Running and runnable goroutines are not blocked on anything.
  bool blocked =
      cluster.blocking_operation() != "running" && cluster.blocking_operation() != "runnable";
  fmt::print(out, "{}  {} ({:.1f}%) {}{}\n", style.paint(word, code),
             counted(cluster.count(), "goroutine"), cluster.share() * 100,
             blocked ? "blocked on " : "", cluster.blocking_operation());
  std::string indent(word.size() + 2, ' ');
  fmt::print(out, "{}in {}\n", indent, location(cluster.blocked_at()));
  if (!cluster.created_by().function().empty()) {
    fmt::print(out, "{}created by {}\n", indent, location(cluster.created_by()));
  }
  std::vector<std::string> facts;
  for (const auto& anchor : cluster.anchors()) {
    if (anchor.kind() == "created_by") continue;
    facts.push_back(anchor.kind() == "label" ? anchor.name()
                                             : fmt::format("{} {}", anchor.kind(), anchor.name()));
  }
  if (cluster.has_wait()) {
    facts.push_back(fmt::format("waited up to {}{} (median {})",
                                cluster.wait().lower_bound() ? "≥ " : "",
                                format_seconds(cluster.wait().max_seconds()),
                                format_seconds(cluster.wait().median_seconds())));
  }
  if (cluster.count_per_snapshot_size() >= 2) {
    std::vector<std::string> counts;
    for (int64_t count : cluster.count_per_snapshot()) counts.push_back(with_thousands(count));
    std::string growth = fmt::format("counts {}", fmt::join(counts, " → "));
    if (cluster.growth_per_minute() != 0) {
      growth += fmt::format(" ({:+.1f}/min)", cluster.growth_per_minute());
    }
    facts.push_back(growth);
  }
  if (cluster.has_window_turnover()) {
    // As `leakscan trace` words a site: what its creation site did in the trace's window.
    const auto& site = cluster.window_turnover();
    facts.push_back(fmt::format("its creation site +{} born, {} died in the {} window",
                                with_thousands(site.born()), with_thousands(site.died()),
                                format_duration(std::chrono::nanoseconds(site.window_nanos()))));
  }
  if (!cluster.wait_object().empty()) {
    facts.push_back(fmt::format("all on {}", cluster.wait_object()));
  } else if (cluster.wait_objects() > 1) {
    facts.push_back(fmt::format("on {} objects", with_thousands(cluster.wait_objects())));
  }
  if (cluster.max_goroutine_id() != 0) {
    facts.push_back(
        cluster.min_goroutine_id() == cluster.max_goroutine_id()
            ? fmt::format("id {}", cluster.min_goroutine_id())
            : fmt::format("ids {}–{}", cluster.min_goroutine_id(), cluster.max_goroutine_id()));
  }
  // The id baselines and diffs name the cluster by.
  facts.push_back(fmt::format("cluster {}", cluster.id()));
  fmt::print(out, "{}{}\n", indent, fmt::join(facts, " · "));
  const int first_reason = first_why_reason(cluster);
  for (int i = first_reason; i < cluster.reasons_size(); ++i) {
    fmt::print(out, "{}{} {}\n", indent, i == first_reason ? "why:" : "    ", cluster.reasons(i));
  }
  if (!cluster.baseline_reason().empty()) {
    fmt::print(out, "{}accepted in the baseline: {}\n", indent, cluster.baseline_reason());
  }
  if (cluster.verdict() != report::EXPECTED || options.verbose) {
    fmt::print(out, "{}stack:\n", indent);
    // The runtime's own frames above the blocking call say nothing the line above does not.
    int skip = 0;
    while (skip + 1 < cluster.stack_size() &&
           cluster.stack(skip).function().starts_with("runtime.")) {
      ++skip;
    }
    write_frames(cluster.stack(), skip, indent, options, out);
    write_creation(cluster, indent, options, out);
  }
  fmt::print(out, "\n");
}

std::string_view process_end_word(std::string_view kind) {
  if (kind == "deadlock") return "DEADLOCK";
  if (kind == "quit") return "HANG";
  if (kind == "test_timeout") return "TIMEOUT";
  if (kind == "panic") return "PANIC";
  return "CRASH";
}

// Before any cluster: the process ended, and this is why and which goroutine matters.
void write_process_end(const report::ProcessEnd& end, const Style& style,
                       const TextOptions& options, std::FILE* out) {
  std::string word(process_end_word(end.kind()));
  std::string indent(word.size() + 2, ' ');
  fmt::print(out, "{}  {}\n", style.paint(word, "1;31"), end.reason());
  fmt::print(out, "{}{}\n", indent, end.explanation());
  if (end.goroutine_id() != 0) {
    fmt::print(out, "{}goroutine {} [{}] stack:\n", indent, end.goroutine_id(), end.state());
    write_frames(end.stack(), 0, indent, options, out);
  }
  if (end.waiting_size() > 0) fmt::print(out, "{}blocked, and nothing will wake them:\n", indent);
  for (const auto& group : end.waiting()) {
    std::vector<std::string> ids;
    for (uint64_t id : group.goroutine_ids()) ids.push_back(std::to_string(id));
    fmt::print(out, "{}  goroutine{} {}: {}{} in {}\n", indent,
               group.goroutine_ids_size() == 1 ? "" : "s", fmt::join(ids, ", "), group.operation(),
               group.object().empty() ? "" : " " + group.object(), location(group.blocked_at()));
  }
  fmt::print(out, "\n");
}

// A trace's window says what it was read from better than "pprof", the helper's format.
std::string origin(const report::SnapshotInfo& snapshot) {
  if (snapshot.trace_window_nanos() > 0) return snapshot.reason();
  return snapshot.reason().empty() ? snapshot.format()
                                   : snapshot.format() + ", " + snapshot.reason();
}

}  // namespace

void write_text_cluster(const report::Cluster& cluster, const TextOptions& options,
                        std::FILE* out) {
  report::Cluster shown = cluster;
  make_visible(shown);
  write_cluster(shown, Style{options.color}, options, out);
}

void write_text_report(const Analysis& analysis, const TextOptions& options, std::FILE* out) {
  // A copy: at most --max-clusters clusters, made safe for a terminal in one pass.
  report::Report report = analysis.report;
  make_visible(report);
  Style style{options.color};
  const auto& summary = report.summary();
  const auto& last = report.snapshots(report.snapshots_size() - 1);
  if (report.snapshots_size() == 1) {
    fmt::print(out, "{}: {} goroutine{} ({})\n", last.source(), with_thousands(last.goroutines()),
               last.goroutines() == 1 ? "" : "s", origin(last));
  } else {
    fmt::print(out, "{} snapshots, oldest first:\n", report.snapshots_size());
    for (const auto& snapshot : report.snapshots()) {
      fmt::print(out, "  {}: {} goroutine{} ({})\n", snapshot.source(),
                 with_thousands(snapshot.goroutines()), snapshot.goroutines() == 1 ? "" : "s",
                 snapshot.trace_window_nanos() > 0 ? snapshot.reason() : snapshot.format());
    }
  }
  for (const auto& proof : report.leak_proofs()) {
    fmt::print(out, "Go's leak proof: {}: {} goroutine{} proven leaked by its GC\n", proof.source(),
               with_thousands(proof.goroutines()), proof.goroutines() == 1 ? "" : "s");
  }
  // Ended green threads are in the snapshot's count but in no cluster: said apart (layer 2).
  int64_t unfreed = 0;
  for (const auto& finding : report.dead_but_unfreed()) {
    if (finding.kind() == "exited_not_released") unfreed += finding.count();
  }
  fmt::print(out, "{}, {} in {}; {} set aside{}{}\n\n", counted(summary.leaks(), "leak"),
             counted(summary.suspects(), "suspect"), counted(summary.clusters(), "cluster"),
             counted(summary.dropped_system(), "runtime and standard-library goroutine"),
             summary.finishing() > 0
                 ? fmt::format(", {} finishing", with_thousands(summary.finishing()))
                 : "",
             unfreed > 0 ? fmt::format(", {} dead but unfreed", with_thousands(unfreed)) : "");

  if (report.has_process_end()) write_process_end(report.process_end(), style, options, out);
  int64_t expected_clusters = 0;
  int64_t expected_goroutines = 0;
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() == report::EXPECTED && !options.verbose) {
      ++expected_clusters;
      expected_goroutines += cluster.count();
      continue;
    }
    write_cluster(cluster, style, options, out);
  }
  if (expected_clusters > 0) {
    fmt::print(out, "{}\n",
               style.paint(fmt::format("expected: {}, {} (pools, timers, in-flight work); "
                                       "-v lists them",
                                       counted(expected_clusters, "more cluster"),
                                       counted(expected_goroutines, "goroutine")),
                           "2"));
  }
  if (summary.clusters_not_listed() > 0) {
    fmt::print(out, "{}\n",
               style.paint(fmt::format("not listed: {}, {} (--max-clusters)",
                                       counted(summary.clusters_not_listed(), "more cluster"),
                                       counted(summary.goroutines_not_listed(), "goroutine")),
                           "2"));
  }
  int64_t dead_gs = 0;
  for (const auto& finding : report.dead_but_unfreed()) {
    if (finding.runtime() == "go" && finding.kind() == "exited_not_released") {
      // Layer 2 for Go: the dead g's a spike left, by creation site, and what frees them.
      dead_gs += finding.count();
      const std::string site = finding.has_created_by()
                                   ? location(finding.created_by())
                                   : "a site they no longer carry (the g's were never used)";
      const std::string g_structs =
          finding.g_struct_bytes() > 0
              ? fmt::format(" and {} of g structs", megabytes(finding.g_struct_bytes()))
              : "";
      const std::string peak = peak_words(finding);
      fmt::print(out,
                 "{} dead goroutines retained, {} of stacks ({} stacks){} still held; "
                 "created by {}, {} of its goroutines alive now{}{}: {}\n",
                 with_thousands(finding.count()), megabytes(finding.stack_bytes()),
                 with_thousands(finding.stacks_held()), g_structs, site,
                 with_thousands(finding.alive_at_site()), peak.empty() ? "" : ", ", peak,
                 finding.explanation());
      if (auto lists = free_list_words(finding); !lists.empty()) fmt::print(out, "  {}\n", lists);
      continue;
    }
    fmt::print(out, "{} {}: {} created by {}\n", with_thousands(finding.count()),
               finding.explanation(), finding.kind(), location(finding.created_by()));
  }
  if (dead_gs > 0) {
    // allgs grows only when no dead g is free for a new goroutine: its length is about the
    // most goroutines the process ever had at once.
    fmt::print(out,
               "allgs holds {} g's, about the most goroutines this process had at once (Go never "
               "shrinks it): {} alive, {} dead\n",
               with_thousands(summary.goroutines() + dead_gs), with_thousands(summary.goroutines()),
               with_thousands(dead_gs));
  }
  if (options.verbose) {
    // Why each goroutine left the analysis, by reason.
    struct Dropped {
      int64_t count = 0;
      std::vector<uint64_t> ids;  // a few, to look up in the dump
    };
    std::map<std::string_view, Dropped> dropped;
    for (const auto& record : analysis.input.records) {
      if (record.disposition != Disposition::kKept &&
          record.snapshot + 1 == analysis.input.snapshots.size()) {
        Dropped& entry = dropped[record.why];
        entry.count += record.count();
        if (record.thread != nullptr && entry.ids.size() < 5)
          entry.ids.push_back(record.thread->id);
      }
    }
    if (!dropped.empty()) fmt::print(out, "set aside in the last snapshot:\n");
    for (const auto& [why, entry] : dropped) {
      std::string ids = entry.ids.empty()
                            ? std::string()
                            : fmt::format(" (goroutine {}{})", fmt::join(entry.ids, ", "),
                                          entry.count > 5 ? ", ..." : "");
      fmt::print(out, "  {:>8}  {}{}\n", with_thousands(entry.count), visible(why), ids);
    }
  }
}

}  // namespace leakscan
