// The agent's registry without any fiber runtime: the hooks' effects, slot reuse, labels, the
// creator's stack, and consistent reads while other threads switch green threads constantly.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "agent/src/symbolizer.h"
#include "leakscan/agent/registry.h"

namespace leakscan::agent {
namespace {

const ThreadRecord* find(const std::vector<ThreadRecord>& records, uint64_t id) {
  for (const auto& record : records) {
    if (record.id == id) return &record;
  }
  return nullptr;
}

TEST(AgentRegistry, HooksShowInTheRecords) {
  Registry registry;
  ThreadHandle thread = registry.on_create({.capture_creator_stack = false});
  ASSERT_TRUE(thread);
  auto records = registry.records();
  ASSERT_NE(find(records, thread.id()), nullptr);
  EXPECT_EQ(find(records, thread.id())->state, FiberState::kRunnable);

  int object = 0;
  registry.on_park(thread, "chan send", &object);
  records = registry.records();
  EXPECT_EQ(find(records, thread.id())->state, FiberState::kWaiting);
  EXPECT_STREQ(find(records, thread.id())->wait_reason, "chan send");
  EXPECT_EQ(find(records, thread.id())->wait_object, &object);

  registry.on_run(thread);
  records = registry.records();
  EXPECT_EQ(find(records, thread.id())->state, FiberState::kRunning);
  EXPECT_EQ(find(records, thread.id())->wait_reason, nullptr);
  EXPECT_EQ(Registry::current(), thread);

  registry.on_exit(thread);
  EXPECT_EQ(find(registry.records(), thread.id())->state, FiberState::kExited);

  registry.on_release(thread);
  EXPECT_EQ(find(registry.records(), thread.id()), nullptr);
  EXPECT_FALSE(Registry::current());
}

TEST(AgentRegistry, ReleasedSlotsAreReusedSoMemoryFollowsThePeakNotTheTotal) {
  Registry registry;
  std::set<uint64_t> ids;
  for (int round = 0; round < 50; ++round) {
    std::vector<ThreadHandle> threads;
    for (int i = 0; i < 1000; ++i) {
      threads.push_back(registry.on_create({.capture_creator_stack = false}));
      ids.insert(threads.back().id());
    }
    for (auto thread : threads) registry.on_release(thread);
  }
  EXPECT_EQ(ids.size(), 50'000U);  // ids are never reused
  EXPECT_LE(registry.slot_capacity(), 1000U);
  EXPECT_EQ(registry.live_count(), 0U);
}

// A scheduler unwinds only fibers that have run: a fresh one's stack holds no frame to walk.
TEST(AgentRegistry, AGreenThreadInAReusedSlotHasNotRunYet) {
  Registry registry;
  ThreadHandle first = registry.on_create({.capture_creator_stack = false});
  registry.on_run(first);
  registry.on_exit(first);
  registry.on_release(first);
  ThreadHandle second = registry.on_create({.capture_creator_stack = false});
  ASSERT_EQ(second.slot(), first.slot());  // the test is about reuse
  const std::vector<ThreadRecord> records = registry.records();
  const ThreadRecord* record = find(records, second.id());
  ASSERT_NE(record, nullptr);
  EXPECT_FALSE(record->started);
  registry.on_run(second);
  EXPECT_TRUE(find(registry.records(), second.id())->started);
  registry.on_release(second);
}

TEST(AgentRegistry, LiveCountSinceAnIdCountsOnlyNewerThreads) {
  Registry registry;
  ThreadHandle old = registry.on_create({.capture_creator_stack = false});
  uint64_t mark = registry.next_id();
  ThreadHandle newer = registry.on_create({.capture_creator_stack = false});
  EXPECT_EQ(registry.live_count(), 2U);
  EXPECT_EQ(registry.live_count(mark), 1U);
  registry.on_release(newer);
  EXPECT_EQ(registry.live_count(mark), 0U);
  registry.on_release(old);
}

[[gnu::noinline]] ThreadHandle create_from_a_named_function(Registry& registry) {
  ThreadHandle thread = registry.on_create({});
  asm volatile("");  // keeps the call a real call, not a tail jump
  return thread;
}

TEST(AgentRegistry, CreatorStackNamesTheCreatingFunction) {
  Registry registry;
  ThreadHandle thread = create_from_a_named_function(registry);
  auto records = registry.records();
  const ThreadRecord* record = find(records, thread.id());
  ASSERT_NE(record, nullptr);
  ASSERT_FALSE(record->creator_pcs.empty());
  Symbolizer symbolizer;
  std::vector<std::string> functions;
  for (uintptr_t pc : record->creator_pcs) {
    for (const auto& frame : symbolizer.frames(pc)) functions.emplace_back(frame.function);
  }
  ASSERT_GE(functions.size(), 2U);
  EXPECT_EQ(functions[0], "leakscan::agent::(anonymous namespace)::create_from_a_named_function");
  EXPECT_NE(std::find(functions.begin(), functions.end(),
                      "leakscan::agent::(anonymous namespace)::"
                      "AgentRegistry_CreatorStackNamesTheCreatingFunction_Test::TestBody"),
            functions.end());
  registry.on_release(thread);
}

TEST(AgentRegistry, ChildrenInheritTheCreatorsLabelsAndScopedLabelsRestore) {
  auto& registry = Registry::instance();
  ThreadHandle parent = registry.on_create({.capture_creator_stack = false});
  registry.on_run(parent);
  ThreadHandle child;
  {
    ScopedLabels labels({{"route", "/api/orders"}});
    {
      ScopedLabels more({{"tenant", "acme"}, {"route", "/api/refunds"}});
      const LabelSet* inner = registry.labels(parent);
      ASSERT_NE(inner, nullptr);
      EXPECT_EQ(inner->labels, (std::vector<std::pair<std::string, std::string>>{
                                   {"route", "/api/refunds"}, {"tenant", "acme"}}));
    }
    child = registry.on_create({.capture_creator_stack = false});
    ASSERT_NE(registry.labels(parent), nullptr);
    EXPECT_EQ(registry.labels(parent)->labels.size(), 1U);
  }
  EXPECT_EQ(registry.labels(parent), nullptr);
  auto records = registry.records();
  const ThreadRecord* record = find(records, child.id());
  ASSERT_NE(record, nullptr);
  ASSERT_NE(record->labels, nullptr);
  EXPECT_EQ(record->labels->labels.front().second, "/api/orders");
  EXPECT_EQ(record->creator_id, parent.id());
  registry.on_release(child);
  registry.on_release(parent);
}

TEST(AgentRegistry, LabelSetsAreInterned) {
  Registry registry;
  const LabelSet* a = registry.intern_labels({{"b", "2"}, {"a", "1"}});
  const LabelSet* b = registry.intern_labels({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, registry.intern_labels({{"a", "1"}}));
}

// Writers switch their green threads constantly, each park naming the thread itself as the
// object, some woken again; a reader checks every record it gets is one state, never half of
// two.
TEST(AgentRegistry, ReadsAreConsistentUnderConcurrentChurn) {
  Registry registry;
  constexpr int kWriters = 3;
  std::atomic<bool> stop{false};
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      std::vector<ThreadHandle> mine;
      for (int round = 0; !stop.load(std::memory_order_relaxed); ++round) {
        if (mine.size() < 64) mine.push_back(registry.on_create({.capture_creator_stack = false}));
        ThreadHandle thread = mine[static_cast<size_t>(round) % mine.size()];
        registry.on_run(thread);
        registry.on_park(
            thread, (round & 1) ? "chan send" : "chan receive",
            reinterpret_cast<const void*>(thread.id()));  // NOLINT: the id as the object
        // Woken (a store without the sequence lock): runnable, keeping the park's object.
        if (round % 3 == 0) registry.on_ready(thread);
        if (round % 97 == 0) {
          registry.on_release(thread);
          mine.erase(mine.begin() + (round % static_cast<int>(mine.size())));
        }
      }
      for (auto thread : mine) registry.on_release(thread);
      ++writers_done;
    });
  }
  size_t checked = 0;
  size_t snapshots = 0;
  // Bounded: the writers finish in well under the limit on any machine.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while ((checked < 20000 || snapshots < 100) && std::chrono::steady_clock::now() < deadline) {
    for (const auto& record : registry.records()) {
      if (record.state == FiberState::kRunnable) {
        // Never parked yet (no object), or woken from a park on itself.
        ASSERT_TRUE(record.wait_object == nullptr ||
                    record.wait_object == reinterpret_cast<const void*>(record.id));  // NOLINT
      }
      if (record.state != FiberState::kWaiting) continue;
      ASSERT_EQ(record.wait_object, reinterpret_cast<const void*>(record.id));  // NOLINT: see above
      ASSERT_TRUE(std::string_view(record.wait_reason) == "chan send" ||
                  std::string_view(record.wait_reason) == "chan receive");
      ++checked;
    }
    ++snapshots;
  }
  stop = true;
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(writers_done.load(), kWriters);
  EXPECT_GT(snapshots, 0U);
  EXPECT_GT(checked, 0U);
  EXPECT_EQ(registry.live_count(), 0U);
}

TEST(AgentSymbolizer, NamesLoseParameterListsAndReturnTypes) {
  EXPECT_EQ(without_parameters("ns::f(int, char) const"), "ns::f");
  EXPECT_EQ(without_parameters("ns::Class::operator()(int) const &"), "ns::Class::operator()");
  EXPECT_EQ(without_parameters("int ns::f<int>(int)"), "ns::f<int>");
  EXPECT_EQ(without_parameters("main()::{lambda()#1}::operator()() const"),
            "main()::{lambda()#1}::operator()");
  EXPECT_EQ(without_parameters("demo::fetch(int) [clone .actor]"), "demo::fetch");
  EXPECT_EQ(without_parameters("plain_c_function"), "plain_c_function");
}

}  // namespace
}  // namespace leakscan::agent
