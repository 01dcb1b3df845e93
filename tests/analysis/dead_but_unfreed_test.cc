// Layer 2, DeadButUnfreed.
#include "analyzer/engine/find_leaks.h"
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(DeadButUnfreed, GoexitIsFinishingNotLeaking) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(R"(goroutine 21 [chan receive]:
main.flushOnExit(0xc0000a2060)
    /app/worker.go:51 +0x3d
runtime.Goexit()
    /usr/lib/go-1.19/src/runtime/panic.go:523 +0x1a5
main.worker(0xc0000a2060)
    /app/worker.go:40 +0x85
created by main.startWorkers
    /app/worker.go:20 +0x4a

goroutine 22 [chan receive]:
main.worker(0xc0000a2060)
    /app/worker.go:38 +0x6e
created by main.startWorkers
    /app/worker.go:20 +0x4a
)"));
  Layers layers = run_layers_by_hand(snapshots, 3);
  EXPECT_EQ(record_of(layers.input, 21).disposition, Disposition::kFinishing);
  EXPECT_EQ(record_of(layers.input, 22).disposition, Disposition::kKept);
  ASSERT_EQ(layers.clusters.size(), 1u);
  EXPECT_EQ(layers.clusters[0].blocked_at().function, "main.worker");
  EXPECT_EQ(layers.clusters[0].last_count(), 1);

  auto findings = DeadButUnfreed().findings(layers.input);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, DeadButUnfreedKind::kFinishing);
  EXPECT_EQ(findings[0].count, 1);
  EXPECT_EQ(findings[0].created_by.function, "main.startWorkers");

  auto analysis = analyze(snapshots, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  EXPECT_EQ(analysis->report.summary().finishing(), 1);
  ASSERT_EQ(analysis->report.dead_but_unfreed_size(), 1);
  EXPECT_EQ(analysis->report.dead_but_unfreed(0).kind(), "finishing");
}

}  // namespace
}  // namespace leakscan
