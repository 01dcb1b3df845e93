// Layer 3, PatternClustering; last, a million goroutines in 1,000 distinct stacks.
#include "analyzer/engine/find_leaks.h"
#include "tests/analysis/layer_fixtures.h"
#include "tests/support/snapshot_helpers.h"

namespace leakscan {
namespace {

TEST(PatternClustering, SameOperationFrameAndCreatorMergeWhateverIsBelow) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeDeep)));
  Layers layers = run_layers_by_hand(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 1u);
  const Cluster& cluster = layers.clusters[0];
  EXPECT_EQ(cluster.last_count(), 4);
  EXPECT_EQ(cluster.blocking_operation(), "chan receive");
  EXPECT_EQ(cluster.blocked_at().function, "main.(*Pipeline).consume");
  EXPECT_EQ(cluster.blocked_at().file, "/app/pipeline.go");
  EXPECT_EQ(cluster.blocked_at().line, 40);
  EXPECT_EQ(cluster.created_by().function, "main.(*Pipeline).Start");
  EXPECT_EQ(cluster.min_id, 10u);
  EXPECT_EQ(cluster.max_id, 22u);
  EXPECT_EQ(cluster.records().size(), 4u);
  for (const auto& record : layers.input.records) EXPECT_EQ(record.cluster, 0u);
}

TEST(PatternClustering, DifferentCreatorOrOperationSplits) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeOtherCreator) +
                            goroutines(1, 30, "chan send", kConsumeShallow)));
  Layers layers = run_layers_by_hand(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 3u);
  const Cluster* start = nullptr;
  const Cluster* restart = nullptr;
  const Cluster* send = nullptr;
  for (const auto& cluster : layers.clusters) {
    if (cluster.blocking_operation() == "chan send")
      send = &cluster;
    else if (cluster.created_by().function == "main.(*Pipeline).Start")
      start = &cluster;
    else if (cluster.created_by().function == "main.(*Pipeline).Restart")
      restart = &cluster;
  }
  ASSERT_TRUE(start && restart && send);
  EXPECT_EQ(start->last_count(), 2);
  EXPECT_EQ(restart->last_count(), 3);
  EXPECT_EQ(send->last_count(), 1);
  EXPECT_NE(start->id, restart->id);
  EXPECT_NE(start->id, send->id);
}

TEST(PatternClustering, IdsAreStableHashesOfTheBlockingSite) {
  // Another run, other goroutine ids, arguments and deeper frames: the same id.
  std::string moved(kConsumeShallow);
  moved.replace(moved.find("0xc000010000"), 12, "0xc000fff000");
  std::vector<Snapshot> first;
  first.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow)));
  std::vector<Snapshot> second;
  second.push_back(parse(goroutines(1, 900, "chan receive", moved) +
                         goroutines(1, 901, "chan receive", kConsumeDeep)));
  Layers a = run_layers_by_hand(first, 3);
  Layers b = run_layers_by_hand(second, 3);
  ASSERT_EQ(a.clusters.size(), 1u);
  ASSERT_EQ(b.clusters.size(), 1u);
  EXPECT_EQ(a.clusters[0].id, b.clusters[0].id);
  // FNV-1a of the blocked-at function and line (the creator joins only when two clusters differ
  // by nothing else), in 16 hex digits: the same on every machine, so baselines can name
  // clusters.
  EXPECT_EQ(a.clusters[0].id_text(), fmt::format("{:016x}", fnv1a("main.(*Pipeline).consume:40")));
  // The line moved by an edit: another site.
  moved.replace(moved.find("pipeline.go:40"), 14, "pipeline.go:47");
  std::vector<Snapshot> edited;
  edited.push_back(parse(goroutines(1, 900, "chan receive", moved)));
  EXPECT_NE(run_layers_by_hand(edited, 3).clusters[0].id, a.clusters[0].id);
}

TEST(PatternClustering, RepresentativeStackIsTheMostCommon) {
  std::vector<Snapshot> snapshots;
  // The shallow stack comes first, the deep one is more common.
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeDeep) +
                            goroutines(1, 30, "chan receive", kConsumeShallow)));
  Layers layers = run_layers_by_hand(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 1u);
  auto names = testing::functions(snapshots[0], layers.clusters[0].representative_stack());
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names[4], "main.(*Pipeline).runNested");
}

TEST(PatternClustering, CountsEverySnapshot) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 10, "chan receive", kConsumeShallow)));
  snapshots.push_back(parse(goroutines(4, 10, "chan receive", kConsumeDeep)));
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeOtherCreator)));
  Layers layers = run_layers_by_hand(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 2u);
  const Cluster* start =
      cluster_at(layers.clusters, "main.(*Pipeline).consume", "main.(*Pipeline).Start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(
      std::vector<int64_t>(start->count_per_snapshot().begin(), start->count_per_snapshot().end()),
      (std::vector<int64_t>{1, 4, 0}));
  // Gone by the last snapshot: its representative comes from where it was seen.
  EXPECT_FALSE(start->representative_stack().empty());
  EXPECT_EQ(start->min_id, UINT64_MAX);  // ids and waits are the last snapshot's
}

