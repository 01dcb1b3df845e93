#include "analyzer/report/build_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzer/analysis/age_bound.h"
#include "analyzer/analysis/trace_wakes.h"
#include "analyzer/model/live_goroutines.h"
#include "analyzer/model/text_format.h"
#include "analyzer/model/thread_labels.h"
#include "analyzer/model/trace_window.h"
#include "leakscan/version.h"

namespace leakscan {
namespace {

void fill_frame(const Frame& frame, report::Frame& out) {
  out.set_function(std::string(frame.function));
  out.set_file(std::string(frame.file));
  out.set_line(frame.line);
}

void add_anchor(AnchorKind kind, std::string name, report::Cluster& out) {
  auto* anchor = out.add_anchors();
  anchor->set_kind(std::string(to_string(kind)));
  anchor->set_name(std::move(name));
}

// The wait buckets' edges: from the agent's and the tracer's sub-second waits to a job's days.
constexpr std::array<double, 12> kWaitSteps = {0,      0.01,    0.1,  1,        10,    60,
                                               5 * 60, 15 * 60, 3600, 6 * 3600, 86400, 7 * 86400};

constexpr std::string_view kWholeMinutes = "Go prints whole minutes: each wait is at least this";
constexpr std::string_view kRuntimeDated =
    "the runtime dates a wait from the first garbage collection that found the goroutine "
    "blocked, the tracer from the first snapshot that did: each wait is at least this";

constexpr std::string_view kDeadGoroutines =
    "dead goroutines the runtime keeps: a GC frees the stacks of those on the global free list "
    "(a P's own list keeps its 64 at most, stacks and all), the runtime never frees the g "
    "structs themselves (allgs only grows)";

// What one creation site's ended green threads still hold, the memory the tracer read in dead
// g's (labels stack_bytes and g_bytes, docs/profile-labels.md), and how many of its green
// threads are alive beside them.
struct SiteMemory {
  int64_t stacks = 0;
  int64_t stack_bytes = 0;
  int64_t g_bytes = 0;
  // By the free list each waits on (label free_list), where the tracer read them.
  int64_t lists_read = 0, on_global = 0, on_processor = 0, global_stack_bytes = 0;
  std::vector<int64_t> alive;  // by snapshot
};

std::unordered_map<Frame, SiteMemory, FrameHash> memory_by_site(const AnalysisInput& input,
                                                                uint32_t last) {
  std::unordered_map<Frame, SiteMemory, FrameHash> sites;
  for (const auto& record : input.records) {
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    SiteMemory& site =
        sites[record.created_by() != kNoFrame ? snapshot.frame(record.created_by()) : Frame{}];
    // A dead g the runtime made for itself may have been set aside by layer 1 first.
    const bool ended = record.thread != nullptr ? record.thread->state == ThreadState::kExited
                                                : record.disposition == Disposition::kExited;
    if (!ended) {
      site.alive.resize(input.snapshots.size());
      site.alive[record.snapshot] += record.count();
      continue;
    }
    if (record.snapshot != last || record.thread == nullptr ||
        record.disposition != Disposition::kExited) {
      continue;
    }
    int64_t stack_bytes = 0;
    std::string_view free_list;
    for (const Label& label : record.thread->labels) {
      if (label.key == "free_list") free_list = label.str;
      if (!label.numeric || label.num <= 0) continue;
      if (label.key == "stack_bytes") {
        ++site.stacks;
        stack_bytes = label.num;
        site.stack_bytes += label.num;
      } else if (label.key == "g_bytes") {
        site.g_bytes += label.num;
      }
    }
    if (!free_list.empty()) ++site.lists_read;
    if (free_list == "global") {
      ++site.on_global;
      site.global_stack_bytes += stack_bytes;
    } else if (free_list == "p") {
      ++site.on_processor;
    }
  }
  return sites;
}

// Why the cluster's waits are lower bounds, from where they came: a dump's are whole minutes,
// also once converted to a profile (leakscan convert keeps them as lower_bound labels), while
// the tracer's are the runtime's dating, in nanoseconds, practically never whole minutes.
std::string lower_bound_why(const AnalysisInput& input, const Cluster& cluster) {
  bool minutes = false;
  bool runtime = false;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    const GreenThread* thread = record.thread;
    if (thread == nullptr || !thread->wait || thread->wait_precision != WaitPrecision::kLowerBound)
      continue;
    const auto nanos = std::chrono::nanoseconds(*thread->wait).count();
    constexpr int64_t kMinute = 60'000'000'000;
    if (input.snapshots[record.snapshot].format == SourceFormat::kGoTraceback ||
        (nanos > 0 && nanos % kMinute == 0)) {
      minutes = true;
    } else {
      runtime = true;
    }
  }
  if (minutes && runtime) return fmt::format("{}; {}", kWholeMinutes, kRuntimeDated);
  return std::string(minutes ? kWholeMinutes : runtime ? kRuntimeDated : "");
}

void fill_wait(const AnalysisInput& input, const AgeBound& age_bound, const Cluster& cluster,
               report::WaitStats& out) {
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  std::vector<double> waits;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot != last || record.thread == nullptr) continue;
    if (auto wait = age_bound.wait_of(*record.thread)) waits.push_back(wait->seconds);
  }
  std::sort(waits.begin(), waits.end());
  out.set_min_seconds(waits.front());
  out.set_median_seconds(waits[waits.size() / 2]);
  out.set_max_seconds(waits.back());
  out.set_lower_bound(cluster.wait_lower_bound);
  if (cluster.wait_lower_bound) out.set_lower_bound_why(lower_bound_why(input, cluster));
  out.set_capped(cluster.wait_capped);
  fill_wait_histogram(waits, out);
}

