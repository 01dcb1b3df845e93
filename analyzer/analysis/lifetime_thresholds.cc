#include "analyzer/analysis/lifetime_thresholds.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyzer/analysis/trace_wakes.h"
#include "analyzer/analysis/vocabulary.h"
#include "analyzer/model/live_goroutines.h"
#include "analyzer/model/text_format.h"
#include "analyzer/model/trace_window.h"

namespace leakscan {
namespace {

// One profile's pile-up by proportion: at least this many goroutines, and at least a
// kShareDivisor-th of the process's, blocked at one site.
constexpr int64_t kShareMinimum = 100;
constexpr int64_t kShareDivisor = 4;

std::string describe_wait(double seconds, bool lower_bound) {
  auto text = format_duration(std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)));
  return lower_bound ? "≥ " + text : text;
}

bool started_at_startup(const Cluster& cluster) {
  std::string_view creator = cluster.created_by().function;
  return creator == "main.main" || creator.starts_with("main.init") ||
         creator.find(".init.") != std::string_view::npos || creator.ends_with(".init");
}

std::string anchor_phrase(const Cluster& cluster) {
  for (const auto& anchor : cluster.anchors()) {
    switch (anchor.kind) {
      case AnchorKind::kLabel: {
        auto eq = anchor.name.find('=');
        std::string key = anchor.name.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : anchor.name.substr(eq + 1);
        if (key == "http.route" || key == "route" || key == "http.path") return "route " + value;
        return anchor.name;
      }
      case AnchorKind::kHttpHandler:
        return "HTTP handler " + anchor.name;
      case AnchorKind::kGrpcMethod:
        return "RPC " + anchor.name;
      case AnchorKind::kGrpcStream:
        return "RPC stream " + anchor.name;
      case AnchorKind::kJob:
        return "job " + anchor.name;
      default:
        break;
    }
  }
  return {};
}

}  // namespace

void LifetimeThresholds::prepare(const AnalysisInput& input) {
  max_id_per_snapshot_.clear();
  min_id_per_snapshot_.clear();
  for (const IdRange& ids : input.id_ranges) {
    max_id_per_snapshot_.push_back(ids.high);
    min_id_per_snapshot_.push_back(ids.low);
  }
}

LifetimeThresholds::IdPlace LifetimeThresholds::id_place(const Cluster& cluster,
                                                         size_t snapshot) const {
  IdPlace place;
  if (cluster.min_id == UINT64_MAX || snapshot >= max_id_per_snapshot_.size()) return place;
  place.process_min = min_id_per_snapshot_[snapshot];
  place.process_max = max_id_per_snapshot_[snapshot];
  // Ids are a clock only where the process has made enough goroutines to tell start-up from
  // later; in a small program every id is "early".
  const uint64_t span = place.process_max - place.process_min;
  if (place.process_min == UINT64_MAX || span < rules_.id_clock_min_span) return place;
  const auto fraction = [&](uint64_t id) {
    return static_cast<double>(id - place.process_min) / static_cast<double>(span);
  };
  place.oldest = fraction(cluster.max_id) <= rules_.startup_id_share;
  place.spread = fraction(cluster.max_id) - fraction(cluster.min_id) >= rules_.spread_id_share;
  return place;
}

