// Every real dump in tests/data/corpus must read, with the goroutine count that expected.tsv
// states; then facts read off individual files by eye (ids, statuses, frames), so that a reader
// that returns the right count for the wrong reasons still fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::data_path;
using testing::expect_frame;
using testing::functions;
using testing::thread_ids;

struct CorpusRow {
  std::string file;
  int64_t min = 0;
  int64_t max = 0;
};

std::vector<CorpusRow> corpus_rows() {
  std::vector<CorpusRow> rows;
  for (const auto& fields : testing::read_tsv(data_path("corpus/expected.tsv"))) {
    // A malformed row becomes a test that fails on its bounds rather than a silent skip.
    CorpusRow row{fields.empty() ? "?" : fields[0], 1, 0};
    if (fields.size() == 3) {
      row.min = std::stoll(fields[1]);
      row.max = std::stoll(fields[2]);
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<Snapshot> read_corpus(const std::string& file) {
  auto snapshots = read_snapshots(data_path("corpus/" + file));
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return {};
  return std::move(*snapshots);
}

// The single snapshot of a file that holds one dump.
Snapshot read_one(const std::string& file) {
  auto snapshots = read_corpus(file);
  EXPECT_EQ(snapshots.size(), 1u) << file;
  if (snapshots.empty()) return Snapshot{};
  return std::move(snapshots.front());
}

const GreenThread* find_thread(const Snapshot& snapshot, uint64_t id) {
  for (const auto& thread : snapshot.threads) {
    if (thread.id == id) return &thread;
  }
  return nullptr;
}

// Go prints "pkg.(*T).Method(0xc0, {0x1, 0x2}, ...)"; only the receiver's "(*T)" may stay.
std::string argument_list_problem(std::string_view function) {
  if (function.empty()) return "empty function name";
  if (function.back() == ')') return "ends with ')'";
  for (size_t i = 0; i < function.size(); ++i) {
    if (function[i] == '(' && (i + 1 >= function.size() || function[i + 1] != '*')) {
      return "'(' not followed by '*'";
    }
    if (function[i] == '\r' || function[i] == '\t') return "control character";
  }
  return {};
}

class CorpusTest : public ::testing::TestWithParam<CorpusRow> {};

TEST_P(CorpusTest, ReadsTheExpectedGoroutineCount) {
  const CorpusRow& row = GetParam();
  ASSERT_LE(row.min, row.max) << "malformed expected.tsv row for " << row.file;
  auto snapshots = read_corpus(row.file);
  ASSERT_FALSE(snapshots.empty());
  int64_t total = 0;
  for (const auto& snapshot : snapshots) total += snapshot.goroutine_count();
  EXPECT_GE(total, row.min) << row.file;
  EXPECT_LE(total, row.max) << row.file;
}

TEST_P(CorpusTest, FormatFollowsTheFile) {
  const CorpusRow& row = GetParam();
  SourceFormat expected = row.file.ends_with(".pb.gz") ? SourceFormat::kPprofProto
                          : row.file.find("debug1") != std::string::npos
                              ? SourceFormat::kGoDebug1
                              : SourceFormat::kGoTraceback;
  for (const auto& snapshot : read_corpus(row.file)) {
    EXPECT_EQ(snapshot.format, expected) << row.file;
    EXPECT_EQ(snapshot.source, data_path("corpus/" + row.file));
    // Text dumps are threads, profiles are aggregated records; never both in one snapshot.
    EXPECT_NE(snapshot.threads.empty(), snapshot.samples.empty()) << row.file;
  }
}

TEST_P(CorpusTest, FramesHaveNoArgumentListsAndAFileLine) {
  const CorpusRow& row = GetParam();
  for (const auto& snapshot : read_corpus(row.file)) {
    for (size_t id = 0; id < snapshot.frames().size(); ++id) {
      const Frame& frame = snapshot.frame(static_cast<FrameId>(id));
      EXPECT_EQ(argument_list_problem(frame.function), "")
          << row.file << ": function '" << frame.function << "'";
      EXPECT_FALSE(frame.file.empty()) << row.file << ": " << frame.function;
      EXPECT_EQ(frame.file.find_first_of("\r\t"), std::string_view::npos)
          << row.file << ": file '" << frame.file << "'";
      // " +0x1d fp=0x... sp=0x..." must not stick to the file name.
      EXPECT_EQ(frame.file.find(" +0x"), std::string_view::npos) << frame.file;
      EXPECT_EQ(frame.file.find(" fp="), std::string_view::npos) << frame.file;
      EXPECT_GT(frame.line, 0) << row.file << ": " << frame.function << " in " << frame.file;
    }
  }
}

std::string row_name(const ::testing::TestParamInfo<CorpusRow>& info) {
  std::string name = info.param.file;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTest, ::testing::ValuesIn(corpus_rows()), row_name);

TEST(CorpusTableTest, ListsEveryCorpusFile) {
  std::set<std::string> listed;
  for (const auto& row : corpus_rows()) listed.insert(row.file);
  std::set<std::string> present;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("corpus"))) {
    std::string name = entry.path().filename().string();
    if (name != "README.md" && name != "expected.tsv" && name != "culprits.tsv")
      present.insert(name);
  }
  EXPECT_EQ(listed, present);
  EXPECT_EQ(listed.size(), 25u);
}

// "created by main.main in goroutine 1" (Go 1.21+) gives the creator's id.
TEST(CorpusFactsTest, Go121CreatedByNamesTheCreatorGoroutine) {
  Snapshot snapshot = read_one("gostackparse-go121_createdby.txt");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{18, 1}));
  const GreenThread* worker = find_thread(snapshot, 18);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->creator_id, 1u);
  expect_frame(snapshot, worker->created_by, "main.main",
               "/Users/nick.ripley/repos/gostackparse/test-fixtures/go121_createdby.go", 14);
  EXPECT_EQ(functions(snapshot, worker->stack),
            (std::vector<std::string>{"main.printStack", "main.main.func1"}));
  const GreenThread* main = find_thread(snapshot, 1);
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->creator_id, 0u);
  EXPECT_EQ(main->created_by, kNoFrame);
  EXPECT_EQ(main->status, "semacquire");
  EXPECT_EQ(main->state, ThreadState::kWaiting);
  // The file has no newline after its last frame line.
  ASSERT_EQ(main->stack.size(), 3u);
  expect_frame(snapshot, main->stack[2], "main.main",
               "/Users/nick.ripley/repos/gostackparse/test-fixtures/go121_createdby.go", 18);
}

