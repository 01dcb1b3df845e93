#pragma once

#include <string>
#include <vector>

#include "analyzer/readers/byte_source.h"

namespace leakscan::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsageOrInput = 2;

struct ConvertOptions {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string to = "pprof";
  ReadLimits limits;
};

struct SummaryOptions {
  std::vector<std::string> inputs;
  ReadLimits limits;
};

int run_convert(const ConvertOptions& options);
int run_summary(const SummaryOptions& options);

}  // namespace leakscan::cli
