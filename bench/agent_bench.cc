// The agent's costs, as the issue states its goals:
//  - BM_PingPong: two fibers ping-ponging over a channel, each round trip two switches, with
//    Boost's own round_robin (plain) and with leakscan's tracking_algorithm around it
//    (tracked), over Boost's channel and over leakscan's wrapper (tracked_wrapper). The
//    difference per switch is what the agent adds (goal: <= 30 ns; bench/switch_cost.sh takes
//    it over several interleaved rounds, for a shared machine). allocs_per_switch counts
//    every heap allocation on the switching thread over a separate run of round trips after
//    the timed loop (goal: 0).
//  - BM_Snapshot100k: 100,000 fibers parked on one condition variable, snapshotted from
//    another thread. cold is the process's first snapshot (unwinding, symbolizing, encoding);
//    first is one after every fiber ran again, so every stack is unwound anew (symbols
//    cached); repeat is one where nothing ran since the last (goals: first <= 2 us, repeat
//    <= 1 us per fiber). unwind_only and records_only time those parts of first and repeat.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/fiber/all.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/registry.h"
#include "leakscan/agent/sync.h"

// ---- Allocation counting: the binary's malloc family forwards to glibc's, counting calls made
// on a thread that asked to be counted. operator new reaches malloc, so it counts too.
namespace {
thread_local bool counting_allocations = false;
std::atomic<uint64_t> allocations{0};
void note_allocation() {
  if (counting_allocations) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

// glibc's own entry points, which the counting hooks forward to.
// NOLINTBEGIN(bugprone-reserved-identifier)
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);

void* malloc(size_t size) {
  note_allocation();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  note_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, size_t size) {
  note_allocation();
  return __libc_realloc(pointer, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  note_allocation();
  return __libc_memalign(alignment, size);
}
void* memalign(size_t alignment, size_t size) {
  note_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  note_allocation();
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}
}
// NOLINTEND(bugprone-reserved-identifier)

namespace {

using boost::fibers::channel_op_status;
using Tracked = leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>;

enum class Variant { kPlain, kTracked, kTrackedWrapper };

// One round trip: the driver sends, the echo fiber answers; each parks once.
template <typename Channel>
void ping_pong_fibers(benchmark::State& state) {
  Channel ping;
  Channel pong;
  boost::fibers::fiber echo([&] {
    int value = 0;
    while (ping.pop(value) == channel_op_status::success) pong.push(value);
  });
  int value = 0;
  for (auto _ : state) {
    ping.push(1);
    pong.pop(value);
  }
  // Counted apart from the timed loop, whose bookkeeping is the benchmark library's.
  constexpr int kCountedRoundTrips = 100'000;
  uint64_t before = allocations.load();
  counting_allocations = true;
  for (int i = 0; i < kCountedRoundTrips; ++i) {
    ping.push(1);
    pong.pop(value);
  }
  // The hook itself: one allocation made on purpose must show, or the zero above means nothing.
  uint64_t counted = allocations.load();
  benchmark::DoNotOptimize(std::make_unique<int>(1));
  counting_allocations = false;
  if (allocations.load() - counted != 1) state.SkipWithError("the allocation hook counts nothing");
  counted -= before;
  state.counters["allocs_per_switch"] = static_cast<double>(counted) / (2.0 * kCountedRoundTrips);
  ping.close();
  echo.join();
}

void BM_PingPong(benchmark::State& state, Variant variant) {
  // A thread of its own: a thread's scheduling algorithm is set once, before its first fiber.
  std::thread runner([&] {
    if (variant == Variant::kPlain) {
      boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
    } else {
      boost::fibers::use_scheduling_algorithm<Tracked>();
    }
    // The driver is a fiber too, so that both ends of every switch are fibers the agent tracks.
    boost::fibers::fiber driver([&] {
      if (variant == Variant::kTrackedWrapper) {
        ping_pong_fibers<leakscan::fibers::unbuffered_channel<int>>(state);
      } else {
        ping_pong_fibers<boost::fibers::unbuffered_channel<int>>(state);
      }
    });
    driver.join();
  });
  runner.join();
  state.SetItemsProcessed(state.iterations() * 2);  // switches
  // An inverted rate prints as a time: "per_switch=176ns".
  state.counters["per_switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// CPU time, of the one thread that runs both fibers (the timed loop runs there): on a shared
// machine, time spent preempted is not the switch's.
BENCHMARK_CAPTURE(BM_PingPong, plain, Variant::kPlain);
BENCHMARK_CAPTURE(BM_PingPong, tracked, Variant::kTracked);
BENCHMARK_CAPTURE(BM_PingPong, tracked_wrapper, Variant::kTrackedWrapper);

// `count` fibers on a thread of their own, parked on one condition variable until destroyed.
class ParkedFibers {
 public:
  explicit ParkedFibers(size_t count) : count_(count) {
    runner_ = std::thread([this] { run(); });
    wait_until_parked(count_);
  }
  ~ParkedFibers() {
    {
      std::unique_lock lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    runner_.join();
  }
  ParkedFibers(const ParkedFibers&) = delete;
  ParkedFibers& operator=(const ParkedFibers&) = delete;

  size_t count() const { return count_; }

  // Every fiber wakes and parks again: its stack, unwound before, is stale.
  void run_all_once() {
    uint64_t target = parks_.load() + count_;
    {
      std::unique_lock lock(mutex_);  // every fiber that counted itself now waits
    }
    changed_.notify_all();
    wait_until_parked(target);
  }

 private:
  void run() {
    boost::fibers::use_scheduling_algorithm<Tracked>();
    for (size_t i = 0; i < count_; ++i) {
      // Small stacks keep 100,000 fibers within a few hundred MB.
      boost::fibers::fiber(std::allocator_arg, boost::fibers::fixedsize_stack(size_t{16} * 1024),
                           [this] { park(); })
          .detach();
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return stopping_ && finished_ == count_; });
  }

  // Counts itself under the lock, so that whoever takes the lock next finds it waiting.
  void park() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      parks_.fetch_add(1);
      changed_.wait(lock);
    }
    ++finished_;
    changed_.notify_all();
  }

  void wait_until_parked(uint64_t parks) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (parks_.load() < parks) {
      if (std::chrono::steady_clock::now() > deadline) std::abort();  // a bench must not hang
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // The last fibers counted themselves just before parking: let them get there.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  const size_t count_;
  std::thread runner_;
  leakscan::fibers::mutex mutex_;
  leakscan::fibers::condition_variable changed_;
  bool stopping_ = false;  // guarded by mutex_
  size_t finished_ = 0;
  std::atomic<uint64_t> parks_{0};
};

constexpr size_t kParkedFibers = 100'000;

// Made once for every snapshot benchmark (creating 100,000 fibers takes a while), released in
// main: by static destruction the main thread's fiber context is gone.
std::unique_ptr<ParkedFibers> parked;

ParkedFibers& parked_fibers() {
  if (!parked) parked = std::make_unique<ParkedFibers>(kParkedFibers);
  return *parked;
}

void per_fiber(benchmark::State& state) {
  state.counters["per_fiber"] = benchmark::Counter(
      static_cast<double>(kParkedFibers),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["fibers"] = static_cast<double>(kParkedFibers);
}

enum class SnapshotKind { kCold, kFirst, kRepeat, kUnwindOnly, kRecordsOnly };

void BM_Snapshot100k(benchmark::State& state, SnapshotKind kind) {
  ParkedFibers& fibers = parked_fibers();
  size_t bytes = 0;
  for (auto _ : state) {
    if (kind == SnapshotKind::kFirst || kind == SnapshotKind::kUnwindOnly) {
      state.PauseTiming();
      fibers.run_all_once();
      state.ResumeTiming();
    }
    if (kind == SnapshotKind::kUnwindOnly) {
      auto [answered, asked] =
          leakscan::agent::Registry::instance().collect_stacks(std::chrono::seconds(10));
      if (answered != asked) state.SkipWithError("a scheduler did not unwind its fibers");
    } else if (kind == SnapshotKind::kRecordsOnly) {
      auto records = leakscan::agent::Registry::instance().records();
      benchmark::DoNotOptimize(records);
    } else {
      std::string profile = leakscan::agent::goroutine_profile_gzip();
      bytes = profile.size();
      benchmark::DoNotOptimize(profile);
    }
  }
  per_fiber(state);
  state.counters["profile_bytes"] = static_cast<double>(bytes);
}
// Registered first, and once: only the process's first snapshot is cold.
BENCHMARK_CAPTURE(BM_Snapshot100k, cold, SnapshotKind::kCold)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Snapshot100k, first, SnapshotKind::kFirst)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Snapshot100k, repeat, SnapshotKind::kRepeat)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Snapshot100k, unwind_only, SnapshotKind::kUnwindOnly)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Snapshot100k, records_only, SnapshotKind::kRecordsOnly)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  parked.reset();
  return 0;
}
