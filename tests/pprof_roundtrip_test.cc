// Conversions must not lose what a dump says. Every corpus file goes through encode_pprof and
// through write_go_text and is read back: the same goroutines, the same stacks, and for
// per-goroutine dumps the same per-goroutine facts (leakscan's thread-label convention).
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "analyzer/writers/go_text_writer.h"
#include "analyzer/writers/pprof_writer.h"
#include "proto/profile.pb.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::data_path;

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  for (const auto& row : testing::read_tsv(data_path("corpus/expected.tsv"))) {
    if (!row.empty()) files.push_back(row[0]);
  }
  return files;
}

std::vector<Snapshot> read_path(const std::string& path) {
  auto snapshots = read_snapshots(path);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return {};
  return std::move(*snapshots);
}

std::vector<Snapshot> read_bytes(std::string_view bytes, const std::string& name) {
  auto snapshots = read_snapshots_from_memory(bytes, name);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return {};
  return std::move(*snapshots);
}

int64_t total(const std::vector<Snapshot>& snapshots) {
  int64_t sum = 0;
  for (const auto& snapshot : snapshots) sum += snapshot.goroutine_count();
  return sum;
}

// The stack multisets of all snapshots added up: a conversion may merge dumps into one profile.
std::map<std::string, int64_t> multiset(const std::vector<Snapshot>& snapshots) {
  std::map<std::string, int64_t> counts;
  for (const auto& snapshot : snapshots) {
    for (const auto& row : testing::stack_multiset(snapshot)) {
      size_t tab = row.find('\t');
      counts[row.substr(tab + 1)] += std::stoll(row.substr(0, tab));
    }
  }
  return counts;
}

// What a goroutine dump says about one goroutine, with frames spelled out so that snapshots
// with different frame tables compare.
struct ThreadFacts {
  uint64_t id = 0;
  std::string status;
  ThreadState state = ThreadState::kUnknown;
  std::string wait_reason;
  std::optional<std::chrono::nanoseconds> wait;
  bool locked = false;
  bool elided = false;
  bool unavailable = false;
  uint64_t creator_id = 0;
  std::optional<Frame> created_by;
  std::vector<Frame> frames;
  // Frames point into their snapshot; keep the snapshots alive while these are compared.
};

std::vector<ThreadFacts> thread_facts(const std::vector<Snapshot>& snapshots) {
  std::vector<ThreadFacts> out;
  for (const auto& snapshot : snapshots) {
    for (const auto& thread : snapshot.threads) {
      ThreadFacts facts;
      facts.id = thread.id;
      facts.status = std::string(thread.status);
      facts.state = thread.state;
      facts.wait_reason = std::string(thread.wait_reason);
      facts.wait = thread.wait;
      facts.locked = thread.locked_to_thread;
      facts.elided = thread.frames_elided;
      facts.unavailable = thread.stack_unavailable;
      facts.creator_id = thread.creator_id;
      if (thread.created_by != kNoFrame) facts.created_by = snapshot.frame(thread.created_by);
      for (FrameId id : thread.stack) facts.frames.push_back(snapshot.frame(id));
      out.push_back(std::move(facts));
    }
  }
  return out;
}

std::string describe(const std::optional<Frame>& frame) {
  if (!frame) return "none";
  return std::string(frame->function) + " at " + std::string(frame->file) + ":" +
         std::to_string(frame->line);
}

// `check_unavailable`: the pprof convention has no label for "stack unavailable".
void expect_same_threads(const std::vector<ThreadFacts>& before,
                         const std::vector<ThreadFacts>& after, bool check_unavailable) {
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    const ThreadFacts& a = before[i];
    const ThreadFacts& b = after[i];
    SCOPED_TRACE("goroutine " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.wait_reason, b.wait_reason);
    EXPECT_EQ(a.wait, b.wait);
    EXPECT_EQ(a.locked, b.locked);
    EXPECT_EQ(a.elided, b.elided);
    if (check_unavailable) {
      EXPECT_EQ(a.unavailable, b.unavailable);
    }
    EXPECT_EQ(a.creator_id, b.creator_id);
    EXPECT_EQ(describe(a.created_by), describe(b.created_by));
    EXPECT_EQ(a.frames, b.frames);
  }
}

// Every sample's count, stack and labels, in order.
struct SampleFacts {
  int64_t count = 0;
  std::vector<std::string> stack;
  std::vector<std::string> labels;  // "key=value" or "key=N unit"
  friend bool operator==(const SampleFacts&, const SampleFacts&) = default;
};

