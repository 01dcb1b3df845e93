#include "analyzer/readers/id_set.h"

#include <gtest/gtest.h>

namespace leakscan {
namespace {

TEST(IdSet, NoticesRepeatsOfSequentialIds) {
  IdSet ids;
  for (uint64_t id = 1; id <= 100000; ++id) ASSERT_TRUE(ids.insert(id));
  EXPECT_FALSE(ids.insert(1));
  EXPECT_FALSE(ids.insert(77777));
  EXPECT_TRUE(ids.insert(100001));
}

TEST(IdSet, LargeIdsStayCorrect) {
  // Ids far beyond a dense range (a long-running service, or a hostile file) use the sparse set.
  IdSet ids;
  for (uint64_t i = 0; i < 200000; ++i) ASSERT_TRUE(ids.insert(i << 32));
  for (uint64_t i = 0; i < 200000; i += 997) EXPECT_FALSE(ids.insert(i << 32));
  EXPECT_TRUE(ids.insert(12345));
}

TEST(IdSet, ClearForgetsEverything) {
  IdSet ids;
  for (uint64_t id = 0; id < 5000; ++id) ids.insert(id * 3);
  ids.clear();
  for (uint64_t id = 0; id < 5000; ++id) EXPECT_TRUE(ids.insert(id * 3));
  EXPECT_FALSE(ids.insert(0));
}

TEST(IdSet, ContainsDoesNotInsert) {
  IdSet ids;
  ids.insert(7);
  ids.insert(uint64_t{1} << 40);
  EXPECT_TRUE(ids.contains(7));
  EXPECT_TRUE(ids.contains(uint64_t{1} << 40));
  EXPECT_FALSE(ids.contains(8));
  EXPECT_FALSE(ids.contains(1 << 30));
  EXPECT_TRUE(ids.insert(8));
}

}  // namespace
}  // namespace leakscan
