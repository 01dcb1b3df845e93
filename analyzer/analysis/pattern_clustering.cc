#include "analyzer/analysis/pattern_clustering.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "analyzer/analysis/age_bound.h"
#include "analyzer/analysis/shape_index.h"
#include "analyzer/model/id_index.h"

namespace leakscan {
namespace {

// FNV-1a: stable across runs and machines, unlike std::hash. Ids in baselines depend on it.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
uint64_t stable_hash(std::string_view text, uint64_t hash = kFnvOffset) {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The fingerprint: views into the snapshots' interned text, which outlive the analysis.
struct ClusterKey {
  std::string_view operation;
  std::string_view blocked;
  std::string_view creator;
  friend bool operator==(const ClusterKey&, const ClusterKey&) = default;

  // Of the whole fingerprint: which records make one cluster.
  uint64_t key_hash() const {
    return stable_hash(creator, stable_hash("\x1f", stable_hash(blocked, stable_hash(operation))));
  }
};

// A cluster's id names where it blocks: the function (without type arguments) and line of its
// first user frame, which every format, Go version and the tracer give alike, where operations
// (debug=1 has none) and creators (debug=0 has none) are not. Only clusters split by their
// creators share that site; their ids add the creator.
uint64_t site_id(std::string_view blocked, int64_t line) {
  return stable_hash(std::to_string(line), stable_hash(":", stable_hash(blocked)));
}
uint64_t site_and_creator_id(uint64_t site, std::string_view creator) {
  return stable_hash(creator, stable_hash("\x1f", site));
}

struct ClusterKeyHash {
  size_t operator()(const ClusterKey& key) const {
    auto h = std::hash<std::string_view>{};
    return h(key.operation) ^ (h(key.blocked) * 0x9e3779b97f4a7c15ULL) ^ (h(key.creator) << 1);
  }
};

struct WaitObjectHash {
  size_t operator()(const std::pair<uint32_t, uint64_t>& key) const {
    return std::hash<uint64_t>{}(key.second) ^ (key.first * 0x9e3779b97f4a7c15ULL);
  }
};

struct StackKey {
  uint32_t cluster;
  const FrameId* stack;
  friend bool operator==(const StackKey&, const StackKey&) = default;
};
struct StackKeyHash {
  size_t operator()(const StackKey& key) const {
    return std::hash<const void*>{}(key.stack) ^ (key.cluster * 0x9e3779b97f4a7c15ULL);
  }
};

// Generic functions are printed "pkg.F[...]" in text dumps and "pkg.F[go.shape.int]" in
// profiles: one function, one fingerprint.
std::string_view without_type_arguments(std::string_view function,
                                        std::unordered_set<std::string>& spelled) {
  size_t open = function.find('[');
  if (open == std::string_view::npos) return function;
  std::string out;
  size_t depth = 0;
  for (char c : function) {
    if (c == '[') {
      if (depth++ == 0) out += "[...]";
    } else if (c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  if (out == function) return function;
  return *spelled.insert(std::move(out)).first;
}

const Frame* frame_or_null(const Snapshot& snapshot, FrameId id) {
  return id == kNoFrame ? nullptr : &snapshot.frame(id);
}

// How many of `hashes` equal each of them: sorted once with their positions, and counted run by
// run, instead of a map with a node per value or a binary search per hash.
std::vector<uint32_t> multiplicities(const std::vector<uint64_t>& hashes) {
  std::vector<std::pair<uint64_t, uint32_t>> sorted(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) sorted[i] = {hashes[i], static_cast<uint32_t>(i)};
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint32_t> out(hashes.size());
  for (size_t run = 0; run < sorted.size();) {
    size_t end = run + 1;
    while (end < sorted.size() && sorted[end].first == sorted[run].first) ++end;
    for (size_t i = run; i < end; ++i) out[sorted[i].second] = static_cast<uint32_t>(end - run);
    run = end;
  }
  return out;
}

// Records grouped by cluster (in record order within each) and each cluster's counts, into
// `input`'s arrays, which the clusters then view.
void attach_records_and_counts(AnalysisInput& input, std::vector<Cluster>& clusters) {
  std::vector<uint32_t> offsets(clusters.size() + 1, 0);
  for (const GoroutineRecord& record : input.records) {
    if (record.cluster != UINT32_MAX) ++offsets[record.cluster + 1];
  }
  for (size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  input.records_by_cluster.assign(offsets.back(), 0);
  std::vector<uint32_t> next(offsets.begin(), offsets.end() - 1);
  for (size_t index = 0; index < input.records.size(); ++index) {
    uint32_t cluster = input.records[index].cluster;
    if (cluster != UINT32_MAX) input.records_by_cluster[next[cluster]++] = index;
  }
  const size_t snapshots = input.snapshots.size();
  for (size_t i = 0; i < clusters.size(); ++i) {
    clusters[i].set_records(std::span<const uint32_t>(input.records_by_cluster)
                                .subspan(offsets[i], offsets[i + 1] - offsets[i]));
    clusters[i].set_count_per_snapshot(
        std::span<const int64_t>(input.counts_by_cluster).subspan(i * snapshots, snapshots));
  }
}

}  // namespace

std::string Cluster::id_text() const { return fmt::format("{:016x}", id); }

std::vector<Cluster> PatternClustering::run(AnalysisInput& input) const {
  // At most one cluster a kept record. Pages never written are never resident: room for that
  // many costs address space only, and a million clusters (and their keys and hashes) are never
  // copied into tables twice as large.
  const auto most = static_cast<size_t>(
      std::count_if(input.records.begin(), input.records.end(),
                    [](const GoroutineRecord& r) { return r.disposition == Disposition::kKept; }));
  std::vector<Cluster> clusters;
  // By cluster, the record that made it: its key is computed again on a hash match rather
  // than stored, 4 bytes a cluster instead of 48.
  std::vector<uint32_t> first_records;
  IdIndex by_key;  // cluster numbers by their key's hash
  std::vector<uint64_t> site_ids;
  std::vector<uint64_t> creator_ids;  // site and creator
  std::vector<uint64_t> key_hashes;   // the whole fingerprint's
  clusters.reserve(most);
  first_records.reserve(most);
  site_ids.reserve(most);
  creator_ids.reserve(most);
  key_hashes.reserve(most);
  std::unordered_set<std::string> spelled;  // names without type arguments, where they differ
  const AgeBound age_bound(input.snapshots);
  std::unordered_set<std::pair<uint32_t, uint64_t>, WaitObjectHash> wait_objects;
  const size_t snapshots = input.snapshots.size();
  const auto last = static_cast<uint32_t>(snapshots - 1);
  std::vector<int64_t>& counts = input.counts_by_cluster;
  counts.clear();
  // The representative is the most common stack of the last snapshot. Most clusters have one
  // stack; only the others pay for a map of the counts of their other stacks.
  std::vector<int64_t> representative_count;
  std::unordered_map<StackKey, int64_t, StackKeyHash> other_stacks;

  // Aggregated profiles (debug=0/1) name no creator: when any snapshot is one, the creator
  // stays out of the fingerprint so that one shape matches across all the snapshots.
  bool key_on_creator = std::none_of(input.snapshots.begin(), input.snapshots.end(),
                                     [](const Snapshot& s) { return s.aggregated(); });
  const auto key_of = [&](const GoroutineRecord& record) {
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    std::string_view blocked =
        record.blocked_at != kNoFrame
            ? without_type_arguments(snapshot.frame(record.blocked_at).function, spelled)
            : std::string_view("(no frames)");
    std::string_view creator =
        record.created_by() != kNoFrame && key_on_creator
            ? without_type_arguments(snapshot.frame(record.created_by()).function, spelled)
            : "";
    // "chan receive (nil chan)" (a debug=2 status) and "chan receive" (debug=0's frames) are
    // one operation at one site.
    std::string_view operation = record.blocking_operation;
    operation = operation.substr(0, operation.find(" ("));
    return ClusterKey{operation, blocked, creator};
  };
  uint32_t current_snapshot = UINT32_MAX;
  ShapeIndex groups;
  const auto operation_of = [](const GoroutineRecord& r) { return r.blocking_operation; };
  for (size_t index = 0; index < input.records.size(); ++index) {
    GoroutineRecord& record = input.records[index];
    if (record.disposition != Disposition::kKept) continue;
    if (record.snapshot != current_snapshot) {
      groups.clear();  // FrameIds and interned stacks are per snapshot
      current_snapshot = record.snapshot;
    }
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    const auto record_index = static_cast<uint32_t>(index);
    uint32_t first = groups.first_of_shape(input.records, record_index, operation_of);
    uint32_t cluster_index = 0;
    if (first != record_index) {
      cluster_index = input.records[first].cluster;
    } else {
      ClusterKey key = key_of(record);
      const uint64_t key_hash = key.key_hash();
      by_key.prepare(clusters.size());
      IdIndex::Slot& slot = by_key.find(fold_hash(key_hash), [&](uint32_t other) {
        return key_of(input.records[first_records[other]]) == key;
      });
      if (slot.id == IdIndex::kEmpty) {
        slot = {static_cast<uint32_t>(clusters.size()), fold_hash(key_hash)};
        first_records.push_back(record_index);
        Cluster& cluster = clusters.emplace_back();
        key_hashes.push_back(key_hash);
        const uint64_t site =
            site_id(key.blocked,
                    record.blocked_at != kNoFrame ? snapshot.frame(record.blocked_at).line : 0);
        site_ids.push_back(site);
        creator_ids.push_back(site_and_creator_id(site, key.creator));
        cluster.set_first(record);
        cluster.set_sites(frame_or_null(snapshot, record.blocked_at),
                          frame_or_null(snapshot, record.created_by()));
        counts.resize(counts.size() + snapshots, 0);
        representative_count.push_back(0);
      }
      cluster_index = slot.id;
    }
    record.cluster = cluster_index;
    Cluster& cluster = clusters[cluster_index];
    counts[cluster_index * snapshots + record.snapshot] += record.count();
    if (record.snapshot != last) continue;
    if (snapshot.proven_leaked || (record.thread != nullptr && record.thread->proven_leaked)) {
      cluster.proven_leaked += record.count();
    }
    if (record.thread != nullptr) {
      cluster.min_id = std::min(cluster.min_id, record.thread->id);
      cluster.max_id = std::max(cluster.max_id, record.thread->id);
      if (uint64_t object = certain_wait_object(*record.thread); object != 0) {
        ++cluster.with_wait_object;
        if (wait_objects.emplace(cluster_index, object).second) {
          ++cluster.wait_objects;
          cluster.wait_object = cluster.wait_objects == 1 ? object : 0;
        }
      }
      if (auto wait = age_bound.wait_of(*record.thread)) {
        cluster.wait_capped = cluster.wait_capped || wait->capped;
        cluster.add_wait(wait->seconds);
        cluster.wait_lower_bound =
            cluster.wait_lower_bound || record.thread->wait_precision == WaitPrecision::kLowerBound;
        cluster.wait_capped =
            cluster.wait_capped || record.thread->wait_precision == WaitPrecision::kCapped;
      }
    }
    if (record.stack().empty()) continue;
    int64_t& current = representative_count[cluster_index];
    if (cluster.representative_stack().empty() ||
        cluster.representative_stack().data() == record.stack().data()) {
      cluster.set_representative(record.snapshot, record.stack());
      current += record.count();
      continue;
    }
    int64_t& seen = other_stacks[StackKey{cluster_index, record.stack().data()}];
    seen += record.count();
    if (seen > current) {
      other_stacks[StackKey{cluster_index, cluster.representative_stack().data()}] = current;
      current = std::exchange(other_stacks[StackKey{cluster_index, record.stack().data()}], 0);
      cluster.set_representative(record.snapshot, record.stack());
    }
  }
  first_records = std::vector<uint32_t>();
  by_key.clear();
  // Two clusters at one line differ by creator (or, rarely, by operation where creators are
  // unknown): only those take the longer ids.
  const std::vector<uint32_t> at_site = multiplicities(site_ids);
  const std::vector<uint32_t> with_creator = multiplicities(creator_ids);
  for (size_t i = 0; i < clusters.size(); ++i) {
    clusters[i].id = at_site[i] == 1        ? site_ids[i]
                     : with_creator[i] == 1 ? creator_ids[i]
                                            : key_hashes[i];
  }
  attach_records_and_counts(input, clusters);
  // Clusters absent from the last snapshot keep a representative from where they were seen.
  for (auto& cluster : clusters) {
    if (!cluster.representative_stack().empty() || cluster.records().empty()) continue;
    const GoroutineRecord& record = input.records[cluster.records().front()];
    cluster.set_representative(record.snapshot, record.stack());
  }
  return clusters;
}

}  // namespace leakscan