std::optional<LifetimeThresholds::Stuck> LifetimeThresholds::stuck_goroutines(
    const AnalysisInput& input, const Cluster& cluster, double threshold_seconds,
    bool waited_too_long) const {
  const size_t n = input.snapshots.size();
  if (n < 2) return std::nullopt;
  bool request = cluster.anchor_kind == AnchorKind::kHttpHandler ||
                 cluster.anchor_kind == AnchorKind::kGrpcMethod ||
                 cluster.anchor_kind == AnchorKind::kLabel;
  bool lock = cluster.blocking_operation().starts_with("sync.Mutex.") ||
              cluster.blocking_operation().starts_with("sync.RWMutex.") ||
              cluster.blocking_operation() == "semacquire";
  if (!request && !lock) return std::nullopt;
  // Past the threshold: by the waits the last snapshot shows, or by the time between the
  // first and the last snapshot, which the same goroutines spent here.
  auto minutes = minutes_between_first_and_last();
  bool long_enough = waited_too_long || (minutes && *minutes * 60 >= threshold_seconds);
  if (!long_enough) return std::nullopt;
  std::vector<uint64_t> first_ids;
  std::vector<uint64_t> last_ids;
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.thread == nullptr || record.thread->id == 0) continue;
    if (record.snapshot == 0) first_ids.push_back(record.thread->id);
    if (record.snapshot + 1 == n) last_ids.push_back(record.thread->id);
  }
  std::sort(first_ids.begin(), first_ids.end());
  Stuck stuck;
  for (uint64_t id : last_ids) {
    if (!std::binary_search(first_ids.begin(), first_ids.end(), id)) continue;
    ++stuck.count;
    stuck.min_id = std::min(stuck.min_id, id);
    stuck.max_id = std::max(stuck.max_id, id);
  }
  if (stuck.count == 0) return std::nullopt;
  return stuck;
}

namespace {

// Evidence first (proof, cycle, no possible waker), then the plain operation before a select,
// whose cases may hold a timer.
uint8_t evidence_rank(LifetimeThresholds::Rule rule, const Cluster& cluster) {
  using Rule = LifetimeThresholds::Rule;
  uint8_t rank = 0;
  switch (rule) {
    case Rule::kProvenByRuntime:
    case Rule::kReportedByGoleak:
      rank = 0;
      break;
    case Rule::kDeadlock:
      rank = 1;
      break;
    case Rule::kNeverWakes:
      rank = 2;
      break;
    case Rule::kNoPossibleWaker:
      rank = 3;
      break;
    default:
      return UINT8_MAX;
  }
  return static_cast<uint8_t>(rank * 2 + (cluster.blocking_operation() == "select" ? 1 : 0));
}

}  // namespace

void LifetimeThresholds::run(const AnalysisInput& input, std::vector<Cluster>& clusters) {
  prepare(input);
  for (auto& cluster : clusters) {
    Judgement judgement = judge(input, cluster);
    if (auto wakes = trace_wakes(input, cluster)) {
      judgement.verdict = with_trace_wakes(judgement.verdict, *wakes);
    }
    cluster.verdict = judgement.verdict;
    cluster.evidence_rank = evidence_rank(judgement.rule, cluster);
  }
}

void LifetimeThresholds::explain(const AnalysisInput& input, Cluster& cluster) const {
  const Facts facts = facts_of(input, cluster);
  ClusterNotes& notes = cluster.notes();
  notes.threshold_seconds = facts.threshold_seconds;
  notes.monotonic_growth = facts.strictly_increasing;
  if (facts.n >= 2 && facts.minutes) {
    notes.growth_per_minute = static_cast<double>(facts.last - facts.first) / *facts.minutes;
  }
  Judgement judgement = judge(input, cluster);
  // A trace's wake evidence, beside whatever judged the cluster.
  auto wakes = trace_wakes(input, cluster);
  if (wakes) judgement.verdict = with_trace_wakes(judgement.verdict, *wakes);
  cluster.verdict = judgement.verdict;
  notes.reasons = reasons_for(input, cluster, judgement);
  if (wakes && !notes.reasons.empty() && judgement.rule != Rule::kGone &&
      judgement.rule != Rule::kNotBlocked) {
    notes.reasons.push_back(trace_wake_words(*wakes));
  }
}

std::optional<double> LifetimeThresholds::minutes_between_first_and_last() const {
  if (capture_seconds_.size() < 2 || !capture_seconds_.front() || !capture_seconds_.back()) {
    return std::nullopt;
  }
  double minutes = (*capture_seconds_.back() - *capture_seconds_.front()) / 60;
  return minutes > 0 ? std::optional<double>(minutes) : std::nullopt;
}