TEST(CorpusFactsTest, WaitMinutesComeFromTheHeader) {
  Snapshot snapshot = read_one("gostackparse-waitsince.txt");
  ASSERT_EQ(snapshot.threads.size(), 9u);
  int with_wait = 0;
  for (const auto& thread : snapshot.threads) {
    if (thread.wait) {
      ++with_wait;
      EXPECT_EQ(*thread.wait, std::chrono::minutes(1)) << "goroutine " << thread.id;
    }
  }
  EXPECT_EQ(with_wait, 8);  // every header but "goroutine 1 [running]:" says "1 minutes"
  const GreenThread* sleeper = find_thread(snapshot, 22);
  ASSERT_NE(sleeper, nullptr);
  EXPECT_EQ(sleeper->status, "sleep");
  EXPECT_EQ(sleeper->state, ThreadState::kSleeping);
  EXPECT_EQ(sleeper->wait_reason, "sleep");
  const GreenThread* running = find_thread(snapshot, 1);
  ASSERT_NE(running, nullptr);
  EXPECT_FALSE(running->wait.has_value());
  EXPECT_TRUE(running->wait_reason.empty());
  const GreenThread* io = find_thread(snapshot, 3);
  ASSERT_NE(io, nullptr);
  EXPECT_EQ(io->wait_reason, "IO wait");
  EXPECT_EQ(io->stack.size(), 11u);
}

