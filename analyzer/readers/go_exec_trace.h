// Go execution traces (runtime/trace, /debug/pprof/trace) are recognised here and read by
// leakscan-gotrace (gotrace/), which the engine runs (engine/go_trace_input.h): readers spawn
// nothing.
#pragma once

#include <optional>
#include <string_view>

namespace leakscan {

// The first format with every goroutine's state and stack at the window's start, and the one
// leakscan-gotrace reads.
inline constexpr int kFirstReadGoTraceMinor = 22;

// The header "go 1.NN trace", padded with NULs to 16 bytes (Go's internal/trace/version): NN,
// or nothing for any other bytes.
std::optional<int> go_exec_trace_minor(std::string_view head);

}  // namespace leakscan
