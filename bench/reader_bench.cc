// Throughput of the readers alone, input already in memory: MiB/s and goroutines/s.
// LEAKSCAN_BENCH_INPUTS names the dumps (colon-separated); bench/run.sh captures them from
// samples/go/bigleak. Without it, the corpus files under tests/data/corpus are used.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/readers/read_snapshots.h"
#include "analyzer/writers/pprof_writer.h"
#include "bench/bench_inputs.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void read_input(benchmark::State& state, const std::string& path) {
  std::string bytes = slurp(path);
  int64_t goroutines = 0;
  for (auto _ : state) {
    auto snapshots = leakscan::read_snapshots_from_memory(bytes, path);
    if (!snapshots) {
      state.SkipWithError(snapshots.error().message.c_str());
      return;
    }
    goroutines = 0;
    for (const auto& snapshot : *snapshots) goroutines += snapshot.goroutine_count();
    benchmark::DoNotOptimize(snapshots);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["goroutines"] = static_cast<double>(goroutines);
  state.counters["goroutines/s"] = benchmark::Counter(
      static_cast<double>(goroutines), benchmark::Counter::kIsIterationInvariantRate);
}

void encode_input(benchmark::State& state, const std::string& path) {
  auto snapshots = leakscan::read_snapshots(path);
  if (!snapshots) {
    state.SkipWithError(snapshots.error().message.c_str());
    return;
  }
  size_t size = 0;
  for (auto _ : state) {
    auto bytes = leakscan::encode_pprof(*snapshots);
    size = bytes->size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["pprof_bytes"] = static_cast<double>(size);
}

}  // namespace

int main(int argc, char** argv) {
  for (const auto& path : leakscan::bench::bench_inputs()) {
    std::string name = std::filesystem::path(path).filename().string();
    benchmark::RegisterBenchmark(("read/" + name).c_str(), read_input, path)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("encode_pprof/" + name).c_str(), encode_input, path)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
