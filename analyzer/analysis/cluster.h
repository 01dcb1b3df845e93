#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/vocabulary.h"

namespace leakscan {

struct Anchor {
  AnchorKind kind = AnchorKind::kDefault;
  std::string name;  // "http.route=/api/orders", "main.(*OrderService).handle", "@team-orders"

  friend bool operator==(const Anchor&, const Anchor&) = default;
};

// What few clusters carry: most of a million distinct clusters have no anchor and no baseline
// entry, and only those a report lists get reasons. Kept out of line, so that the others pay
// for a pointer.
struct ClusterNotes {
  std::vector<Anchor> anchors;
  std::vector<std::string> reasons;
  std::string baseline_reason;
};

// Goroutines of one shape across all snapshots: same blocking operation, same first frame of
// the program's own code, same creator. Layers 3 to 5 fill it in turn. It holds the model's
// views (frames and text interned in the snapshots, which outlive it) and no report types:
// a dump of a million distinct stacks makes a million clusters, and only the listed ones
// become report messages.
struct Cluster {
  uint64_t id = 0;  // stable hash of the blocking site (report::Cluster.id in hex)
  std::string_view blocking_operation;
  std::string_view status;  // the runtime's word for the state, from the first goroutine seen
  // Both in AnalysisInput's arrays (records_by_cluster, counts_by_cluster).
  std::span<const int64_t> count_per_snapshot;
  std::span<const uint32_t> records;  // indices into AnalysisInput::records, all snapshots

  // Of the last snapshot.
  uint64_t min_id = UINT64_MAX;
  uint64_t max_id = 0;
  // The longest wait, capped at the age bound; the report collects the others for the clusters
  // it lists only (AgeBound::wait_of), so a million clusters keep no vector of them.
  std::optional<double> max_wait_seconds;
  // Go's GC proved some of them leaked (Go 1.26+'s goroutineleak profile, "(leaked)" status):
  // blocked on objects that no running goroutine can reach.
  int64_t proven_leaked = 0;
  // What they wait on, where known: how many goroutines name an object, how many distinct
  // objects, and the object when it is one for all.
  int64_t with_wait_object = 0;
  int64_t wait_objects = 0;
  uint64_t wait_object = 0;
  Stack representative_stack;
  uint32_t representative_snapshot = 0;
  bool wait_lower_bound = false;  // some wait is only a lower bound (Go's whole minutes)
  bool wait_capped = false;       // some wait exceeded the goroutine's age and was capped

  // Layer 4.
  AnchorKind anchor_kind = AnchorKind::kDefault;  // picks the wait threshold

  // Layer 5 (its flags beside the others above: a million clusters pay for no padding).
  Verdict verdict = Verdict::kExpected;
  bool monotonic_growth = false;
  double threshold_seconds = 0;
  double growth_per_minute = 0;

  // Where they wait and the `go` statement that started them; an empty frame when unknown.
  const Frame& blocked_at() const { return *blocked_at_; }
  const Frame& created_by() const { return *created_by_; }
  // Frames in a snapshot's FrameTable, which never moves them and outlives the analysis: a
  // million clusters hold two pointers each instead of two copies. Null where unknown.
  void set_sites(const Frame* blocked_at, const Frame* created_by) {
    blocked_at_ = blocked_at != nullptr ? blocked_at : &kUnknownSite;
    created_by_ = created_by != nullptr ? created_by : &kUnknownSite;
  }

  int64_t last_count() const { return count_per_snapshot.empty() ? 0 : count_per_snapshot.back(); }
  std::string id_text() const;

  // Layer 4's anchors (the creation site and owners are added when reported).
  std::span<const Anchor> anchors() const {
    return notes_ ? std::span<const Anchor>(notes_->anchors) : std::span<const Anchor>();
  }
  // Layer 5's words, filled for the clusters a report lists.
  std::span<const std::string> reasons() const {
    return notes_ ? std::span<const std::string>(notes_->reasons) : std::span<const std::string>();
  }
  // Why the baseline accepts it; empty when it does not.
  std::string_view baseline_reason() const {
    return notes_ ? std::string_view(notes_->baseline_reason) : std::string_view();
  }
  ClusterNotes& notes() {
    if (!notes_) notes_ = std::make_unique<ClusterNotes>();
    return *notes_;
  }

 private:
  static constexpr Frame kUnknownSite{};
  const Frame* blocked_at_ = &kUnknownSite;
  const Frame* created_by_ = &kUnknownSite;
  std::unique_ptr<ClusterNotes> notes_;
};

}  // namespace leakscan
