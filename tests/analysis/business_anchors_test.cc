// Layer 4, BusinessAnchors.
#include "analyzer/analysis/grpc_method_name.h"
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST(BusinessAnchors, LabelsFromAProfileNameTheRoute) {
  auto read = read_snapshots_from_memory(labelled_profile(), "labels.pb");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  ASSERT_EQ(read->front().samples.size(), 2u);
  Layers layers = run_layers_by_hand(*read, 5);
  ASSERT_EQ(layers.clusters.size(), 1u);
  const Cluster& cluster = layers.clusters[0];
  EXPECT_EQ(cluster.last_count(), 5);
  EXPECT_EQ(cluster.blocking_operation(), "chan receive");
  EXPECT_EQ(cluster.blocked_at().function, "main.(*OrderService).consume");
  EXPECT_TRUE(has_anchor(cluster, AnchorKind::kLabel, "http.route=/api/orders"));
  EXPECT_TRUE(has_anchor(cluster, AnchorKind::kLabel, "http.route=/api/audit"));
  EXPECT_FALSE(has_anchor(cluster, AnchorKind::kLabel, "tenant=acme"));
  EXPECT_EQ(cluster.anchor_kind, AnchorKind::kHttpHandler);
  EXPECT_EQ(cluster.threshold_seconds(), 30);
}

// The generated handler names the method; the Go package's path, laid out as buf and protoc
// do, names the proto package.
TEST(BusinessAnchors, GeneratedGrpcHandlersGiveTheFullMethodName) {
  EXPECT_EQ(grpc_full_method("acme.dev/gen/orders/v1._OrderService_Refund_Handler"),
            "/orders.v1.OrderService/Refund");
  EXPECT_EQ(grpc_full_method("acme.dev/api/payments/v2beta1._Ledger_Post_Handler"),
            "/payments.v2beta1.Ledger/Post");
  EXPECT_EQ(grpc_full_method("google.golang.org/grpc/examples/helloworld/helloworld."
                             "_Greeter_SayHello_Handler"),
            "/helloworld.Greeter/SayHello");
  EXPECT_EQ(grpc_full_method("acme.dev/pb._Order_Service_Get_Handler"), "/pb.Order_Service/Get");
  EXPECT_EQ(grpc_full_method("acme.dev/gen/orders/v1._OrderService_Refund_Handler.func1"),
            std::nullopt);
  EXPECT_EQ(grpc_full_method("main.(*orderServer).Refund"), std::nullopt);
  EXPECT_EQ(grpc_full_method("acme.dev/pb._Handler"), std::nullopt);
  EXPECT_EQ(grpc_full_method("acme.dev/pb.__Get_Handler"), std::nullopt);
}

TEST(BusinessAnchors, EntryUnderConnServeIsAnHttpHandlerWithItsThreshold) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  Layers layers = run_layers_by_hand(snapshots, 5);
  const Cluster* report = cluster_at(layers.clusters, "main.(*OrderService).slowQuery");
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(has_anchor(*report, AnchorKind::kHttpHandler, "main.(*OrderService).handleReport"));
  EXPECT_EQ(report->anchor_kind, AnchorKind::kHttpHandler);
  EXPECT_EQ(report->threshold_seconds(), 30);
  EXPECT_TRUE(
      has_anchor(*report, AnchorKind::kCreatedBy,
                 "net/http.(*Server).Serve at /usr/lib/go-1.19/src/net/http/server.go:3102"));

  // Spawned goroutines are not under the server's frame: the default kind and threshold.
  const Cluster* spawned = cluster_at(layers.clusters, "main.(*OrderService).syncInventory");
  ASSERT_NE(spawned, nullptr);
  EXPECT_EQ(spawned->anchor_kind, AnchorKind::kDefault);
  EXPECT_EQ(spawned->threshold_seconds(), 300);
  EXPECT_TRUE(has_anchor(*spawned, AnchorKind::kCreatedBy,
                         "main.(*OrderService).handleLock at /app/main.go:198"));
}

TEST(BusinessAnchors, CodeOwnersOfTheCreationSite) {
  CodeOwners owners = CodeOwners::parse(
      "* @platform\n"
      "/app/ @team-orders\n"
      "/app/report.go @team-reports\n");
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  Layers layers = run_layers_by_hand(snapshots, 4, {}, default_rules(), &owners);
  const Cluster* lock = cluster_at(layers.clusters, "main.(*OrderService).syncInventory");
  ASSERT_NE(lock, nullptr);
  EXPECT_TRUE(has_anchor(*lock, AnchorKind::kOwner, "@team-orders"));
  EXPECT_FALSE(has_anchor(*lock, AnchorKind::kOwner, "@platform"));
  // Created by the standard library's server: its file names the owners (the last match wins:
  // everything else is @platform's).
  const Cluster* report = cluster_at(layers.clusters, "main.(*OrderService).slowQuery");
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(has_anchor(*report, AnchorKind::kOwner, "@platform"));
}

}  // namespace
}  // namespace leakscan
