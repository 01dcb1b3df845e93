#include "analyzer/analysis/lifetime_thresholds.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyzer/analysis/vocabulary.h"
#include "analyzer/model/text_format.h"

namespace leakscan {
namespace {

std::string describe_wait(double seconds, bool lower_bound) {
  auto text = format_duration(std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)));
  return lower_bound ? "≥ " + text : text;
}

bool started_at_startup(const Cluster& cluster) {
  std::string_view creator = cluster.created_by.function;
  return creator == "main.main" || creator.starts_with("main.init") ||
         creator.find(".init.") != std::string_view::npos || creator.ends_with(".init");
}

std::string anchor_phrase(const Cluster& cluster) {
  for (const auto& anchor : cluster.anchors) {
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
  max_id_per_snapshot_.assign(input.snapshots.size(), 0);
  min_id_per_snapshot_.assign(input.snapshots.size(), UINT64_MAX);
  for (size_t i = 0; i < input.snapshots.size(); ++i) {
    for (const auto& thread : input.snapshots[i].threads) {
      if (thread.id == 0) continue;
      max_id_per_snapshot_[i] = std::max(max_id_per_snapshot_[i], thread.id);
      min_id_per_snapshot_[i] = std::min(min_id_per_snapshot_[i], thread.id);
    }
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
  bool lock = cluster.blocking_operation.starts_with("sync.Mutex.") ||
              cluster.blocking_operation.starts_with("sync.RWMutex.") ||
              cluster.blocking_operation == "semacquire";
  if (!request && !lock) return std::nullopt;
  // Past the threshold: by the waits the last snapshot shows, or by the time between the
  // first and the last snapshot, which the same goroutines spent here.
  auto minutes = minutes_between_first_and_last();
  bool long_enough = waited_too_long || (minutes && *minutes * 60 >= threshold_seconds);
  if (!long_enough) return std::nullopt;
  std::vector<uint64_t> first_ids;
  std::vector<uint64_t> last_ids;
  for (uint32_t index : cluster.records) {
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

void LifetimeThresholds::run(const AnalysisInput& input, std::vector<Cluster>& clusters) {
  prepare(input);
  for (auto& cluster : clusters) judge(input, cluster, /*explain=*/false);
}

void LifetimeThresholds::explain(const AnalysisInput& input, Cluster& cluster) const {
  judge(input, cluster, /*explain=*/true);
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

void LifetimeThresholds::judge(const AnalysisInput& input, Cluster& cluster, bool explain) const {
  const auto& counts = cluster.count_per_snapshot;
  const size_t n = counts.size();
  const int64_t last = cluster.last_count();
  const int64_t first = counts.front();
  auto threshold = min_wait_ ? *min_wait_ : rules_.threshold_for(cluster.anchor_kind);
  double threshold_seconds = std::chrono::duration<double>(threshold).count();
  cluster.threshold_seconds = threshold_seconds;

  bool strictly_increasing = n >= 2;
  for (size_t i = 1; i < n; ++i)
    strictly_increasing = strictly_increasing && counts[i] > counts[i - 1];
  cluster.monotonic_growth = strictly_increasing;
  auto minutes = minutes_between_first_and_last();
  if (n >= 2 && minutes) cluster.growth_per_minute = static_cast<double>(last - first) / *minutes;

  std::optional<double> max_wait;
  bool lower_bound = false;
  if (!cluster.waits_seconds.empty()) {
    max_wait = *std::max_element(cluster.waits_seconds.begin(), cluster.waits_seconds.end());
    lower_bound = cluster.wait_lower_bound;
  }
  bool waited_too_long = max_wait && *max_wait >= threshold_seconds;
  auto listed = [&](const std::vector<std::string>& operations) {
    return std::find(operations.begin(), operations.end(), cluster.blocking_operation) !=
           operations.end();
  };
  bool sleeping = listed(rules_.timed_operations);
  bool not_blocked = cluster.status == "running" || cluster.status == "runnable";

  // The decision is made for every cluster; its words only for those a report lists (a dump of
  // a million distinct stacks makes a million clusters).
  std::string headline;
  if (explain) {
    // What, where, created by whom, for whom.
    headline =
        fmt::format("{} goroutine{} blocked on {} in {}", with_thousands(last),
                    last == 1 ? "" : "s", cluster.blocking_operation, cluster.blocked_at.function);
    if (max_wait) headline += " for " + describe_wait(*max_wait, lower_bound);
    if (!cluster.created_by.function.empty()) {
      headline += ", created by " + format_site(cluster.created_by);
    }
    if (auto anchor = anchor_phrase(cluster); !anchor.empty()) headline += ", " + anchor;
  }

  std::string growth;
  if (explain && n >= 2) {
    growth =
        fmt::format("{} → {} over {} snapshots", with_thousands(first), with_thousands(last), n);
    if (minutes && last != first) {
      growth += fmt::format(" ({:+.1f}/min)", cluster.growth_per_minute);
    }
  }

  std::vector<std::string> reasons;
  Verdict verdict = Verdict::kExpected;
  const Snapshot& last_snapshot = input.snapshots.back();
  // A crash, a panic or SIGQUIT ended the process: there is no "later" to capture.
  const bool exited = !last_snapshot.reason.empty();
  const IdPlace place = id_place(cluster, input.snapshots.size() - 1);
  const std::string threshold_text = format_duration(threshold);
  const std::string_view kind = cluster.anchor_kind == AnchorKind::kDefault
                                    ? std::string_view("its kind")
                                    : to_string(cluster.anchor_kind);
  auto ids_text = [&] {
    return fmt::format("ids {}–{} of a process whose goroutines run from {} to {}", cluster.min_id,
                       cluster.max_id, place.process_min, place.process_max);
  };
  if (last == 0) {
    reasons.push_back(fmt::format("gone by the last snapshot ({})", growth));
  } else if (cluster.proven_leaked > 0) {
    // The strongest evidence there is, whatever the wait or the count.
    verdict = Verdict::kLeak;
    reasons.push_back(headline);
    reasons.push_back(fmt::format(
        "proven by the Go runtime: its GC found {} of them blocked on objects no running "
        "goroutine can reach (goroutineleak profile)",
        with_thousands(cluster.proven_leaked)));
  } else if (not_blocked) {
    // A runnable goroutine waits for a CPU, not for another goroutine: never a leak.
    if (n >= 2 && last > first) {
      reasons.push_back(headline + ", " + growth);
      reasons.push_back(fmt::format(
          "a backlog of {} goroutines grows: the machine runs them slower than they come (CPU "
          "saturation), not a leak",
          cluster.status));
    } else {
      reasons.push_back(fmt::format("{}, not blocked", cluster.status));
    }
  } else if (n >= 3 && strictly_increasing) {
    verdict = Verdict::kLeak;
    reasons.push_back(headline + ", " + growth);
    reasons.emplace_back("grows in every snapshot: goroutines are created here and never finish");
  } else if (n == 2 && last - first >= rules_.growth_two_snapshots) {
    verdict = Verdict::kLeak;
    reasons.push_back(headline + ", " + growth);
    reasons.push_back(
        fmt::format("grew by {} between two snapshots; a third would show whether "
                    "it keeps growing",
                    with_thousands(last - first)));
  } else if (auto stuck = stuck_goroutines(input, cluster, threshold_seconds, waited_too_long)) {
    // The same goroutines at the same site in every snapshot, past their threshold: stuck
    // work, whether or not their number moves. A pool idles on a queue; these hold a lock or
    // serve a request.
    verdict = Verdict::kLeak;
    reasons.push_back(headline + ", " + growth);
    reasons.push_back(fmt::format(
        "stuck: the same {} goroutine{} (ids {}–{}) stayed blocked here in all {} snapshots, "
        "past the {} threshold for {}",
        with_thousands(stuck->count), stuck->count == 1 ? "" : "s", stuck->min_id, stuck->max_id, n,
        threshold_text, kind));
  } else if (n >= 2 && last > first) {
    verdict = Verdict::kSuspect;
    reasons.push_back(headline + ", " + growth);
    reasons.emplace_back("grew, but not in every snapshot: in-flight work or a slow leak");
  } else if (n >= 2) {
    if (waited_too_long && last >= rules_.pile_up) {
      verdict = Verdict::kSuspect;
      reasons.push_back(headline);
      reasons.push_back(fmt::format("steady ({}) but many and waiting past the {} threshold",
                                    growth, threshold_text));
    } else {
      reasons.push_back(fmt::format("steady: {}; a pool or a long-lived loop, not a leak", growth));
    }
  } else if (sleeping) {
    if (last >= rules_.pile_up) {
      verdict = Verdict::kSuspect;
      reasons.push_back(headline);
      reasons.emplace_back("sleeping goroutines wake up, but this many in one place is a pile-up");
    } else {
      reasons.emplace_back("sleeping: a timer wakes it");
    }
  } else if (started_at_startup(cluster) || place.oldest) {
    // One dump: goroutines of the program's start (by creator, or by ids among the oldest)
    // are long-lived loops and workers, which wait for as long as there is nothing to do.
    reasons.push_back(headline);
    reasons.push_back(
        place.oldest ? fmt::format("created at start-up ({}): a long-lived worker waits like this",
                                   ids_text())
                     : "created at start-up: a long-lived worker waits like this");
  } else if (waited_too_long) {
    // Idle connections wait on the network for as long as their clients stay quiet.
    bool network = listed(rules_.network_operations);
    bool request = cluster.anchor_kind == AnchorKind::kHttpHandler ||
                   cluster.anchor_kind == AnchorKind::kGrpcMethod;
    bool accumulated = place.spread && last >= 2;
    verdict =
        !network && (accumulated || (request && last >= 2)) ? Verdict::kLeak : Verdict::kSuspect;
    reasons.push_back(headline);
    reasons.push_back(fmt::format("waited {}, past the {} threshold for {}",
                                  describe_wait(*max_wait, lower_bound), threshold_text, kind));
    if (network) {
      reasons.emplace_back(
          "idle connections wait on the network like this too; a second "
          "snapshot would show whether they pile up");
    } else if (accumulated) {
      reasons.push_back(fmt::format(
          "they accumulated: created across the process's life ({}), not all at once", ids_text()));
    } else if (verdict == Verdict::kSuspect) {
      reasons.push_back(exited ? "one dump cannot tell whether more would have piled up"
                               : "one dump cannot tell whether more pile up; a second snapshot "
                                 "would show it");
    }
  } else if (last >= rules_.pile_up) {
    verdict = Verdict::kSuspect;
    reasons.push_back(headline);
    reasons.push_back(fmt::format("{} goroutines blocked at one site{}", with_thousands(last),
                                  exited ? "" : "; capture again later to measure growth"));
  } else if (place.spread && last >= 3) {
    // No wait times (Go prints none before the first minute): where goroutines were created
    // across the process's life and all still wait at one site, they accumulate.
    verdict = Verdict::kSuspect;
    reasons.push_back(headline);
    reasons.push_back(
        fmt::format("{} goroutines wait at one site, created across the process's life ({}): they "
                    "accumulate{}",
                    with_thousands(last), ids_text(),
                    exited ? "" : "; a second snapshot would show whether they keep growing"));
  } else if (max_wait) {
    reasons.push_back(fmt::format("waited {} of the {} threshold",
                                  describe_wait(*max_wait, lower_bound), threshold_text));
  } else {
    reasons.emplace_back(exited ? "one dump without wait times, of a process that has ended"
                                : "one snapshot without wait times: capture again later to "
                                  "measure growth");
  }
  if (explain && cluster.wait_capped) {
    reasons.emplace_back(
        "some waits were longer than the goroutines can be old, and were capped at their age: "
        "Go's wait clock can date from a reused goroutine's earlier life");
  }
  if (explain && cluster.with_wait_object >= 2) {
    std::string_view object = waited_object_kind(cluster.blocking_operation);
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
  if (explain && verdict != Verdict::kExpected) {
    if (auto age = age_by_id_seconds(input, cluster)) {
      reasons.push_back(
          fmt::format("the oldest is at least {} old by its goroutine id",
                      format_duration(std::chrono::nanoseconds(static_cast<int64_t>(*age * 1e9)))));
    }
  }
  cluster.verdict = verdict;
  if (explain) cluster.reasons = std::move(reasons);
}

}  // namespace leakscan
