#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/cluster.h"
#include "analyzer/analysis/rules.h"
#include "analyzer/analysis/wait_for_graph.h"

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

  // Who can still wake whom in the last snapshot: evidence that needs no clock. Kept by the
  // caller for as long as this object.
  void use_wait_for_graph(const WaitForGraph* graph) { graph_ = graph; }

  // Decides every cluster's verdict.
  void run(const AnalysisInput& input, std::vector<Cluster>& clusters);
  // Learns what the snapshots say beyond the clusters (the largest id in each); run() does it.
  void prepare(const AnalysisInput& input);
  // Puts the decision into words: the reasons a report shows. After run() or prepare().
  void explain(const AnalysisInput& input, Cluster& cluster) const;

  // Which rule decided a verdict, strongest evidence first: the decision, kept apart from the
  // words that explain it (reasons_for).
  enum class Rule : uint8_t {
    kGone,                 // none left in the last snapshot
    kProvenByRuntime,      // Go's GC proved them leaked (goroutineleak)
    kReportedByGoleak,     // goleak found them running when their test ended
    kDeadlock,             // members of a wait cycle (the wait-for graph)
    kNeverWakes,           // a nil channel or an empty select
    kNoPossibleWaker,      // nothing that can run can wake them (the wait-for graph)
    kRunnableBacklog,      // runnable and growing: CPU saturation, not a leak
    kNotBlocked,           // running or runnable
    kGrowsEverySnapshot,   // three or more snapshots, growing in each
    kGrewBetweenTwo,       // two snapshots, grown by growth_two_snapshots
    kStuck,                // the same goroutines, past the threshold, on a lock or a request
    kGrewUnevenly,         // grew, not in every snapshot
    kSteadyPileUp,         // steady, but many and past the threshold
    kSteady,               // a pool or a long-lived loop
    kSleepingPileUp,       // a timed operation, many at one site
    kSleeping,             // a timed operation: a timer wakes it
    kStartedAtStartup,     // one dump: made at start-up, a long-lived worker
    kWaitedPastThreshold,  // one dump: waited past the threshold
    kPileUp,               // one dump: pile_up goroutines at one site
    kMostOfTheProcess,     // one dump: a large share of all goroutines, blocked at one site
    kAccumulated,          // one dump: ids spread over the process's life
    kWithinThreshold,      // one dump: waited, within the threshold
    kNoWaitTimes,          // one dump, nothing to judge by
    kNoWakerSeen,          // one dump: no goroutine that can run holds what they wait on
  };

 private:
  // The goroutines of the last snapshot that the first already held at this site.
  struct Stuck {
    int64_t count = 0;
    uint64_t min_id = UINT64_MAX;
    uint64_t max_id = 0;
  };
  struct Judgement {
    Verdict verdict = Verdict::kExpected;
    Rule rule = Rule::kNoWaitTimes;
    std::optional<Stuck> stuck;  // kStuck
    bool network = false;        // kWaitedPastThreshold: an idle connection's operation
    bool accumulated = false;    // kWaitedPastThreshold: created across the process's life
    // The wait-for graph's rules: the goroutine of the last snapshot whose evidence is shown.
    uint32_t evidence_thread = UINT32_MAX;
  };
  // What the wait-for graph says of a cluster's goroutines in the last snapshot.
  struct WakeFacts {
    int64_t judged = 0;  // goroutines the graph judged (parked, the program's)
    int64_t deadlocked = 0;
    int64_t never_wake = 0;
    int64_t stuck = 0;       // kHolderStuck or kNoWaker: nothing that can run wakes them
    int64_t stuck_seen = 0;  // kNoWakerSeen
    int64_t creator_ended = 0;
    int64_t creator_gone = 0;  // ended, or the idle main goroutine
    uint32_t deadlocked_thread = UINT32_MAX;
    uint32_t never_wake_thread = UINT32_MAX;
    uint32_t stuck_thread = UINT32_MAX;
    WaitKind kind = WaitKind::kNotWaiting;
  };
  WakeFacts wake_facts(const AnalysisInput& input, const Cluster& cluster) const;
  // The graph's verdict for a cluster, if its evidence decides one.
  std::optional<Judgement> judge_by_graph(const AnalysisInput& input, const Cluster& cluster,
                                          bool startup) const;
  // What the graph says of a cluster judged by other evidence: leakscan's own facts beside Go's
  // proof or goleak's report. Empty where it says nothing.
  std::string graph_words(const AnalysisInput& input, const Cluster& cluster) const;
  // The clock's verdict: waits, growth, ids, counts.
  struct Facts;
  Judgement judge_by_clock(const AnalysisInput& input, const Cluster& cluster, const Facts& facts,
                           bool startup) const;
  // Decides; explain() also keeps the threshold and growth figures of a listed cluster.
  Judgement judge(const AnalysisInput& input, const Cluster& cluster) const;
  std::vector<std::string> reasons_for(const AnalysisInput& input, const Cluster& cluster,
                                       const Judgement& judgement) const;
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
  // What judge() and reasons_for() both read off a cluster and its snapshots.
  struct Facts {
    std::string_view operation;  // the blocking operation
    size_t n = 0;                // snapshots
    int64_t first = 0;
    int64_t last = 0;
    std::chrono::nanoseconds threshold{};
    double threshold_seconds = 0;
    bool strictly_increasing = false;
    std::optional<double> minutes;   // between the first and the last capture
    std::optional<double> max_wait;  // seconds
    bool lower_bound = false;        // max_wait is at least this
    bool waited_too_long = false;
    bool sleeping = false;     // a timed operation
    bool not_blocked = false;  // running or runnable
    bool exited = false;       // the last snapshot is of a process that ended
    IdPlace place;
    bool listed(const std::vector<std::string>& operations) const;
  };
  Facts facts_of(const AnalysisInput& input, const Cluster& cluster) const;
  std::optional<Stuck> stuck_goroutines(const AnalysisInput& input, const Cluster& cluster,
                                        double threshold_seconds, bool waited_too_long) const;

  const Rules& rules_;
  const WaitForGraph* graph_ = nullptr;
  std::vector<std::optional<double>> capture_seconds_;
  std::optional<std::chrono::nanoseconds> min_wait_;
  std::vector<uint64_t> max_id_per_snapshot_;  // 0: no thread ids
  std::vector<uint64_t> min_id_per_snapshot_;  // UINT64_MAX: no thread ids
};

}  // namespace leakscan
