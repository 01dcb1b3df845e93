#include <fmt/format.h>

#include "cli/commands.h"

namespace leakscan::cli {

int report_error(const Error& error) {
  // The library speaks of the input; only here is it known which flag raises the limit.
  fmt::print(stderr, "leakscan: {}{}\n", error.message,
             error.kind == ErrorKind::kTooLarge ? "; raise --max-input-size to read it" : "");
  return kExitUsageOrInput;
}

void report_warnings(const std::vector<std::string>& warnings) {
  for (const auto& warning : warnings) fmt::print(stderr, "leakscan: warning: {}\n", warning);
}

}  // namespace leakscan::cli