std::optional<double> LifetimeThresholds::age_by_id_seconds(const AnalysisInput& input,
                                                            const Cluster& cluster) const {
  if (cluster.min_id == UINT64_MAX || !capture_seconds_.back()) return std::nullopt;
  for (size_t i = 0; i + 1 < input.snapshots.size(); ++i) {
    if (!capture_seconds_[i] || max_id_per_snapshot_[i] == 0) continue;
    if (cluster.min_id <= max_id_per_snapshot_[i]) {
      return *capture_seconds_.back() - *capture_seconds_[i];
    }
  }
  return std::nullopt;
}

// The decision: which rule the cluster's facts meet first, strongest evidence first. No words
// here; reasons_for() says them, for the clusters a report lists.
LifetimeThresholds::Judgement LifetimeThresholds::judge(const AnalysisInput& input,
                                                        const Cluster& cluster) const {
  const Facts facts = facts_of(input, cluster);
  auto judged = [](Rule rule, Verdict verdict = Verdict::kExpected) {
    Judgement judgement;
    judgement.rule = rule;
    judgement.verdict = verdict;
    return judgement;
  };
  if (facts.last == 0) return judged(Rule::kGone);
  // The strongest evidence there is, whatever the wait or the count.
  if (cluster.proven_leaked > 0) return judged(Rule::kProvenByRuntime, Verdict::kLeak);
  // goleak's verdict: its test ended and left them running.
  if (input.snapshots.back().reason == kGoleakReason) {
    return judged(Rule::kReportedByGoleak, Verdict::kLeak);
  }
  const bool startup = started_at_startup(cluster) || facts.place.oldest;
  // Who can still wake them decides without a clock, from one dump as from many: a leak the
  // graph proves stands; a suspicion it raises stands where the clock finds nothing.
  const auto by_graph = judge_by_graph(input, cluster, startup);
  if (by_graph && by_graph->verdict == Verdict::kLeak) return *by_graph;
  Judgement by_clock = judge_by_clock(input, cluster, facts, startup);
  if (by_graph && by_clock.verdict == Verdict::kExpected) return *by_graph;
  return by_clock;
}

