// The tracer deflates its profiles on a second thread (GzipThread::kSecond) while it encodes;
// the bytes must read back as the caller-thread encoding's do, for profiles of many blocks.
#include "producer/gzipped_pprof.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

std::map<std::string, int> stacks_of(std::string_view bytes) {
  std::map<std::string, int> counts;
  auto snapshots = read_snapshots_from_memory(bytes, "encoded");
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return counts;
  for (const auto& snapshot : *snapshots) {
    for (const auto& row : testing::stack_multiset(snapshot)) ++counts[row];
  }
  return counts;
}

TEST(GzippedPprof, DeflatingOnASecondThreadReadsBackAlike) {
  // A real profile read 300 times: megabytes before deflating, many of the stream's blocks.
  const auto path = testing::data_path("corpus/parsec-kaddht-goroutine-explosion-debug0.pb.gz");
  std::vector<Snapshot> snapshots;
  for (int i = 0; i < 300; ++i) {
    auto read = read_snapshots(path);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    ASSERT_EQ(read->size(), 1U);
    snapshots.push_back(std::move(read->front()));
  }
  auto here = encode_gzipped_pprof(snapshots, GzipThread::kCaller);
  auto beside = encode_gzipped_pprof(snapshots, GzipThread::kSecond);
  ASSERT_TRUE(here.has_value()) << here.error().message;
  ASSERT_TRUE(beside.has_value()) << beside.error().message;
  ASSERT_GE(beside->size(), 2U);
  EXPECT_EQ(static_cast<uint8_t>((*beside)[0]), 0x1f);  // gzip's magic
  EXPECT_EQ(static_cast<uint8_t>((*beside)[1]), 0x8b);
  auto expected = stacks_of(*here);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(stacks_of(*beside), expected);
  auto back = read_snapshots_from_memory(*beside, "encoded");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  int64_t goroutines = 0;
  for (const auto& snapshot : *back) goroutines += snapshot.goroutine_count();
  EXPECT_EQ(goroutines, 300 * snapshots.front().goroutine_count());
}

}  // namespace
}  // namespace leakscan