TEST(CorpusFactsTest, LockedToThread) {
  Snapshot snapshot = read_one("gostackparse-lockedm.txt");
  ASSERT_EQ(snapshot.threads.size(), 1u);
  const GreenThread& thread = snapshot.threads[0];
  EXPECT_EQ(thread.id, 7u);
  EXPECT_EQ(thread.status, "running");
  EXPECT_TRUE(thread.locked_to_thread);
  ASSERT_EQ(thread.stack.size(), 5u);
  // Go <= 1.16 names the panic frame plain "panic(0x12081c0, 0x1290cd0)".
  expect_frame(snapshot, thread.stack[2], "panic",
               "/usr/local/Cellar/go/1.15.6/libexec/src/runtime/panic.go", 969);
  expect_frame(snapshot, thread.created_by, "testing.(*T).Run",
               "/usr/local/Cellar/go/1.15.6/libexec/src/testing/testing.go", 1168);

  Snapshot cgo = read_one("gostackparse-cgo.txt");
  const GreenThread* sleeper = find_thread(cgo, 7);
  ASSERT_NE(sleeper, nullptr);
  EXPECT_TRUE(sleeper->locked_to_thread);
  EXPECT_EQ(sleeper->status, "sleep");
  ASSERT_EQ(sleeper->stack.size(), 5u);
  expect_frame(cgo, sleeper->stack[2], "main._cgoexpwrap_65ad5df3a112_goSleep", "_cgo_gotypes.go",
               73);
  const GreenThread* syscall = find_thread(cgo, 6);
  ASSERT_NE(syscall, nullptr);
  EXPECT_FALSE(syscall->locked_to_thread);
  EXPECT_EQ(syscall->state, ThreadState::kSyscall);
}

TEST(CorpusFactsTest, AncestorsBelongToTheirGoroutine) {
  Snapshot snapshot = read_one("gostackparse-ancestors.txt");
  // "[originating from goroutine N]:" blocks are history, not goroutines.
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{1, 25, 29}));
  const std::string file = "/Users/eric/Downloads/gostackparse/test-fixtures/ancestors.go";

  const GreenThread* g25 = find_thread(snapshot, 25);
  ASSERT_NE(g25, nullptr);
  EXPECT_EQ(functions(snapshot, g25->stack),
            (std::vector<std::string>{"main.bar", "main.foo.func2"}));
  expect_frame(snapshot, g25->created_by, "main.d1", file, 69);
  std::vector<uint64_t> ids;
  for (const auto& ancestor : g25->ancestors) ids.push_back(ancestor.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{24, 23, 22, 21, 20, 1}));
  ASSERT_EQ(g25->ancestors.size(), 6u);
  const Ancestor& first = g25->ancestors[0];
  ASSERT_EQ(first.stack.size(), 8u);
  expect_frame(snapshot, first.stack[0], "main.d1", file, 70);
  expect_frame(snapshot, first.stack[7], "main.bar.func1", file, 61);
  expect_frame(snapshot, first.created_by, "main.d1", file, 69);
  EXPECT_EQ(g25->ancestors[1].stack.size(), 8u);
  expect_frame(snapshot, g25->ancestors[1].stack[6], "main.bar", file, 61);
  const Ancestor& twenty = g25->ancestors[4];
  EXPECT_EQ(twenty.stack.size(), 7u);
  expect_frame(snapshot, twenty.created_by, "main.main", file, 19);
  const Ancestor& root = g25->ancestors[5];
  ASSERT_EQ(root.stack.size(), 1u);
  expect_frame(snapshot, root.stack[0], "main.main", file, 20);
  EXPECT_EQ(root.created_by, kNoFrame);

  const GreenThread* g29 = find_thread(snapshot, 29);
  ASSERT_NE(g29, nullptr);
  ids.clear();
  for (const auto& ancestor : g29->ancestors) ids.push_back(ancestor.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{28, 27, 26, 1}));
  ASSERT_EQ(g29->ancestors.size(), 4u);
  expect_frame(snapshot, g29->ancestors[2].created_by, "main.main", file, 22);
  ASSERT_EQ(g29->ancestors[3].stack.size(), 1u);
  expect_frame(snapshot, g29->ancestors[3].stack[0], "main.main", file, 23);

  const GreenThread* g1 = find_thread(snapshot, 1);
  ASSERT_NE(g1, nullptr);
  EXPECT_TRUE(g1->ancestors.empty());
  EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
}