LifetimeThresholds::Judgement LifetimeThresholds::judge_by_clock(const AnalysisInput& input,
                                                                 const Cluster& cluster,
                                                                 const Facts& facts,
                                                                 bool startup) const {
  const size_t n = facts.n;
  const int64_t last = facts.last;
  const int64_t first = facts.first;
  auto judged = [](Rule rule, Verdict verdict = Verdict::kExpected) {
    Judgement judgement;
    judgement.rule = rule;
    judgement.verdict = verdict;
    return judgement;
  };
  // A runnable goroutine waits for a CPU, not for another goroutine: never a leak.
  if (facts.not_blocked) {
    return judged(n >= 2 && last > first ? Rule::kRunnableBacklog : Rule::kNotBlocked);
  }
  if (n >= 3 && facts.strictly_increasing) return judged(Rule::kGrowsEverySnapshot, Verdict::kLeak);
  if (n == 2 && last - first >= rules_.growth_two_snapshots) {
    return judged(Rule::kGrewBetweenTwo, Verdict::kLeak);
  }
  // The same goroutines at the same site in every snapshot, past their threshold: stuck work,
  // whether or not their number moves. A pool idles on a queue; these hold a lock or serve a
  // request.
  if (auto stuck =
          stuck_goroutines(input, cluster, facts.threshold_seconds, facts.waited_too_long)) {
    Judgement judgement = judged(Rule::kStuck, Verdict::kLeak);
    judgement.stuck = stuck;
    return judgement;
  }
  if (n >= 2 && last > first) return judged(Rule::kGrewUnevenly, Verdict::kSuspect);
  if (n >= 2) {
    return facts.waited_too_long && last >= rules_.pile_up
               ? judged(Rule::kSteadyPileUp, Verdict::kSuspect)
               : judged(Rule::kSteady);
  }
  if (facts.sleeping) {
    return last >= rules_.pile_up ? judged(Rule::kSleepingPileUp, Verdict::kSuspect)
                                  : judged(Rule::kSleeping);
  }
  // One dump: goroutines of the program's start (by creator, or by ids among the oldest) are
  // long-lived loops and workers, which wait for as long as there is nothing to do.
  // ...unless they pile up: a thousand goroutines from main.main are no worker pool.
  if (startup && last < rules_.pile_up) return judged(Rule::kStartedAtStartup);
  if (facts.waited_too_long) {
    // Idle connections wait on the network for as long as their clients stay quiet.
    Judgement judgement = judged(Rule::kWaitedPastThreshold);
    judgement.network = facts.listed(rules_.network_operations);
    judgement.accumulated = facts.place.spread && last >= 2;
    // A wait past the threshold alone is no proof: Go's minute counter can be stale, and a
    // select may hold a timer the dump does not show (a long-poll handler waits like this).
    // Goroutines created across the process's life and all still here are.
    // Measured waits (the agent's, the tracer's) of requests on a lock or a channel are not
    // Go's minute counter.
    bool request = cluster.anchor_kind == AnchorKind::kHttpHandler ||
                   cluster.anchor_kind == AnchorKind::kGrpcMethod;
    bool measured = !facts.lower_bound && facts.operation != "select";
    judgement.verdict =
        !judgement.network && (judgement.accumulated || (request && measured && last >= 2))
            ? Verdict::kLeak
            : Verdict::kSuspect;
    return judgement;
  }
  if (last >= rules_.pile_up) return judged(Rule::kPileUp, Verdict::kSuspect);
  // A profile without ids or wait times still shows proportion: a service is not a quarter
  // parked at one site created after start-up, unless it piles up there.
  if (n == 1 && last >= kShareMinimum && !facts.listed(rules_.network_operations) &&
      last * kShareDivisor >= live_goroutines(input.snapshots.back())) {
    return judged(Rule::kMostOfTheProcess, Verdict::kSuspect);
  }
  // No wait times (Go prints none before the first minute): where goroutines were created
  // across the process's life and all still wait at one site, they accumulate.
  if (facts.place.spread && last >= 3) return judged(Rule::kAccumulated, Verdict::kSuspect);
  return judged(facts.max_wait ? Rule::kWithinThreshold : Rule::kNoWaitTimes);
}

LifetimeThresholds::WakeFacts LifetimeThresholds::wake_facts(const AnalysisInput& input,
                                                             const Cluster& cluster) const {
  WakeFacts wake;
  const size_t last = input.snapshots.size() - 1;
  const Snapshot& snapshot = input.snapshots[last];
  for (uint32_t index : cluster.records()) {
    const GoroutineRecord& record = input.records[index];
    if (record.snapshot != last || record.thread == nullptr) continue;
    const auto thread = static_cast<uint32_t>(record.thread - snapshot.threads.data());
    const WakeVerdict verdict = graph_->verdict(thread);
    if (verdict == WakeVerdict::kUnjudged) continue;
    ++wake.judged;
    wake.kind = graph_->kind(thread);
    if (graph_->creator_ended(thread)) ++wake.creator_ended;
    if (graph_->creator_gone_or_idle(thread)) ++wake.creator_gone;
    switch (verdict) {
      case WakeVerdict::kDeadlocked:
        ++wake.deadlocked;
        if (wake.deadlocked_thread == UINT32_MAX) wake.deadlocked_thread = thread;
        break;
      case WakeVerdict::kNeverWakes:
        ++wake.never_wake;
        if (wake.never_wake_thread == UINT32_MAX) wake.never_wake_thread = thread;
        break;
      case WakeVerdict::kHolderStuck:
      case WakeVerdict::kNoWaker:
        ++wake.stuck;
        if (wake.stuck_thread == UINT32_MAX || verdict == WakeVerdict::kHolderStuck) {
          wake.stuck_thread = thread;
        }
        break;
      case WakeVerdict::kNoWakerSeen:
        ++wake.stuck_seen;
        if (wake.stuck_thread == UINT32_MAX) wake.stuck_thread = thread;
        break;
      case WakeVerdict::kMayWake:
      case WakeVerdict::kUnjudged:
        break;
    }
  }
  return wake;
}

