// What tracking adds to a C++20 coroutine, plain promise beside the same promise wrapped in
// leakscan::coro::tracked, in one run:
//  - BM_CoAwait: one suspension and one resumption of a coroutine looping on `co_await`, the
//    coroutine's switch (what the agent records: site, wait, object, then running again).
//  - BM_Create: a lazily started coroutine made and destroyed (the tracked one registers a
//    green thread and keeps 8 creator frames).
#include <benchmark/benchmark.h>

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "leakscan/agent/coroutine.h"

namespace {

// Suspends every time; the benchmark loop resumes the coroutine it holds.
struct Resumer {
  std::coroutine_handle<> waiting;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) noexcept { waiting = handle; }
  void await_resume() const noexcept {}
};

template <bool kTracked>
class Task {
 public:
  struct promise {
    Task get_return_object() { return Task(std::coroutine_handle<promise>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  using promise_type = std::conditional_t<kTracked, leakscan::coro::tracked<promise>, promise>;

  explicit Task(std::coroutine_handle<promise> handle) : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }
  void start() { handle_.resume(); }

 private:
  std::coroutine_handle<promise> handle_;
};

template <bool kTracked>
Task<kTracked> await_forever(Resumer& resumer) {
  for (;;) co_await resumer;
}

template <bool kTracked>
void BM_CoAwait(benchmark::State& state) {
  Resumer resumer;
  Task<kTracked> task = await_forever<kTracked>(resumer);
  task.start();
  for (auto _ : state) resumer.waiting.resume();
  state.counters["per_await"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CoAwait<false>)->Name("BM_CoAwait/plain");
BENCHMARK(BM_CoAwait<true>)->Name("BM_CoAwait/tracked");

template <bool kTracked>
void BM_Create(benchmark::State& state) {
  Resumer resumer;
  for (auto _ : state) {
    Task<kTracked> task = await_forever<kTracked>(resumer);
    benchmark::DoNotOptimize(task);
  }
}
BENCHMARK(BM_Create<false>)->Name("BM_Create/plain");
BENCHMARK(BM_Create<true>)->Name("BM_Create/tracked");

}  // namespace

BENCHMARK_MAIN();
