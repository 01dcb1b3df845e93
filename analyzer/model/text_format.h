// The few ways leakscan writes numbers, durations and code sites as text, shared by the
// reporters, the analysis's reasons, the agent and the tracer so that they read alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/model/frame.h"

namespace leakscan {

// "90s", "5m", "1h30m", "24h", "250ms": Go's time.ParseDuration units.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// "250ms", "1.5s", "4m30s", "2h", the shortest of these that is exact to the second.
std::string format_duration(std::chrono::nanoseconds duration);
// The same for a report's seconds.
std::string format_seconds(double seconds);

// 1234567 as "1,234,567".
std::string with_thousands(int64_t value);

// "1 goroutine", "1,200 goroutines": a count and its noun, plural unless one.
std::string counted(int64_t count, std::string_view noun);

// A code site as the created_by label and the reasons write it: "FUNC at FILE:LINE".
std::string format_site(const Frame& frame);
std::string format_site(std::string_view function, std::string_view file, int64_t line);

}  // namespace leakscan
