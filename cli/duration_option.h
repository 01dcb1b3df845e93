// A duration flag (--every 30s, --for 5m) as given on the command line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace leakscan::cli {

// The positive duration `text` names; nothing, and a line naming `command` and `flag` on
// stderr, when it names none.
std::optional<std::chrono::milliseconds> duration_option(std::string_view command,
                                                         std::string_view flag,
                                                         const std::string& text);

}  // namespace leakscan::cli