TEST(PatternClustering, MillionSyntheticGoroutinesClusterExactly) {
  constexpr int kBlockedSites = 50;
  constexpr int kCreators = 2;
  constexpr int kDepths = 10;  // recursion depth below the blocked frame: 0..9
  constexpr int kStacks = kBlockedSites * kCreators * kDepths;
  constexpr int kGoroutines = 1'000'000;

  std::vector<Snapshot> snapshots(1);
  Snapshot& snapshot = snapshots[0];
  FrameTable& frames = snapshot.frames();
  auto frame = [&](const std::string& function, const std::string& file, int64_t line) {
    return frames.intern(Frame{snapshot.intern(function), snapshot.intern(file), line});
  };
  FrameId gopark = frame("runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 363);
  FrameId chanrecv = frame("runtime.chanrecv1", "/usr/lib/go/src/runtime/chan.go", 442);
  FrameId recurse = frame("main.recurse", "/app/recurse.go", 9);
  std::vector<FrameId> blocked, creators;
  for (int i = 0; i < kBlockedSites; ++i) {
    blocked.push_back(frame(fmt::format("main.wait{}", i), "/app/wait.go", 10 + i));
  }
  for (int i = 0; i < kCreators; ++i) {
    creators.push_back(frame(fmt::format("main.spawn{}", i), "/app/spawn.go", 20 + i));
  }
  struct Shape {
    Stack stack;
    FrameId creator;
  };
  std::vector<Shape> shapes;
  for (int s = 0; s < kStacks; ++s) {
    int site = s % kBlockedSites;
    int depth = (s / kBlockedSites) % kDepths;
    int creator = s / (kBlockedSites * kDepths);
    std::vector<FrameId> stack{gopark, chanrecv, blocked[site]};
    for (int d = 0; d < depth; ++d) stack.push_back(recurse);
    shapes.push_back(Shape{snapshot.intern_stack(stack), creators[creator]});
  }
  std::string_view status = snapshot.intern("chan receive");
  snapshot.threads.resize(kGoroutines);
  for (int i = 0; i < kGoroutines; ++i) {
    GreenThread& thread = snapshot.threads[i];
    const Shape& shape = shapes[i % kStacks];
    thread.id = static_cast<uint64_t>(i) + 1;
    thread.status = status;
    thread.state = ThreadState::kWaiting;
    thread.stack = shape.stack;
    thread.created_by = shape.creator;
  }

  auto analysis = analyze(snapshots, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& report = analysis->report;
  EXPECT_EQ(report.summary().goroutines(), kGoroutines);
  EXPECT_EQ(report.summary().dropped_system(), 0);
  ASSERT_EQ(report.clusters_size(), kBlockedSites * kCreators);
  std::set<std::pair<std::string, std::string>> seen;
  int64_t total = 0;
  for (const auto& cluster : report.clusters()) {
    EXPECT_EQ(cluster.count(), kGoroutines / (kBlockedSites * kCreators)) << cluster.id();
    EXPECT_EQ(cluster.blocking_operation(), "chan receive");
    EXPECT_TRUE(cluster.blocked_at().function().starts_with("main.wait"));
    EXPECT_TRUE(cluster.created_by().function().starts_with("main.spawn"));
    seen.emplace(cluster.blocked_at().function(), cluster.created_by().function());
    total += cluster.count();
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBlockedSites * kCreators));
  EXPECT_EQ(total, kGoroutines);
  // Thread i (goroutine i + 1) has shape i % 1000; main.wait0 by main.spawn0 are shapes 0, 50,
  // ... 450: goroutines 1 to 999,451.
  for (const auto& cluster : analysis->clusters) {
    if (cluster.blocked_at().function == "main.wait0" &&
        cluster.created_by().function == "main.spawn0") {
      EXPECT_EQ(cluster.min_id, 1u);
      EXPECT_EQ(cluster.max_id, 999'451u);
    }
  }
}

TEST(PatternClustering, GenericInstantiationsAreOneFunction) {
  // Text dumps print type arguments as [...]; profiles name the shape. One leak, one cluster id.
  std::vector<Snapshot> text;
  text.push_back(parse(goroutines(2, 10, "chan receive", R"(main.pump[...](0xc000010000)
    /app/pump.go:12 +0x1d
created by main.start
    /app/main.go:5 +0x2f)")));
  std::vector<Snapshot> shaped;
  shaped.push_back(
      parse(goroutines(2, 10, "chan receive", R"(main.pump[go.shape.*uint8](0xc000010000)
    /app/pump.go:12 +0x1d
created by main.start
    /app/main.go:5 +0x2f)")));
  Layers a = run_layers_by_hand(text, 3);
  Layers b = run_layers_by_hand(shaped, 3);
  ASSERT_EQ(a.clusters.size(), 1u);
  ASSERT_EQ(b.clusters.size(), 1u);
  EXPECT_EQ(a.clusters[0].id, b.clusters[0].id);
  EXPECT_EQ(a.clusters[0].id_text(), fmt::format("{:016x}", fnv1a("main.pump[...]:12")));
}

TEST(PatternClustering, AWaitLongerThanTheGoroutineCanBeOldIsCapped) {
  // The long-poll handler's g was reused: Go says it waited 15 minutes, but its id is above
  // everything the snapshot a minute earlier held, so it is at most a minute old.
  std::vector<Snapshot> snapshots;
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  snapshots.push_back(parse(goroutines(3, 10, "chan receive", kConsumeShallow), "first.txt"));
  snapshots.back().captured_at = start;
  snapshots.push_back(parse(goroutines(3, 10, "chan receive", kConsumeShallow) +
                                goroutines(1, 9000, "chan receive, 15 minutes", kConsumeShallow),
                            "second.txt"));
  snapshots.back().captured_at = start + std::chrono::minutes(1);
  Layers layers = run_layers_by_hand(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 1u);
  const Cluster& cluster = layers.clusters[0];
  EXPECT_TRUE(cluster.wait_capped);
  ASSERT_TRUE(cluster.max_wait_seconds().has_value());
  EXPECT_DOUBLE_EQ(*cluster.max_wait_seconds(), 60);
}

}  // namespace
}  // namespace leakscan
