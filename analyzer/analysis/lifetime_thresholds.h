#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/rules.h"

namespace leakscan {

// Layer 5. Judges each cluster: how long its goroutines have waited against the threshold for
// its anchor kind, and across snapshots how its count moves. Steady growth is the strongest
// sign of a leak and the only one debug=0/1 inputs carry; a count that holds steady is a pool
// or a long-lived loop, however long it waits. Every verdict comes with its reasons in words.
class LifetimeThresholds {
 public:
  // `capture_seconds`: each snapshot's capture time in seconds, where known.
  // `min_wait`: --min-wait, replacing every threshold.
  LifetimeThresholds(const Rules& rules, std::vector<std::optional<double>> capture_seconds,
                     std::optional<std::chrono::nanoseconds> min_wait)
      : rules_(rules), capture_seconds_(std::move(capture_seconds)), min_wait_(min_wait) {}

  // Decides every cluster's verdict.
  void run(const AnalysisInput& input, std::vector<Cluster>& clusters);
  // Learns what the snapshots say beyond the clusters (the largest id in each); run() does it.
  void prepare(const AnalysisInput& input);
  // Puts the decision into words: the reasons a report shows. After run() or prepare().
  void explain(const AnalysisInput& input, Cluster& cluster) const;

 private:
  void judge(const AnalysisInput& input, Cluster& cluster, bool explain) const;
  std::optional<double> minutes_between_first_and_last() const;
  // The oldest goroutine's least age by its id: ids only grow, so an id no larger than an
  // earlier snapshot's largest id was created before that snapshot.
  std::optional<double> age_by_id_seconds(const AnalysisInput& input, const Cluster& cluster) const;

  // Where a cluster's goroutine ids sit among its snapshot's: ids grow with creation, so they
  // tell start-up daemons (the oldest ids) from goroutines that accumulated over time.
  struct IdPlace {
    uint64_t process_min = UINT64_MAX;
    uint64_t process_max = 0;
    bool oldest = false;  // all among the oldest ids
    bool spread = false;  // spread over much of the process's life
  };
  IdPlace id_place(const Cluster& cluster, size_t snapshot) const;
  // The goroutines of the last snapshot that the first already held at this site.
  struct Stuck {
    int64_t count = 0;
    uint64_t min_id = UINT64_MAX;
    uint64_t max_id = 0;
  };
  std::optional<Stuck> stuck_goroutines(const AnalysisInput& input, const Cluster& cluster,
                                        double threshold_seconds, bool waited_too_long) const;

  const Rules& rules_;
  std::vector<std::optional<double>> capture_seconds_;
  std::optional<std::chrono::nanoseconds> min_wait_;
  std::vector<uint64_t> max_id_per_snapshot_;  // 0: no thread ids
  std::vector<uint64_t> min_id_per_snapshot_;  // UINT64_MAX: no thread ids
};

}  // namespace leakscan
