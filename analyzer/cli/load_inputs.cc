#include "analyzer/cli/load_inputs.h"

#include <fmt/format.h>

#include "analyzer/readers/read_snapshots.h"

namespace leakscan::cli {

std::optional<std::vector<Snapshot>> load_inputs(const std::vector<std::string>& inputs,
                                                 const ReadLimits& limits) {
  std::vector<Snapshot> all;
  for (const auto& input : inputs) {
    auto snapshots = read_snapshots(input, limits);
    if (!snapshots) {
      fmt::print(stderr, "leakscan: {}\n", snapshots.error().message);
      return std::nullopt;
    }
    for (auto& snapshot : *snapshots) {
      for (const auto& warning : snapshot.warnings)
        fmt::print(stderr, "leakscan: warning: {}\n", warning);
      all.push_back(std::move(snapshot));
    }
  }
  return all;
}

}  // namespace leakscan::cli
