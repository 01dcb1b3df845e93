// `leakscan FILE...` before the analyzer exists: what was read, counted by state and by the
// function each goroutine is parked in.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/load_inputs.h"

namespace leakscan::cli {
namespace {

// The first frame outside the runtime's own scheduling code: where the goroutine waits.
std::string_view parked_in(const Snapshot& snapshot, Stack stack) {
  for (FrameId id : stack) {
    std::string_view function = snapshot.frame(id).function;
    if (!function.starts_with("runtime.")) return function;
  }
  return stack.empty() ? std::string_view("(no frames)") : snapshot.frame(stack.front()).function;
}

template <typename Map>
void print_top(const Map& counts, int64_t total, size_t limit) {
  std::vector<std::pair<std::string_view, int64_t>> rows(counts.begin(), counts.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    fmt::print(
        "  {:>8}  {:5.1f}%  {}\n", rows[i].second,
        total > 0 ? 100.0 * static_cast<double>(rows[i].second) / static_cast<double>(total) : 0.0,
        rows[i].first);
  }
  if (rows.size() > limit) fmt::print("  ... {} more\n", rows.size() - limit);
}

void print_snapshot(const Snapshot& snapshot) {
  int64_t total = snapshot.goroutine_count();
  fmt::print("{}: {} goroutines ({}{})\n", snapshot.source, total, to_string(snapshot.format),
             snapshot.reason.empty() ? "" : ", " + snapshot.reason);
  std::unordered_map<std::string_view, int64_t> by_function;
  if (!snapshot.aggregated()) {
    std::map<std::string_view, int64_t> by_status;
    for (const auto& thread : snapshot.threads) {
      ++by_status[thread.status.empty() ? "unknown" : thread.status];
      ++by_function[parked_in(snapshot, thread.stack)];
    }
    fmt::print(" by state:\n");
    print_top(by_status, total, 10);
  } else {
    for (const auto& sample : snapshot.samples) {
      by_function[parked_in(snapshot, sample.stack)] += sample.count;
    }
  }
  fmt::print(" by function:\n");
  print_top(by_function, total, 10);
}

}  // namespace

int run_summary(const SummaryOptions& options) {
  auto snapshots = load_inputs(options.inputs, options.limits);
  if (!snapshots) return kExitUsageOrInput;
  for (const auto& snapshot : *snapshots) print_snapshot(snapshot);
  return kExitOk;
}

}  // namespace leakscan::cli
