// Reading a dump on two threads must give exactly what one thread gives: same snapshots, same
// goroutines in the same order, same stacks, states, creators and warnings.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analyzer/model/merge.h"
#include "analyzer/readers/read_snapshots.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

std::vector<std::string> describe(const std::vector<Snapshot>& snapshots) {
  std::vector<std::string> rows;
  for (const auto& snapshot : snapshots) {
    rows.push_back(fmt::format("snapshot reason={} threads={} warnings={}", snapshot.reason,
                               snapshot.threads.size(), snapshot.warnings.size()));
    for (const auto& thread : snapshot.threads) {
      std::string stack;
      for (FrameId id : thread.stack) {
        const Frame& frame = snapshot.frame(id);
        stack += fmt::format("{}@{}:{};", frame.function, frame.file, frame.line);
      }
      std::string creator = thread.created_by == kNoFrame
                                ? std::string("-")
                                : std::string(snapshot.frame(thread.created_by).function);
      rows.push_back(fmt::format("{} [{}] {} {} {} {} {}", thread.id, thread.status,
                                 thread.wait ? thread.wait->count() : -1, thread.locked_to_thread,
                                 creator, thread.ancestors.size(), stack));
    }
    for (const auto& warning : snapshot.warnings) rows.push_back(warning);
  }
  return rows;
}

std::vector<std::string> read_with(const std::string& bytes, size_t parallel_min_bytes) {
  ReadLimits limits;
  limits.parallel_min_bytes = parallel_min_bytes;
  auto snapshots = read_snapshots_from_memory(bytes, "dump", limits);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  return snapshots ? describe(*snapshots) : std::vector<std::string>{};
}

class ParallelReader : public ::testing::TestWithParam<std::string> {};

TEST_P(ParallelReader, TwoThreadsReadWhatOneReads) {
  std::string bytes = testing::read_file(testing::data_path("corpus/" + GetParam()));
  auto one = read_with(bytes, SIZE_MAX);
  auto two = read_with(bytes, 1);
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(one, two);
}

TEST_P(ParallelReader, TwoDumpsBackToBackStaySeparate) {
  // The same dump twice: ids repeat, so a second snapshot starts exactly at the second copy,
  // wherever the threads split the text.
  std::string once = testing::read_file(testing::data_path("corpus/" + GetParam()));
  std::string bytes = once + "\n" + once;
  auto one = read_with(bytes, SIZE_MAX);
  auto two = read_with(bytes, 1);
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(one, two);
}

std::vector<std::string> text_dumps() {
  std::vector<std::string> names;
  for (const auto& row : testing::read_tsv(testing::data_path("corpus/expected.tsv"))) {
    const std::string& name = row.at(0);
    if (name.ends_with(".txt") && name.find("debug1") == std::string::npos) names.push_back(name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Corpus, ParallelReader, ::testing::ValuesIn(text_dumps()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The merge takes the second half's text over uncopied: views into it stay valid, text both
// halves hold stays one string, and many distinct frames and stacks survive the tables' growth.
TEST(ParallelMerge, TablesSurviveGrowthAndAbsorbing) {
  Snapshot first;
  Snapshot second;
  constexpr int kFrames = 50000;
  for (int i = 0; i < kFrames; ++i) {
    std::string function = fmt::format("main.handler{}", i);
    Snapshot& into = i % 2 == 0 ? first : second;
    FrameId id = into.frames().intern(Frame{function, "/app/shared.go", i});
    FrameId again = into.frames().intern(Frame{function, "/app/shared.go", i});
    ASSERT_EQ(id, again);
    GreenThread thread;
    thread.id = static_cast<uint64_t>(i) + 1;
    thread.stack = into.intern_stack(std::vector<FrameId>{id});
    thread.status = into.intern("chan receive");
    into.threads.push_back(thread);
  }
  std::string_view status = first.intern("chan receive");
  append_snapshot(first, std::move(second));
  ASSERT_EQ(first.threads.size(), size_t{kFrames});
  EXPECT_EQ(first.frames().size(), size_t{kFrames});
  for (const auto& thread : first.threads) {
    ASSERT_EQ(thread.stack.size(), 1u);
    const Frame& frame = first.frame(thread.stack[0]);
    EXPECT_EQ(frame.function, fmt::format("main.handler{}", thread.id - 1));
    EXPECT_EQ(frame.line, static_cast<int64_t>(thread.id - 1));
    EXPECT_EQ(thread.status.data(), status.data());
  }
  // Every frame is found again, by text held anywhere.
  for (int i = 0; i < kFrames; i += 997) {
    std::string function = fmt::format("main.handler{}", i);
    FrameId id = first.frames().intern(Frame{function, "/app/shared.go", i});
    EXPECT_EQ(first.frame(id).function, function);
    EXPECT_EQ(first.intern(function).data(), first.frame(id).function.data());
  }
  EXPECT_EQ(first.frames().size(), size_t{kFrames});
  EXPECT_EQ(first.intern("/app/shared.go").data(), first.frame(0).file.data());
}

}  // namespace
}  // namespace leakscan
