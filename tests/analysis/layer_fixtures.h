// What the per-layer analysis tests share: small debug=2 dumps written inline in Go's own
// format (the shapes of tests/data/corpus and of Go 1.19's /debug/pprof/goroutine?debug=2), and
// the layers run by hand, each on what the one before left.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/business_anchors.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/dead_but_unfreed.h"
#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/analysis/pattern_clustering.h"
#include "analyzer/analysis/rules.h"
#include "analyzer/analysis/system_frame_filter.h"
#include "analyzer/model/text_format.h"
#include "analyzer/readers/read_snapshots.h"
#include "proto/profile.pb.h"
#include "tests/support/test_support.h"

namespace leakscan {

using namespace std::chrono_literals;

// Dumps below indent file lines with four spaces for readability; Go writes a tab.
inline std::string go_dump(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.starts_with("    ")) {
      out += '\t';
      line.remove_prefix(4);
    }
    out += line;
    out += '\n';
    start = end + 1;
  }
  return out;
}

inline Snapshot parse(std::string_view text, const std::string& name = "inline.txt") {
  auto snapshots = read_snapshots_from_memory(go_dump(text), name);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots || snapshots->empty()) return Snapshot{};
  EXPECT_EQ(snapshots->size(), 1u) << name;
  return std::move(snapshots->front());
}

// Layers 1 to 5 run by hand, each on what the one before left; `capture_seconds` for layer 5.
struct Layers {
  AnalysisInput input;
  std::vector<Cluster> clusters;
};

inline Layers run_layers_by_hand(std::span<const Snapshot> snapshots, int through,
                                 std::vector<std::optional<double>> capture_seconds = {},
                                 const Rules& rules = default_rules(),
                                 const CodeOwners* owners = nullptr) {
  Layers out;
  out.input = make_analysis_input(snapshots);
  SystemFrameFilter(rules).run(out.input);
  if (through >= 2) DeadButUnfreed().run(out.input);
  if (through >= 3) out.clusters = PatternClustering().run(out.input);
  if (through >= 4) BusinessAnchors(rules, owners).run(out.input, out.clusters);
  if (through >= 5) {
    capture_seconds.resize(snapshots.size());
    LifetimeThresholds judge(rules, capture_seconds, std::nullopt);
    judge.run(out.input, out.clusters);
    for (auto& cluster : out.clusters) judge.explain(out.input, cluster);
  }
  return out;
}

inline const GoroutineRecord& record_of(const AnalysisInput& input, uint64_t id) {
  for (const auto& record : input.records) {
    if (record.thread != nullptr && record.thread->id == id) return record;
  }
  ADD_FAILURE() << "no goroutine " << id;
  static const GoroutineRecord none;
  return none;
}

inline std::string_view function_at(const AnalysisInput& input, const GoroutineRecord& record,
                                    FrameId id) {
  if (id == kNoFrame) return "(none)";
  return input.snapshots[record.snapshot].frame(id).function;
}

inline const Cluster* cluster_at(const std::vector<Cluster>& clusters, std::string_view blocked_at,
                                 std::string_view created_by = "*") {
  for (const auto& cluster : clusters) {
    if (cluster.blocked_at().function == blocked_at &&
        (created_by == "*" || cluster.created_by().function == created_by)) {
      return &cluster;
    }
  }
  return nullptr;
}

// The creation site is an anchor by construction (reports add it from created_by).
inline bool has_anchor(const Cluster& cluster, AnchorKind kind, std::string_view name) {
  if (kind == AnchorKind::kCreatedBy) return format_site(cluster.created_by()) == name;
  return std::any_of(cluster.anchors().begin(), cluster.anchors().end(), [&](const auto& anchor) {
    return anchor.kind == kind && anchor.name == name;
  });
}

// Go 1.19's debug=2 (runtime frames hidden; "semacquire" for every sema wait) and a SIGQUIT
// style goroutine with runtime frames shown.
inline constexpr std::string_view kLayerOneDump = R"(goroutine 12 [running]:
runtime/pprof.writeGoroutineStacks({0x7648c0, 0xc00014c540})
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:692 +0x70
runtime/pprof.writeGoroutine({0x7648c0?, 0xc00014c540?}, 0xc0000991e0?)
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:681 +0x2b
runtime/pprof.(*Profile).WriteTo(0x6c4480?, {0x7648c0?, 0xc00014c540?}, 0xc?)
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:330 +0x14b
net/http/pprof.handler.ServeHTTP({0xc0000ba221, 0x9}, {0x766820, 0xc00014c540}, 0x2e302e302e373231?)
    /usr/lib/go-1.19/src/net/http/pprof/pprof.go:253 +0x4a5