void fill_age_deciles(const AnalysisInput& input, const Cluster& cluster, IdRange range,
                      report::Cluster& out) {
  if (range.high <= range.low || cluster.min_id == UINT64_MAX) return;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  std::array<int64_t, 10> deciles{};
  const double span = static_cast<double>(range.high - range.low) + 1;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot != last || record.thread == nullptr || record.thread->id == 0) continue;
    auto decile =
        static_cast<size_t>(10 * static_cast<double>(record.thread->id - range.low) / span);
    ++deciles[std::min<size_t>(decile, 9)];
  }
  for (int64_t count : deciles) out.add_age_deciles(count);
}

// Creation time first, then goroutine id: both are clocks, the id a coarser one. Times order
// goroutines only where every one has one: a goroutine the tracer found already running has
// none, and is older than any it dated (preferring the dated once named goroutine 640 the
// oldest of a cluster whose ids start at 11).
bool older(const GreenThread& a, const GreenThread& b, bool by_time) {
  if (by_time && *a.created_at != *b.created_at) return *a.created_at < *b.created_at;
  return a.id < b.id;
}

// The oldest goroutine of the cluster in the last snapshot, and the stack that created the
// oldest that has one, with that goroutine's id: goroutines the tracer saw born while its
// probes were off have none, so the stack may be a younger goroutine's.
void fill_creation(const AnalysisInput& input, const Cluster& cluster, report::Cluster& out) {
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  bool by_time = true;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot == last && record.thread != nullptr && !record.thread->created_at) {
      by_time = false;
      break;
    }
  }
  const GreenThread* oldest = nullptr;
  const GoroutineRecord* with_stack = nullptr;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot != last || record.thread == nullptr) continue;
    if (oldest == nullptr || older(*record.thread, *oldest, by_time)) oldest = record.thread;
    if (input.has_ancestors && !record.thread->ancestors.empty() &&
        (with_stack == nullptr || older(*record.thread, *with_stack->thread, by_time))) {
      with_stack = &record;
    }
  }
  if (with_stack != nullptr) {
    const Snapshot& snapshot = input.snapshots[with_stack->snapshot];
    for (FrameId id : with_stack->thread->ancestors.front().stack) {
      fill_frame(snapshot.frame(id), *out.add_creation_stack());
    }
    out.set_creation_stack_goroutine_id(with_stack->thread->id);
  }
  if (oldest == nullptr || (!oldest->created_at && oldest->creator_id == 0)) return;
  auto& facts = *out.mutable_oldest();
  facts.set_goroutine_id(oldest->id);
  if (oldest->creator_id != 0) facts.set_creator_id(oldest->creator_id);
  if (!oldest->created_at) return;
  facts.set_created_at(thread_labels::created_at_text(*oldest->created_at));
  if (oldest->created_at_precision != CreationPrecision::kUnknown) {
    facts.set_created_at_precision(std::string(to_string(oldest->created_at_precision)));
  }
  if (oldest->created_at_precision == CreationPrecision::kInferred) {
    // The other bound of an inferred time: the snapshot that first showed the goroutine.
    uint32_t first = last;
    for (uint32_t index : cluster.records()) {
      const GoroutineRecord& record = input.records[index];
      if (record.thread != nullptr && record.thread->id == oldest->id) {
        first = std::min(first, record.snapshot);
      }
    }
    facts.set_before_snapshot(first + 1);
  }
  if (const auto& captured = input.snapshots.back().captured_at) {
    facts.set_age_seconds(
        std::max(0.0, std::chrono::duration<double>(*captured - *oldest->created_at).count()));
  }
}

