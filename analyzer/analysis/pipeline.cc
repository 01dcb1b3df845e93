#include "analyzer/analysis/pipeline.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <tuple>

#include "analyzer/analysis/business_anchors.h"
#include "analyzer/analysis/leak_proof.h"
#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/analysis/pattern_clustering.h"
#include "analyzer/analysis/system_frame_filter.h"

namespace leakscan {
namespace {

// The focus and ignore patterns match any frame's function or the creator's. A focus that
// matches nothing is said: an empty report would otherwise read as a clean process.
Status apply_focus(const AnalysisOptions& options, AnalysisInput& input,
                   std::vector<std::string>& warnings) {
  if (options.focus.empty() && options.ignore.empty()) return Ok{};
  std::optional<RE2> focus;
  std::optional<RE2> ignore;
  if (!options.focus.empty()) {
    focus.emplace(options.focus, RE2::Quiet);
    if (!focus->ok()) {
      return Error{fmt::format("focus pattern {}: {}", options.focus, focus->error())};
    }
  }
  if (!options.ignore.empty()) {
    ignore.emplace(options.ignore, RE2::Quiet);
    if (!ignore->ok()) {
      return Error{fmt::format("ignore pattern {}: {}", options.ignore, ignore->error())};
    }
  }
  bool focus_matched = false;
  for (auto& record : input.records) {
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    auto any = [&](const RE2& pattern) {
      for (FrameId id : record.stack()) {
        if (RE2::PartialMatch(snapshot.frame(id).function, pattern)) return true;
      }
      return record.created_by() != kNoFrame &&
             RE2::PartialMatch(snapshot.frame(record.created_by()).function, pattern);
    };
    const bool outside_focus = focus && !any(*focus);
    focus_matched = focus_matched || (focus && !outside_focus);
    if (outside_focus || (ignore && any(*ignore))) {
      record.disposition = Disposition::kFiltered;
      record.why =
          outside_focus ? "not matched by the focus pattern" : "matched by the ignore pattern";
    }
  }
  if (focus && !focus_matched && !input.records.empty()) {
    warnings.push_back(fmt::format(
        "the focus pattern '{}' matched no goroutine's frames or creator: nothing was analysed",
        options.focus));
  }
  return Ok{};
}

}  // namespace

Result<Analysis> run_layers(std::span<const Snapshot> all, const AnalysisOptions& options) {
  if (all.empty()) return Error{"no snapshot to analyze"};
  // Go's goroutineleak profiles given first, beside other snapshots (engine/inputs.h): evidence
  // for the series, not part of it. Alone, a profile is the series.
  size_t proofs = 0;
  while (proofs < all.size() && all[proofs].proven_leaked) ++proofs;
  if (proofs == all.size()) proofs = 0;
  const std::span<const Snapshot> snapshots = all.subspan(proofs);
  Analysis analysis;
  analysis.input = make_analysis_input(snapshots);
  analysis.input.leak_proof_given = proofs > 0;
  analysis.leak_proofs = all.first(proofs);
  auto focused = apply_focus(options, analysis.input, analysis.warnings);
  if (!focused) return focused.error();

  analysis.rules = std::make_shared<const Rules>(options.rules);
  SystemFrameFilter(*analysis.rules).run(analysis.input);
  DeadButUnfreed dead;
  dead.run(analysis.input);
  analysis.clusters = PatternClustering().run(analysis.input);
  for (auto& note : attach_leak_proof(all.first(proofs), *analysis.rules, analysis.clusters)) {
    analysis.warnings.push_back(std::move(note));
  }
  BusinessAnchors(*analysis.rules, options.owners).run(analysis.input, analysis.clusters);
  analysis.wait_for.build(analysis.input);
  LifetimeThresholds judge(*analysis.rules, exact_capture_seconds(snapshots), options.min_wait);
  judge.use_wait_for_graph(&analysis.wait_for);
  judge.run(analysis.input, analysis.clusters);
  for (auto& warning : apply_baseline(options.baseline, options.today, analysis.clusters)) {
    analysis.warnings.push_back(std::move(warning));
  }
  analysis.dead_but_unfreed = dead.findings(analysis.input);
  analysis.process_end = explain_process_end(analysis.input);
  return analysis;
}

namespace {

// Among clusters judged expected, what an operator looks at first: a goroutine waiting on a
// lock is never idle, one waiting to send rarely is; receiving, selecting, sleeping and I/O are
// how idle goroutines wait.
int attention(const Cluster& cluster) {
  std::string_view operation = cluster.blocking_operation();
  if (operation.starts_with("sync.Mutex") || operation.starts_with("sync.RWMutex") ||
      operation == "semacquire") {
    return 0;
  }
  if (operation.starts_with("chan send") || operation.starts_with("sync.WaitGroup") ||
      operation.starts_with("sync.Cond")) {
    return 1;
  }
  return 2;
}

}  // namespace

void order_clusters(Analysis& analysis) {
  // Sorted by a compact key of what the order reads, not by a comparator that visits two
  // clusters each time: a million clusters are 32 MB of keys instead of cache misses. The
  // index last keeps equal clusters in their order.
  struct SortKey {
    uint8_t verdict;
    uint8_t evidence;   // among leaks and suspects only
    uint8_t attention;  // among expected clusters only
    int64_t count;      // negated: larger first
    uint64_t id;
    uint32_t index;
    bool operator<(const SortKey& other) const {
      return std::tie(verdict, evidence, attention, count, id, index) <
             std::tie(other.verdict, other.evidence, other.attention, other.count, other.id,
                      other.index);
    }
  };
  const auto& clusters = analysis.clusters;
  std::vector<SortKey> keys(clusters.size());
  for (uint32_t i = 0; i < clusters.size(); ++i) {
    const Cluster& cluster = clusters[i];
    keys[i] = SortKey{
        .verdict = static_cast<uint8_t>(cluster.verdict),
        .evidence = cluster.verdict == Verdict::kExpected ? uint8_t{0} : cluster.evidence_rank,
        .attention =
            static_cast<uint8_t>(cluster.verdict == Verdict::kExpected ? attention(cluster) : 0),
        .count = -cluster.last_count(),
        .id = cluster.id,
        .index = i,
    };
  }
  std::sort(keys.begin(), keys.end());
  std::vector<uint32_t> order(keys.size());
  for (size_t position = 0; position < keys.size(); ++position)
    order[position] = keys[position].index;
  keys = std::vector<SortKey>();
  std::vector<uint32_t> new_index(order.size());
  for (uint32_t position = 0; position < order.size(); ++position) {
    new_index[order[position]] = position;
  }
  // Permuted in place, cycle by cycle, each cluster moved once: a million clusters are not
  // copied into a second vector. `order` marks the positions filled.
  for (uint32_t start = 0; start < order.size(); ++start) {
    if (order[start] == start || order[start] == UINT32_MAX) continue;
    Cluster held = std::move(analysis.clusters[start]);
    uint32_t at = start;
    for (uint32_t from = order[at]; from != start; at = from, from = order[at]) {
      analysis.clusters[at] = std::move(analysis.clusters[from]);
      order[at] = UINT32_MAX;
    }
    analysis.clusters[at] = std::move(held);
    order[at] = UINT32_MAX;
  }
  for (auto& record : analysis.input.records) {
    if (record.cluster != UINT32_MAX) record.cluster = new_index[record.cluster];
  }
}

void explain_clusters(Analysis& analysis, const AnalysisOptions& options) {
  LifetimeThresholds judge(*analysis.rules, exact_capture_seconds(analysis.input.snapshots),
                           options.min_wait);
  judge.use_wait_for_graph(&analysis.wait_for);
  judge.prepare(analysis.input);
  size_t listed = options.max_clusters == 0
                      ? analysis.clusters.size()
                      : std::min(options.max_clusters, analysis.clusters.size());
  for (size_t i = 0; i < listed; ++i) judge.explain(analysis.input, analysis.clusters[i]);
}

}  // namespace leakscan
