// The debug=2 family reader on hand-written fixtures of formats Go 1.19 cannot print
// (tests/data/handwritten, each saying what it imitates) and on small inline dumps.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using std::chrono::minutes;
using testing::data_path;
using testing::expect_frame;
using testing::functions;
using testing::thread_ids;

std::vector<Snapshot> read_fixture(const std::string& name) {
  auto snapshots = read_snapshots(data_path("handwritten/" + name));
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return {};
  return std::move(*snapshots);
}

std::vector<Snapshot> read_text(std::string_view text, const std::string& name = "inline.txt") {
  auto snapshots = read_snapshots_from_memory(text, name);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return {};
  return std::move(*snapshots);
}

Snapshot only(std::vector<Snapshot> snapshots) {
  EXPECT_EQ(snapshots.size(), 1u);
  if (snapshots.empty()) return Snapshot{};
  return std::move(snapshots.front());
}

const GreenThread& thread(const Snapshot& snapshot, uint64_t id) {
  for (const auto& candidate : snapshot.threads) {
    if (candidate.id == id) return candidate;
  }
  ADD_FAILURE() << "no goroutine " << id;
  static const GreenThread kMissing;
  return kMissing;
}

std::string all_warnings(const Snapshot& snapshot) {
  std::string text;
  for (const auto& warning : snapshot.warnings) text += warning + "\n";
  return text;
}

TEST(TracebackFixtureTest, Go123GpMHeaders) {
  Snapshot snapshot = only(read_fixture("go123-gp-headers-sigquit.txt"));
  EXPECT_EQ(snapshot.format, SourceFormat::kGoTraceback);
  EXPECT_EQ(snapshot.reason, "SIGQUIT: quit");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{0, 1, 7, 8}));
  // The register dump after the last goroutine is no goroutine and no complaint.
  EXPECT_EQ(all_warnings(snapshot), "");

  const GreenThread& idle = thread(snapshot, 0);
  EXPECT_EQ(idle.status, "idle");
  EXPECT_EQ(idle.state, ThreadState::kIdle);
  EXPECT_EQ(idle.stack.size(), 9u);

  const GreenThread& main = thread(snapshot, 1);
  EXPECT_EQ(main.status, "semacquire");
  EXPECT_EQ(main.state, ThreadState::kWaiting);
  EXPECT_EQ(main.wait, minutes(15));
  EXPECT_FALSE(main.locked_to_thread);
  ASSERT_EQ(main.stack.size(), 8u);
  // An inlined frame: no "+0x", no "fp=".
  expect_frame(snapshot, main.stack[1], "runtime.goparkunlock", "/usr/local/go/src/runtime/proc.go",
               430);
  expect_frame(snapshot, main.stack[4], "sync.(*WaitGroup).Wait",
               "/usr/local/go/src/sync/waitgroup.go", 118);

  const GreenThread& pinned = thread(snapshot, 7);
  EXPECT_EQ(pinned.status, "chan receive");
  EXPECT_EQ(pinned.state, ThreadState::kWaiting);
  EXPECT_EQ(pinned.wait_reason, "chan receive");
  EXPECT_EQ(pinned.wait, minutes(15));
  EXPECT_TRUE(pinned.locked_to_thread);
  EXPECT_EQ(functions(snapshot, pinned.stack),
            (std::vector<std::string>{"runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1",
                                      "main.pinned", "main.main.gowrap1", "runtime.goexit"}));
  expect_frame(snapshot, pinned.stack[3], "main.pinned", "/home/user/app/main.go", 33);
  EXPECT_EQ(pinned.creator_id, 1u);
  expect_frame(snapshot, pinned.created_by, "main.main", "/home/user/app/main.go", 19);

  const GreenThread& spinning = thread(snapshot, 8);
  EXPECT_EQ(spinning.state, ThreadState::kRunning);
  EXPECT_TRUE(spinning.wait_reason.empty());
  EXPECT_TRUE(spinning.stack_unavailable);
  EXPECT_TRUE(spinning.stack.empty());
  EXPECT_EQ(spinning.creator_id, 1u);
  expect_frame(snapshot, spinning.created_by, "main.main", "/home/user/app/main.go", 20);
}

