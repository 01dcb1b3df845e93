// GoroutineHistories lines up what the tracer knows of each goroutine with a table read: by the
// g's allgs slot from one read to the next, by goid for creation events not yet read.
#include "bpf/goroutine_histories.h"

#include <gtest/gtest.h>

#include <vector>

namespace leakscan::trace {
namespace {

using namespace std::chrono_literals;

LiveGoroutine goroutine(uint64_t goid, uint32_t slot) {
  LiveGoroutine g;
  g.goid = goid;
  g.slot = slot;
  g.status = kGoStatusWaiting;
  return g;
}

const TimePoint kFirst{1000s}, kSecond{1003s}, kThird{1006s};

TEST(GoroutineHistories, AGoroutineKeepsItsHistoryFromReadToRead) {
  GoroutineHistories histories;
  std::vector<LiveGoroutine> read{goroutine(1, 0), goroutine(7, 1), goroutine(9, 2)};
  auto first = histories.line_up(read, kFirst, std::nullopt);
  ASSERT_EQ(first.size(), 3U);
  EXPECT_EQ(first[2].goid, 9U);
  EXPECT_FALSE(first[1].created_at);  // no earlier capture: its age is unknown
  first[1].blocked_key = 42;
  first[2].blocked_key = 43;

  // Goroutine 9 ended (its g in slot 2 is dead); goroutine 12 has a new g in slot 3.
  read = {goroutine(1, 0), goroutine(7, 1), goroutine(12, 3)};
  auto second = histories.line_up(read, kSecond, kFirst);
  ASSERT_EQ(second.size(), 4U);
  EXPECT_EQ(second[1].goid, 7U);
  EXPECT_EQ(second[1].blocked_key, 42U);
  EXPECT_FALSE(second[1].created_at);
  EXPECT_EQ(second[3].goid, 12U);
  EXPECT_EQ(second[3].created_at, kFirst);  // first shown now: created after the last capture
  EXPECT_EQ(second[3].blocked_key, 0U);

  // Goroutine 15 reuses goroutine 9's g: nothing of 9's is its.
  read = {goroutine(1, 0), goroutine(7, 1), goroutine(15, 2), goroutine(12, 3)};
  auto third = histories.line_up(read, kThird, kSecond);
  ASSERT_EQ(third.size(), 4U);
  EXPECT_EQ(third[2].goid, 15U);
  EXPECT_EQ(third[2].blocked_key, 0U);
  EXPECT_EQ(third[2].created_at, kSecond);
  EXPECT_EQ(third[3].created_at, kFirst);
  EXPECT_EQ(third[1].blocked_key, 42U);
}

TEST(GoroutineHistories, CreationEventsReachTheGoroutineWhenItIsRead) {
  GoroutineHistories histories;
  histories.line_up(std::vector{goroutine(1, 0)}, kFirst, std::nullopt);
  histories.created(20, kFirst + 1s, 1, {0x401000, 0x402000});
  histories.created(21, kFirst + 2s, 1, {});   // ends before the next read
  histories.created(22, kSecond + 1s, 1, {});  // created after the next capture
  histories.created(23, kFirst + 2s, 1, {});
  histories.exited(23);
  EXPECT_EQ(histories.pending(), 3U);

  auto second = histories.line_up(std::vector{goroutine(1, 0), goroutine(20, 1)}, kSecond, kFirst);
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[1].created_at, kFirst + 1s);
  EXPECT_TRUE(second[1].created_at_exact);
  EXPECT_EQ(second[1].creator_goid, 1U);
  EXPECT_EQ(second[1].creator_stack, (std::vector<uint64_t>{0x401000, 0x402000}));
  EXPECT_EQ(histories.pending(), 1U);  // 22's, created after this capture

  // An event polled after the read that first showed its goroutine still reaches it.
  histories.created(1, kFirst - 5s, 0, {0x403000});
  auto third = histories.line_up(std::vector{goroutine(1, 0), goroutine(20, 1), goroutine(22, 2)},
                                 kThird, kSecond);
  ASSERT_EQ(third.size(), 3U);
  EXPECT_EQ(third[0].created_at, kFirst - 5s);
  EXPECT_EQ(third[0].creator_stack, (std::vector<uint64_t>{0x403000}));
  EXPECT_EQ(third[1].created_at, kFirst + 1s);
  EXPECT_EQ(third[2].created_at, kSecond + 1s);
  EXPECT_TRUE(third[2].created_at_exact);
  EXPECT_EQ(histories.pending(), 0U);
}

}  // namespace
}  // namespace leakscan::trace