void fill_cluster(const AnalysisInput& input, const AgeBound& age_bound, const Cluster& cluster,
                  int64_t total, IdRange ids, report::Cluster& out) {
  out.set_id(cluster.id_text());
  out.set_verdict(to_report(cluster.verdict));
  for (const auto& reason : cluster.reasons()) out.add_reasons(reason);
  out.set_state(
      std::string(cluster.status().empty() ? cluster.blocking_operation() : cluster.status()));
  out.set_blocking_operation(std::string(cluster.blocking_operation()));
  fill_frame(cluster.blocked_at(), *out.mutable_blocked_at());
  fill_frame(cluster.created_by(), *out.mutable_created_by());
  // Layer 4's anchors, with the creation site and the owners where reports have placed them.
  for (const auto& anchor : cluster.anchors()) {
    if (anchor.kind != AnchorKind::kOwner) add_anchor(anchor.kind, anchor.name, out);
  }
  if (!cluster.created_by().function.empty()) {
    add_anchor(AnchorKind::kCreatedBy, format_site(cluster.created_by()), out);
  }
  for (const auto& anchor : cluster.anchors()) {
    if (anchor.kind == AnchorKind::kOwner) add_anchor(anchor.kind, anchor.name, out);
  }
  out.set_count(cluster.last_count());
  out.set_share(total > 0 ? static_cast<double>(cluster.last_count()) / static_cast<double>(total)
                          : 0);
  if (cluster.min_id != UINT64_MAX) {
    out.set_min_goroutine_id(cluster.min_id);
    out.set_max_goroutine_id(cluster.max_id);
  }
  if (cluster.max_wait_seconds()) fill_wait(input, age_bound, cluster, *out.mutable_wait());
  for (int64_t count : cluster.count_per_snapshot()) out.add_count_per_snapshot(count);
  out.set_growth_per_minute(cluster.growth_per_minute());
  out.set_monotonic_growth(cluster.monotonic_growth());
  const Snapshot& snapshot = input.snapshots[cluster.representative_snapshot()];
  for (FrameId id : cluster.representative_stack())
    fill_frame(snapshot.frame(id), *out.add_stack());
  out.set_baseline_reason(std::string(cluster.baseline_reason()));
  out.set_threshold_seconds(cluster.threshold_seconds());
  if (cluster.wait_object != 0) out.set_wait_object(fmt::format("0x{:x}", cluster.wait_object));
  out.set_wait_objects(cluster.wait_objects);
  fill_creation(input, cluster, out);
  fill_age_deciles(input, cluster, ids, out);
  if (auto turnover = site_turnover(input, cluster)) {
    auto& site = *out.mutable_window_turnover();
    site.set_born(turnover->born);
    site.set_died(turnover->died);
    site.set_window_nanos(turnover->window.count());
  }
}

