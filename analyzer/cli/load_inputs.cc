#include "analyzer/cli/load_inputs.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "analyzer/cli/http_fetch.h"
#include "analyzer/readers/read_snapshots.h"

namespace leakscan::cli {
namespace {

bool is_url(const std::string& input) {
  return input.starts_with("http://") || input.starts_with("https://");
}

std::optional<std::chrono::system_clock::time_point> modification_time(const std::string& path) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

}  // namespace

std::optional<LoadedInputs> load_inputs(const std::vector<std::string>& inputs,
                                        const ReadLimits& limits, bool order_by_time) {
  LoadedInputs loaded;
  for (const auto& input : inputs) {
    Result<std::vector<Snapshot>> snapshots = Error{""};
    std::optional<std::chrono::system_clock::time_point> fallback_time;
    std::string fallback_origin = "order given";
    if (is_url(input)) {
      auto fetched_at = std::chrono::system_clock::now();
      auto body = http_get(input, limits.max_input_bytes);
      if (!body) {
        fmt::print(stderr, "leakscan: {}\n", body.error().message);
        return std::nullopt;
      }
      snapshots = read_snapshots_from_memory(*body, input, limits);
      fallback_time = fetched_at;
      fallback_origin = "time fetched";
    } else {
      snapshots = read_snapshots(input, limits);
      fallback_time = modification_time(input);
      if (fallback_time) fallback_origin = "file modification time";
    }
    if (!snapshots) {
      fmt::print(stderr, "leakscan: {}\n", snapshots.error().message);
      return std::nullopt;
    }
    for (auto& snapshot : *snapshots) {
      for (const auto& warning : snapshot.warnings) {
        fmt::print(stderr, "leakscan: warning: {}\n", warning);
      }
      std::string origin = snapshot.captured_at ? "profile" : "order given";
      if (!snapshot.captured_at && order_by_time) {
        snapshot.captured_at = fallback_time;
        origin = fallback_origin;
      }
      loaded.snapshots.push_back(std::move(snapshot));
      loaded.origins.push_back(SnapshotOrigin{origin});
    }
  }
  bool all_timed = std::all_of(loaded.snapshots.begin(), loaded.snapshots.end(),
                               [](const Snapshot& s) { return s.captured_at.has_value(); });
  if (order_by_time && all_timed && loaded.snapshots.size() > 1) {
    std::vector<size_t> order(loaded.snapshots.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return *loaded.snapshots[a].captured_at < *loaded.snapshots[b].captured_at;
    });
    LoadedInputs sorted;
    for (size_t index : order) {
      sorted.snapshots.push_back(std::move(loaded.snapshots[index]));
      sorted.origins.push_back(std::move(loaded.origins[index]));
    }
    return sorted;
  }
  return loaded;
}

}  // namespace leakscan::cli