std::string LifetimeThresholds::graph_words(const AnalysisInput& input,
                                            const Cluster& cluster) const {
  auto by_graph = judge_by_graph(input, cluster, false);
  if (!by_graph) return {};
  return graph_->explain(input.snapshots.back(), by_graph->evidence_thread);
}

std::optional<LifetimeThresholds::Judgement> LifetimeThresholds::judge_by_graph(
    const AnalysisInput& input, const Cluster& cluster, bool startup) const {
  if (graph_ == nullptr || !graph_->built()) return std::nullopt;
  const WakeFacts wake = wake_facts(input, cluster);
  if (wake.judged == 0) return std::nullopt;
  auto judged = [](Rule rule, Verdict verdict, uint32_t thread) {
    Judgement judgement;
    judgement.rule = rule;
    judgement.verdict = verdict;
    judgement.evidence_thread = thread;
    return judgement;
  };
  if (wake.deadlocked > 0) return judged(Rule::kDeadlock, Verdict::kLeak, wake.deadlocked_thread);
  if (wake.never_wake == wake.judged) {
    return judged(Rule::kNeverWakes, Verdict::kLeak, wake.never_wake_thread);
  }
  const bool all_created_by_ended = wake.creator_ended == wake.judged;
  // Goroutines parked to receive, at start-up, are how workers and loops idle: they wait for
  // work that a global or a long-lived struct will bring, which the dump cannot show.
  const bool idles_like_a_worker =
      startup && cluster.last_count() < rules_.pile_up &&
      (wake.kind == WaitKind::kChannelReceive || wake.kind == WaitKind::kSelect);
  const bool creator_gone = wake.creator_gone == wake.judged;
  if (wake.stuck == wake.judged && !idles_like_a_worker) {
    switch (wake.kind) {
      case WaitKind::kChannelSend:
      case WaitKind::kLock:
      case WaitKind::kWaitGroup:
      case WaitKind::kCond:
        return judged(Rule::kNoPossibleWaker, Verdict::kLeak, wake.stuck_thread);
      case WaitKind::kChannelReceive:
        // A timer's channel is written by the runtime, not by a goroutine: a receive left by a
        // creator that will not act is a leak, one from a long-lived component may be a timer.
        return judged(Rule::kNoPossibleWaker, creator_gone ? Verdict::kLeak : Verdict::kSuspect,
                      wake.stuck_thread);
      case WaitKind::kSelect:
        // A select may hold a timer; several from a `go` statement whose caller returned are
        // no singleton loop.
        return judged(Rule::kNoPossibleWaker,
                      all_created_by_ended && wake.judged >= 2 ? Verdict::kLeak : Verdict::kSuspect,
                      wake.stuck_thread);
      default:
        break;
    }
  }
  // The program has goroutines that can run, and none of them holds what these wait on, as
  // far as the dump shows. A sender, a WaitGroup or a Cond waiter is then left behind; a
  // lock's holder, or a select's timer, may be what the dump does not show.
  if (wake.stuck + wake.stuck_seen == wake.judged && !idles_like_a_worker && creator_gone) {
    // Only a goroutine takes a value sent, calls Done or signals; a lock's holder may be what
    // the dump does not show; a receive or a select may wait for a timer, or for a client.
    // Without addresses no holder could have been seen: a suspicion, not a finding.
    const Verdict unseen = graph_->addresses_shown() ? Verdict::kLeak : Verdict::kSuspect;
    switch (wake.kind) {
      case WaitKind::kChannelSend:
      case WaitKind::kWaitGroup:
      case WaitKind::kCond:
        return judged(Rule::kNoWakerSeen, unseen, wake.stuck_thread);
      case WaitKind::kLock:
        return judged(Rule::kNoWakerSeen, Verdict::kSuspect, wake.stuck_thread);
      default:
        break;
    }
  }
  return std::nullopt;
}