// The cluster holding most of a waiting group's goroutines: a group is one object or one site,
// a cluster one stack, so a group may span clusters (and the runtime's goroutines are in none).
std::string cluster_of(const Analysis& analysis, const std::vector<uint64_t>& goroutine_ids,
                       const std::unordered_map<uint64_t, uint32_t>& cluster_by_id) {
  std::unordered_map<uint32_t, size_t> held;
  uint32_t best = UINT32_MAX;
  for (uint64_t id : goroutine_ids) {
    auto found = cluster_by_id.find(id);
    if (found == cluster_by_id.end()) continue;
    size_t count = ++held[found->second];
    if (best == UINT32_MAX || count > held[best]) best = found->second;
  }
  return best == UINT32_MAX ? std::string() : analysis.clusters[best].id_text();
}

void fill_process_end(const Analysis& analysis, const ProcessEnd& end, report::ProcessEnd& out) {
  const AnalysisInput& input = analysis.input;
  out.set_kind(std::string(to_string(end.kind)));
  out.set_reason(std::string(end.reason));
  out.set_explanation(end.explanation);
  if (const GoroutineRecord* culprit = end.culprit) {
    const Snapshot& snapshot = input.snapshots[culprit->snapshot];
    out.set_goroutine_id(culprit->thread->id);
    out.set_state(std::string(culprit->thread->status));
    if (!end.culprit_site.function.empty()) fill_frame(end.culprit_site, *out.mutable_blocked_at());
    for (FrameId id : culprit->stack()) fill_frame(snapshot.frame(id), *out.add_stack());
  }
  // The groups are the last snapshot's goroutines.
  std::unordered_map<uint64_t, uint32_t> cluster_by_id;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  for (const GoroutineRecord& record : input.records) {
    if (record.snapshot == last && record.thread != nullptr && record.cluster != UINT32_MAX) {
      cluster_by_id.emplace(record.thread->id, record.cluster);
    }
  }
  for (const auto& group : end.waiting) {
    auto* waiting = out.add_waiting();
    waiting->set_cluster_id(cluster_of(analysis, group.goroutine_ids, cluster_by_id));
    if (group.object != 0) waiting->set_object(fmt::format("0x{:x}", group.object));
    waiting->set_operation(std::string(group.operation));
    fill_frame(group.blocked_at, *waiting->mutable_blocked_at());
    for (uint64_t id : group.goroutine_ids) waiting->add_goroutine_ids(id);
  }
}

void fill_snapshot(const Snapshot& snapshot, report::SnapshotInfo& info) {
  info.set_source(snapshot.source);
  info.set_format(std::string(to_string(snapshot.format)));
  info.set_runtime(std::string(to_string(snapshot.runtime)));
  if (snapshot.captured_at) {
    info.set_captured_at_unix_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        snapshot.captured_at->time_since_epoch())
                                        .count());
  }
  info.set_capture_time_origin(std::string(to_string(
      snapshot.captured_at ? snapshot.capture_time_origin : CaptureTimeOrigin::kOrderGiven)));
  info.set_goroutines(live_goroutines(snapshot));
  info.set_reason(snapshot.reason);
  if (auto window = trace_window(snapshot.reason)) info.set_trace_window_nanos(window->count());
}

}  // namespace

report::Verdict to_report(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLeak:
      return report::LEAK;
    case Verdict::kSuspect:
      return report::SUSPECT;
    case Verdict::kExpected:
      break;
  }
  return report::EXPECTED;
}

void fill_wait_histogram(std::span<const double> sorted_waits, report::WaitStats& out) {
  if (sorted_waits.empty()) return;
  // The first bucket starts at the step at or below the shortest wait: buckets below it would
  // all be empty, and waits of seconds would crowd into one bar beside them.
  auto step = std::upper_bound(kWaitSteps.begin() + 1, kWaitSteps.end(), sorted_waits.front()) - 1;
  report::WaitBucket* bucket = nullptr;
  for (double wait : sorted_waits) {
    while (bucket == nullptr || (step + 1 != kWaitSteps.end() && wait >= *(step + 1))) {
      if (bucket != nullptr) ++step;
      bucket = out.add_histogram();
      bucket->set_at_least_seconds(*step);
      if (step + 1 != kWaitSteps.end()) bucket->set_below_seconds(*(step + 1));
    }
    bucket->set_count(bucket->count() + 1);
  }
}

