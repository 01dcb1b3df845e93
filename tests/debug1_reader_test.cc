// /debug/pprof/goroutine?debug=1: corpus specifics, label syntax and broken records.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::data_path;

Snapshot read_corpus_one(const std::string& file) {
  auto snapshots = read_snapshots(data_path("corpus/" + file));
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return Snapshot{};
  EXPECT_EQ(snapshots->size(), 1u);
  return std::move(snapshots->front());
}

Snapshot read_text(std::string_view text) {
  auto snapshots = read_snapshots_from_memory(text, "inline.txt");
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots || snapshots->empty()) return Snapshot{};
  EXPECT_EQ(snapshots->size(), 1u);
  return std::move(snapshots->front());
}

std::string read_error(std::string_view text) {
  auto snapshots = read_snapshots_from_memory(text, "inline.txt");
  EXPECT_FALSE(snapshots.has_value()) << "read without error";
  return snapshots ? std::string() : snapshots.error().message;
}

void expect_frame(const Snapshot& snapshot, FrameId id, std::string_view function,
                  std::string_view file, int64_t line) {
  const Frame& frame = snapshot.frame(id);
  EXPECT_EQ(frame.function, function);
  EXPECT_EQ(frame.file, file);
  EXPECT_EQ(frame.line, line);
}

TEST(Debug1CorpusTest, TxGasLoggerLeak) {
  Snapshot snapshot = read_corpus_one("cdk-erigon-txgaslogger-leak-debug1-go1.21.txt");
  EXPECT_EQ(snapshot.format, SourceFormat::kGoDebug1);
  EXPECT_TRUE(snapshot.aggregated());
  ASSERT_TRUE(snapshot.declared_total.has_value());
  EXPECT_EQ(*snapshot.declared_total, 5171);
  EXPECT_EQ(snapshot.goroutine_count(), 5171);
  EXPECT_EQ(snapshot.samples.size(), 66u);
  EXPECT_TRUE(snapshot.warnings.empty());
  // "5067 @ 0x46128e ..." with one frame: the leak.
  const Sample& leak = snapshot.samples[0];
  EXPECT_EQ(leak.count, 5067);
  ASSERT_EQ(leak.stack.size(), 1u);
  // "+0x5d" goes; a -trimpath file keeps its module path.
  expect_frame(snapshot, leak.stack[0],
               "github.com/ledgerwatch/erigon/zk/utils.(*TxGasLogger).Start.func1",
               "github.com/ledgerwatch/erigon/zk/utils/tx_gas_logger.go", 52);
  const Sample& second = snapshot.samples[1];
  EXPECT_EQ(second.count, 8);
  ASSERT_EQ(second.stack.size(), 2u);
  expect_frame(snapshot, second.stack[1],
               "github.com/ledgerwatch/erigon-lib/direct.(*SentryClientDirect).Messages.func1",
               "github.com/ledgerwatch/erigon-lib@v1.0.0/direct/sentry_client.go", 254);
  EXPECT_TRUE(second.labels.empty());
}

TEST(Debug1CorpusTest, ErigonWebseed) {
  Snapshot snapshot = read_corpus_one("erigon-e35-webseed-debug1-go1.21.txt");
  EXPECT_EQ(snapshot.declared_total, 20161);
  EXPECT_EQ(snapshot.goroutine_count(), 20161);
  EXPECT_EQ(snapshot.samples.size(), 168u);
  EXPECT_TRUE(snapshot.warnings.empty());
  const Sample& first = snapshot.samples[0];
  EXPECT_EQ(first.count, 12096);
  ASSERT_EQ(first.stack.size(), 3u);
  // Columns padded with several tabs.
  expect_frame(snapshot, first.stack[0], "sync.runtime_notifyListWait", "runtime/sema.go", 527);
  expect_frame(snapshot, first.stack[2], "github.com/anacrolix/torrent.(*webseedPeer).requester",
               "github.com/anacrolix/torrent@v1.54.0/webseed-peer.go", 123);
}

TEST(Debug1CorpusTest, CrlfWithDriveLetters) {
  Snapshot snapshot = read_corpus_one("nats-server-2391-mqtt-debug1-go1.17.txt");
  EXPECT_EQ(snapshot.declared_total, 7046);
  EXPECT_EQ(snapshot.goroutine_count(), 7046);
  const Sample& writer = snapshot.samples[4];
  EXPECT_EQ(writer.count, 1000);
  ASSERT_EQ(writer.stack.size(), 4u);
  expect_frame(snapshot, writer.stack[1], "sync.(*Cond).Wait", "c:/go/src/sync/cond.go", 56);
  expect_frame(snapshot, writer.stack[3],
               "github.com/nats-io/nats-server/v2/server.(*Server).createMQTTClient.func2",
               "D:/project/src/github.com/nats-io/nats-server/server/mqtt.go", 516);
}

