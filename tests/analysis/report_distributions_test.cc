// What the JSON report adds for a reader to look at (the HTML report draws them): how a
// cluster's waits spread, its goroutines' ages read from their ids, and the creating goroutine's
// stack where the dump has it.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/build_report.h"
#include "analyzer/report/reporters.h"
#include "analyzer/writers/pprof_writer.h"
#include "tests/analysis/sample_findings.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

int64_t sum(const google::protobuf::RepeatedField<int64_t>& values) {
  int64_t total = 0;
  for (int64_t value : values) total += value;
  return total;
}

TEST(JsonReport, AgeDecilesCountEveryGoroutineOfTheLastSnapshot) {
  Findings findings = leaky_service_findings();
  const auto& clusters = findings.report().clusters();
  ASSERT_GT(clusters.size(), 0);
  for (const auto& cluster : clusters) {
    ASSERT_EQ(cluster.age_deciles_size(), 10) << cluster.id();
    EXPECT_EQ(sum(cluster.age_deciles()), cluster.count()) << cluster.id();
  }
  // Leaks pile up all along the process's life: the top one is not bunched in one tenth.
  const auto& top = clusters[0];
  EXPECT_LT(*std::max_element(top.age_deciles().begin(), top.age_deciles().end()), top.count());
}

bool says(std::string_view text, std::string_view words) {
  return text.find(words) != std::string_view::npos;
}

// Every bucket starts where the one before ends; the first and the last hold a wait (the
// shortest, the longest), so no bar stands for a range no wait fell in at either end.
void expect_spread(const report::WaitStats& wait, int64_t most) {
  const auto& histogram = wait.histogram();
  ASSERT_GT(histogram.size(), 0);
  int64_t waits = 0;
  for (int i = 0; i < histogram.size(); ++i) {
    waits += histogram[i].count();
    if (i > 0) {
      EXPECT_EQ(histogram[i].at_least_seconds(), histogram[i - 1].below_seconds());
    }
    if (histogram[i].below_seconds() != 0) {
      EXPECT_GT(histogram[i].below_seconds(), histogram[i].at_least_seconds());
    }
  }
  EXPECT_LE(histogram[0].at_least_seconds(), wait.min_seconds());
  EXPECT_GT(histogram[0].below_seconds(), wait.min_seconds()) << "leading empty bucket";
  EXPECT_GT(histogram[histogram.size() - 1].count(), 0) << "trailing empty bucket";
  EXPECT_LE(histogram[histogram.size() - 1].at_least_seconds(), wait.max_seconds());
  EXPECT_GT(waits, 0);
  EXPECT_LE(waits, most);
}

TEST(JsonReport, WaitHistogramHoldsEveryWait) {
  Findings findings = findings_of(testing::data_path("corpus/cdk-erigon-debug2-go1.21.txt"));
  int with_waits = 0;
  for (const auto& cluster : findings.report().clusters()) {
    if (!cluster.has_wait()) continue;
    ++with_waits;
    expect_spread(cluster.wait(), cluster.count());
    // A dump's waits are Go's whole minutes, and the report says so.
    EXPECT_TRUE(cluster.wait().lower_bound());
    EXPECT_TRUE(says(cluster.wait().lower_bound_why(), "whole minutes"))
        << cluster.wait().lower_bound_why();
  }
  EXPECT_GT(with_waits, 0);
}

int64_t waits_in(const report::WaitStats& wait, double at_least) {
  for (const auto& bucket : wait.histogram()) {
    if (bucket.at_least_seconds() == at_least) return bucket.count();
  }
  ADD_FAILURE() << "no bucket at " << at_least << "s: " << wait.DebugString();
  return -1;
}

// Waits from minutes to days (a hung TiDB): minute buckets, no second or sub-second ones, and
// the widest spread over several bars.
TEST(WaitHistogram, MinutesGetMinuteBuckets) {
  Findings findings =
      findings_of(testing::data_path("corpus/tidb-v4-prod-indexmergejoin-hang-debug2-go1.13.txt"));
  const report::Cluster* widest = nullptr;
  for (const auto& cluster : findings.report().clusters()) {
    if (!cluster.has_wait()) continue;
    expect_spread(cluster.wait(), cluster.count());
    for (const auto& bucket : cluster.wait().histogram()) {
      EXPECT_GE(bucket.at_least_seconds(), 60) << cluster.wait().DebugString();
      EXPECT_EQ(std::fmod(bucket.at_least_seconds(), 60), 0) << cluster.wait().DebugString();
    }
    if (widest == nullptr || cluster.wait().histogram_size() > widest->wait().histogram_size()) {
      widest = &cluster;
    }
  }
  ASSERT_NE(widest, nullptr);
  EXPECT_GE(widest->wait().histogram_size(), 4) << widest->wait().DebugString();
}