net/http/pprof.Index({0x766820?, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/pprof/pprof.go:371 +0x13e
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 1 [IO wait]:
internal/poll.runtime_pollWait(0x7fb43af5f918, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc0000fed00?, 0x6?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Accept(0xc0000fed00)
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:614 +0x234
net.(*netFD).accept(0xc0000fed00)
    /usr/lib/go-1.19/src/net/fd_unix.go:172 +0x35
net.(*TCPListener).accept(0xc000096108)
    /usr/lib/go-1.19/src/net/tcpsock_posix.go:142 +0x28
net.(*TCPListener).Accept(0xc000096108)
    /usr/lib/go-1.19/src/net/tcpsock.go:288 +0x3d
net/http.(*Server).Serve(0xc000142000, {0x766670, 0xc000096108})
    /usr/lib/go-1.19/src/net/http/server.go:3070 +0x385
main.main()
    /app/main.go:325 +0x857

goroutine 39 [semacquire]:
sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/sema.go:77 +0x25
sync.(*Mutex).lockSlow(0xc00008d1f0)
    /usr/lib/go-1.19/src/sync/mutex.go:171 +0x165
sync.(*Mutex).Lock(...)
    /usr/lib/go-1.19/src/sync/mutex.go:90
main.(*OrderService).syncInventory(0x0?, 0xc00008d1f0?)
    /app/main.go:202 +0x57
created by main.(*OrderService).handleLock
    /app/main.go:198 +0x14d

goroutine 36 [semacquire]:
sync.runtime_Semacquire(0x0?)
    /usr/lib/go-1.19/src/runtime/sema.go:62 +0x25
sync.(*WaitGroup).Wait(0x0?)
    /usr/lib/go-1.19/src/sync/waitgroup.go:139 +0x52
main.(*OrderService).handleBatch.func2()
    /app/main.go:168 +0x26
created by main.(*OrderService).handleBatch
    /app/main.go:167 +0x1fc

goroutine 48 [chan receive (nil chan)]:
main.(*OrderService).watchSubscription(0xc0000805f0, 0x0?)
    /app/main.go:268 +0x4e
created by main.(*OrderService).handleNilChan
    /app/main.go:263 +0xed

goroutine 50 [chan receive (nil chan)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6
runtime.chanrecv(0x0, 0x0, 0x1)
    /usr/lib/go-1.19/src/runtime/chan.go:469 +0x4e
runtime.chanrecv2(0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/chan.go:447 +0x18
main.(*OrderService).watchSubscription(0xc0000805f0, 0x0?)
    /app/main.go:268 +0x4e
created by main.(*OrderService).handleNilChan
    /app/main.go:263 +0xed

goroutine 51 [chan send]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6
runtime.chansend(0xc0000a2060, 0xc0000b5f58, 0x1, 0x1)
    /usr/lib/go-1.19/src/runtime/chan.go:259 +0x42e
runtime.chansend1(0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/chan.go:145 +0x1d
main.(*OrderService).fetchOrder.func1()
    /app/main.go:124 +0x85
created by main.(*OrderService).fetchOrder
    /app/main.go:122 +0xf1

goroutine 49 [IO wait]:
internal/poll.runtime_pollWait(0x7fb43af5f828, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc000078100?, 0xc000070551?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(0xc000078100, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:167 +0x25a
net.(*netFD).Read(0xc000078100, {0xc000070551?, 0xc0000a4f18?, 0xc00011cf68?})
    /usr/lib/go-1.19/src/net/fd_posix.go:55 +0x29
net.(*conn).Read(0xc000012038, {0xc000070551?, 0xc000080870?, 0x0?})
    /usr/lib/go-1.19/src/net/net.go:183 +0x45
net/http.(*connReader).Read(0xc000070540, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/net/http/server.go:786 +0x171
bufio.(*Reader).fill(0xc00008e2a0)
    /usr/lib/go-1.19/src/bufio/bufio.go:106 +0xff
bufio.(*Reader).Peek(0xc00008e2a0, 0x4)
    /usr/lib/go-1.19/src/bufio/bufio.go:144 +0x5d
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1915 +0x112d
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 60 [select]:
main.(*OrderService).slowQuery(0xc0000805f0, {0x766c38, 0xc00007a1c0})
    /app/report.go:90 +0x7b
main.(*OrderService).handleReport(0xc0000805f0, {0x766820, 0xc00014c540}, 0xc000074800)
    /app/report.go:80 +0x45
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 61 [chan receive]:
main.(*OrderService).handleOrders(0xc0000805f0, {0x766820, 0xc00014c540}, 0xc000074800)
    /app/orders.go:100 +0x45
main.instrumented.func1.1({0x766c38, 0xc00007a1c0})
    /app/middleware.go:12 +0x6e
runtime/pprof.Do({0x766ce0, 0xc00008f470}, {{0xc0000a4e80, 0x2, 0x2}}, 0xc000085ab0)
    /usr/lib/go-1.19/src/runtime/pprof/runtime.go:40 +0xa3
main.instrumented.func1({0x766820, 0xc00014c540}, 0xc000074800)
    /app/middleware.go:11 +0x12c
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 28 [syscall]:
os/signal.signal_recv()
    /usr/lib/go-1.19/src/runtime/sigqueue.go:152 +0x2f
os/signal.loop()
    /usr/lib/go-1.19/src/os/signal/signal_unix.go:23 +0x19
created by os/signal.Notify.func1.1
    /usr/lib/go-1.19/src/os/signal/signal.go:151 +0x2a
)";

class SystemFrameFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshots_.push_back(parse(kLayerOneDump, "layer1.txt"));
    ASSERT_EQ(snapshots_[0].threads.size(), 11u);
    input_ = make_analysis_input(snapshots_);
    SystemFrameFilter(default_rules()).run(input_);
  }
  const GoroutineRecord& goroutine(uint64_t id) { return record_of(input_, id); }
  std::string_view blocked_at(uint64_t id) {
    return function_at(input_, goroutine(id), goroutine(id).blocked_at);
  }

  std::vector<Snapshot> snapshots_;
  AnalysisInput input_;
};

// `count` goroutines from `first_id` on, each with `body` (frames and creator) under `status`.
inline std::string goroutines(int count, uint64_t first_id, std::string_view status,
                              std::string_view body) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out +=
        fmt::format("goroutine {} [{}]:\n{}\n", first_id + static_cast<uint64_t>(i), status, body);
  }
  return out;
}

// A consumer blocked at the same place, reached through different callers and recursion depths.
inline constexpr std::string_view kConsumeShallow = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).stage(0xc000010000, 0x1)
    /app/pipeline.go:30 +0x25
main.(*Pipeline).run(0xc000010000)
    /app/pipeline.go:20 +0x1d
created by main.(*Pipeline).Start
    /app/pipeline.go:10 +0x6a)";
inline constexpr std::string_view kConsumeDeep = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).stage(0xc000010000, 0x3)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).stage(0xc000010000, 0x2)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).stage(0xc000010000, 0x1)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).runNested(0xc000010000)
    /app/pipeline.go:25 +0x1d
