#include "analyzer/analysis/pipeline.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <numeric>

#include "analyzer/analysis/business_anchors.h"
#include "analyzer/analysis/dead_but_unfreed.h"
#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/analysis/pattern_clustering.h"
#include "analyzer/analysis/system_frame_filter.h"

namespace leakscan {
namespace {

// --focus and --ignore match any frame's function or the creator's.
Status apply_focus(const AnalysisOptions& options, AnalysisInput& input) {
  if (options.focus.empty() && options.ignore.empty()) return Ok{};
  std::optional<RE2> focus;
  std::optional<RE2> ignore;
  if (!options.focus.empty()) {
    focus.emplace(options.focus, RE2::Quiet);
    if (!focus->ok()) return Error{fmt::format("--focus: {}", focus->error())};
  }
  if (!options.ignore.empty()) {
    ignore.emplace(options.ignore, RE2::Quiet);
    if (!ignore->ok()) return Error{fmt::format("--ignore: {}", ignore->error())};
  }
  for (auto& record : input.records) {
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    auto any = [&](const RE2& pattern) {
      for (FrameId id : record.stack()) {
        if (RE2::PartialMatch(snapshot.frame(id).function, pattern)) return true;
      }
      return record.created_by() != kNoFrame &&
             RE2::PartialMatch(snapshot.frame(record.created_by()).function, pattern);
    };
    if ((focus && !any(*focus)) || (ignore && any(*ignore))) {
      record.disposition = Disposition::kFiltered;
      record.why = focus && !any(*focus) ? "not matched by --focus" : "matched by --ignore";
    }
  }
  return Ok{};
}

int verdict_rank(report::Verdict verdict) {
  switch (verdict) {
    case report::LEAK:
      return 0;
    case report::SUSPECT:
      return 1;
    default:
      return 2;
  }
}

void fill_cluster(const AnalysisInput& input, const Cluster& cluster, int64_t total,
                  report::Cluster& out) {
  out.set_id(cluster.id);
  out.set_verdict(cluster.verdict);
  for (const auto& reason : cluster.reasons) out.add_reasons(reason);
  out.set_state(cluster.status.empty() ? cluster.blocking_operation : cluster.status);
  out.set_blocking_operation(cluster.blocking_operation);
  *out.mutable_blocked_at() = cluster.blocked_at;
  *out.mutable_created_by() = cluster.created_by;
  for (const auto& anchor : cluster.anchors) *out.add_anchors() = anchor;
  out.set_count(cluster.last_count());
  out.set_share(total > 0 ? static_cast<double>(cluster.last_count()) / static_cast<double>(total)
                          : 0);
  if (cluster.min_id != UINT64_MAX) {
    out.set_min_goroutine_id(cluster.min_id);
    out.set_max_goroutine_id(cluster.max_id);
  }
  if (!cluster.waits_seconds.empty()) {
    std::vector<double> waits = cluster.waits_seconds;
    std::sort(waits.begin(), waits.end());
    auto* wait = out.mutable_wait();
    wait->set_min_seconds(waits.front());
    wait->set_median_seconds(waits[waits.size() / 2]);
    wait->set_max_seconds(waits.back());
    wait->set_lower_bound(input.snapshots.back().format == SourceFormat::kGoTraceback);
  }
  for (int64_t count : cluster.count_per_snapshot) out.add_count_per_snapshot(count);
  out.set_growth_per_minute(cluster.growth_per_minute);
  out.set_monotonic_growth(cluster.monotonic_growth);
  const Snapshot& snapshot = input.snapshots[cluster.representative_snapshot];
  for (FrameId id : cluster.representative_stack) {
    const Frame& frame = snapshot.frame(id);
    auto* out_frame = out.add_stack();
    out_frame->set_function(std::string(frame.function));
    out_frame->set_file(std::string(frame.file));
    out_frame->set_line(frame.line);
  }
  out.set_baseline_reason(cluster.baseline_reason);
  out.set_threshold_seconds(cluster.threshold_seconds);
}

}  // namespace

Result<Analysis> analyze(std::span<const Snapshot> snapshots,
                         std::span<const SnapshotOrigin> origins, const AnalysisOptions& options) {
  if (snapshots.empty()) return Error{"no snapshot to analyze"};
  Analysis analysis;
  analysis.input = make_analysis_input(snapshots);
  auto focused = apply_focus(options, analysis.input);
  if (!focused) return focused.error();

  analysis.rules = std::make_shared<const Rules>(options.rules);
  SystemFrameFilter(*analysis.rules).run(analysis.input);
  DeadButUnfreed dead;
  dead.run(analysis.input);
  analysis.clusters = PatternClustering().run(analysis.input);
  BusinessAnchors(options.rules, options.owners).run(analysis.input, analysis.clusters);
  // Rates need real capture times: a profile's own, or when leakscan fetched it. A file's
  // modification time orders snapshots but says nothing exact (a copy or checkout resets it).
  std::vector<std::optional<double>> capture_seconds;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const Snapshot& snapshot = snapshots[i];
    bool exact = i >= origins.size() || origins[i].capture_time_origin == "profile" ||
                 origins[i].capture_time_origin == "time fetched";
    capture_seconds.push_back(
        snapshot.captured_at && exact
            ? std::optional<double>(
                  std::chrono::duration<double>(snapshot.captured_at->time_since_epoch()).count())
            : std::nullopt);
  }
  LifetimeThresholds(options.rules, capture_seconds, options.min_wait)
      .run(analysis.input, analysis.clusters);
  analysis.warnings = apply_baseline(options.baseline, options.today, analysis.clusters);

