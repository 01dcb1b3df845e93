// The dumps the benchmarks read: LEAKSCAN_BENCH_INPUTS (colon-separated paths; the bench
// scripts capture them from samples/go/bigleak), else every dump in tests/data/corpus.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace leakscan::bench {

inline std::vector<std::string> bench_inputs() {
  std::vector<std::string> paths;
  if (const char* list = std::getenv("LEAKSCAN_BENCH_INPUTS")) {
    std::stringstream in(list);
    std::string path;
    while (std::getline(in, path, ':')) {
      if (!path.empty()) paths.push_back(path);
    }
    return paths;
  }
  for (const auto& entry : std::filesystem::directory_iterator(LEAKSCAN_CORPUS_DIR)) {
    auto name = entry.path().filename().string();
    if (name.ends_with(".txt") || name.ends_with(".pb.gz")) paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace leakscan::bench
