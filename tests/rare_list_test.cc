#include "analyzer/model/rare_list.h"

#include <gtest/gtest.h>

#include <span>
#include <string>

#include "analyzer/model/snapshot.h"

namespace leakscan {
namespace {

TEST(RareList, EmptyCostsOnePointer) {
  EXPECT_EQ(sizeof(RareList<Label>), sizeof(void*));
  RareList<Label> labels;
  EXPECT_TRUE(labels.empty());
  EXPECT_EQ(labels.size(), 0u);
  EXPECT_EQ(labels.begin(), labels.end());
  EXPECT_TRUE(std::span<const Label>(labels).empty());
}

TEST(RareList, KeepsOrderAndPrependsAtTheFront) {
  RareList<std::string> list;
  list.push_back("b");
  list.emplace_back("c");
  list.prepend("a");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.front(), "a");
  EXPECT_EQ(list[1], "b");
  EXPECT_EQ(list.back(), "c");
  list.clear();
  EXPECT_TRUE(list.empty());
}

TEST(RareList, ACopiedThreadOwnsItsLabels) {
  GreenThread thread;
  thread.labels.push_back(Label{.key = "tenant", .str = "acme"});
  GreenThread copy = thread;
  copy.labels.push_back(Label{.key = "route", .str = "/orders"});
  copy.labels[0].str = "other";
  ASSERT_EQ(thread.labels.size(), 1u);
  EXPECT_EQ(thread.labels[0].str, "acme");
  EXPECT_EQ(copy.labels.size(), 2u);
  GreenThread moved = std::move(copy);
  EXPECT_EQ(moved.labels.size(), 2u);
  thread = moved;
  EXPECT_EQ(thread.labels[1].key, "route");
}

}  // namespace
}  // namespace leakscan