LifetimeThresholds::Facts LifetimeThresholds::facts_of(const AnalysisInput& input,
                                                       const Cluster& cluster) const {
  Facts facts;
  facts.operation = cluster.blocking_operation();
  const auto counts = cluster.count_per_snapshot();
  facts.n = counts.size();
  facts.last = cluster.last_count();
  facts.first = counts.front();
  facts.threshold = min_wait_ ? *min_wait_ : rules_.threshold_for(cluster.anchor_kind);
  facts.threshold_seconds = std::chrono::duration<double>(facts.threshold).count();
  facts.strictly_increasing = facts.n >= 2;
  for (size_t i = 1; i < facts.n; ++i) {
    facts.strictly_increasing = facts.strictly_increasing && counts[i] > counts[i - 1];
  }
  facts.minutes = minutes_between_first_and_last();
  if (cluster.max_wait_seconds()) {
    facts.max_wait = cluster.max_wait_seconds();
    facts.lower_bound = cluster.wait_lower_bound;
  }
  facts.waited_too_long = facts.max_wait && *facts.max_wait >= facts.threshold_seconds;
  facts.sleeping = facts.listed(rules_.timed_operations);
  facts.not_blocked = cluster.status() == "running" || cluster.status() == "runnable";
  // A crash, a panic or SIGQUIT ended the process: there is no "later" to capture.
  facts.exited = reason_ends_process(input.snapshots.back().reason);
  facts.place = id_place(cluster, input.snapshots.size() - 1);
  return facts;
}

bool LifetimeThresholds::Facts::listed(const std::vector<std::string>& operations) const {
  return std::find(operations.begin(), operations.end(), operation) != operations.end();
}

