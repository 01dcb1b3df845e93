// C++20 coroutines as green threads: a chain of coroutines awaiting one another shows as one
// stack at the innermost, with each co_await's line; a finished coroutine whose frame was never
// destroyed shows as exited; destroyed frames leave the registry.
#include <gtest/gtest.h>

#include <boost/fiber/all.hpp>
#include <coroutine>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "agent/src/profiles.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/read_snapshots.h"
#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/coroutine.h"
#include "leakscan/agent/sync.h"

// Outside namespace leakscan: these stand for the program's own code.
namespace agent_coroutine_test {
using namespace leakscan;  // NOLINT(google-build-using-namespace)

// A lazily started task whose awaiter resumes the awaiting coroutine when it ends, written as
// any task type is; one line (`promise_type`) makes it tracked.
template <typename T>
class Task {
 public:
  struct promise {
    T value{};
    std::coroutine_handle<> continuation;

    Task get_return_object() { return Task(std::coroutine_handle<promise>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise> self) noexcept {
        auto next = self.promise().continuation;
        return next ? next : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void return_value(T result) { value = std::move(result); }
    void unhandled_exception() { std::terminate(); }
  };
  using promise_type = coro::tracked<promise>;

  explicit Task(std::coroutine_handle<promise> handle) : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) {
    handle_.promise().continuation = parent;
    return handle_;
  }
  T await_resume() { return handle_.promise().value; }

  void start() { handle_.resume(); }
  bool done() const { return handle_.done(); }
  // Lets the frame leak: what a forgotten task does.
  void abandon() { handle_ = {}; }

 private:
  std::coroutine_handle<promise> handle_;
};

// An event nobody sets: the classic leak of a coroutine waiting forever.
struct Event {
  std::coroutine_handle<> waiter;
  bool await_ready() const { return false; }
  void await_suspend(std::coroutine_handle<> handle) { waiter = handle; }
  void await_resume() const {}
  const char* leakscan_wait_reason() const { return "event wait"; }
  void set() { std::exchange(waiter, {}).resume(); }
};

Event g_event;
constexpr int kInnermostAwaitLine = __LINE__ + 2;
Task<int> innermost() {
  co_await g_event;
  co_return 1;
}
constexpr int kMiddleAwaitLine = __LINE__ + 2;
Task<int> middle() {
  int value = co_await innermost();
  co_return value + 1;
}
Task<int> finishes() { co_return 7; }

// A task type with an await_transform of its own: `co_await OnEvent{&event}` waits for the event.
struct OnEvent {
  Event* event;
};
class Eager {
 public:
  struct promise {
    int transforms = 0;
    Eager get_return_object() { return Eager(std::coroutine_handle<promise>::from_promise(*this)); }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    Event& await_transform(OnEvent wait) {
      ++transforms;
      return *wait.event;
    }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  using promise_type = coro::tracked<promise>;