TEST(CorpusFactsTest, AdditionalFramesElided) {
  Snapshot snapshot = read_one("gostackparse-frameselided_goroutine.txt");
  const std::string file =
      "/Users/felix.geisendoerfer/go/src/github.com/DataDog/dd-trace-go/profiler/internal/"
      "stackparse/test-fixtures/frameselided_goroutine.go";
  const GreenThread* deep = find_thread(snapshot, 18);
  ASSERT_NE(deep, nullptr);
  EXPECT_TRUE(deep->frames_elided);
  ASSERT_EQ(deep->stack.size(), 100u);  // Go 1.15 prints 100 frames, then the marker
  expect_frame(snapshot, deep->stack[3], "main.stackDump", file, 24);
  expect_frame(snapshot, deep->stack[99], "main.stackDump", file, 22);
  expect_frame(snapshot, deep->created_by, "main.main", file, 16);
  const GreenThread* main = find_thread(snapshot, 1);
  ASSERT_NE(main, nullptr);
  EXPECT_FALSE(main->frames_elided);
}

TEST(CorpusFactsTest, Go123SigquitWithGpHeaders) {
  Snapshot snapshot = read_one("gokrazy-rsync-sigquit-hang-go1.23.txt");
  // The file starts with "^\SIGQUIT: quit": the terminal's echo of Ctrl-\ is not the reason.
  EXPECT_EQ(snapshot.reason, "SIGQUIT: quit");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{0, 1, 2}));
  const GreenThread* g0 = find_thread(snapshot, 0);
  ASSERT_NE(g0, nullptr);
  EXPECT_EQ(g0->status, "idle");
  EXPECT_EQ(g0->state, ThreadState::kIdle);
  ASSERT_EQ(g0->stack.size(), 7u);
  expect_frame(snapshot, g0->stack[0], "internal/runtime/syscall.Syscall6",
               "/home/michael/sdk/go1.23.0/src/internal/runtime/syscall/asm_linux_amd64.s", 36);

  const GreenThread* g1 = find_thread(snapshot, 1);
  ASSERT_NE(g1, nullptr);
  EXPECT_EQ(g1->status, "IO wait");
  ASSERT_EQ(g1->stack.size(), 28u);
  expect_frame(snapshot, g1->stack[8], "net.(*TCPConn).Read", "<autogenerated>", 1);
  // Arguments with "{...}" and a trailing "..." are still one call's list.
  expect_frame(snapshot, g1->stack[23],
               "github.com/gokrazy/rsync/internal/receivermaincmd.rsyncMain",
               "/home/michael/kr/rsync/internal/receivermaincmd/receivermaincmd.go", 160);
  expect_frame(snapshot, g1->stack[27], "runtime.goexit",
               "/home/michael/sdk/go1.23.0/src/runtime/asm_amd64.s", 1700);

  const GreenThread* g2 = find_thread(snapshot, 2);
  ASSERT_NE(g2, nullptr);
  EXPECT_EQ(g2->status, "force gc (idle)");
  EXPECT_EQ(g2->state, ThreadState::kIdle);
  EXPECT_EQ(g2->creator_id, 1u);
  expect_frame(snapshot, g2->created_by, "runtime.init.7",
               "/home/michael/sdk/go1.23.0/src/runtime/proc.go", 325);
}

TEST(CorpusFactsTest, WindowsPathsKeepFileAndLine) {
  Snapshot snapshot = read_one("kvstore-raft-mutex-debug2-go1.25-windows.txt");
  for (size_t id = 0; id < snapshot.frames().size(); ++id) {
    const Frame& frame = snapshot.frame(static_cast<FrameId>(id));
    EXPECT_TRUE(frame.file.starts_with("C:/")) << frame.function << " in " << frame.file;
  }
  const GreenThread* handler = find_thread(snapshot, 109);
  ASSERT_NE(handler, nullptr);
  ASSERT_EQ(handler->stack.size(), 9u);
  expect_frame(snapshot, handler->stack[0], "runtime/pprof.writeGoroutineStacks",
               "C:/Program Files/Go/src/runtime/pprof/pprof.go", 756);
  EXPECT_EQ(handler->creator_id, 18u);
  expect_frame(snapshot, handler->created_by, "net/http.(*Server).Serve",
               "C:/Program Files/Go/src/net/http/server.go", 3493);

  const GreenThread* locked = find_thread(snapshot, 23);
  ASSERT_NE(locked, nullptr);
  EXPECT_EQ(locked->status, "sync.Mutex.Lock");
  EXPECT_EQ(locked->state, ThreadState::kWaiting);
  EXPECT_EQ(locked->wait_reason, "sync.Mutex.Lock");
  ASSERT_EQ(locked->stack.size(), 5u);
  expect_frame(snapshot, locked->stack[1], "internal/sync.(*Mutex).lockSlow",
               "C:/Program Files/Go/src/internal/sync/mutex.go", 149);
  expect_frame(snapshot, locked->stack[4], "distributed-kv/consensus.(*RaftConsensus).Start.func2",
               "C:/Users/moham/Desktop/projects/KVStore-raft-consensus/consensus/consensus.go",
               432);
  EXPECT_EQ(locked->creator_id, 1u);
}