created by main.(*Pipeline).Start
    /app/pipeline.go:10 +0x6a)";
inline constexpr std::string_view kConsumeOtherCreator = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).run(0xc000010000)
    /app/pipeline.go:20 +0x1d
created by main.(*Pipeline).Restart
    /app/pipeline.go:14 +0x6a)";

inline uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// A debug=0 profile: `count` goroutines in main.(*OrderService).consume, labelled by pprof.Do.
inline std::string labelled_profile() {
  perftools::profiles::Profile profile;
  for (const char* text :
       {"", "goroutine", "count", "runtime.gopark", "runtime.chanrecv1",
        "main.(*OrderService).consume", "runtime/proc.go", "runtime/chan.go", "/app/orders.go",
        "http.route", "/api/orders", "/api/audit", "tenant", "acme"}) {
    profile.add_string_table(text);
  }
  auto* type = profile.add_sample_type();
  type->set_type(1);
  type->set_unit(2);
  const int64_t names[] = {3, 4, 5};
  const int64_t files[] = {6, 7, 8};
  for (uint64_t i = 0; i < 3; ++i) {
    auto* function = profile.add_function();
    function->set_id(i + 1);
    function->set_name(names[i]);
    function->set_filename(files[i]);
    auto* location = profile.add_location();
    location->set_id(i + 1);
    auto* line = location->add_line();
    line->set_function_id(i + 1);
    line->set_line(static_cast<int64_t>(100 + i));
  }
  for (int64_t route : {10, 11}) {
    auto* sample = profile.add_sample();
    for (uint64_t id : {1, 2, 3}) sample->add_location_id(id);
    sample->add_value(route == 10 ? 3 : 2);
    auto* label = sample->add_label();
    label->set_key(9);
    label->set_str(route);
    auto* other = sample->add_label();  // not an anchor label
    other->set_key(12);
    other->set_str(13);
  }
  profile.set_time_nanos(1'700'000'000'000'000'000);
  return profile.SerializeAsString();
}