TEST(TracebackFixtureTest, Go121CreatedByInGoroutine) {
  Snapshot snapshot = only(read_fixture("go121-createdby-in-goroutine.txt"));
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{40, 1, 12, 20}));
  const GreenThread& handler = thread(snapshot, 40);
  EXPECT_EQ(handler.creator_id, 12u);
  expect_frame(snapshot, handler.created_by, "net/http.(*Server).Serve",
               "/usr/local/go/src/net/http/server.go", 3086);
  ASSERT_EQ(handler.stack.size(), 9u);
  expect_frame(snapshot, handler.stack[3], "net/http/pprof.handler.ServeHTTP",
               "/usr/local/go/src/net/http/pprof/pprof.go", 267);

  const GreenThread& server = thread(snapshot, 12);
  EXPECT_EQ(server.creator_id, 1u);
  EXPECT_EQ(server.status, "IO wait");
  EXPECT_EQ(server.wait, minutes(3));
  ASSERT_EQ(server.stack.size(), 11u);
  expect_frame(snapshot, server.stack[9], "net/http.ListenAndServe",
               "/usr/local/go/src/net/http/server.go", 3239);
  expect_frame(snapshot, server.created_by, "main.main", "/home/user/app/main.go", 21);

  const GreenThread& worker = thread(snapshot, 20);
  EXPECT_EQ(worker.creator_id, 1u);
  expect_frame(snapshot, worker.created_by, "main.startWorkers", "/home/user/app/pool.go", 29);

  const GreenThread& main = thread(snapshot, 1);
  EXPECT_EQ(main.creator_id, 0u);
  EXPECT_EQ(main.created_by, kNoFrame);
}

TEST(TracebackFixtureTest, Go124SyncWaitReasons) {
  Snapshot snapshot = only(read_fixture("go124-sync-wait-reasons.txt"));
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{1, 23, 24}));
  const GreenThread& waiting = thread(snapshot, 1);
  EXPECT_EQ(waiting.status, "sync.WaitGroup.Wait");
  EXPECT_EQ(waiting.state, ThreadState::kWaiting);
  EXPECT_EQ(waiting.wait_reason, "sync.WaitGroup.Wait");
  EXPECT_EQ(waiting.wait, minutes(2));

  const GreenThread& locking = thread(snapshot, 23);
  EXPECT_EQ(locking.status, "sync.Mutex.Lock");
  EXPECT_EQ(locking.state, ThreadState::kWaiting);
  EXPECT_EQ(locking.wait_reason, "sync.Mutex.Lock");
  EXPECT_FALSE(locking.wait.has_value());
  ASSERT_EQ(locking.stack.size(), 6u);
  expect_frame(snapshot, locking.stack[4], "main.(*store).put", "/home/user/app/store.go", 27);

  const GreenThread& reading = thread(snapshot, 24);
  EXPECT_EQ(reading.status, "sync.RWMutex.RLock");
  EXPECT_EQ(reading.state, ThreadState::kWaiting);
  EXPECT_EQ(reading.wait, minutes(2));
}

TEST(TracebackFixtureTest, Go121NFramesElided) {
  Snapshot snapshot = only(read_fixture("go121-frames-elided.txt"));
  const GreenThread& deep = thread(snapshot, 6);
  EXPECT_TRUE(deep.frames_elided);
  ASSERT_EQ(deep.stack.size(), 100u);  // 50 above "...1904 frames elided...", 50 below
  expect_frame(snapshot, deep.stack[0], "runtime.gopark", "/usr/local/go/src/runtime/proc.go", 398);
  expect_frame(snapshot, deep.stack[3], "main.recurse", "/home/user/app/deep.go", 7);
  expect_frame(snapshot, deep.stack[49], "main.recurse", "/home/user/app/deep.go", 9);
  expect_frame(snapshot, deep.stack[99], "main.main.func1", "/home/user/app/main.go", 14);
  EXPECT_EQ(deep.creator_id, 1u);
  expect_frame(snapshot, deep.created_by, "main.main", "/home/user/app/main.go", 13);
  EXPECT_FALSE(thread(snapshot, 1).frames_elided);
  EXPECT_EQ(all_warnings(snapshot), "");
}

