// Layer 5, LifetimeThresholds.
#include "analyzer/model/trace_window.h"
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(LifetimeThresholds, OneSnapshotJudgesTheWaitAgainstTheThreshold) {
  std::vector<Snapshot> snapshots;
  // Goroutine ids are a clock: the start-up worker has one of the oldest, the leaked orders
  // were made across the process's life.
  snapshots.push_back(parse(goroutines(1, 3, "chan receive, 10 minutes", kStartupWorker) +
                            goroutines(1, 150, "chan send, 10 minutes", kOrdersLeak) +
                            goroutines(1, 380, "chan send, 10 minutes", kOrdersLeak) +
                            goroutines(1, 400, "IO wait, 10 minutes", kClientReader) +
                            goroutines(1, 500, "sleep, 10 minutes", kJanitor)));
  Layers layers = run_layers_by_hand(snapshots, 5);

  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, Verdict::kLeak) << all_reasons(leak);
  EXPECT_EQ(leak.threshold_seconds(), 300);
  EXPECT_NE(all_reasons(leak).find("past the 5m threshold"), std::string::npos)
      << all_reasons(leak);
  EXPECT_NE(all_reasons(leak).find("they accumulated: created across the process's life (ids "
                                   "150–380 of a process whose goroutines run from 3 to 500)"),
            std::string::npos)
      << all_reasons(leak);

  // Long-lived workers of the program's start wait for as long as there is nothing to do.
  const Cluster& startup = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(startup.verdict, Verdict::kExpected) << all_reasons(startup);
  EXPECT_NE(all_reasons(startup).find("created at start-up"), std::string::npos)
      << all_reasons(startup);

  const Cluster& network = verdict_of(layers.clusters, "main.(*upstream).readLoop");
  EXPECT_EQ(network.blocking_operation(), "IO wait");
  EXPECT_EQ(network.verdict, Verdict::kSuspect) << all_reasons(network);

  const Cluster& sleeper = verdict_of(layers.clusters, "main.(*OrderService).janitor");
  EXPECT_EQ(sleeper.blocking_operation(), "sleep");
  EXPECT_EQ(sleeper.verdict, Verdict::kExpected) << all_reasons(sleeper);
}

TEST(LifetimeThresholds, OneSnapshotUnderTheThresholdIsExpected) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 100, "chan send, 4 minutes", kOrdersLeak) +
                            goroutines(2, 150, "chan receive", kStartupWorker) +
                            goroutines(1, 200, "chan send, 4 minutes", kOrdersLeak)));
  Layers layers = run_layers_by_hand(snapshots, 5);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1").verdict,
            Verdict::kExpected);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).reconcile").verdict,
            Verdict::kExpected);

  // A config's threshold replaces the built-in one.
  auto rules = parse_rules("[thresholds]\ndefault = \"3m\"\n", "leakscan.toml");
  ASSERT_TRUE(rules.has_value());
  Rules merged = default_rules();
  merged.thresholds[AnchorKind::kDefault] = rules->thresholds[AnchorKind::kDefault];
  Layers strict = run_layers_by_hand(snapshots, 5, {}, merged);
  EXPECT_EQ(verdict_of(strict.clusters, "main.(*OrderService).fetchOrder.func1").verdict,
            Verdict::kLeak);
}

TEST(LifetimeThresholds, GrowingInEverySnapshotIsALeak) {
  auto snapshots = three_snapshots({2, 5, 8});
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, Verdict::kLeak) << all_reasons(leak);
  EXPECT_TRUE(leak.monotonic_growth());
  EXPECT_EQ(
      std::vector<int64_t>(leak.count_per_snapshot().begin(), leak.count_per_snapshot().end()),
      (std::vector<int64_t>{2, 5, 8}));
  EXPECT_DOUBLE_EQ(leak.growth_per_minute(), 3.0);  // 2 → 8 over two minutes
  EXPECT_NE(all_reasons(leak).find("2 → 8 over 3 snapshots (+3.0/min)"), std::string::npos)
      << all_reasons(leak);
  // The oldest leaked goroutine (id 1000) was already there in the first snapshot, two minutes
  // before the last.
  EXPECT_NE(all_reasons(leak).find("at least 2m old by its goroutine id"), std::string::npos)
      << all_reasons(leak);

  const Cluster& pool = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(pool.verdict, Verdict::kExpected) << all_reasons(pool);
  EXPECT_FALSE(pool.monotonic_growth());
  EXPECT_EQ(pool.growth_per_minute(), 0);
}

TEST(LifetimeThresholds, SteadyIsExpectedHoweverLongItWaits) {
  auto snapshots = three_snapshots({3, 3, 3});
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& steady = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(steady.verdict, Verdict::kExpected) << all_reasons(steady);
  EXPECT_NE(all_reasons(steady).find("steady"), std::string::npos);
}

