#include "analyzer/analysis/lifetime_thresholds.h"

#include <fmt/format.h>

#include <algorithm>

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
  for (size_t i = 0; i < input.snapshots.size(); ++i) {
    for (const auto& thread : input.snapshots[i].threads) {
      max_id_per_snapshot_[i] = std::max(max_id_per_snapshot_[i], thread.id);
    }
  }
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
  bool sleeping = cluster.blocking_operation == "sleep";
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
  if (last == 0) {
    reasons.push_back(fmt::format("gone by the last snapshot ({})", growth));
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
  } else if (n >= 2 && last > first) {
    verdict = Verdict::kSuspect;
    reasons.push_back(headline + ", " + growth);
    reasons.emplace_back("grew, but not in every snapshot: in-flight work or a slow leak");
  } else if (n >= 2) {
    if (waited_too_long && last >= rules_.pile_up) {
      verdict = Verdict::kSuspect;
      reasons.push_back(headline);
      reasons.push_back(fmt::format("steady ({}) but many and waiting past the {} threshold",
                                    growth, format_duration(threshold)));
    } else {
      reasons.push_back(fmt::format("steady: {}; a pool or a long-lived loop, not a leak", growth));
    }
  } else if (not_blocked) {
    reasons.push_back(fmt::format("{}, not blocked", cluster.status));
  } else if (sleeping) {
    if (last >= rules_.pile_up) {
      verdict = Verdict::kSuspect;
      reasons.push_back(headline);
      reasons.emplace_back("sleeping goroutines wake up, but this many in one place is a pile-up");
    } else {
      reasons.emplace_back("sleeping: a timer wakes it");
    }
  } else if (waited_too_long) {
    bool startup = started_at_startup(cluster);
    // Idle connections wait on the network for as long as their clients stay quiet.
    bool network = cluster.blocking_operation == "IO wait";
    verdict = startup || network ? Verdict::kSuspect : Verdict::kLeak;
    reasons.push_back(headline);
    reasons.push_back(fmt::format("waited {}, past the {} threshold for {}",
                                  describe_wait(*max_wait, lower_bound), format_duration(threshold),
                                  cluster.anchor_kind == AnchorKind::kDefault
                                      ? std::string_view("its kind")
                                      : to_string(cluster.anchor_kind)));
    if (startup) {
      reasons.emplace_back(
          "started at startup: may be a long-lived worker; a second snapshot "
          "would show whether it grows");
    } else if (network) {
      reasons.emplace_back(
          "idle connections wait on the network like this too; a second "
          "snapshot would show whether they pile up");
    }
  } else if (last >= rules_.pile_up) {
    verdict = Verdict::kSuspect;
    reasons.push_back(headline);
    reasons.push_back(
        fmt::format("{} goroutines blocked at one site; capture again later to "
                    "measure growth",
                    with_thousands(last)));
  } else if (max_wait) {
    reasons.push_back(fmt::format("waited {} of the {} threshold",
                                  describe_wait(*max_wait, lower_bound),
                                  format_duration(threshold)));
  } else {
    reasons.emplace_back("one snapshot without wait times: capture again later to measure growth");
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