TEST(Debug1InlineTest, LabelsWithEscapes) {
  Snapshot snapshot = read_text(
      "goroutine profile: total 3\n"
      "2 @ 0x43a1f6 0x44a3c9 0x4b2c2c 0x46a701\n"
      "# labels: {\"k\":\"v\", \"k2\":\"v\\\"q\"}\n"
      "#\t0x4b2c2b\tmain.worker+0x4b\t/app/main.go:21\n"
      "\n"
      "1 @ 0x43a1f6 0x46a701\n"
      "# labels: {\"path\":\"C:\\\\tmp\\tx\", \"hex\":\"\\x41\"}\n"
      "#\t0x43a1f5\truntime.gopark+0xd5\t/usr/local/go/src/runtime/proc.go:398\n"
      "\n");
  ASSERT_EQ(snapshot.samples.size(), 2u);
  const auto& labels = snapshot.samples[0].labels;
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].key, "k");
  EXPECT_EQ(labels[0].str, "v");
  EXPECT_FALSE(labels[0].numeric);
  EXPECT_EQ(labels[1].key, "k2");
  EXPECT_EQ(labels[1].str, "v\"q");
  ASSERT_EQ(snapshot.samples[0].stack.size(), 1u);
  expect_frame(snapshot, snapshot.samples[0].stack[0], "main.worker", "/app/main.go", 21);
  const auto& escaped = snapshot.samples[1].labels;
  ASSERT_EQ(escaped.size(), 2u);
  EXPECT_EQ(escaped[0].str, "C:\\tmp\tx");
  EXPECT_EQ(escaped[1].str, "A");
  EXPECT_EQ(snapshot.goroutine_count(), 3);
  EXPECT_TRUE(snapshot.warnings.empty());
}

TEST(Debug1InlineTest, UnsymbolizedFrameKeepsItsPc) {
  Snapshot snapshot = read_text(
      "goroutine profile: total 1\n"
      "1 @ 0x4a3b2c 0x46a701\n"
      "#\t0x4a3b2c\n"
      "#\t0x46a700\truntime.goexit+0x0\t/usr/local/go/src/runtime/asm_amd64.s:1650\n");
  ASSERT_EQ(snapshot.samples.size(), 1u);
  ASSERT_EQ(snapshot.samples[0].stack.size(), 2u);
  expect_frame(snapshot, snapshot.samples[0].stack[0], "0x4a3b2c", "", 0);
  expect_frame(snapshot, snapshot.samples[0].stack[1], "runtime.goexit",
               "/usr/local/go/src/runtime/asm_amd64.s", 1650);
}

TEST(Debug1InlineTest, TotalThatDisagreesIsAWarning) {
  Snapshot snapshot = read_text(
      "goroutine profile: total 3\n"
      "2 @ 0x1\n#\t0x1\tmain.f+0x1\t/app/f.go:1\n");
  EXPECT_EQ(snapshot.goroutine_count(), 2);
  EXPECT_EQ(snapshot.declared_total, 3);
  ASSERT_EQ(snapshot.warnings.size(), 1u);
  EXPECT_NE(snapshot.warnings[0].find("inline.txt"), std::string::npos);
  EXPECT_NE(snapshot.warnings[0].find("records add up to 2 goroutines, header says 3"),
            std::string::npos)
      << snapshot.warnings[0];
}

TEST(Debug1BrokenTest, FrameLineBeforeAnyRecord) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "# labels: {\"k\":\"v\"}\n"
      "1 @ 0x1\n");
  EXPECT_EQ(message, "inline.txt:2: expected 'COUNT @ 0x...' before this '#' line");
}

TEST(Debug1BrokenTest, CountThatIsNoNumber) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "\n"
      "many @ 0x1\n");
  EXPECT_NE(message.find("inline.txt:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("COUNT @ 0x..."), std::string::npos) << message;
}

TEST(Debug1BrokenTest, LabelsThatAreNoGoMap) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "1 @ 0x1\n"
      "# labels: {k:v}\n");
  EXPECT_NE(message.find("inline.txt:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("# labels: {\"key\":\"value\""), std::string::npos) << message;
  // An unterminated string is no better.
  message = read_error(
      "goroutine profile: total 1\n"
      "1 @ 0x1\n"
      "# labels: {\"k\":\"v}\n");
  EXPECT_NE(message.find("inline.txt:3:"), std::string::npos) << message;
}

TEST(Debug1BrokenTest, FrameWithoutFileLine) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "1 @ 0x1\n"
      "#\t0x1\tmain.f+0x1\tsomewhere\n");
  EXPECT_NE(message.find("inline.txt:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("file:line"), std::string::npos) << message;
}

TEST(Debug1BrokenTest, StrayTextNamesTheLine) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "1 @ 0x1\n"
      "#\t0x1\tmain.f+0x1\t/app/f.go:1\n"
      "\n"
      "this is not a record\n");
  EXPECT_NE(message.find("inline.txt:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("'this is not a record'"), std::string::npos) << message;
}

TEST(Debug1BrokenTest, SecondHeader) {
  std::string message = read_error(
      "goroutine profile: total 1\n"
      "1 @ 0x1\n#\t0x1\tmain.f+0x1\t/app/f.go:1\n\n"
      "goroutine profile: total 1\n");
  EXPECT_NE(message.find("inline.txt:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("second 'goroutine profile' header"), std::string::npos) << message;
}

TEST(Debug1BrokenTest, HeaderWithoutANumber) {
  std::string message = read_error("goroutine profile: total many\n");
  EXPECT_NE(message.find("inline.txt:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected a number"), std::string::npos) << message;
}

}  // namespace
}  // namespace leakscan