TEST(CorpusFactsTest, CrlfDebug1MatchesItsDeclaredTotal) {
  Snapshot snapshot = read_one("nats-server-2391-mqtt-debug1-go1.17.txt");
  ASSERT_TRUE(snapshot.declared_total.has_value());
  EXPECT_EQ(*snapshot.declared_total, 7046);
  EXPECT_EQ(snapshot.goroutine_count(), *snapshot.declared_total);
  EXPECT_EQ(snapshot.samples.size(), 30u);
  EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
  for (size_t id = 0; id < snapshot.frames().size(); ++id) {
    const Frame& frame = snapshot.frame(static_cast<FrameId>(id));
    EXPECT_EQ(frame.function.find('\r'), std::string_view::npos) << frame.function;
    EXPECT_EQ(frame.file.find('\r'), std::string_view::npos) << frame.file;
  }
  const Sample& first = snapshot.samples[0];
  EXPECT_EQ(first.count, 1004);
  ASSERT_EQ(first.stack.size(), 1u);
  expect_frame(snapshot, first.stack[0],
               "github.com/nats-io/nats-server/v2/server.(*raft).fileWriter",
               "D:/project/src/github.com/nats-io/nats-server/server/raft.go", 3002);
  // Records align their columns with runs of tabs.
  const Sample& fourth = snapshot.samples[3];
  EXPECT_EQ(fourth.count, 1000);
  ASSERT_EQ(fourth.stack.size(), 8u);
  expect_frame(snapshot, fourth.stack[0], "internal/poll.runtime_pollWait",
               "c:/go/src/runtime/netpoll.go", 229);
}

struct ProfileFacts {
  std::string file;
  size_t samples;
  int64_t time_nanos;
  int64_t largest;
  std::vector<std::string> largest_stack;  // leaf first, inlined frames expanded
};

// Read off `protoc --decode=perftools.profiles.Profile` of each file.
TEST(CorpusFactsTest, ProfilesKeepSamplesTimeAndInlinedFrames) {
  const std::vector<ProfileFacts> facts = {
      {"cdk-erigon-debug0-go1.21.pb.gz", 84, 1743066464903526119, 8, {}},
      {"cdk-erigon-txgaslogger-leak-debug0-go1.21.pb.gz",
       65,
       1732092037689185238,
       4824,
       {"runtime.gopark", "runtime.chanrecv", "runtime.chanrecv2",
        "github.com/ledgerwatch/erigon/zk/utils.(*TxGasLogger).Start.func1"}},
      {"cortex-debug0-2020.pb.gz", 33, 1605811678176034969, 75, {}},
      {"parsec-kaddht-goroutine-explosion-debug0.pb.gz",
       94,
       1758100320831698000,
       187411,
       {"runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1",
        "internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow",
        "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock",
        "github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem.(*memoryAddrBook).addAddrs",
        "github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem.(*memoryAddrBook).AddAddrs",
        "github.com/libp2p/go-libp2p/p2p/host/basic.(*BasicHost).Connect",
        "github.com/libp2p/go-libp2p/p2p/host/routed.(*RoutedHost).Connect",
        "github.com/libp2p/go-libp2p-kad-dht.(*IpfsDHT).dialPeer",
        "github.com/libp2p/go-libp2p-kad-dht.(*query).queryPeer"}},
  };
  for (const auto& fact : facts) {
    SCOPED_TRACE(fact.file);
    Snapshot snapshot = read_one(fact.file);
    EXPECT_TRUE(snapshot.aggregated());
    EXPECT_EQ(snapshot.samples.size(), fact.samples);
    ASSERT_TRUE(snapshot.captured_at.has_value());
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(
                  snapshot.captured_at->time_since_epoch())
                  .count(),
              fact.time_nanos);
    auto largest =
        std::max_element(snapshot.samples.begin(), snapshot.samples.end(),
                         [](const Sample& a, const Sample& b) { return a.count < b.count; });
    ASSERT_NE(largest, snapshot.samples.end());
    EXPECT_EQ(largest->count, fact.largest);
    if (!fact.largest_stack.empty()) {
      EXPECT_EQ(functions(snapshot, largest->stack), fact.largest_stack);
    }
  }
}

