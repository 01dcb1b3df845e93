// Layer 1, SystemFrameFilter.
#include "tests/analysis/layer_fixtures.h"

namespace leakscan {
namespace {

TEST_F(SystemFrameFilterTest, MutexUnderSemacquireIsMutexLock) {
  // Go before 1.20 says "semacquire" for every semaphore; the frames say which.
  EXPECT_EQ(goroutine(39).thread->status, "semacquire");
  EXPECT_EQ(goroutine(39).blocking_operation, "sync.Mutex.Lock");
  EXPECT_EQ(goroutine(39).disposition, Disposition::kKept);
}

TEST_F(SystemFrameFilterTest, WaitGroupUnderSemacquireIsWaitGroupWait) {
  // The outermost blocking frame wins: (*WaitGroup).Wait, not the runtime_Semacquire it calls.
  EXPECT_EQ(goroutine(36).blocking_operation, "sync.WaitGroup.Wait");
}

TEST_F(SystemFrameFilterTest, StatusThatRefinesTheOperationIsKept) {
  // No runtime frames (debug=2): the status is all there is.
  EXPECT_EQ(goroutine(48).blocking_operation, "chan receive (nil chan)");
  // Runtime frames say "chan receive"; the status says more.
  EXPECT_EQ(goroutine(50).blocking_operation, "chan receive (nil chan)");
  EXPECT_EQ(goroutine(51).blocking_operation, "chan send");
  EXPECT_EQ(goroutine(60).blocking_operation, "select");
}

TEST_F(SystemFrameFilterTest, BlockedAtIsTheFirstFrameOfTheProgramsOwnCode) {
  EXPECT_EQ(blocked_at(39), "main.(*OrderService).syncInventory");
  EXPECT_EQ(goroutine(39).blocked_depth, 3u);
  EXPECT_EQ(blocked_at(36), "main.(*OrderService).handleBatch.func2");
  EXPECT_EQ(goroutine(36).blocked_depth, 2u);
  EXPECT_EQ(blocked_at(50), "main.(*OrderService).watchSubscription");
  EXPECT_EQ(goroutine(50).blocked_depth, 3u);
  EXPECT_EQ(blocked_at(48), "main.(*OrderService).watchSubscription");
  EXPECT_EQ(goroutine(48).blocked_depth, 0u);
  EXPECT_EQ(blocked_at(60), "main.(*OrderService).slowQuery");
  EXPECT_EQ(function_at(input_, goroutine(60), goroutine(60).created_by()),
            "net/http.(*Server).Serve");
}

TEST_F(SystemFrameFilterTest, IdleKeepAliveConnectionIsSetAside) {
  EXPECT_EQ(goroutine(49).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(49).why, "idle HTTP keep-alive connection");
  EXPECT_EQ(goroutine(49).blocking_operation, "IO wait");
}

TEST_F(SystemFrameFilterTest, ProfileCaptureIsSetAside) {
  EXPECT_EQ(goroutine(12).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(12).why, "the profile capture itself");
}

TEST_F(SystemFrameFilterTest, UserFrameUnderServerServeIsSetAside) {
  // main.main is the program's own frame, but the goroutine is the server's accept loop.
  EXPECT_EQ(goroutine(1).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(1).why, "HTTP server accept loop");
  EXPECT_EQ(blocked_at(1), "main.main");
}

TEST_F(SystemFrameFilterTest, RuntimeGoroutineIsSetAside) {
  EXPECT_EQ(goroutine(28).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(28).why, "os/signal delivery loop");
}

TEST_F(SystemFrameFilterTest, HandlersStayInTheAnalysis) {
  EXPECT_EQ(goroutine(60).disposition, Disposition::kKept);
  for (uint64_t id : {39, 36, 48, 50, 51}) {
    EXPECT_EQ(goroutine(id).disposition, Disposition::kKept) << "goroutine " << id;
  }
}

TEST_F(SystemFrameFilterTest, HandlerBlockedUnderPprofDoStaysInTheAnalysis) {
  // Tracing middleware runs handlers under pprof.Do to label them (leakyservice does); a
  // handler blocked there is the program's own wait, not the profile capture.
  EXPECT_EQ(goroutine(61).disposition, Disposition::kKept) << goroutine(61).why;
  EXPECT_EQ(blocked_at(61), "main.(*OrderService).handleOrders");
  EXPECT_EQ(goroutine(61).blocking_operation, "chan receive");
}

TEST(SystemFrameFilter, RulesFromAConfigApply) {
  auto rules = parse_rules(
      "[[blocking]]\nfunctions = [\"github.com/acme/queue.(*Q).Pop\"]\noperation = \"queue pop\"\n"
      "[[system]]\nany_function = \"github.com/acme/metrics.*\"\nwhy = \"metrics flusher\"\n",
      "leakscan.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(R"(goroutine 5 [chan receive]:
github.com/acme/queue.(*Q).Pop(0xc000010000)
    /src/acme/queue/q.go:40 +0x4e
main.consume()
    /app/main.go:12 +0x25
created by main.main
    /app/main.go:8 +0x1d

goroutine 6 [sleep]:
time.Sleep(0x3b9aca00)
    /usr/lib/go-1.19/src/runtime/time.go:195 +0x135
github.com/acme/metrics.(*Flusher).loop(0xc000012000)
    /src/acme/metrics/flush.go:22 +0x31
created by github.com/acme/metrics.Start
    /src/acme/metrics/flush.go:10 +0x6a
)"));
  AnalysisInput input = make_analysis_input(snapshots);
  SystemFrameFilter(*rules).run(input);
  // A user frame named by a rule is still the first user frame; the blocking rule looks at
  // frames above the program's own only, so "chan receive" stands.
  EXPECT_EQ(record_of(input, 5).blocking_operation, "chan receive");
  EXPECT_EQ(record_of(input, 6).disposition, Disposition::kSystem);
  EXPECT_EQ(record_of(input, 6).why, "metrics flusher");
}

}  // namespace
}  // namespace leakscan