TEST(TracebackFixtureTest, StackUnavailable) {
  Snapshot snapshot = only(read_fixture("stack-unavailable.txt"));
  EXPECT_EQ(snapshot.reason, "fatal error: concurrent map writes");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{19, 1, 18}));
  const GreenThread& other = thread(snapshot, 18);
  EXPECT_TRUE(other.stack_unavailable);
  EXPECT_TRUE(other.stack.empty());
  EXPECT_EQ(other.state, ThreadState::kRunning);
  EXPECT_EQ(other.creator_id, 1u);
  expect_frame(snapshot, other.created_by, "main.main", "/home/user/app/main.go", 19);
  EXPECT_FALSE(thread(snapshot, 19).stack_unavailable);
  // An unavailable stack is said so by Go, so it is no "goroutine has no frames" warning.
  EXPECT_EQ(all_warnings(snapshot), "");
}

TEST(TracebackFixtureTest, NestedPanicIsOneDump) {
  Snapshot snapshot = only(read_fixture("nested-panic.txt"));
  // The first line of the chain says why; "\tpanic: b" must not start a second dump.
  EXPECT_EQ(snapshot.reason, "panic: a [recovered]");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{1}));
  const GreenThread& main = thread(snapshot, 1);
  EXPECT_EQ(functions(snapshot, main.stack),
            (std::vector<std::string>{"main.main.func1", "panic", "main.main"}));
  expect_frame(snapshot, main.stack[1], "panic", "/usr/local/go/src/runtime/panic.go", 914);
}

// Undoes the paste: drop the 4-space indent, turn the remaining leading 4 spaces into a tab.
std::string unindent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.starts_with("    ")) line.erase(0, 4);
    if (line.starts_with("    ")) line.replace(0, 4, "\t");
    out += line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

TEST(TracebackFixtureTest, IndentedPasteReadsAsTheOriginal) {
  std::string pasted = testing::read_file(data_path("handwritten/indented-paste.txt"));
  Snapshot snapshot = only(read_text(pasted, "pasted.txt"));
  Snapshot original = only(read_text(unindent(pasted), "original.txt"));
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{1, 34, 35}));
  ASSERT_EQ(thread_ids(snapshot), thread_ids(original));
  for (size_t i = 0; i < snapshot.threads.size(); ++i) {
    const GreenThread& a = snapshot.threads[i];
    const GreenThread& b = original.threads[i];
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.wait, b.wait);
    ASSERT_EQ(a.stack.size(), b.stack.size()) << "goroutine " << a.id;
    for (size_t f = 0; f < a.stack.size(); ++f) {
      EXPECT_EQ(snapshot.frame(a.stack[f]), original.frame(b.stack[f]));
    }
  }
  const GreenThread& reader = thread(snapshot, 35);
  ASSERT_EQ(reader.stack.size(), 5u);
  expect_frame(snapshot, reader.stack[2], "internal/poll.(*pollDesc).waitRead",
               "/usr/local/go/src/internal/poll/fd_poll_runtime.go", 89);
  expect_frame(snapshot, reader.created_by, "net/http.(*Transport).dialConn",
               "/usr/local/go/src/net/http/transport.go", 1765);
  EXPECT_EQ(thread(snapshot, 1).wait, minutes(2));
  EXPECT_EQ(all_warnings(snapshot), "");
}