TEST(CorpusFactsTest, StackOverflowRuntimeStackIsNoGoroutine) {
  Snapshot snapshot = read_one("responsewriter-issue-stackoverflow-go1.22.txt");
  EXPECT_EQ(snapshot.reason, "fatal error: stack overflow");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{21, 1, 18, 19, 20, 2, 22}));
  // runtime.throw/newstack/morestack appear only under "runtime stack:", before any goroutine.
  for (const auto& thread : snapshot.threads) {
    for (const auto& function : functions(snapshot, thread.stack)) {
      EXPECT_NE(function, "runtime.morestack") << "goroutine " << thread.id;
      EXPECT_NE(function, "runtime.newstack") << "goroutine " << thread.id;
      EXPECT_NE(function, "runtime.throw") << "goroutine " << thread.id;
    }
  }
  const GreenThread* overflow = find_thread(snapshot, 21);
  ASSERT_NE(overflow, nullptr);
  EXPECT_TRUE(overflow->frames_elided);  // "...16777040 frames elided..."
  ASSERT_EQ(overflow->stack.size(), 100u);
  expect_frame(snapshot, overflow->stack[0],
               "git.v6.io/go-web/middleware.(*wrappedWriter).WriteHeader",
               "/Users/alexandruvladutu/www/go-web/middleware/logging.go", 14);
  EXPECT_EQ(overflow->creator_id, 1u);
  expect_frame(snapshot, overflow->created_by, "net/http.(*Server).Serve",
               "/opt/homebrew/Cellar/go/1.22.1/libexec/src/net/http/server.go", 3285);
  // The app's log lines before the dump and "exit status 2" after it are skipped quietly.
  EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
}

TEST(CorpusFactsTest, FatalErrorsAndSignals) {
  Snapshot deadlock = read_one("gotfmt-deadlock-nilchan-go1.2.txt");
  EXPECT_EQ(deadlock.reason, "fatal error: all goroutines are asleep - deadlock!");
  EXPECT_EQ(thread_ids(deadlock), (std::vector<uint64_t>{1, 3, 4}));
  const GreenThread* sender = find_thread(deadlock, 4);
  ASSERT_NE(sender, nullptr);
  EXPECT_EQ(sender->status, "chan send (nil chan)");
  EXPECT_EQ(sender->state, ThreadState::kWaiting);
  ASSERT_EQ(sender->stack.size(), 1u);
  // Go 1.2 names closures "func·001" with a middle dot.
  EXPECT_EQ(deadlock.frame(sender->stack[0]).function,
            "github.com/t-yuki/gotracetools/traceback/testdata.func\u00b7001");

  Snapshot sigabrt = read_one("gotfmt-sigabrt-go1.2.txt");
  EXPECT_EQ(sigabrt.reason, "SIGABRT: abort");
  // The register dump after the goroutines ("rax 0xca") is no goroutine.
  EXPECT_EQ(thread_ids(sigabrt), (std::vector<uint64_t>{1, 4}));

  Snapshot mhub = read_one("mhub-send-on-closed-chan-panic-go1.3.txt");
  EXPECT_EQ(mhub.reason, "panic: runtime error: send on closed channel");
  ASSERT_FALSE(mhub.threads.empty());
  EXPECT_EQ(mhub.threads[0].id, 25u);
  ASSERT_FALSE(mhub.threads[0].stack.empty());
  EXPECT_EQ(mhub.frame(mhub.threads[0].stack[0]).function, "runtime.panic");
}

