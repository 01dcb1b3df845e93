// What the JSON report adds for a reader to look at (the HTML report draws them): how a
// cluster's waits spread, its goroutines' ages read from their ids, and the creating goroutine's
// stack where the dump has it.
#include <algorithm>

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

TEST(JsonReport, WaitHistogramHoldsEveryWait) {
  Findings findings = findings_of(testing::data_path("corpus/cdk-erigon-debug2-go1.21.txt"));
  int with_waits = 0;
  for (const auto& cluster : findings.report().clusters()) {
    if (!cluster.has_wait()) continue;
    ++with_waits;
    const auto& histogram = cluster.wait().histogram();
    ASSERT_GT(histogram.size(), 0);
    EXPECT_EQ(histogram[0].at_least_seconds(), 0);
    int64_t waits = 0;
    for (int i = 0; i < histogram.size(); ++i) {
      waits += histogram[i].count();
      if (i > 0) EXPECT_GT(histogram[i].at_least_seconds(), histogram[i - 1].at_least_seconds());
    }
    EXPECT_GT(histogram[histogram.size() - 1].count(), 0) << "trailing empty bucket";
    EXPECT_LE(histogram[histogram.size() - 1].at_least_seconds(), cluster.wait().max_seconds());
    EXPECT_GT(waits, 0);
    EXPECT_LE(waits, cluster.count());
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
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace leakscan