std::vector<SampleFacts> sample_facts(const std::vector<Snapshot>& snapshots) {
  std::vector<SampleFacts> out;
  for (const auto& snapshot : snapshots) {
    for (const auto& sample : snapshot.samples) {
      SampleFacts facts{sample.count, {}, {}};
      for (FrameId id : sample.stack) {
        const Frame& frame = snapshot.frame(id);
        facts.stack.push_back(std::string(frame.function) + " " + std::string(frame.file) + ":" +
                              std::to_string(frame.line));
      }
      for (const auto& label : sample.labels) {
        facts.labels.push_back(std::string(label.key) + "=" +
                               (label.numeric
                                    ? std::to_string(label.num) + " " + std::string(label.unit)
                                    : std::string(label.str)));
      }
      out.push_back(std::move(facts));
    }
  }
  return out;
}

std::string go_text(const std::vector<Snapshot>& snapshots) {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buffer, &size);
  EXPECT_NE(out, nullptr);
  if (out == nullptr) return {};
  write_go_text(snapshots, out);
  fclose(out);
  std::string text(buffer, size);
  free(buffer);
  return text;
}

std::vector<Snapshot> through_pprof(const std::vector<Snapshot>& snapshots) {
  auto bytes = encode_pprof(snapshots);
  EXPECT_TRUE(bytes.has_value()) << (bytes ? "" : bytes.error().message);
  if (!bytes) return {};
  auto back = read_bytes(*bytes, "roundtrip.pb");
  for (const auto& snapshot : back) EXPECT_EQ(snapshot.format, SourceFormat::kPprofProto);
  return back;
}

class CorpusRoundtripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusRoundtripTest, ThroughPprof) {
  auto before = read_path(data_path("corpus/" + GetParam()));
  ASSERT_FALSE(before.empty());
  auto after = through_pprof(before);
  ASSERT_EQ(after.size(), 1u);  // one profile, however many dumps went in
  EXPECT_EQ(total(after), total(before));
  EXPECT_EQ(multiset(after), multiset(before));
  bool threads = !before.front().threads.empty();
  if (threads) {
    // The thread-label convention brings goroutines back as goroutines.
    EXPECT_TRUE(after.front().samples.empty());
    expect_same_threads(thread_facts(before), thread_facts(after), /*check_unavailable=*/false);
  } else {
    EXPECT_TRUE(after.front().threads.empty());
    EXPECT_EQ(sample_facts(after), sample_facts(before));
  }
  if (before.front().captured_at) {
    EXPECT_EQ(after.front().captured_at, before.front().captured_at);
  }
}

TEST_P(CorpusRoundtripTest, ThroughGoText) {
  auto before = read_path(data_path("corpus/" + GetParam()));
  ASSERT_FALSE(before.empty());
  std::string text = go_text(before);
  auto after = read_bytes(text, "roundtrip.txt");
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(total(after), total(before));
  EXPECT_EQ(multiset(after), multiset(before));
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].reason, before[i].reason);
    EXPECT_EQ(after[i].goroutine_count(), before[i].goroutine_count());
  }
  if (!before.front().threads.empty()) {
    expect_same_threads(thread_facts(before), thread_facts(after), /*check_unavailable=*/true);
  } else {
    // Aggregated snapshots come back as debug=1, whose header states the total.
    EXPECT_EQ(after.front().format, SourceFormat::kGoDebug1);
    EXPECT_EQ(after.front().declared_total, before.front().goroutine_count());
    EXPECT_TRUE(after.front().warnings.empty()) << after.front().warnings.front();
    EXPECT_EQ(sample_facts(after), sample_facts(before));
  }
}

std::string file_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusRoundtripTest, ::testing::ValuesIn(corpus_files()),
                         file_name);

TEST(RoundtripTest, HandwrittenFixturesThroughBothWriters) {
  for (const char* name : {"go123-gp-headers-sigquit.txt", "go121-frames-elided.txt",
                           "stack-unavailable.txt", "two-dumps.txt", "crlf.txt"}) {
    SCOPED_TRACE(name);
    auto before = read_path(data_path(std::string("handwritten/") + name));
    ASSERT_FALSE(before.empty());
    auto pprof = through_pprof(before);
    EXPECT_EQ(multiset(pprof), multiset(before));
    expect_same_threads(thread_facts(before), thread_facts(pprof), false);
    auto text = read_bytes(go_text(before), "roundtrip.txt");
    EXPECT_EQ(text.size(), before.size());
    EXPECT_EQ(multiset(text), multiset(before));
    expect_same_threads(thread_facts(before), thread_facts(text), true);
  }
}

