// Throughput of the analysis alone, input already read: goroutines/s for the five layers.
//   cluster/N:  layers 1 to 3 (system frames, dead-but-unfreed, clustering) on N synthetic
//               goroutines in 1,000 distinct stacks; analyze/N: the whole pipeline and report.
//               Both scale linearly (the Big-O line fits N).
//   analyze/FILE: the whole pipeline on each dump LEAKSCAN_BENCH_INPUTS names (colon-separated,
//               as for reader_bench); without it, the corpus files under tests/data/corpus.
//   render/FORMAT/FILE: the report of that analysis as JSON and as HTML, which inlines the
//               JSON: the page's cost beside the document it carries (bytes: its size).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "analyzer/analysis/dead_but_unfreed.h"
#include "analyzer/analysis/pattern_clustering.h"
#include "analyzer/analysis/system_frame_filter.h"
#include "analyzer/engine/find_leaks.h"
#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/reporters.h"
#include "bench/bench_inputs.h"

namespace {

using leakscan::Snapshot;

// `goroutines` goroutines over 1,000 stacks: 50 blocking sites x 2 creators x recursion depths
// 0 to 9 below the site, so 100 clusters. Shapes interleave, as goroutines of a real dump do.
std::vector<Snapshot> synthetic(int64_t goroutines) {
  std::vector<Snapshot> snapshots(1);
  Snapshot& snapshot = snapshots[0];
  auto frame = [&](const std::string& function, const std::string& file, int64_t line) {
    return snapshot.frames().intern(
        leakscan::Frame{snapshot.intern(function), snapshot.intern(file), line});
  };
  leakscan::FrameId gopark = frame("runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 363);
  leakscan::FrameId chanrecv = frame("runtime.chanrecv1", "/usr/lib/go/src/runtime/chan.go", 442);
  leakscan::FrameId recurse = frame("main.recurse", "/app/recurse.go", 9);
  struct Shape {
    leakscan::Stack stack;
    leakscan::FrameId creator;
  };
  std::vector<Shape> shapes;
  for (int s = 0; s < 1000; ++s) {
    std::vector<leakscan::FrameId> stack{
        gopark, chanrecv, frame(fmt::format("main.wait{}", s % 50), "/app/wait.go", 10 + s % 50)};
    for (int d = 0; d < (s / 50) % 10; ++d) stack.push_back(recurse);
    shapes.push_back(Shape{snapshot.intern_stack(stack),
                           frame(fmt::format("main.spawn{}", s / 500), "/app/spawn.go", 20)});
  }
  std::string_view status = snapshot.intern("chan receive");
  snapshot.threads.resize(static_cast<size_t>(goroutines));
  for (int64_t i = 0; i < goroutines; ++i) {
    auto& thread = snapshot.threads[static_cast<size_t>(i)];
    const Shape& shape = shapes[static_cast<size_t>(i % 1000)];
    thread.id = static_cast<uint64_t>(i) + 1;
    thread.status = status;
    thread.state = leakscan::ThreadState::kWaiting;
    thread.stack = shape.stack;
    thread.created_by = shape.creator;
  }
  return snapshots;
}

void set_rate(benchmark::State& state, int64_t goroutines) {
  state.counters["goroutines"] = static_cast<double>(goroutines);
  state.counters["goroutines/s"] = benchmark::Counter(
      static_cast<double>(goroutines), benchmark::Counter::kIsIterationInvariantRate);
}

void cluster_synthetic(benchmark::State& state) {
  auto snapshots = synthetic(state.range(0));
  const auto& rules = leakscan::default_rules();
  size_t clusters = 0;
  for (auto _ : state) {
    auto input = leakscan::make_analysis_input(snapshots);
    leakscan::SystemFrameFilter(rules).run(input);
    leakscan::DeadButUnfreed().run(input);
    auto found = leakscan::PatternClustering().run(input);
    clusters = found.size();
    benchmark::DoNotOptimize(found);
  }
  if (clusters != 100) state.SkipWithError(fmt::format("{} clusters, not 100", clusters).c_str());
  set_rate(state, state.range(0));
  state.SetComplexityN(state.range(0));
}

void analyze_synthetic(benchmark::State& state) {
  auto snapshots = synthetic(state.range(0));
  leakscan::AnalysisOptions options;
  for (auto _ : state) {
    auto analysis = leakscan::analyze(snapshots, options);
    if (!analysis) {
      state.SkipWithError(analysis.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(analysis);
  }
  set_rate(state, state.range(0));
  state.SetComplexityN(state.range(0));
}

void analyze_file(benchmark::State& state, const std::string& path) {
  auto snapshots = leakscan::read_snapshots(path);
  if (!snapshots) {
    state.SkipWithError(snapshots.error().message.c_str());
    return;
  }
  int64_t goroutines = 0;
  for (const auto& snapshot : *snapshots) goroutines += snapshot.goroutine_count();
  leakscan::AnalysisOptions options;
  int64_t clusters = 0;
  for (auto _ : state) {
    auto analysis = leakscan::analyze(*snapshots, options);
    if (!analysis) {
      state.SkipWithError(analysis.error().message.c_str());
      return;
    }
    clusters = analysis->report.summary().clusters();
    benchmark::DoNotOptimize(analysis);
  }
  state.counters["clusters"] = static_cast<double>(clusters);
  set_rate(state, goroutines);
}

void render_file(benchmark::State& state, const std::string& path, leakscan::OutputFormat format) {
  auto snapshots = leakscan::read_snapshots(path);
  if (!snapshots) {
    state.SkipWithError(snapshots.error().message.c_str());
    return;
  }
  auto analysis = leakscan::analyze(*snapshots, leakscan::AnalysisOptions{});
  if (!analysis) {
    state.SkipWithError(analysis.error().message.c_str());
    return;
  }
  size_t bytes = 0;
  for (auto _ : state) {
    auto rendered = leakscan::render_report(*analysis, format, leakscan::TextOptions{});
    if (!rendered) {
      state.SkipWithError(rendered.error().message.c_str());
      return;
    }
    bytes = rendered->size();
    benchmark::DoNotOptimize(rendered);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

}  // namespace

BENCHMARK(cluster_synthetic)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(analyze_synthetic)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

int main(int argc, char** argv) {
  for (const auto& path : leakscan::bench::bench_inputs()) {
    std::string name = std::filesystem::path(path).filename().string();
    benchmark::RegisterBenchmark(("analyze/" + name).c_str(), analyze_file, path)
        ->Unit(benchmark::kMillisecond);
    for (auto [format, word] : {std::pair{leakscan::OutputFormat::kJson, "json"},
                                std::pair{leakscan::OutputFormat::kHtml, "html"}}) {
      benchmark::RegisterBenchmark(fmt::format("render/{}/{}", word, name).c_str(), render_file,
                                   path, format)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
