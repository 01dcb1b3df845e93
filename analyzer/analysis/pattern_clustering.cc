#include "analyzer/analysis/pattern_clustering.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace leakscan {
namespace {

// FNV-1a: stable across runs and machines, unlike std::hash.
uint64_t stable_hash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

report::Frame to_report_frame(const Snapshot& snapshot, FrameId id) {
  report::Frame out;
  if (id == kNoFrame) return out;
  const Frame& frame = snapshot.frame(id);
  out.set_function(std::string(frame.function));
  out.set_file(std::string(frame.file));
  out.set_line(frame.line);
  return out;
}

}  // namespace

std::vector<Cluster> PatternClustering::run(AnalysisInput& input) const {
  std::vector<Cluster> clusters;
  std::unordered_map<std::string, uint32_t> by_key;
  const size_t snapshots = input.snapshots.size();
  const auto last = static_cast<uint32_t>(snapshots - 1);
  // Per cluster, how often each distinct stack of the last snapshot occurs.
  std::vector<std::unordered_map<const FrameId*, int64_t>> stack_counts;

  // Aggregated profiles (debug=0/1) name no creator: when any snapshot is one, the creator
  // stays out of the fingerprint so that one shape matches across all the snapshots.
  bool key_on_creator = std::none_of(input.snapshots.begin(), input.snapshots.end(),
                                     [](const Snapshot& s) { return s.aggregated(); });
  uint32_t current_snapshot = UINT32_MAX;
  std::unordered_map<ShapeKey, uint32_t, ShapeKeyHash> groups;
  for (size_t index = 0; index < input.records.size(); ++index) {
    GoroutineRecord& record = input.records[index];
    if (record.disposition != Disposition::kKept) continue;
    if (record.snapshot != current_snapshot) {
      groups.clear();  // FrameIds and interned stacks are per snapshot
      current_snapshot = record.snapshot;
    }
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    ShapeKey group(record, record.blocking_operation);
    auto found = groups.find(group);
    uint32_t cluster_index = 0;
    if (found != groups.end()) {
      cluster_index = found->second;
    } else {
      std::string_view blocked = record.blocked_at != kNoFrame
                                     ? snapshot.frame(record.blocked_at).function
                                     : std::string_view("(no frames)");
      std::string_view creator = record.created_by() != kNoFrame && key_on_creator
                                     ? snapshot.frame(record.created_by()).function
                                     : "";
      // "chan receive (nil chan)" (a debug=2 status) and "chan receive" (debug=0's frames) are
      // one operation at one site.
      std::string_view operation = record.blocking_operation;
      operation = operation.substr(0, operation.find(" ("));
      std::string key = fmt::format("{}\x1f{}\x1f{}", operation, blocked, creator);
      auto [it, added] = by_key.try_emplace(key, static_cast<uint32_t>(clusters.size()));
      if (added) {
        Cluster& cluster = clusters.emplace_back();
        cluster.key = key;
        cluster.blocking_operation = std::string(record.blocking_operation);
        if (record.thread != nullptr) cluster.status = std::string(record.thread->status);
        cluster.blocked_at = to_report_frame(snapshot, record.blocked_at);
        cluster.created_by = to_report_frame(snapshot, record.created_by());
        cluster.count_per_snapshot.assign(snapshots, 0);
        stack_counts.emplace_back();
      }
      cluster_index = it->second;
      groups.emplace(group, cluster_index);
    }
    record.cluster = cluster_index;
    Cluster& cluster = clusters[cluster_index];
    cluster.records.push_back(index);
    cluster.count_per_snapshot[record.snapshot] += record.count();
    if (record.snapshot != last) continue;
    if (record.thread != nullptr) {
      cluster.min_id = std::min(cluster.min_id, record.thread->id);
      cluster.max_id = std::max(cluster.max_id, record.thread->id);
      if (record.thread->wait) {
        cluster.waits_seconds.push_back(
            std::chrono::duration<double>(*record.thread->wait).count());
      }
    }
    if (!record.stack().empty()) {
      int64_t& seen = stack_counts[cluster_index][record.stack().data()];
      seen += record.count();
      if (cluster.representative_stack.empty() ||
          seen > stack_counts[cluster_index][cluster.representative_stack.data()]) {
        cluster.representative_snapshot = record.snapshot;
        cluster.representative_stack = record.stack();
      }
    }
  }
  // A cluster's id names its blocking site: the operation and the first user frame. The creator
  // joins it only where two clusters share a site, so that a dump (which names creators) and a
  // profile (which does not) give one leak one id, in a report, a baseline or a fleet.
  std::unordered_map<std::string_view, int> clusters_at_site;
  auto site_of = [](const Cluster& cluster) {
    return std::string_view(cluster.key).substr(0, cluster.key.rfind('\x1f'));
  };
  for (const auto& cluster : clusters) ++clusters_at_site[site_of(cluster)];
  for (auto& cluster : clusters) {
    std::string_view site = site_of(cluster);
    cluster.id = fmt::format("{:016x}",
                             stable_hash(clusters_at_site[site] == 1 ? site : cluster.key));
  }
  // Clusters absent from the last snapshot keep a representative from where they were seen.
  for (auto& cluster : clusters) {
    if (!cluster.representative_stack.empty() || cluster.records.empty()) continue;
    const GoroutineRecord& record = input.records[cluster.records.front()];
    cluster.representative_snapshot = record.snapshot;
    cluster.representative_stack = record.stack();
  }
  return clusters;
}

}  // namespace leakscan