TEST(LifetimeThresholds, GrewThenShrankIsSuspect) {
  auto snapshots = three_snapshots({2, 6, 4});
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& cluster = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(cluster.verdict, Verdict::kSuspect) << all_reasons(cluster);
  EXPECT_FALSE(cluster.monotonic_growth());
  EXPECT_DOUBLE_EQ(cluster.growth_per_minute(), 1.0);
}

TEST(LifetimeThresholds, GoneByTheLastSnapshotIsExpected) {
  auto snapshots = three_snapshots({2, 5, 0});
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& gone = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(gone.verdict, Verdict::kExpected) << all_reasons(gone);
  EXPECT_NE(all_reasons(gone).find("gone by the last snapshot"), std::string::npos);
}

TEST(LifetimeThresholds, OneSnapshotOfGoroutinesMadeAcrossTheProcesssLifeIsSuspect) {
  // No wait times (Go prints none before a minute): ids spread over the process's life at one
  // site say the goroutines accumulate; a start-up burst or in-flight work does not.
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(
      goroutines(4, 2, "chan receive", kStartupWorker) +
      goroutines(1, 60, "chan send", kOrdersLeak) + goroutines(1, 120, "chan send", kOrdersLeak) +
      goroutines(1, 180, "chan send", kOrdersLeak) + goroutines(1, 240, "IO wait", kClientReader)));
  Layers layers = run_layers_by_hand(snapshots, 5);
  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, Verdict::kSuspect) << all_reasons(leak);
  EXPECT_NE(all_reasons(leak).find("created across the process's life"), std::string::npos)
      << all_reasons(leak);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).reconcile").verdict,
            Verdict::kExpected);
}

TEST(LifetimeThresholds, OneProfileWithMostOfTheProcessAtOneSiteIsSuspect) {
  // No wait times and no spread of ids to go by (a burst): proportion still speaks. 150 of 160
  // goroutines parked at one site made after start-up is a pile-up until a second profile says
  // otherwise; the same made by main.main is a start-up pool.
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(150, 1000, "chan send", kOrdersLeak) +
                            goroutines(10, 2, "chan receive", kStartupWorker)));
  Layers layers = run_layers_by_hand(snapshots, 5);
  const Cluster& pile = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(pile.verdict, Verdict::kSuspect) << all_reasons(pile);
  EXPECT_NE(all_reasons(pile).find("150 of the process's 160 goroutines (94 %) are blocked at "
                                   "this one site"),
            std::string::npos)
      << all_reasons(pile);

  std::vector<Snapshot> pool;
  pool.push_back(parse(goroutines(150, 2, "chan receive", kStartupWorker) +
                       goroutines(10, 1000, "chan send", kOrdersLeak)));
  Layers at_startup = run_layers_by_hand(pool, 5);
  EXPECT_EQ(verdict_of(at_startup.clusters, "main.(*OrderService).reconcile").verdict,
            Verdict::kExpected);
}

TEST(LifetimeThresholds, RunnableIsNeverALeakEvenWhenItGrows) {
  auto snapshots = three_snapshots({2, 5, 8});
  for (auto& snapshot : snapshots) {
    for (auto& thread : snapshot.threads) {
      if (thread.id >= 1000) {
        thread.status = "runnable";
        thread.state = ThreadState::kRunnable;
      }
    }
  }
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  for (const auto& cluster : layers.clusters) {
    if (cluster.status() != "runnable") continue;
    EXPECT_EQ(cluster.verdict, Verdict::kExpected) << all_reasons(cluster);
    EXPECT_NE(all_reasons(cluster).find("CPU saturation"), std::string::npos)
        << all_reasons(cluster);
  }
}

TEST(LifetimeThresholds, TheSameGoroutinesStuckOnALockAreALeakHoweverSteady) {
  // Two snapshots ten minutes apart: the same handlers (same ids) still wait on one mutex.
  std::string_view stuck_on_lock = R"(sync.runtime_SemacquireMutex(0xc0000a4004, 0x0, 0x1)
    /usr/local/go/src/runtime/sema.go:77 +0x25
sync.(*Mutex).lockSlow(0xc0000a4000)
    /usr/local/go/src/sync/mutex.go:171 +0x165
sync.(*Mutex).Lock(...)
    /usr/local/go/src/sync/mutex.go:90
main.(*OrderService).refund(0xc0000a4000)
    /app/orders.go:210 +0x4e
created by main.(*OrderService).handleRefund
    /app/orders.go:205 +0x6f)";
  std::vector<Snapshot> snapshots;
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  for (int i = 0; i < 2; ++i) {
    snapshots.push_back(parse(goroutines(4, 10, "chan receive", kStartupWorker) +
                                  goroutines(3, 300, "semacquire", stuck_on_lock),
                              fmt::format("snapshot{}.txt", i)));
    snapshots.back().captured_at = start + std::chrono::minutes(10 * i);
  }
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& stuck = verdict_of(layers.clusters, "main.(*OrderService).refund");
  EXPECT_EQ(stuck.verdict, Verdict::kLeak) << all_reasons(stuck);
  EXPECT_NE(all_reasons(stuck).find("stuck: the same 3 goroutines (ids 300–302) stayed blocked "
                                    "here in all 2 snapshots"),
            std::string::npos)
      << all_reasons(stuck);
  // A pool idle on its queue holds steady too, and is no leak.
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).reconcile").verdict,
            Verdict::kExpected);
}

