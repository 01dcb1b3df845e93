// FreeListWalker on lists laid out in this process's own memory as the Go runtime lays them
// out: a g's link, a P's list, the global ones. Hostile links (a cycle, a g not in the table, an
// absurd P count) end a walk or the whole read, never loop.
#include "bpf/go_free_lists.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <vector>

namespace leakscan::trace {
namespace {

// The runtime's objects, shrunk to what the walk reads.
struct FakeG {
  uint64_t pad = 0;
  uint64_t schedlink = 0;
};
struct FakeP {
  uint64_t pad = 0;
  uint64_t gfree = 0;
};
struct FakeSched {
  uint64_t pad = 0;
  uint64_t stack = 0;
  uint64_t no_stack = 0;
};
struct FakeSlice {
  uint64_t array = 0, length = 0, capacity = 0;
};

uint64_t address(const void* p) { return reinterpret_cast<uint64_t>(p); }

class FreeLists : public ::testing::Test {
 protected:
  FreeLists() {
    layout.g_schedlink = offsetof(FakeG, schedlink);
    layout.p_gfree = offsetof(FakeP, gfree);
    layout.sched_gfree_stack = offsetof(FakeSched, stack);
    layout.sched_gfree_nostack = offsetof(FakeSched, no_stack);
    layout.sched = address(&sched);
    layout.allp = address(&allp);
    p_pointers = {address(&ps[0]), address(&ps[1])};
    allp = {address(p_pointers.data()), 2, 2};
  }
  void link(size_t from, size_t to) { gs[from].schedlink = address(&gs[to]); }
  // The reader's view: each g's address and link, as read with the table.
  std::vector<FreeList> mark(Status* status = nullptr) {
    std::vector<DeadLink> links;
    for (const auto& g : gs) links.push_back({address(&g), g.schedlink});
    std::vector<FreeList> lists(links.size());
    auto result = walker.mark(ProcessMemory(getpid()), layout, 0, links, lists);
    if (status != nullptr) *status = result;
    return lists;
  }

  FreeListWalker walker;
  gobinary::GoRuntimeLayout layout;
  std::array<FakeG, 8> gs{};
  std::array<FakeP, 2> ps{};
  std::array<uint64_t, 2> p_pointers{};
  FakeSched sched;
  FakeSlice allp;
};

TEST_F(FreeLists, EachGIsOnTheListWhoseHeadLeadsToIt) {
  sched.stack = address(&gs[0]);  // 0 -> 1 -> 2
  link(0, 1);
  link(1, 2);
  sched.no_stack = address(&gs[3]);  // 3
  ps[1].gfree = address(&gs[4]);     // 4 -> 5
  link(4, 5);
  // 6, 7: on none (cgo's extra g's)
  Status status = Ok{};
  auto lists = mark(&status);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(lists, (std::vector{FreeList::kGlobal, FreeList::kGlobal, FreeList::kGlobal,
                                FreeList::kGlobal, FreeList::kProcessor, FreeList::kProcessor,
                                FreeList::kNone, FreeList::kNone}));
}

TEST_F(FreeLists, ACycleOrALinkOutsideTheTableEndsTheWalk) {
  sched.stack = address(&gs[0]);  // 0 -> 1 -> 0 -> ...
  link(0, 1);
  link(1, 0);
  ps[0].gfree = address(&gs[2]);  // 2 -> (not a dead g) -> 3 is never reached
  gs[2].schedlink = address(&sched);
  link(3, 4);
  auto lists = mark();
  EXPECT_EQ(lists[0], FreeList::kGlobal);
  EXPECT_EQ(lists[1], FreeList::kGlobal);
  EXPECT_EQ(lists[2], FreeList::kProcessor);
  EXPECT_EQ(lists[3], FreeList::kNone);
  EXPECT_EQ(lists[4], FreeList::kNone);
}

TEST_F(FreeLists, AnAbsurdPTableOrAnUnreadableHeadLeavesEveryGUnknown) {
  sched.stack = address(&gs[0]);
  allp.length = 1 << 20;
  allp.capacity = 1 << 20;
  Status status = Ok{};
  auto lists = mark(&status);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("runtime.allp"), std::string::npos)
      << status.error().message;
  EXPECT_EQ(lists, std::vector<FreeList>(gs.size(), FreeList::kUnknown));

  allp = {address(p_pointers.data()), 2, 2};
  p_pointers[1] = 8;  // a P at an address nobody maps
  lists = mark(&status);
  EXPECT_FALSE(status);
  EXPECT_EQ(lists, std::vector<FreeList>(gs.size(), FreeList::kUnknown));
}

TEST_F(FreeLists, ABinaryThatDoesNotSayWhereTheListsAreIsUnknownNotNone) {
  layout.sched = 0;
  Status status = Ok{};
  auto lists = mark(&status);
  EXPECT_FALSE(status);
  EXPECT_EQ(lists, std::vector<FreeList>(gs.size(), FreeList::kUnknown));
}

}  // namespace
}  // namespace leakscan::trace