inline constexpr std::string_view kOrdersLeak = R"(main.(*OrderService).fetchOrder.func1()
    /app/orders.go:124 +0x85
created by main.(*OrderService).fetchOrder
    /app/orders.go:122 +0xf1)";
inline constexpr std::string_view kStartupWorker = R"(main.(*OrderService).reconcile(0xc0000805f0)
    /app/orders.go:300 +0x53
created by main.main
    /app/main.go:40 +0xba)";
inline constexpr std::string_view kClientReader =
    R"(internal/poll.runtime_pollWait(0x7fb43af5f828, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc000078100?, 0xc000070551?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(0xc000078100, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:167 +0x25a
net.(*netFD).Read(0xc000078100, {0xc000070551?, 0xc0000a4f18?, 0xc00011cf68?})
    /usr/lib/go-1.19/src/net/fd_posix.go:55 +0x29
net.(*conn).Read(0xc000012038, {0xc000070551?, 0xc000080870?, 0x0?})
    /usr/lib/go-1.19/src/net/net.go:183 +0x45
main.(*upstream).readLoop(0xc0000a4000)
    /app/upstream.go:55 +0x91
created by main.(*upstream).dial
    /app/upstream.go:40 +0x1c5)";
inline constexpr std::string_view kJanitor = R"(time.Sleep(0x34630b8a000)
    /usr/lib/go-1.19/src/runtime/time.go:195 +0x135
main.(*OrderService).janitor(0x0?)
    /app/orders.go:88 +0x25
created by main.(*OrderService).startJanitor
    /app/orders.go:74 +0x14a)";

inline const Cluster& verdict_of(const std::vector<Cluster>& clusters,
                                 std::string_view blocked_at) {
  const Cluster* cluster = cluster_at(clusters, blocked_at);
  EXPECT_NE(cluster, nullptr) << blocked_at;
  static const Cluster none;
  return cluster != nullptr ? *cluster : none;
}

inline std::string all_reasons(const Cluster& cluster) {
  std::string out;
  for (const auto& reason : cluster.reasons()) out += reason + "\n";
  return out;
}

// Three snapshots a minute apart with `counts` orders leaks (the same goroutines stay, new ones
// come with higher ids) and a steady pool of 4.
inline std::vector<Snapshot> three_snapshots(std::array<int, 3> counts) {
  std::vector<Snapshot> snapshots;
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  for (size_t i = 0; i < 3; ++i) {
    snapshots.push_back(parse(goroutines(4, 10, "chan receive", kStartupWorker) +
                                  goroutines(counts[i], 1000, "chan send", kOrdersLeak),
                              fmt::format("snapshot{}.txt", i)));
    snapshots.back().captured_at = start + std::chrono::minutes(i);
  }
  return snapshots;
}

inline std::vector<std::optional<double>> capture_seconds(const std::vector<Snapshot>& snapshots) {
  std::vector<std::optional<double>> out;
  for (const auto& snapshot : snapshots) {
    out.push_back(std::chrono::duration<double>(snapshot.captured_at->time_since_epoch()).count());
  }
  return out;
}

}  // namespace leakscan
