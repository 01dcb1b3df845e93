// What tracking adds to Boost.Asio coroutines: one co_spawn'ed coroutine doing `co_await
// post(use_awaitable)` in a loop (an asynchronous operation's frame made, awaited, resumed and
// destroyed each time), and co_spawn of a coroutine that completes at once. Built twice, as
// asio_coroutine_bench_plain and, with leakscan/agent/asio.h included, _tracked: one
// coroutine_traits per program.
#ifdef LEAKSCAN_TRACK_ASIO
#include <leakscan/agent/asio.h>
#endif

#include <benchmark/benchmark.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>

namespace {

namespace net = boost::asio;

net::awaitable<void> post_repeatedly(int64_t times) {
  auto executor = co_await net::this_coro::executor;
  for (int64_t i = 0; i < times; ++i) co_await net::post(executor, net::use_awaitable);
}

net::awaitable<void> completes() { co_return; }

void BM_AsioPost(benchmark::State& state) {
  for (auto _ : state) {
    net::io_context context;
    co_spawn(context, post_repeatedly(1000), net::detached);
    context.run();
  }
  state.counters["per_post"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AsioPost);

void BM_AsioSpawn(benchmark::State& state) {
  net::io_context context;
  for (auto _ : state) {
    co_spawn(context, completes(), net::detached);
    context.run();
    context.restart();
  }
}
BENCHMARK(BM_AsioSpawn);

}  // namespace

BENCHMARK_MAIN();
