#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
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
// entry, and only those a report lists get reasons and layer 5's figures. Kept out of line, so
// that the others pay for a pointer.
struct ClusterNotes {
  std::vector<Anchor> anchors;
  std::vector<std::string> reasons;
  std::string baseline_reason;
  double threshold_seconds = 0;
  double growth_per_minute = 0;
  bool monotonic_growth = false;
};

// Goroutines of one shape across all snapshots: same blocking operation, same first frame of
// the program's own code, same creator. Layers 3 to 5 fill it in turn. It holds the model's
// views (frames and text interned in the snapshots, which outlive it) and no report types:
// a dump of a million distinct stacks makes a million clusters, and only the listed ones
// become report messages. What can be read from its first record, or is needed for listed
// clusters only, is not stored: 136 bytes a cluster.
struct Cluster {
  uint64_t id = 0;  // stable hash of the blocking site (report::Cluster.id in hex)
  // Of the last snapshot.
  uint64_t min_id = UINT64_MAX;
  uint64_t max_id = 0;
  // Go's GC proved some of them leaked (Go 1.26+'s goroutineleak profile, "(leaked)" status):
  // blocked on objects that no running goroutine can reach.
  int64_t proven_leaked = 0;
  // What they wait on, where known: how many goroutines name an object, how many distinct
  // objects, and the object when it is one for all.
  uint32_t with_wait_object = 0;
  uint32_t wait_objects = 0;
  uint64_t wait_object = 0;
  bool wait_lower_bound = false;  // some wait is only a lower bound (Go's whole minutes)
  bool wait_capped = false;       // some wait exceeded the goroutine's age and was capped
  AnchorKind anchor_kind = AnchorKind::kDefault;  // layer 4: picks the wait threshold
  Verdict verdict = Verdict::kExpected;           // layer 5
  // Layer 5: how strong the evidence behind the verdict is, 0 the strongest (Go's proof, a
  // deadlock, no possible waker); reports list stronger evidence first within a verdict.
  uint8_t evidence_rank = UINT8_MAX;

  // The record that made the cluster: its blocking operation and status text are the cluster's.
  void set_first(const GoroutineRecord& record) { first_ = &record; }
  std::string_view blocking_operation() const {
    return first_ != nullptr ? first_->blocking_operation : std::string_view();
  }
  // The runtime's word for the state, from the first goroutine seen.
  std::string_view status() const {
    return first_ != nullptr && first_->thread != nullptr ? first_->thread->status
                                                          : std::string_view();
  }

  // Views into AnalysisInput's arrays (records_by_cluster, counts_by_cluster), which a move
  // keeps valid: indices into AnalysisInput::records, all snapshots; a count per snapshot.
  std::span<const uint32_t> records() const { return {records_, record_count_}; }
  std::span<const int64_t> count_per_snapshot() const { return {counts_, snapshot_count_}; }
  void set_records(std::span<const uint32_t> records) {
    records_ = records.data();
    record_count_ = static_cast<uint32_t>(records.size());
  }
  void set_count_per_snapshot(std::span<const int64_t> counts) {
    counts_ = counts.data();
    snapshot_count_ = static_cast<uint32_t>(counts.size());
  }

  // The longest wait, capped at the age bound; the report collects the others for the clusters
  // it lists only (AgeBound::wait_of), so a million clusters keep no vector of them.
  std::optional<double> max_wait_seconds() const {
    return std::isnan(max_wait_) ? std::nullopt : std::optional<double>(max_wait_);
  }
  void add_wait(double seconds) {
    if (std::isnan(max_wait_) || seconds > max_wait_) max_wait_ = seconds;
  }

  // The most common stack of the last snapshot, and the snapshot whose frames it names.
  Stack representative_stack() const { return {representative_, representative_size_}; }
  uint32_t representative_snapshot() const { return representative_snapshot_; }
  void set_representative(uint32_t snapshot, Stack stack) {
    representative_snapshot_ = snapshot;
    representative_ = stack.data();
    representative_size_ = static_cast<uint32_t>(stack.size());
  }

  // Where they wait and the `go` statement that started them; an empty frame when unknown.
  const Frame& blocked_at() const { return *blocked_at_; }
  const Frame& created_by() const { return *created_by_; }
  // Frames in a snapshot's FrameTable, which never moves them and outlives the analysis: a
  // million clusters hold two pointers each instead of two copies. Null where unknown.
  void set_sites(const Frame* blocked_at, const Frame* created_by) {
    blocked_at_ = blocked_at != nullptr ? blocked_at : &kUnknownSite;
    created_by_ = created_by != nullptr ? created_by : &kUnknownSite;
  }

  int64_t last_count() const { return snapshot_count_ == 0 ? 0 : counts_[snapshot_count_ - 1]; }
  std::string id_text() const;

  // Layer 4's anchors (the creation site and owners are added when reported).
  std::span<const Anchor> anchors() const {
    return notes_ ? std::span<const Anchor>(notes_->anchors) : std::span<const Anchor>();
  }
  // Layer 5's words and figures, filled for the clusters a report lists.
  std::span<const std::string> reasons() const {
    return notes_ ? std::span<const std::string>(notes_->reasons) : std::span<const std::string>();
  }
  double threshold_seconds() const { return notes_ ? notes_->threshold_seconds : 0; }
  double growth_per_minute() const { return notes_ ? notes_->growth_per_minute : 0; }
  bool monotonic_growth() const { return notes_ && notes_->monotonic_growth; }
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
  const GoroutineRecord* first_ = nullptr;
  const uint32_t* records_ = nullptr;
  const int64_t* counts_ = nullptr;
  uint32_t record_count_ = 0;
  uint32_t snapshot_count_ = 0;
  double max_wait_ = std::numeric_limits<double>::quiet_NaN();
  const FrameId* representative_ = nullptr;
  uint32_t representative_size_ = 0;
  uint32_t representative_snapshot_ = 0;
  const Frame* blocked_at_ = &kUnknownSite;
  const Frame* created_by_ = &kUnknownSite;
  std::unique_ptr<ClusterNotes> notes_;
};

}  // namespace leakscan
