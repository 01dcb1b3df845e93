// The incident operators meet most with gRPC: a real grpc-go server (tests/go/grpcservice, from
// the module proxy, with generated-style handlers and interceptors) whose Refund handlers queue
// on a lock that is never released while their clients give up. Two snapshots a minute apart
// must call them a leak anchored to the RPC's full method name, and so must `leakscan trace`
// attached after the incident began; the server streams kept open by design must not be.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/engine/find_leaks.h"
#include "proto/leakscan_report.pb.h"
#include "tests/support/test_support.h"
#include "tests/support/traced_go_program.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using testing::Target;
using testing::Trace;

constexpr int kStuckHandlers = 20;
constexpr std::string_view kRefund = "/orders.v1.OrderService/Refund";
constexpr std::string_view kWatch = "/orders.v1.OrderService/Watch";

const report::Cluster* cluster_in(const report::Report& report, std::string_view function) {
  for (const auto& cluster : report.clusters()) {
    if (cluster.blocked_at().function() == function) return &cluster;
  }
  return nullptr;
}

bool anchored(const report::Cluster& cluster, std::string_view kind, std::string_view name) {
  return std::any_of(cluster.anchors().begin(), cluster.anchors().end(),
                     [&](const auto& a) { return a.kind() == kind && a.name() == name; });
}

std::string reasons_of(const report::Cluster& cluster) {
  std::string text;
  for (const auto& reason : cluster.reasons()) text += reason + "\n";
  return text;
}

// The stuck Refund handlers: a leak, anchored to the method, said to be stuck; the Watch
// streams: not a leak, anchored as a stream.
void expect_stuck_refunds(const report::Report& report, std::string_view where) {
  SCOPED_TRACE(where);
  const auto* refunds = cluster_in(report, "main.(*orderServer).Refund");
  ASSERT_NE(refunds, nullptr);
  EXPECT_EQ(refunds->verdict(), report::LEAK) << reasons_of(*refunds);
  EXPECT_EQ(refunds->count(), kStuckHandlers);
  EXPECT_TRUE(anchored(*refunds, "grpc_method", kRefund)) << refunds->DebugString();
  EXPECT_NE(reasons_of(*refunds).find("stuck: the same 20 goroutines"), std::string::npos)
      << reasons_of(*refunds);
  const auto* watches = cluster_in(report, "main.(*orderServer).Watch");
  ASSERT_NE(watches, nullptr);
  EXPECT_EQ(watches->verdict(), report::EXPECTED) << reasons_of(*watches);
  EXPECT_TRUE(anchored(*watches, "grpc_stream", kWatch)) << watches->DebugString();
}

report::Report analyze_files(const std::vector<std::string>& files) {
  std::vector<Input> inputs;
  for (const auto& file : files) inputs.push_back(Input::from_argument(file));
  auto findings = find_leaks(std::move(inputs), FindOptions{});
  EXPECT_TRUE(findings.has_value()) << findings.error().message;
  return findings ? findings->report() : report::Report{};
}

class GrpcIncident : public ::testing::TestWithParam<std::string> {};

TEST_P(GrpcIncident, StuckHandlersAreALeakOfTheirMethodInDumpsAndInATraceStartedLater) {
  Target target(GetParam() + "/grpcservice", {"-stuck", std::to_string(kStuckHandlers)});
  ASSERT_FALSE(target.base.empty());
  const std::string dir = testing::temp_dir();
  auto dump = [&](const std::string& name) {
    auto body = testing::http_get(target.base + "/debug/pprof/goroutine?debug=2", 30s);
    EXPECT_TRUE(body.has_value());
    std::string path = dir + "/" + name;
    testing::write_file(path, body.value_or(""));
    return path;
  };
  const std::string first = dump("first.txt");
  // The tracer attaches after the handlers got stuck; four snapshots 20 s apart span a minute.
  Trace trace(target.pid(), {"--every", "20s"});
  ASSERT_TRUE(trace.wait_for("snapshot 4:", 120s)) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  // Go prints a wait from its first whole minute: make sure the second dump shows one.
  std::this_thread::sleep_for(2s);
  const std::string second = dump("second.txt");

  expect_stuck_refunds(analyze_files({first, second}), "two debug=2 dumps a minute apart");
  auto snapshots = trace.snapshots();
  ASSERT_GE(snapshots.size(), 4u);
  expect_stuck_refunds(analyze_files(snapshots), "leakscan trace attached after the incident");
}

INSTANTIATE_TEST_SUITE_P(GoOfToday, GrpcIncident, ::testing::Values("go1.26", "go1.27"),
                         [](const auto& info) {
                           std::string name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '.'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace leakscan