TEST(WaitHistogram, StepsFromMillisecondsToWeeks) {
  const std::vector<double> sub_second = {0.02, 0.05, 0.3, 0.8, 4, 12};
  report::WaitStats fast;
  fill_wait_histogram(sub_second, fast);
  ASSERT_EQ(fast.histogram_size(), 4) << fast.DebugString();
  EXPECT_EQ(fast.histogram(0).at_least_seconds(), 0.01);
  EXPECT_EQ(waits_in(fast, 0.01), 2);
  EXPECT_EQ(waits_in(fast, 0.1), 2);
  EXPECT_EQ(waits_in(fast, 1), 1);
  EXPECT_EQ(waits_in(fast, 10), 1);
  EXPECT_EQ(fast.histogram(3).below_seconds(), 60);

  // Empty buckets between two waits stay: the gap is part of the picture.
  const std::vector<double> minutes = {120, 360, 420, 4000};
  report::WaitStats slow;
  fill_wait_histogram(minutes, slow);
  ASSERT_EQ(slow.histogram_size(), 4) << slow.DebugString();
  EXPECT_EQ(waits_in(slow, 60), 1);
  EXPECT_EQ(waits_in(slow, 300), 2);
  EXPECT_EQ(waits_in(slow, 900), 0);
  EXPECT_EQ(waits_in(slow, 3600), 1);

  const std::vector<double> weeks = {0, 8 * 86400.0};
  report::WaitStats all;
  fill_wait_histogram(weeks, all);
  EXPECT_EQ(all.histogram(0).at_least_seconds(), 0);
  EXPECT_EQ(all.histogram(all.histogram_size() - 1).at_least_seconds(), 7 * 86400);
  EXPECT_EQ(all.histogram(all.histogram_size() - 1).below_seconds(), 0) << "past the last step";
}

// A traced-like profile (as leakscan's tracer writes one): waits of milliseconds to seconds,
// lower bounds because the runtime dates a wait from the first GC that found it blocked.
std::string traced_profile(const std::vector<std::chrono::nanoseconds>& waits) {
  Snapshot snapshot;
  snapshot.format = SourceFormat::kPprofProto;
  snapshot.captured_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  FrameId park = snapshot.frames().intern(Frame{"runtime.gopark", "runtime/proc.go", 400});
  FrameId blocked = snapshot.frames().intern(Frame{"main.fetch", "/app/fetch.go", 31});
  std::vector<FrameId> frames = {park, blocked};
  uint64_t id = 40;
  for (auto wait : waits) {
    GreenThread thread;
    thread.id = id++;
    set_status(thread, snapshot.intern("chan receive"));
    thread.stack = snapshot.intern_stack(frames);
    thread.created_by = snapshot.frames().intern(Frame{"main.serve", "/app/main.go", 12});
    thread.wait = wait;
    thread.wait_precision = WaitPrecision::kLowerBound;
    snapshot.threads.push_back(std::move(thread));
  }
  std::string path = testing::temp_dir() + "/traced-waits.pb.gz";
  auto written = write_pprof_file(std::span<const Snapshot>(&snapshot, 1), path);
  EXPECT_TRUE(written.has_value()) << written.error().message;
  return path;
}

TEST(WaitHistogram, TracedSubSecondWaitsSpreadAndSayWhy) {
  using namespace std::chrono_literals;
  Findings findings = findings_of(traced_profile({40ms, 70ms, 250ms, 600ms, 2s, 3500ms, 14s}));
  const report::Cluster* fetch = nullptr;
  for (const auto& cluster : findings.report().clusters()) {
    if (cluster.blocked_at().function() == "main.fetch") fetch = &cluster;
  }
  ASSERT_NE(fetch, nullptr);
  ASSERT_TRUE(fetch->has_wait());
  const auto& wait = fetch->wait();
  expect_spread(wait, fetch->count());
  EXPECT_EQ(wait.histogram_size(), 4) << wait.DebugString();
  EXPECT_EQ(wait.histogram(0).at_least_seconds(), 0.01);
  EXPECT_TRUE(wait.lower_bound());
  EXPECT_TRUE(says(wait.lower_bound_why(), "garbage collection")) << wait.lower_bound_why();
  EXPECT_FALSE(says(wait.lower_bound_why(), "minutes")) << wait.lower_bound_why();
}

