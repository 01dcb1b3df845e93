// What the JSON report adds for a reader to look at (the HTML report draws them): how a
// cluster's waits spread, its goroutines' ages read from their ids, and the creating goroutine's
// stack where the dump has it.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "analyzer/report/reporters.h"
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