TEST(TracebackFixtureTest, DumpEmbeddedInALog) {
  Snapshot snapshot = only(read_fixture("log-embedded.txt"));
  EXPECT_EQ(snapshot.reason, "panic: runtime error: index out of range [5] with length 3");
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{7, 1, 8}));
  const GreenThread& crashed = thread(snapshot, 7);
  // The log line right after the last frame is no frame of goroutine 7.
  EXPECT_EQ(functions(snapshot, crashed.stack),
            (std::vector<std::string>{"main.handle", "main.worker"}));
  expect_frame(snapshot, crashed.stack[0], "main.handle", "/home/user/app/main.go", 41);
  expect_frame(snapshot, crashed.created_by, "main.main", "/home/user/app/main.go", 22);
  EXPECT_EQ(functions(snapshot, thread(snapshot, 1).stack),
            (std::vector<std::string>{"main.main"}));
  EXPECT_EQ(functions(snapshot, thread(snapshot, 8).stack),
            (std::vector<std::string>{"time.Sleep", "main.worker"}));
  EXPECT_EQ(all_warnings(snapshot), "");
}

TEST(TracebackFixtureTest, TwoDumpsBecomeTwoSnapshots) {
  auto snapshots = read_fixture("two-dumps.txt");
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(thread_ids(snapshots[0]), (std::vector<uint64_t>{21, 1, 7}));
  EXPECT_EQ(thread_ids(snapshots[1]), (std::vector<uint64_t>{43, 1, 7, 8}));
  EXPECT_FALSE(thread(snapshots[0], 7).wait.has_value());
  EXPECT_EQ(thread(snapshots[1], 7).wait, minutes(1));
  EXPECT_EQ(thread(snapshots[1], 43).creator_id, 1u);
  for (const auto& snapshot : snapshots) {
    EXPECT_EQ(snapshot.source, data_path("handwritten/two-dumps.txt"));
    EXPECT_EQ(all_warnings(snapshot), "");
  }
}

// Two threads splitting the text must find the same boundary between the dumps.
TEST(TracebackFixtureTest, TwoDumpsReadOnTwoThreads) {
  std::string bytes = testing::read_file(data_path("handwritten/two-dumps.txt"));
  ReadLimits limits;
  limits.parallel_min_bytes = 1;
  auto snapshots = read_snapshots_from_memory(bytes, "two-dumps.txt", limits);
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 2u);
  EXPECT_EQ(thread_ids((*snapshots)[0]), (std::vector<uint64_t>{21, 1, 7}));
  EXPECT_EQ(thread_ids((*snapshots)[1]), (std::vector<uint64_t>{43, 1, 7, 8}));
}

TEST(TracebackFixtureTest, CrlfReadsAsLf) {
  std::string crlf = testing::read_file(data_path("handwritten/crlf.txt"));
  ASSERT_NE(crlf.find("\r\n"), std::string::npos);
  std::string lf;
  for (char c : crlf) {
    if (c != '\r') lf.push_back(c);
  }
  Snapshot snapshot = only(read_fixture("crlf.txt"));
  Snapshot plain = only(read_text(lf));
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{18, 1}));
  ASSERT_EQ(thread_ids(snapshot), thread_ids(plain));
  for (size_t i = 0; i < snapshot.threads.size(); ++i) {
    const GreenThread& a = snapshot.threads[i];
    const GreenThread& b = plain.threads[i];
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.status.find('\r'), std::string_view::npos);
    EXPECT_EQ(a.wait, b.wait);
    EXPECT_EQ(a.creator_id, b.creator_id);
    ASSERT_EQ(a.stack.size(), b.stack.size());
    for (size_t f = 0; f < a.stack.size(); ++f) {
      EXPECT_EQ(snapshot.frame(a.stack[f]), plain.frame(b.stack[f]));
    }
  }
  const GreenThread& server = thread(snapshot, 18);
  EXPECT_EQ(server.wait, minutes(4));
  expect_frame(snapshot, server.stack[0], "internal/poll.runtime_pollWait",
               "C:/Program Files/Go/src/runtime/netpoll.go", 351);
  expect_frame(snapshot, server.created_by, "main.main", "C:/Users/dev/app/main.go", 52);
}

