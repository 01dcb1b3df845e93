#include "leakscan/agent/coroutine.h"

namespace leakscan::coro::detail {
namespace {

// The coroutine that suspended last on this thread, awaiting whichever coroutine offers
// `child_key` when it starts. A frame's address or its framework's parent pointer: exact, so a
// stale entry can only be matched by that same child.
struct AwaitedChild {
  agent::ThreadHandle parent;
  const void* child_key = nullptr;
};
thread_local AwaitedChild tls_awaited __attribute__((tls_model("initial-exec")));

}  // namespace

green_thread::green_thread(size_t creator_frames)
    : thread_(agent::Registry::instance().on_create({.runtime = agent::Runtime::kCppCoroutine,
                                                     .initial_state = agent::FiberState::kRunnable,
                                                     .capture_creator_stack = creator_frames > 0,
                                                     .creator_frames = creator_frames})) {}

green_thread::~green_thread() {
  if (thread_) agent::Registry::instance().on_release(thread_);
}

agent::ThreadHandle take_awaiter(const void* key) noexcept {
  AwaitedChild awaited = std::exchange(tls_awaited, {});
  return key != nullptr && awaited.child_key == key ? awaited.parent : agent::ThreadHandle{};
}

void green_thread::started(const void* key) const noexcept {
  agent::ThreadHandle parent = take_awaiter(key);
  if (!thread_) return;
  auto& registry = agent::Registry::instance();
  if (parent) registry.set_parent(thread_, parent);
  registry.on_resume(thread_);
}

void green_thread::finished() const noexcept {
  if (!thread_) return;
  auto& registry = agent::Registry::instance();
  registry.set_parent(thread_, {});
  registry.on_exit(thread_);
}

void suspending(agent::ThreadHandle self, uintptr_t site, const char* reason,
                const void* object) noexcept {
  agent::Registry::instance().on_co_await(self, site, reason, object);
}

void awaiting(agent::ThreadHandle self, const void* child_key) noexcept {
  tls_awaited = child_key == nullptr ? AwaitedChild{} : AwaitedChild{self, child_key};
}

void resumed(agent::ThreadHandle self) noexcept {
  tls_awaited = {};
  agent::Registry::instance().on_co_resume(self);
}

}  // namespace leakscan::coro::detail