// The words for a judgement: what the operator reads under "why".
std::vector<std::string> LifetimeThresholds::reasons_for(const AnalysisInput& input,
                                                         const Cluster& cluster,
                                                         const Judgement& judgement) const {
  const Facts facts = facts_of(input, cluster);
  const size_t n = facts.n;
  const int64_t last = facts.last;
  const int64_t first = facts.first;
  const bool exited = facts.exited;
  const IdPlace& place = facts.place;
  // What, where, created by whom, for whom.
  std::string headline =
      fmt::format("{} goroutine{} blocked on {} in {}", with_thousands(last), last == 1 ? "" : "s",
                  cluster.blocking_operation(), cluster.blocked_at().function);
  if (facts.max_wait) headline += " for " + describe_wait(*facts.max_wait, facts.lower_bound);
  if (!cluster.created_by().function.empty()) {
    headline += ", created by " + format_site(cluster.created_by());
  }
  if (auto anchor = anchor_phrase(cluster); !anchor.empty()) headline += ", " + anchor;
  std::string growth;
  if (n >= 2) {
    growth =
        fmt::format("{} → {} over {} snapshots", with_thousands(first), with_thousands(last), n);
    if (facts.minutes && last != first) {
      growth += fmt::format(" ({:+.1f}/min)", cluster.growth_per_minute());
    }
  }
  const std::string threshold_text = format_duration(facts.threshold);
  const std::string_view kind = cluster.anchor_kind == AnchorKind::kDefault
                                    ? std::string_view("its kind")
                                    : to_string(cluster.anchor_kind);
  auto ids_text = [&] {
    return fmt::format("ids {}–{} of a process whose goroutines run from {} to {}", cluster.min_id,
                       cluster.max_id, place.process_min, place.process_max);
  };

  std::vector<std::string> reasons;
  switch (judgement.rule) {
    case Rule::kGone:
      reasons.push_back(fmt::format("gone by the last snapshot ({})", growth));
      break;
    case Rule::kProvenByRuntime: {
      reasons.push_back(headline);
      reasons.push_back(fmt::format(
          "proven by the Go runtime: its GC found {} of them blocked on objects no running "
          "goroutine can reach (goroutineleak profile)",
          with_thousands(cluster.proven_leaked)));
      // And what leakscan sees itself: who could wake them.
      if (auto words = graph_words(input, cluster); !words.empty()) {
        reasons.push_back(std::move(words));
      }
      break;
    }
    case Rule::kDeadlock:
    case Rule::kNeverWakes:
    case Rule::kNoPossibleWaker:
    case Rule::kNoWakerSeen: {
      reasons.push_back(headline);
      const Snapshot& snapshot = input.snapshots.back();
      reasons.push_back(graph_->explain(snapshot, judgement.evidence_thread));
      if (graph_->creator_ended(judgement.evidence_thread)) {
        const GreenThread& thread = snapshot.threads[judgement.evidence_thread];
        reasons.push_back(
            thread.creator_id != 0
                ? fmt::format("the goroutine that started it (goroutine {}) has returned",
                              thread.creator_id)
                : fmt::format("the function that started it ({}) has returned: no goroutine "
                              "is inside it",
                              cluster.created_by().function));
      }
      if (judgement.rule == Rule::kNoPossibleWaker && judgement.verdict == Verdict::kSuspect) {
        reasons.emplace_back(
            "a select may also wait on a timer or a done channel the dump does not show");
      }
      break;
    }
    case Rule::kReportedByGoleak:
      reasons.push_back(headline);
      reasons.emplace_back(
          "goleak reported them: still running when their test ended (goleak.VerifyNone), so "
          "the test leaks them");
      if (auto words = graph_words(input, cluster); !words.empty()) {
        reasons.push_back(std::move(words));
      }
      break;
    case Rule::kRunnableBacklog:
      reasons.push_back(headline + ", " + growth);
      reasons.push_back(fmt::format(
          "a backlog of {} goroutines grows: the machine runs them slower than they come (CPU "
          "saturation), not a leak",
          cluster.status()));
      break;
    case Rule::kNotBlocked:
      reasons.push_back(fmt::format("{}, not blocked", cluster.status()));
      break;
    case Rule::kGrowsEverySnapshot:
      reasons.push_back(headline + ", " + growth);
      reasons.emplace_back("grows in every snapshot: goroutines are created here and never finish");
      break;
    case Rule::kGrewBetweenTwo:
      reasons.push_back(headline + ", " + growth);
      reasons.push_back(
          fmt::format("grew by {} between two snapshots; a third would show whether "
                      "it keeps growing",
                      with_thousands(last - first)));
      break;
    case Rule::kStuck: {
      const Stuck& stuck = *judgement.stuck;
      reasons.push_back(headline + ", " + growth);
      reasons.push_back(fmt::format(
          "stuck: the same {} goroutine{} (ids {}–{}) stayed blocked here in all {} snapshots, "
          "past the {} threshold for {}",
          with_thousands(stuck.count), stuck.count == 1 ? "" : "s", stuck.min_id, stuck.max_id, n,
          threshold_text, kind));
      break;
    }
    case Rule::kGrewUnevenly:
      reasons.push_back(headline + ", " + growth);
      reasons.emplace_back("grew, but not in every snapshot: in-flight work or a slow leak");
      break;
    case Rule::kSteadyPileUp:
      reasons.push_back(headline);
      reasons.push_back(fmt::format("steady ({}) but many and waiting past the {} threshold",
                                    growth, threshold_text));
      break;
    case Rule::kSteady:
      reasons.push_back(fmt::format("steady: {}; a pool or a long-lived loop, not a leak", growth));
      break;
    case Rule::kSleepingPileUp:
      reasons.push_back(headline);
      reasons.emplace_back("sleeping goroutines wake up, but this many in one place is a pile-up");
      break;
    case Rule::kSleeping:
      reasons.emplace_back("sleeping: a timer wakes it");
      break;
    case Rule::kStartedAtStartup:
      reasons.push_back(headline);
      reasons.push_back(
          place.oldest
              ? fmt::format("created at start-up ({}): a long-lived worker waits like this",
                            ids_text())
              : "created at start-up: a long-lived worker waits like this");
      break;
    case Rule::kWaitedPastThreshold:
      reasons.push_back(headline);
      reasons.push_back(fmt::format("waited {}, past the {} threshold for {}",
                                    describe_wait(*facts.max_wait, facts.lower_bound),
                                    threshold_text, kind));
      if (judgement.network) {
        reasons.emplace_back(
            "idle connections wait on the network like this too; a second "
            "snapshot would show whether they pile up");
      } else if (judgement.accumulated) {
        reasons.push_back(
            fmt::format("they accumulated: created across the process's life ({}), not all at once",
                        ids_text()));
      } else if (judgement.verdict == Verdict::kSuspect) {
        reasons.emplace_back(exited ? "one dump cannot tell whether more would have piled up"
                                    : "one dump cannot tell whether more pile up; a second "
                                      "snapshot would show it");
      }
      break;
    case Rule::kPileUp:
      reasons.push_back(headline);
      reasons.push_back(fmt::format("{} goroutines blocked at one site{}", with_thousands(last),
                                    exited ? "" : "; capture again later to measure growth"));
      break;
    case Rule::kMostOfTheProcess: {
      const auto all = live_goroutines(input.snapshots.back());
      reasons.push_back(headline);
      reasons.push_back(fmt::format(
          "{} of the process's {} goroutines ({:.0f} %) are blocked at this one site, created "
          "after start-up: a pool this size is rare, a pile-up common{}",
          with_thousands(last), with_thousands(all), 100.0 * last / std::max<uint64_t>(all, 1),
          exited ? "" : "; a second profile later would tell them apart"));
      break;
    }
    case Rule::kAccumulated:
      reasons.push_back(headline);
      reasons.push_back(fmt::format(
          "{} goroutines wait at one site, created across the process's life ({}): they "
          "accumulate{}",
          with_thousands(last), ids_text(),
          exited ? "" : "; a second snapshot would show whether they keep growing"));
      break;
    case Rule::kWithinThreshold:
      reasons.push_back(fmt::format("waited {} of the {} threshold",
                                    describe_wait(*facts.max_wait, facts.lower_bound),
                                    threshold_text));
      break;
    case Rule::kNoWaitTimes:
      reasons.emplace_back(exited ? "one dump without wait times, of a process that has ended"
                                  : "one snapshot without wait times: capture again later to "
                                    "measure growth");
      break;
  }
  if (cluster.wait_capped) {
    reasons.emplace_back(
        "some waits were longer than the goroutines can be old, and were capped at their age: "
        "Go's wait clock can date from a reused goroutine's earlier life");
  }
  if (cluster.with_wait_object >= 2) {
    std::string_view object = waited_object_kind(cluster.blocking_operation());
    if (cluster.wait_objects == 1) {
      reasons.push_back(fmt::format(
          "{} goroutines wait for the same {} 0x{:x}: contention on one object, or a deadlock",
          with_thousands(cluster.with_wait_object), object, cluster.wait_object));
    } else if (cluster.wait_objects == cluster.with_wait_object) {
      reasons.push_back(
          fmt::format("each waits on a {} of its own ({} of them): every one "
                      "was left behind by the work that made it",
                      object, with_thousands(cluster.wait_objects)));
    }
  }
  if (judgement.verdict == Verdict::kLeak && input.leak_proof_given && cluster.proven_leaked == 0) {
    reasons.emplace_back(
        "Go's goroutineleak profile does not list them: what they wait on is still reachable "
        "(from a global or a long-lived struct, say), so the GC cannot prove what the evidence "
        "above shows");
  }
  if (judgement.verdict != Verdict::kExpected) {
    if (auto age = age_by_id_seconds(input, cluster)) {
      reasons.push_back(
          fmt::format("the oldest is at least {} old by its goroutine id",
                      format_duration(std::chrono::nanoseconds(static_cast<int64_t>(*age * 1e9)))));
    }
  }
  return reasons;
}

}  // namespace leakscan