report::Report build_report(const Analysis& analysis, const AnalysisOptions& options) {
  report::Report report;
  const auto& snapshots = analysis.input.snapshots;
  report.set_leakscan_version(std::string(kLeakscanVersion));
  report.set_rules_version(analysis.rules->version);
  for (const Snapshot& snapshot : snapshots) fill_snapshot(snapshot, *report.add_snapshots());
  for (const Snapshot& proof : analysis.leak_proofs)
    fill_snapshot(proof, *report.add_leak_proofs());

  const auto last = static_cast<uint32_t>(snapshots.size() - 1);
  const IdRange ids = analysis.input.id_ranges.back();
  int64_t total = live_goroutines(snapshots.back());
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
  const AgeBound age_bound(snapshots);
  for (const auto& cluster : analysis.clusters) {
    if (options.max_clusters == 0 ||
        static_cast<size_t>(report.clusters_size()) < options.max_clusters) {
      fill_cluster(analysis.input, age_bound, cluster, total, ids, *report.add_clusters());
    } else {
      summary->set_clusters_not_listed(summary->clusters_not_listed() + 1);
      summary->set_goroutines_not_listed(summary->goroutines_not_listed() + cluster.last_count());
    }
    summary->set_clusters(summary->clusters() + 1);
    if (!cluster.baseline_reason().empty()) {
      summary->set_baselined(summary->baselined() + 1);
      continue;
    }
    if (cluster.verdict == Verdict::kLeak) {
      summary->set_leaks(summary->leaks() + 1);
      summary->set_leaked_goroutines(summary->leaked_goroutines() + cluster.last_count());
    } else if (cluster.verdict == Verdict::kSuspect) {
      summary->set_suspects(summary->suspects() + 1);
    }
  }
  if (analysis.process_end) {
    fill_process_end(analysis, *analysis.process_end, *report.mutable_process_end());
  }
  const std::unordered_map<Frame, SiteMemory, FrameHash> sites =
      analysis.dead_but_unfreed.empty() ? std::unordered_map<Frame, SiteMemory, FrameHash>{}
                                        : memory_by_site(analysis.input, last);
  const bool go = snapshots.back().runtime == RuntimeKind::kGo;
  for (const auto& finding : analysis.dead_but_unfreed) {
    auto* out = report.add_dead_but_unfreed();
    out->set_kind(std::string(to_string(finding.kind)));
    out->set_count(finding.count);
    if (!finding.created_by.function.empty())
      fill_frame(finding.created_by, *out->mutable_created_by());
    out->set_runtime(std::string(to_string(snapshots.back().runtime)));
    const bool exited = finding.kind == DeadButUnfreedKind::kExitedNotReleased;
    if (auto it = sites.find(finding.created_by); it != sites.end()) {
      const std::vector<int64_t>& alive = it->second.alive;
      if (!alive.empty()) {
        out->set_alive_at_site(alive.back());
        // The most seen alive at once, and when: the spike itself, when a snapshot caught it.
        const auto peak = std::max_element(alive.begin(), alive.end());
        out->set_peak_alive(*peak);
        out->set_peak_snapshot(static_cast<uint32_t>(peak - alive.begin()));
      }
      if (exited) {
        out->set_stacks_held(it->second.stacks);
        out->set_stack_bytes(it->second.stack_bytes);
        out->set_g_struct_bytes(it->second.g_bytes);
        const SiteMemory& site = it->second;
        if (site.lists_read > 0) {
          out->set_free_lists_read(true);
          out->set_on_global_free_list(site.on_global);
          out->set_on_processor_free_lists(site.on_processor);
          out->set_on_no_free_list(site.lists_read - site.on_global - site.on_processor);
          out->set_global_stack_bytes(site.global_stack_bytes);
        }
      }
    }
    out->set_explanation(std::string(go && exited ? kDeadGoroutines : finding.explanation()));
  }
  return report;
}

}  // namespace leakscan