TEST(TracebackInlineTest, ClassifiesStatuses) {
  const std::vector<std::pair<std::string, ThreadState>> cases = {
      {"running", ThreadState::kRunning},
      {"runnable", ThreadState::kRunnable},
      {"syscall", ThreadState::kSyscall},
      {"sleep", ThreadState::kSleeping},
      {"IO wait", ThreadState::kWaiting},
      {"chan receive (nil chan)", ThreadState::kWaiting},
      {"select (no cases)", ThreadState::kWaiting},
      {"semacquire", ThreadState::kWaiting},
      {"GC worker (idle)", ThreadState::kIdle},
      {"finalizer wait", ThreadState::kIdle},
      {"idle", ThreadState::kIdle},
      {"dead", ThreadState::kExited},
      {"panicwait", ThreadState::kExiting},
  };
  std::string text;
  for (size_t i = 0; i < cases.size(); ++i) {
    text += "goroutine " + std::to_string(i + 1) + " [" + cases[i].first +
            "]:\nmain.f()\n\t/app/main.go:3 +0x1d\n\n";
  }
  Snapshot snapshot = only(read_text(text));
  ASSERT_EQ(snapshot.threads.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const GreenThread& t = snapshot.threads[i];
    EXPECT_EQ(t.status, cases[i].first);
    EXPECT_EQ(t.state, cases[i].second) << cases[i].first;
    bool waits = t.state == ThreadState::kWaiting || t.state == ThreadState::kSleeping;
    EXPECT_EQ(t.wait_reason, waits ? cases[i].first : "") << cases[i].first;
  }
}

TEST(TracebackInlineTest, FunctionNamesLoseArgumentsOnly) {
  Snapshot snapshot = only(read_text(
      "goroutine 1 [running]:\n"
      "main.Map[...](...)\n\t/app/generic.go:10\n"
      "main.(*Cache[go.shape.string]).Get(0xc000010000, {0x4b2e1c, 0x3})\n\t/app/cache.go:21 "
      "+0x45\n"
      "main.(*T).Run.func1({0x4587a0?, 0xc00001c030?})\n\t/app/t.go:8 +0x2c\n"
      "main.main.func1()\n\t/app/main.go:12 +0x1a\n"
      "runtime.goexit({})\n\t/usr/local/go/src/runtime/asm_amd64.s:1700 +0x1\n"));
  EXPECT_EQ(functions(snapshot, thread(snapshot, 1).stack),
            (std::vector<std::string>{"main.Map[...]", "main.(*Cache[go.shape.string]).Get",
                                      "main.(*T).Run.func1", "main.main.func1", "runtime.goexit"}));
  expect_frame(snapshot, thread(snapshot, 1).stack[1], "main.(*Cache[go.shape.string]).Get",
               "/app/cache.go", 21);
}