TEST(CorpusFactsTest, IndentedPasteWithStackUnavailable) {
  Snapshot snapshot = read_one("gotfmt-go9321-holding-locks-go1.4.txt");
  EXPECT_EQ(snapshot.reason, "fatal error: schedule: holding locks");
  // The "runtime stack:" frames above the goroutines belong to none of them.
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{1, 5, 17, 18}));
  const GreenThread* g1 = find_thread(snapshot, 1);
  ASSERT_NE(g1, nullptr);
  ASSERT_EQ(g1->stack.size(), 3u);
  expect_frame(snapshot, g1->stack[2], "main.main", "_/home/rina/repro/_test/_testmain.go", 52);
  const GreenThread* g18 = find_thread(snapshot, 18);
  ASSERT_NE(g18, nullptr);
  EXPECT_TRUE(g18->stack_unavailable);
  EXPECT_TRUE(g18->stack.empty());
  expect_frame(snapshot, g18->created_by, "_/home/rina/repro.TestRepro",
               "/home/rina/repro/sample_test.go", 22);
  EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
}

// Go 1.2/1.3 segmented stacks print a boundary marker inside one goroutine's traceback.
TEST(CorpusFactsTest, StackSegmentBoundaryKeepsTheGoroutineGoing) {
  auto snapshots = read_corpus("gotfmt-go7725-juju-sigsegv-go1.3.txt");
  ASSERT_FALSE(snapshots.empty());
  EXPECT_EQ(snapshots.front().reason, "SIGSEGV: segmentation violation");
  const GreenThread* gc = find_thread(snapshots.front(), 12757);
  ASSERT_NE(gc, nullptr);
  const Snapshot& snapshot = snapshots.front();
  ASSERT_EQ(gc->stack.size(), 33u);  // 13 frames above the marker, 20 below
  expect_frame(snapshot, gc->stack[12], "launchpad.net/juju-core/environs/config.New",
               "/home/dfc/src/launchpad.net/juju-core/environs/config/config.go", 126);
  expect_frame(snapshot, gc->stack[13], "launchpad.net/juju-core/environs/config.(*Config).Apply",
               "/home/dfc/src/launchpad.net/juju-core/environs/config/config.go", 687);
  expect_frame(snapshot, gc->created_by, "launchpad.net/gocheck.(*suiteRunner).forkCall",
               "/home/dfc/src/launchpad.net/gocheck/gocheck.go", 631);
}

// Go 1.3 prints goroutine 17, running on an M, a second time further down the same crash: one
// dump, with a warning, not a second snapshot that "grew" by the rest.
TEST(CorpusFactsTest, AGoroutinePrintedTwiceStaysOneDump) {
  auto snapshots = read_corpus("gotfmt-go7725-juju-sigsegv-go1.3.txt");
  ASSERT_EQ(snapshots.size(), 1u);
  const Snapshot& snapshot = snapshots.front();
  EXPECT_EQ(snapshot.threads.size(), 133u);
  size_t copies = 0;
  for (const auto& thread : snapshot.threads) copies += thread.id == 17 ? 1 : 0;
  EXPECT_EQ(copies, 1u);
  const GreenThread* g17 = find_thread(snapshot, 17);
  ASSERT_NE(g17, nullptr);
  EXPECT_EQ(g17->status, "syscall");                // the first, fuller copy
  ASSERT_NE(find_thread(snapshot, 6615), nullptr);  // read on after the second copy
  bool warned = false;
  for (const auto& warning : snapshot.warnings) {
    warned = warned || warning.find("goroutine 17 is printed twice") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST(CorpusFactsTest, LargeGoroutineIds) {
  Snapshot snapshot = read_one("tidb-v4-prod-indexmergejoin-hang-debug2-go1.13.txt");
  ASSERT_FALSE(snapshot.threads.empty());
  EXPECT_EQ(snapshot.threads[0].id, 1740251310u);
  EXPECT_EQ(snapshot.threads[0].status, "running");
}

}  // namespace
}  // namespace leakscan