TEST(LifetimeThresholds, GoroutinesTheRuntimeProvedLeakedAreALeakFromOneDump) {
  // Go 1.26's goroutineleak profile, debug=2: the GC found these blocked on a channel nothing
  // reachable can use. No wait, no growth: the runtime's proof is enough.
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 5, "chan receive", kStartupWorker) +
                            goroutines(2, 100, "chan send (leaked)", kOrdersLeak)));
  Layers layers = run_layers_by_hand(snapshots, 5);
  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, Verdict::kLeak) << all_reasons(leak);
  EXPECT_NE(all_reasons(leak).find("proven by the Go runtime"), std::string::npos)
      << all_reasons(leak);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).reconcile").verdict,
            Verdict::kExpected);
}

// A Go execution trace's window (leakscan-gotrace's labels, docs/profile-labels.md) as evidence:
// blocked through it while others at the site were woken supports a leak the wait suspected;
// a quiet window is said, and decides nothing.
Snapshot traced(std::string_view dump, int64_t site_woken) {
  Snapshot snapshot = parse(dump, "trace.out");
  snapshot.reason = trace_window_reason(std::chrono::seconds(2), std::nullopt);
  for (auto& thread : snapshot.threads) {
    thread.labels.push_back(
        Label{.key = snapshot.intern(kBlockedWholeWindow), .str = snapshot.intern("true")});
    thread.labels.push_back(
        Label{.key = snapshot.intern(kSiteWoken), .num = site_woken, .numeric = true});
  }
  return snapshot;
}

// One snapshot's verdict and reasons for the cluster blocked in `function`.
struct Judged {
  Verdict verdict = Verdict::kExpected;
  std::string reasons;
};
Judged judge_one(Snapshot snapshot, std::string_view function) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(std::move(snapshot));
  Layers layers = run_layers_by_hand(snapshots, 5);
  const Cluster& cluster = verdict_of(layers.clusters, function);
  return {cluster.verdict, all_reasons(cluster)};
}

TEST(LifetimeThresholds, ATraceWindowsWakesSupportASuspectedLeak) {
  constexpr std::string_view kSite = "main.(*OrderService).fetchOrder.func1";
  // One goroutine past the threshold: a suspect from one dump.
  const std::string dump = goroutines(1, 150, "chan send, 10 minutes", kOrdersLeak);
  Judged plain = judge_one(parse(dump), kSite);
  ASSERT_EQ(plain.verdict, Verdict::kSuspect) << plain.reasons;

  Judged woken = judge_one(traced(dump, 1412), kSite);
  EXPECT_EQ(woken.verdict, Verdict::kLeak) << woken.reasons;
  EXPECT_NE(woken.reasons.find("it stayed blocked for the whole 2s window while 1,412 "
                               "goroutines blocked at the same site were woken"),
            std::string::npos)
      << woken.reasons;
  // Leak now: no "one dump cannot tell".
  EXPECT_EQ(woken.reasons.find("one dump cannot tell"), std::string::npos) << woken.reasons;

  Judged quiet = judge_one(traced(dump, 0), kSite);
  EXPECT_EQ(quiet.verdict, Verdict::kSuspect) << quiet.reasons;
  EXPECT_NE(quiet.reasons.find("no goroutine blocked here was woken in the 2s window"),
            std::string::npos)
      << quiet.reasons;
  EXPECT_NE(quiet.reasons.find("proves little"), std::string::npos) << quiet.reasons;
}

TEST(LifetimeThresholds, ATraceWindowsWakesAloneMakeNoLeak) {
  // Under the threshold, no suspicion: wakes at the site do not make one (an idle pool's
  // workers stay blocked while their siblings take the work).
  Judged pool = judge_one(traced(goroutines(3, 10, "chan receive", kStartupWorker), 50),
                          "main.(*OrderService).reconcile");
  EXPECT_EQ(pool.verdict, Verdict::kExpected) << pool.reasons;
  EXPECT_NE(pool.reasons.find("all of them stayed blocked for the whole 2s window while 50 "
                              "goroutines blocked at the same site were woken"),
            std::string::npos)
      << pool.reasons;
}

}  // namespace
}  // namespace leakscan