TEST(TracebackInlineTest, HeaderWithoutFramesWarns) {
  Snapshot snapshot =
      only(read_text("goroutine 5 [chan receive]:\n"
                     "\n"
                     "goroutine 6 [running]:\nmain.f()\n\t/app/main.go:1 +0x1\n"
                     "\n"
                     "goroutine 9 [select]:\n"));
  EXPECT_EQ(thread_ids(snapshot), (std::vector<uint64_t>{5, 6, 9}));
  EXPECT_TRUE(thread(snapshot, 5).stack.empty());
  std::string warnings = all_warnings(snapshot);
  EXPECT_NE(warnings.find("inline.txt:2: goroutine 5 has no frames"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("goroutine 9 has no frames"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("goroutine 6"), std::string::npos) << warnings;
}

TEST(TracebackInlineTest, FunctionWithoutFileLineWarns) {
  Snapshot snapshot =
      only(read_text("goroutine 1 [running]:\n"
                     "main.f()\n"
                     "main.g()\n\t/app/main.go:2 +0x1\n"));
  EXPECT_EQ(functions(snapshot, thread(snapshot, 1).stack), (std::vector<std::string>{"main.g"}));
  std::string warnings = all_warnings(snapshot);
  EXPECT_NE(warnings.find("inline.txt:3: expected 'file:line' after function main.f"),
            std::string::npos)
      << warnings;
}

TEST(TracebackInlineTest, FramesAfterCreatedByAreIgnoredWithAWarning) {
  Snapshot snapshot =
      only(read_text("goroutine 1 [running]:\n"
                     "main.a()\n\t/app/a.go:1 +0x1\n"
                     "created by main.b in goroutine 4\n\t/app/a.go:2 +0x2\n"
                     "main.c()\n\t/app/a.go:3 +0x3\n"));
  const GreenThread& g = thread(snapshot, 1);
  EXPECT_EQ(functions(snapshot, g.stack), (std::vector<std::string>{"main.a"}));
  expect_frame(snapshot, g.created_by, "main.b", "/app/a.go", 2);
  EXPECT_EQ(g.creator_id, 4u);
  EXPECT_NE(all_warnings(snapshot).find("after 'created by' ignored"), std::string::npos);
}

TEST(TracebackInlineTest, EachCrashInALogIsASnapshot) {
  auto snapshots = read_text(
      "panic: first\n\n"
      "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n"
      "exit status 2\n"
      "supervisor: restarting\n"
      "fatal error: all goroutines are asleep - deadlock!\n\n"
      "goroutine 3 [chan receive]:\nmain.main()\n\t/app/main.go:9 +0x2e\n");
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots[0].reason, "panic: first");
  EXPECT_EQ(thread_ids(snapshots[0]), (std::vector<uint64_t>{1}));
  EXPECT_EQ(snapshots[1].reason, "fatal error: all goroutines are asleep - deadlock!");
  EXPECT_EQ(thread_ids(snapshots[1]), (std::vector<uint64_t>{3}));
}

// Some log pipelines drop empty lines: goroutines then follow each other directly, and that
// alone must not cut the dump into pieces.
TEST(TracebackInlineTest, DumpWithoutBlankLinesIsOneSnapshot) {
  auto snapshots = read_text(
      "goroutine 1 [running]:\nmain.a()\n\t/app/a.go:1 +0x1\n"
      "goroutine 2 [select]:\nmain.b()\n\t/app/a.go:2 +0x1\n"
      "goroutine 3 [sleep]:\ntime.Sleep(0x3b9aca00)\n\t/go/src/runtime/time.go:195 +0x125\n");
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(thread_ids(snapshots[0]), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(TracebackInlineTest, RepeatedIdStartsAnotherDump) {
  auto snapshots = read_text(
      "goroutine 1 [running]:\nmain.a()\n\t/app/a.go:1 +0x1\n\n"
      "goroutine 2 [select]:\nmain.b()\n\t/app/a.go:2 +0x1\n\n"
      "goroutine 1 [running]:\nmain.a()\n\t/app/a.go:1 +0x1\n\n"
      "goroutine 2 [select, 1 minutes]:\nmain.b()\n\t/app/a.go:2 +0x1\n");
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(thread_ids(snapshots[0]), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(thread_ids(snapshots[1]), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(thread(snapshots[1], 2).wait, minutes(1));
}

// Waits no runtime prints (negative, or past any int64 of seconds) are no wait, said once each.
TEST(TracebackInlineTest, ImpossibleWaitsAreNoWaitWithAWarning) {
  auto snapshots = read_text(
      "goroutine 1 [chan receive, 9223372036854775807 minutes]:\nmain.a()\n\t/app/a.go:1 +0x1\n\n"
      "goroutine 2 [select, -5 minutes]:\nmain.b()\n\t/app/a.go:2 +0x1\n\n"
      "goroutine 3 [select, 7 minutes]:\nmain.b()\n\t/app/a.go:2 +0x1\n");
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_FALSE(thread(snapshots[0], 1).wait.has_value());
  EXPECT_FALSE(thread(snapshots[0], 2).wait.has_value());
  EXPECT_EQ(thread(snapshots[0], 3).wait, minutes(7));
  ASSERT_EQ(snapshots[0].warnings.size(), 2u);
  EXPECT_NE(snapshots[0].warnings[0].find("inline.txt:1: goroutine 1: wait '9223372036854775807 "
                                          "minutes' is no number of minutes"),
            std::string::npos)
      << snapshots[0].warnings[0];
}

// A goroutine printed twice, the next one new: the same dump, its second copy dropped.
TEST(TracebackInlineTest, AGoroutinePrintedTwiceInOneDumpStaysOneSnapshot) {
  auto snapshots = read_text(
      "goroutine 1 [running]:\nmain.a()\n\t/app/a.go:1 +0x1\n\n"
      "goroutine 2 [select]:\nmain.b()\n\t/app/a.go:2 +0x1\n\n"
      "goroutine 3 [syscall]:\nmain.c()\n\t/app/a.go:3 +0x1\n\n"
      "goroutine 3 [syscall, 1 minutes]:\nmain.c()\n\t/app/a.go:3 +0x1\n\n"
      "goroutine 4 [sleep]:\nmain.d()\n\t/app/a.go:4 +0x1\n");
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(thread_ids(snapshots[0]), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(thread(snapshots[0], 3).wait.has_value());  // the first copy
  ASSERT_EQ(snapshots[0].warnings.size(), 1u);
  EXPECT_NE(snapshots[0].warnings[0].find("goroutine 3 is printed twice"), std::string::npos)
      << snapshots[0].warnings[0];
}

TEST(TracebackInlineTest, TextWithoutGoroutinesIsAnError) {
  auto snapshots = read_snapshots_from_memory("hello\nworld\n", "notes.txt");
  ASSERT_FALSE(snapshots.has_value());
  const std::string& message = snapshots.error().message;
  EXPECT_NE(message.find("notes.txt"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("expected 'goroutine N [status]:'"), std::string::npos) << message;
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

// A real dump (the zoo's debug=2, every kind of wait) as logs carry it: each line behind
// journald's, docker's or a logger's prefix. It reads as the dump itself, and says so.
TEST(LogPrefixes, ADumpReadOutOfALogReadsAsTheDump) {
  const std::string plain =
      testing::read_file(std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt");
  auto expected = read_snapshots_from_memory(plain, "zoo");
  ASSERT_TRUE(expected.has_value());
  for (const std::string prefix : {"Oct 01 22:57:16 host orders[812]: ",
                                   "2026-10-01T22:57:16.123456789Z ", "2026/10/01 22:57:16 "}) {
    SCOPED_TRACE(prefix);
    std::string logged;
    for (size_t at = 0; at < plain.size();) {
      size_t end = plain.find('\n', at);
      if (end == std::string::npos) end = plain.size();
      logged += prefix + plain.substr(at, end - at) + "\n";
      at = end + 1;
    }
    const std::string path = testing::temp_dir() + "/zoo.log";
    testing::write_file(path, logged);
    for (bool from_file : {false, true}) {
      auto read = from_file ? read_snapshots(path) : read_snapshots_from_memory(logged, "zoo.log");
      ASSERT_TRUE(read.has_value()) << read.error().message;
      ASSERT_EQ(read->size(), 1u);
      EXPECT_EQ(testing::stack_multiset(read->front()), testing::stack_multiset(expected->front()));
      ASSERT_FALSE(read->front().warnings.empty());
      EXPECT_NE(read->front().warnings.front().find("read as a log"), std::string::npos)
          << read->front().warnings.front();
    }
  }
  // A dump as Go writes it is not a log, whatever its lines hold.
  EXPECT_TRUE(expected->front().warnings.empty() ||
              expected->front().warnings.front().find("read as a log") == std::string::npos);
}

}  // namespace
}  // namespace leakscan
