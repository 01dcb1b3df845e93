// Layer 5, LifetimeThresholds.
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(LifetimeThresholds, OneSnapshotJudgesTheWaitAgainstTheThreshold) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 100, "chan send, 10 minutes", kOrdersLeak) +
                            goroutines(1, 300, "chan receive, 10 minutes", kStartupWorker) +
                            goroutines(1, 400, "IO wait, 10 minutes", kClientReader) +
                            goroutines(1, 500, "sleep, 10 minutes", kJanitor)));
  Layers layers = run_layers_by_hand(snapshots, 5);

  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, Verdict::kLeak) << all_reasons(leak);
  EXPECT_EQ(leak.threshold_seconds, 300);
  EXPECT_NE(all_reasons(leak).find("past the 5m threshold"), std::string::npos)
      << all_reasons(leak);

  const Cluster& startup = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(startup.verdict, Verdict::kSuspect) << all_reasons(startup);
  EXPECT_NE(all_reasons(startup).find("started at startup"), std::string::npos);

  const Cluster& network = verdict_of(layers.clusters, "main.(*upstream).readLoop");
  EXPECT_EQ(network.blocking_operation, "IO wait");
  EXPECT_EQ(network.verdict, Verdict::kSuspect) << all_reasons(network);

  const Cluster& sleeper = verdict_of(layers.clusters, "main.(*OrderService).janitor");
  EXPECT_EQ(sleeper.blocking_operation, "sleep");
  EXPECT_EQ(sleeper.verdict, Verdict::kExpected) << all_reasons(sleeper);
}

TEST(LifetimeThresholds, OneSnapshotUnderTheThresholdIsExpected) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 100, "chan send, 4 minutes", kOrdersLeak) +
                            goroutines(2, 200, "chan receive", kStartupWorker)));
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
  EXPECT_TRUE(leak.monotonic_growth);
  EXPECT_EQ(leak.count_per_snapshot, (std::vector<int64_t>{2, 5, 8}));
  EXPECT_DOUBLE_EQ(leak.growth_per_minute, 3.0);  // 2 → 8 over two minutes
  EXPECT_NE(all_reasons(leak).find("2 → 8 over 3 snapshots (+3.0/min)"), std::string::npos)
      << all_reasons(leak);
  // The oldest leaked goroutine (id 1000) was already there in the first snapshot, two minutes
  // before the last.
  EXPECT_NE(all_reasons(leak).find("at least 2m old by its goroutine id"), std::string::npos)
      << all_reasons(leak);

  const Cluster& pool = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(pool.verdict, Verdict::kExpected) << all_reasons(pool);
  EXPECT_FALSE(pool.monotonic_growth);
  EXPECT_EQ(pool.growth_per_minute, 0);
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
  EXPECT_FALSE(cluster.monotonic_growth);
  EXPECT_DOUBLE_EQ(cluster.growth_per_minute, 1.0);
}

TEST(LifetimeThresholds, GoneByTheLastSnapshotIsExpected) {
  auto snapshots = three_snapshots({2, 5, 0});
  Layers layers = run_layers_by_hand(snapshots, 5, capture_seconds(snapshots));
  const Cluster& gone = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(gone.verdict, Verdict::kExpected) << all_reasons(gone);
  EXPECT_NE(all_reasons(gone).find("gone by the last snapshot"), std::string::npos);
}

}  // namespace
}  // namespace leakscan
