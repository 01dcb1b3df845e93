#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "analyzer/report/visible_text.h"
#include "cli/commands.h"

namespace leakscan::cli {

int report_error(const Error& error) {
  // The library speaks of the input; only here is it known which flag raises the limit.
  fmt::print(stderr, "leakscan: {}{}\n", visible(error.message),
             error.kind == ErrorKind::kTooLarge     ? "; raise --max-input-size to read it"
             : error.kind == ErrorKind::kOverBudget ? "; raise --max-memory to read it"
             : error.kind == ErrorKind::kOutOfMemory
                 ? "; free memory, or set --max-memory below what the machine has"
                 : "");
  return kExitUsageOrInput;
}

int close_written(std::FILE* file, std::string_view name, int code) {
  bool failed = std::fflush(file) != 0 || std::ferror(file) != 0;
  int error = errno;
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): this closes what its caller opened for it
  if (file != stdout && std::fclose(file) != 0 && !failed) {
    failed = true;
    error = errno;
  }
  if (!failed) return code;
  return report_write_failure(name, error);
}

int report_write_failure(std::string_view name, int error) {
  fmt::print(stderr, "leakscan: {}: cannot write: {}\n", visible(name),
             error != 0 ? std::strerror(error) : "a write failed");
  return kExitUsageOrInput;
}

int with_stdout_written(int code) {
  errno = 0;
  return close_written(stdout, "standard output", code);
}

void report_warnings(const std::vector<std::string>& warnings) {
  for (const auto& warning : warnings)
    fmt::print(stderr, "leakscan: warning: {}\n", visible(warning));
}

}  // namespace leakscan::cli
