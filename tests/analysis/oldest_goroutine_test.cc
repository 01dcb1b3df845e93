// The report's `oldest` of a cluster, on a traced-like pprof snapshot: goroutines the tracer found
// already running (no creation time, the lowest ids), others it dated from snapshots (inferred)
// and others its probes saw born (measured, with a creation stack).
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "analyzer/model/thread_labels.h"
#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/reporters.h"
#include "analyzer/writers/pprof_writer.h"
#include "tests/analysis/sample_findings.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint kCapture = TimePoint(std::chrono::seconds(1'800'000'000));

struct Member {
  uint64_t id = 0;
  std::optional<TimePoint> created_at;
  CreationPrecision precision = CreationPrecision::kUnknown;
  uint64_t creator = 0;
  bool with_stack = false;
};

// One snapshot: the members of two pools, each blocked in its own function for an hour.
std::string traced_snapshot(const std::vector<Member>& old_pool,
                            const std::vector<Member>& new_pool, std::string_view name = "traced",
                            TimePoint captured_at = kCapture) {
  Snapshot snapshot;
  snapshot.format = SourceFormat::kPprofProto;
  snapshot.captured_at = captured_at;
  auto add = [&](const Member& member, std::string_view function, int64_t line) {
    GreenThread thread;
    thread.id = member.id;
    set_status(thread, snapshot.intern("chan receive"));
    FrameId park = snapshot.frames().intern(Frame{"runtime.gopark", "runtime/proc.go", 400});
    FrameId blocked =
        snapshot.frames().intern(Frame{snapshot.intern(function), "/app/pool.go", line});
    std::vector<FrameId> frames = {park, blocked};
    thread.stack = snapshot.intern_stack(frames);
    thread.created_by = snapshot.frames().intern(Frame{"main.start", "/app/main.go", line + 100});
    thread.wait = std::chrono::nanoseconds(1h);
    thread.wait_precision = WaitPrecision::kExact;
    if (member.created_at) thread.created_at = *member.created_at;
    thread.created_at_precision = member.precision;
    thread.creator_id = member.creator;
    if (member.with_stack) {
      thread_labels::add_creation_stack(
          snapshot.intern(fmt::format("main.start at /app/main.go:{} <- main.main at "
                                      "/app/main.go:{}",
                                      line + 100, member.id)),
          thread, snapshot);
    }
    snapshot.threads.push_back(std::move(thread));
  };
  for (const Member& member : old_pool) add(member, "main.oldPool", 10);
  for (const Member& member : new_pool) add(member, "main.newPool", 20);
  std::string path = fmt::format("{}/{}.pb.gz", testing::temp_dir(), name);
  auto written = write_pprof_file(std::span<const Snapshot>(&snapshot, 1), path);
  EXPECT_TRUE(written.has_value()) << written.error().message;
  return path;
}

const report::Cluster* cluster_in(const report::Report& report, std::string_view function) {
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() == function) return &cluster;
  }
  ADD_FAILURE() << "no cluster blocked in " << function;
  return nullptr;
}

std::string text_of(const report::Cluster& cluster) {
  char* buffer = nullptr;
  size_t size = 0;
  {
    std::unique_ptr<std::FILE, decltype(&std::fclose)> out(open_memstream(&buffer, &size),
                                                           &std::fclose);
    write_text_cluster(cluster, TextOptions{.verbose = true}, out.get());
  }
  std::unique_ptr<char, decltype(&std::free)> written(buffer, &std::free);
  return {written.get(), size};
}

bool shows(std::string_view text, std::string_view line) {
  return text.find(line) != std::string_view::npos;
}

class OldestGoroutine : public ::testing::Test {
 protected:
  void SetUp() override {
    const TimePoint inferred = kCapture - 30s;
    std::vector<Member> old_pool, new_pool;
    // Already running when the trace attached: ids 11 to 20, created by goroutine 1.
    for (uint64_t id = 11; id <= 20; ++id) old_pool.push_back({.id = id, .creator = 1});
    // Dated later: 640 from the snapshots, 700 by the probe (with its creation stack).
    old_pool.push_back(
        {.id = 640, .created_at = inferred, .precision = CreationPrecision::kInferred});
    old_pool.push_back({.id = 700,
                        .created_at = kCapture - 10s,
                        .precision = CreationPrecision::kMeasured,
                        .creator = 5,
                        .with_stack = true});
    // All dated: the oldest by time (800, inferred, no creator) is not the lowest id.
    new_pool.push_back({.id = 790,
                        .created_at = kCapture - 5s,
                        .precision = CreationPrecision::kMeasured,
                        .creator = 6,
                        .with_stack = true});
    new_pool.push_back(
        {.id = 800, .created_at = kCapture - 20s, .precision = CreationPrecision::kInferred});
    path_ = traced_snapshot(old_pool, new_pool);
    findings_ = std::make_unique<Findings>(findings_of(path_));
  }
  const report::Report& report() const { return findings_->report(); }