  // Report order, and the records' cluster indices kept pointing at the same clusters.
  std::vector<uint32_t> order(analysis.clusters.size());
  std::iota(order.begin(), order.end(), 0);
  const auto& clusters = analysis.clusters;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const Cluster& a = clusters[x];
    const Cluster& b = clusters[y];
    if (verdict_rank(a.verdict) != verdict_rank(b.verdict)) {
      return verdict_rank(a.verdict) < verdict_rank(b.verdict);
    }
    if (a.last_count() != b.last_count()) return a.last_count() > b.last_count();
    return a.id < b.id;
  });
  std::vector<uint32_t> new_index(order.size());
  std::vector<Cluster> sorted;
  sorted.reserve(order.size());
  for (uint32_t position = 0; position < order.size(); ++position) {
    new_index[order[position]] = position;
    sorted.push_back(std::move(analysis.clusters[order[position]]));
  }
  analysis.clusters = std::move(sorted);
  for (auto& record : analysis.input.records) {
    if (record.cluster != UINT32_MAX) record.cluster = new_index[record.cluster];
  }

  report::Report& report = analysis.report;
  report.set_leakscan_version("0.1.0");
  report.set_rules_version(options.rules.version);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const Snapshot& snapshot = snapshots[i];
    auto* info = report.add_snapshots();
    info->set_source(snapshot.source);
    info->set_format(std::string(to_string(snapshot.format)));
    info->set_runtime(std::string(to_string(snapshot.runtime)));
    if (snapshot.captured_at) {
      info->set_captured_at_unix_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           snapshot.captured_at->time_since_epoch())
                                           .count());
    }
    if (i < origins.size()) info->set_capture_time_origin(origins[i].capture_time_origin);
    info->set_goroutines(snapshot.goroutine_count());
    info->set_reason(snapshot.reason);
  }
  const auto last = static_cast<uint32_t>(snapshots.size() - 1);
  int64_t total = snapshots.back().goroutine_count();
  auto* summary = report.mutable_summary();
  summary->set_goroutines(total);
  for (const auto& record : analysis.input.records) {
    if (record.snapshot != last) continue;
    if (record.disposition == Disposition::kSystem) {
      summary->set_dropped_system(summary->dropped_system() + record.count());
    } else if (record.disposition == Disposition::kFinishing) {
      // Exited but unreleased green threads are not finishing: dead_but_unfreed reports them.
      summary->set_finishing(summary->finishing() + record.count());
    }
  }
  for (const auto& cluster : analysis.clusters) {
    if (options.max_clusters == 0 ||
        static_cast<size_t>(report.clusters_size()) < options.max_clusters) {
      fill_cluster(analysis.input, cluster, total, *report.add_clusters());
    } else {
      summary->set_clusters_not_listed(summary->clusters_not_listed() + 1);
      summary->set_goroutines_not_listed(summary->goroutines_not_listed() + cluster.last_count());
    }
    summary->set_clusters(summary->clusters() + 1);
    if (!cluster.baseline_reason.empty()) {
      summary->set_baselined(summary->baselined() + 1);
      continue;
    }
    if (cluster.verdict == report::LEAK) {
      summary->set_leaks(summary->leaks() + 1);
      summary->set_leaked_goroutines(summary->leaked_goroutines() + cluster.last_count());
    } else if (cluster.verdict == report::SUSPECT) {
      summary->set_suspects(summary->suspects() + 1);
    }
  }
  for (auto& finding : dead.findings(analysis.input)) {
    *report.add_dead_but_unfreed() = std::move(finding);
  }
  return analysis;
}

}  // namespace leakscan
