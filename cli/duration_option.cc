#include "cli/duration_option.h"

#include <fmt/format.h>

#include <cstdio>

#include "analyzer/model/text_format.h"

namespace leakscan::cli {

std::optional<std::chrono::milliseconds> duration_option(std::string_view command,
                                                         std::string_view flag,
                                                         const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed || parsed->count() <= 0) {
    fmt::print(stderr, "leakscan{}{}: {} {}: expected a duration like 500ms, 30s, 5m or 1h\n",
               command.empty() ? "" : " ", command, flag, text);
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

}  // namespace leakscan::cli