// A dump converted to a profile keeps Go's whole minutes, and says so still.
TEST(WaitHistogram, ConvertedDumpStillSaysWholeMinutes) {
  auto snapshots = read_snapshots(testing::data_path("corpus/cdk-erigon-debug2-go1.21.txt"));
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  std::string path = testing::temp_dir() + "/converted.pb.gz";
  ASSERT_TRUE(write_pprof_file(*snapshots, path).has_value());
  Findings findings = findings_of(path);
  int with_waits = 0;
  for (const auto& cluster : findings.report().clusters()) {
    if (!cluster.wait().lower_bound()) continue;
    ++with_waits;
    EXPECT_TRUE(says(cluster.wait().lower_bound_why(), "whole minutes"))
        << cluster.wait().lower_bound_why();
  }
  EXPECT_GT(with_waits, 0);
}

TEST(JsonReport, CreationStackFromTracebackAncestors) {
  Findings findings = findings_of(testing::data_path("corpus/gostackparse-ancestors.txt"));
  bool found = false;
  for (const auto& cluster : findings.report().clusters()) {
    if (cluster.creation_stack_size() == 0) continue;
    found = true;
    EXPECT_EQ(cluster.creation_stack(0).function(), "main.d1");
    // Go 1.18 names no creator goroutine and no time: nothing is made up.
    EXPECT_FALSE(cluster.has_oldest()) << cluster.oldest().DebugString();
  }
  EXPECT_TRUE(found);
}

// The text report prints the creation stack under the cluster, bounded like the stack; SARIF
// carries it as a code flow from the outermost caller to the go statement.
TEST(CreationStack, TextAndSarifShowIt) {
  Findings findings = findings_of(testing::data_path("corpus/gostackparse-ancestors.txt"));
  const report::Cluster* with_stack = nullptr;
  for (const auto& cluster : findings.report().clusters()) {
    if (cluster.creation_stack_size() > 3) with_stack = &cluster;
  }
  ASSERT_NE(with_stack, nullptr);
  char* buffer = nullptr;
  size_t size = 0;
  {
    std::unique_ptr<std::FILE, decltype(&std::fclose)> out(open_memstream(&buffer, &size),
                                                           &std::fclose);
    ASSERT_NE(out, nullptr);
    write_text_cluster(*with_stack, TextOptions{.verbose = true, .max_frames = 3}, out.get());
  }
  std::unique_ptr<char, decltype(&std::free)> written(buffer, &std::free);
  std::string text(written.get(), size);
  size_t at = text.find("creation stack:\n");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NE(text.find("main.d1 (test-fixtures/ancestors.go:", at), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("... {} more", with_stack->creation_stack_size() - 3), at),
            std::string::npos)
      << text;

  report::Report only;
  *only.add_clusters() = *with_stack;
  only.mutable_clusters(0)->set_verdict(report::LEAK);
  auto sarif = sarif_report(only);
  ASSERT_TRUE(sarif.has_value());
  google::protobuf::Struct log;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*sarif, &log).ok());
  const auto& result =
      log.fields().at("runs").list_value().values(0).struct_value().fields().at("results");
  const auto& flows = result.list_value().values(0).struct_value().fields().at("codeFlows");
  const auto& steps = flows.list_value()
                          .values(0)
                          .struct_value()
                          .fields()
                          .at("threadFlows")
                          .list_value()
                          .values(0)
                          .struct_value()
                          .fields()
                          .at("locations")
                          .list_value();
  ASSERT_EQ(steps.values_size(), with_stack->creation_stack_size());
  auto function = [&](int step) {
    return steps.values(step)
        .struct_value()
        .fields()
        .at("location")
        .struct_value()
        .fields()
        .at("message")
        .struct_value()
        .fields()
        .at("text")
        .string_value();
  };
  // Outermost first: the go statement comes last.
  EXPECT_EQ(function(steps.values_size() - 1), with_stack->creation_stack(0).function());
  EXPECT_EQ(function(0),
            with_stack->creation_stack(with_stack->creation_stack_size() - 1).function());
}

}  // namespace
}  // namespace leakscan