  std::string path_;
  std::unique_ptr<Findings> findings_;
};

// Goroutine ids start at 11: the oldest is 11, not the first one with a creation time (640),
// and the creation stack printed is said to be goroutine 700's.
TEST_F(OldestGoroutine, ByIdWhenSomeHaveNoCreationTime) {
  const report::Cluster* cluster = cluster_in(report(), "main.oldPool");
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(cluster->oldest().goroutine_id(), 11u) << cluster->oldest().DebugString();
  EXPECT_EQ(cluster->oldest().creator_id(), 1u);
  EXPECT_TRUE(cluster->oldest().created_at().empty());
  EXPECT_EQ(cluster->creation_stack_goroutine_id(), 700u);
  std::string text = text_of(*cluster);
  EXPECT_TRUE(shows(text, "oldest, goroutine 11: created by goroutine 1\n")) << text;
  EXPECT_FALSE(shows(text, "creation stack:\n")) << text;
  EXPECT_TRUE(shows(text, "creation stack of goroutine 700 (the oldest with one):\n")) << text;
}

// Every member dated: the earliest creation time, whatever its id; an inferred time reads as a
// bound, and no creator is no creator_id at all (never "0").
TEST_F(OldestGoroutine, ByTimeWhenAllHaveOneAndInferredReadsAsABound) {
  const report::Cluster* cluster = cluster_in(report(), "main.newPool");
  ASSERT_NE(cluster, nullptr);
  const report::Oldest& oldest = cluster->oldest();
  EXPECT_EQ(oldest.goroutine_id(), 800u) << oldest.DebugString();
  EXPECT_FALSE(oldest.has_creator_id()) << oldest.DebugString();
  EXPECT_EQ(oldest.created_at_precision(), "inferred");
  EXPECT_EQ(cluster->creation_stack_goroutine_id(), 790u);
  std::string text = text_of(*cluster);
  EXPECT_TRUE(shows(text,
                    "oldest, goroutine 800: created after 2027-01-15T07:59:40.000000000Z "
                    "and before snapshot 1 (age at most 20s), inferred from snapshots\n"))
      << text;
  EXPECT_FALSE(shows(text, "by goroutine 0")) << text;
  EXPECT_TRUE(shows(text, "creation stack of goroutine 790 (the oldest with one):\n")) << text;

  auto json = json_report(report(), /*compact=*/true);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->find(R"("creator_id":"0")"), std::string::npos);
  EXPECT_NE(json->find(R"("created_at_precision":"inferred","before_snapshot":1)"),
            std::string::npos)
      << *json;
}

// An inferred time has two bounds: after the capture it was dated by, before the first snapshot
// of the report that showed the goroutine.
TEST(OldestGoroutineOverSnapshots, InferredIsBeforeTheSnapshotThatFirstShowedIt) {
  // Goroutine 12 of the new pool first shows in the third snapshot, dated by the second.
  const std::vector<Member> old_pool = {{.id = 11, .creator = 1}};
  const std::vector<Member> new_pool = {
      {.id = 12, .created_at = kCapture + 1min, .precision = CreationPrecision::kInferred}};
  std::vector<Input> inputs;
  inputs.push_back(Input::from_argument(traced_snapshot(old_pool, {}, "first", kCapture)));
  inputs.push_back(Input::from_argument(traced_snapshot(old_pool, {}, "second", kCapture + 1min)));
  inputs.push_back(
      Input::from_argument(traced_snapshot(old_pool, new_pool, "third", kCapture + 2min)));
  Findings findings = findings_of(std::move(inputs));
  const report::Cluster* cluster = cluster_in(findings.report(), "main.newPool");
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(cluster->oldest().goroutine_id(), 12u) << cluster->oldest().DebugString();
  EXPECT_EQ(cluster->oldest().before_snapshot(), 3u) << cluster->oldest().DebugString();
  EXPECT_TRUE(shows(text_of(*cluster), "and before snapshot 3 (age at most 1m"))
      << text_of(*cluster);
}

// The label is written beside created_at and read back.
TEST_F(OldestGoroutine, PrecisionLabelRoundTrips) {
  auto read = read_snapshots(path_);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  std::map<uint64_t, CreationPrecision> precision;
  for (const auto& thread : read->front().threads) {
    precision[thread.id] = thread.created_at_precision;
  }
  EXPECT_EQ(precision[11], CreationPrecision::kUnknown);
  EXPECT_EQ(precision[640], CreationPrecision::kInferred);
  EXPECT_EQ(precision[700], CreationPrecision::kMeasured);
}

}  // namespace
}  // namespace leakscan