TEST(RoundtripTest, AggregatedSamplesKeepTheirLabels) {
  auto before = read_bytes(
      "goroutine profile: total 5\n"
      "3 @ 0x43a1f6 0x4b2c2c 0x46a701\n"
      "# labels: {\"handler\":\"/api/v1\", \"quote\":\"a\\\"b\"}\n"
      "#\t0x43a1f5\truntime.gopark+0xd5\t/usr/local/go/src/runtime/proc.go:398\n"
      "#\t0x4b2c2b\tmain.serve+0x4b\t/app/main.go:21\n"
      "\n"
      "2 @ 0x43a1f6 0x4b2c2c 0x46a701\n"
      "# labels: {\"handler\":\"/api/v2\"}\n"
      "#\t0x43a1f5\truntime.gopark+0xd5\t/usr/local/go/src/runtime/proc.go:398\n"
      "#\t0x4b2c2b\tmain.serve+0x4b\t/app/main.go:21\n"
      "\n",
      "labels.txt");
  ASSERT_EQ(before.size(), 1u);
  auto facts = sample_facts(before);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].labels, (std::vector<std::string>{"handler=/api/v1", "quote=a\"b"}));
  auto after = through_pprof(before);
  EXPECT_EQ(sample_facts(after), facts);
  auto text = read_bytes(go_text(before), "labels-roundtrip.txt");
  EXPECT_EQ(sample_facts(text), facts);
}

// A profile from another tool: numeric labels with units and an address without symbols.
std::string foreign_profile() {
  perftools::profiles::Profile profile = testing::minimal_profile();
  for (const char* text : {"bytes", "buffer", "worker"}) profile.add_string_table(text);
  profile.mutable_location(0)->mutable_line(0)->set_line(17);
  auto* bare = profile.add_location();
  bare->set_id(2);
  bare->set_address(0x4a3b2c);
  auto* sample = profile.mutable_sample(0);
  sample->clear_location_id();
  sample->add_location_id(2);
  sample->add_location_id(1);
  sample->set_value(0, 4);
  auto* numeric = sample->add_label();
  numeric->set_key(6);
  numeric->set_num(4096);
  numeric->set_num_unit(5);
  auto* text = sample->add_label();
  text->set_key(7);
  text->set_str(3);
  return profile.SerializeAsString();
}

TEST(RoundtripTest, ForeignProfileKeepsNumericLabelsAndBareAddresses) {
  auto before = read_bytes(foreign_profile(), "foreign.pb");
  ASSERT_EQ(before.size(), 1u);
  auto facts = sample_facts(before);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].count, 4);
  EXPECT_EQ(facts[0].stack, (std::vector<std::string>{"0x4a3b2c :0", "main.f /app/f.go:17"}));
  EXPECT_EQ(facts[0].labels, (std::vector<std::string>{"buffer=4096 bytes", "worker=main.f"}));
  EXPECT_EQ(sample_facts(through_pprof(before)), facts);
  // Go text has no numeric labels: debug=1 quotes every value.
  auto text = read_bytes(go_text(before), "foreign-roundtrip.txt");
  EXPECT_EQ(multiset(text), multiset(before));
  auto text_facts = sample_facts(text);
  ASSERT_EQ(text_facts.size(), 1u);
  EXPECT_EQ(text_facts[0].stack, facts[0].stack);
  EXPECT_EQ(text_facts[0].labels, (std::vector<std::string>{"buffer=4096", "worker=main.f"}));
}

TEST(RoundtripTest, UnknownFileSurvivesGoText) {
  // Go prints "?:0" for a frame whose file it does not know.
  const std::string dump =
      "goroutine 5 [chan receive]:\n"
      "main.cgoCallback(...)\n"
      "\t?:0\n"
      "main.main()\n"
      "\t/app/main.go:9 +0x1d\n";
  auto before = read_bytes(dump, "unknown-file.txt");
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0].threads.size(), 1u);
  const auto& stack = before[0].threads[0].stack;
  ASSERT_EQ(stack.size(), 2u);
  EXPECT_EQ(before[0].frame(stack[0]).file, "");
  auto after = read_bytes(go_text(before), "unknown-file-roundtrip.txt");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].warnings.empty());
  EXPECT_EQ(multiset(after), multiset(before));
  EXPECT_EQ(after[0].frame(after[0].threads[0].stack[0]).file, "");
}

TEST(RoundtripTest, LabelValuesWithControlCharactersSurviveDebug1) {
  perftools::profiles::Profile profile = testing::minimal_profile();
  profile.add_string_table("note");
  profile.add_string_table("two\nlines \"quoted\" \\ and\ttab\x01");
  profile.mutable_sample(0)->set_value(0, 2);
  auto* label = profile.mutable_sample(0)->add_label();
  label->set_key(5);
  label->set_str(6);
  auto before = read_bytes(profile.SerializeAsString(), "labels.pb");
  auto after = read_bytes(go_text(before), "labels.txt");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].warnings.empty());
  EXPECT_EQ(sample_facts(after), sample_facts(before));
}

}  // namespace
}  // namespace leakscan