  explicit Eager(std::coroutine_handle<promise> handle) : handle_(handle) {}
  Eager(Eager&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Eager& operator=(Eager&&) = delete;
  ~Eager() { handle_.destroy(); }
  int transforms() const { return handle_.promise().transforms; }
  bool done() const { return handle_.done(); }

 private:
  std::coroutine_handle<promise> handle_;
};

constexpr int kTransformedAwaitLine = __LINE__ + 2;
Eager waits_through_its_own_transform() { co_await OnEvent{&g_event}; }

// An awaiter whose await_suspend throws: the coroutine is resumed at once, with the exception.
struct Refuses {
  bool await_ready() const { return false; }
  void await_suspend(std::coroutine_handle<> /*handle*/) const {
    throw std::runtime_error("refused");
  }
  void await_resume() const {}
};
std::string g_state_after_refusal;
Task<int> survives_a_throwing_await(uint64_t first) {
  try {
    co_await Refuses{};
  } catch (const std::runtime_error&) {
    auto threads = agent::describe_green_threads(first);
    g_state_after_refusal = threads.empty() ? "none" : threads[0].state;
  }
  co_return 0;
}

const GreenThread* only_coroutine(const std::vector<Snapshot>& snapshots, uint64_t first,
                                  const Snapshot** owner) {
  const GreenThread* found = nullptr;
  for (const auto& snapshot : snapshots) {
    for (const auto& thread : snapshot.threads) {
      if (thread.id < first) continue;
      EXPECT_EQ(found, nullptr) << "more than one coroutine of this test is listed";
      EXPECT_EQ(snapshot.runtime, RuntimeKind::kCppCoroutine);
      found = &thread;
      *owner = &snapshot;
    }
  }
  return found;
}

TEST(AgentCoroutines, AChainOfAwaitingCoroutinesIsOneStack) {
  uint64_t first = agent::next_green_thread_id();
  Task<int> outer = middle();
  outer.start();
  ASSERT_FALSE(outer.done());

  const Snapshot* snapshot = nullptr;
  auto snapshots = agent::take_snapshots(std::chrono::seconds(1));
  const GreenThread* thread = only_coroutine(snapshots, first, &snapshot);
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ(thread->state, ThreadState::kWaiting);
  EXPECT_EQ(thread->wait_reason, "event wait");
  ASSERT_EQ(thread->stack.size(), 2U);
  const Frame& inner = snapshot->frame(thread->stack[0]);
  const Frame& outer_frame = snapshot->frame(thread->stack[1]);
  EXPECT_EQ(inner.function, "agent_coroutine_test::innermost");
  EXPECT_EQ(inner.line, kInnermostAwaitLine);
  EXPECT_EQ(outer_frame.function, "agent_coroutine_test::middle");
  // GCC 12 puts the call that awaits a temporary task on the coroutine's closing line, not the
  // co_await's: the frame is in `middle`, between the two.
  EXPECT_GE(outer_frame.line, kMiddleAwaitLine);
  EXPECT_LE(outer_frame.line, kMiddleAwaitLine + 2);
  // The chain is the green thread `outer` spawned: its creation site is here, not `middle`.
  ASSERT_NE(thread->created_by, kNoFrame);
  EXPECT_NE(
      snapshot->frame(thread->created_by).function.find("AChainOfAwaitingCoroutinesIsOneStack"),
      std::string::npos)
      << snapshot->frame(thread->created_by).function;
  bool has_object = false;
  for (const auto& label : thread->labels) has_object = has_object || label.key == "wait_object";
  EXPECT_TRUE(has_object);

  g_event.set();
  EXPECT_TRUE(outer.done());
  const Snapshot* after_owner = nullptr;
  auto after = agent::take_snapshots(std::chrono::seconds(1));
  const GreenThread* finished = only_coroutine(after, first, &after_owner);
  ASSERT_NE(finished, nullptr);  // `outer`, done but not yet destroyed
  EXPECT_EQ(finished->state, ThreadState::kExited);
}

TEST(AgentCoroutines, ThePromisesOwnAwaitTransformComposesWithTracking) {
  uint64_t first = agent::next_green_thread_id();
  Eager task = waits_through_its_own_transform();
  EXPECT_EQ(task.transforms(), 1);
  ASSERT_FALSE(task.done());

  const Snapshot* snapshot = nullptr;
  auto snapshots = agent::take_snapshots(std::chrono::seconds(1));
  const GreenThread* thread = only_coroutine(snapshots, first, &snapshot);
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ(thread->state, ThreadState::kWaiting);
  EXPECT_EQ(thread->wait_reason, "event wait");  // the awaiter the promise's transform made
  ASSERT_EQ(thread->stack.size(), 1U);
  EXPECT_EQ(snapshot->frame(thread->stack[0]).function,
            "agent_coroutine_test::waits_through_its_own_transform");
  // GCC 12 may put the call of a transformed await on the coroutine's opening line.
  EXPECT_GE(snapshot->frame(thread->stack[0]).line, kTransformedAwaitLine - 1);
  EXPECT_LE(snapshot->frame(thread->stack[0]).line, kTransformedAwaitLine);
  ASSERT_NE(thread->created_by, kNoFrame);
  EXPECT_NE(snapshot->frame(thread->created_by).function.find("ThePromisesOwnAwaitTransform"),
            std::string::npos);

  g_event.set();
  EXPECT_TRUE(task.done());
  auto threads = agent::describe_green_threads(first);
  ASSERT_EQ(threads.size(), 1U);
  EXPECT_EQ(threads[0].state, "exited");
}

TEST(AgentCoroutines, AThrowingAwaitSuspendLeavesTheCoroutineRunning) {
  uint64_t first = agent::next_green_thread_id();
  Task<int> task = survives_a_throwing_await(first);
  task.start();
  EXPECT_TRUE(task.done());
  EXPECT_EQ(g_state_after_refusal, "running");
}

// A snapshot follows parent links: a cycle (a corrupt chain) must end the walk, not hang it.
TEST(AgentCoroutines, ACycleOfParentLinksStillReads) {
  auto& registry = agent::Registry::instance();
  agent::CreateOptions options{.runtime = agent::Runtime::kCppCoroutine,
                               .capture_creator_stack = false};
  agent::ThreadHandle one = registry.on_create(options);
  agent::ThreadHandle other = registry.on_create(options);
  ASSERT_TRUE(one && other);
  registry.set_parent(one, other);
  registry.set_parent(other, one);
  size_t found = 0;
  for (const auto& record : registry.records()) {
    if (record.id != one.id() && record.id != other.id()) continue;
    ++found;
    EXPECT_LE(record.stack_pcs.size(), agent::kMaxStackFrames);
  }
  EXPECT_EQ(found, 2U);
  registry.on_release(one);
  registry.on_release(other);
}

TEST(AgentCoroutines, AFinishedCoroutineNeverDestroyedStaysExited) {
  uint64_t first = agent::next_green_thread_id();
  {
    Task<int> task = finishes();
    task.start();
    ASSERT_TRUE(task.done());
    task.abandon();  // the frame leaks
  }
  auto threads = agent::describe_green_threads(first);
  ASSERT_EQ(threads.size(), 1U);
  EXPECT_EQ(threads[0].state, "exited");
  EXPECT_NE(threads[0].created_by.find("AFinishedCoroutineNeverDestroyedStaysExited"),
            std::string::npos)
      << threads[0].created_by;
}

TEST(AgentCoroutines, DestroyedFramesLeaveTheRegistry) {
  uint64_t first = agent::next_green_thread_id();
  {
    Task<int> task = finishes();
    task.start();
    EXPECT_EQ(agent::live_green_threads_since(first), 1U);
  }
  EXPECT_EQ(agent::live_green_threads_since(first), 0U);
}

// Go's text forms have one dump per process: fibers and coroutines go into the same one, which
// leakscan's readers read back whole.
TEST(AgentCoroutines, FibersAndCoroutinesShareOneTextDump) {
  thread_local bool installed = [] {
    boost::fibers::use_scheduling_algorithm<
        leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
    return true;
  }();
  ASSERT_TRUE(installed);
  uint64_t first = agent::next_green_thread_id();
  leakscan::fibers::unbuffered_channel<int> never;
  boost::fibers::fiber parked([&] {
    int value = 0;
    never.pop(value);
  });
  boost::this_fiber::yield();
  Task<int> waiting = innermost();
  waiting.start();
  for (int debug : {1, 2}) {
    std::string text = agent::goroutine_text(debug);
    auto snapshots = read_snapshots_from_memory(text, "agent");
    ASSERT_TRUE(snapshots) << snapshots.error().message << "\n" << text;
    ASSERT_EQ(snapshots->size(), 1U);
    EXPECT_GE((*snapshots)[0].goroutine_count(), 2) << text;
    EXPECT_NE(text.find("agent_coroutine_test::innermost"), std::string::npos) << text;
    if (debug == 2) {
      EXPECT_NE(text.find("[chan receive]"), std::string::npos) << text;
    }
  }
  EXPECT_EQ(agent::live_green_threads_since(first), 2U);
  g_event.set();
  never.close();
  parked.join();
}

}  // namespace agent_coroutine_test
