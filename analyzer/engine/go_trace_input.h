// Go execution traces as inputs: leakscan-gotrace (gotrace/), found beside the running binary
// or at $LEAKSCAN_GOTRACE, turns one into a goroutine profile of the goroutines alive at the
// trace's end, which the pprof reader reads. The engine runs it; the readers spawn nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// The trace format's minor version when the file (gzipped or not) is a Go execution trace.
std::optional<int> go_trace_minor_of_file(const std::string& path, const ReadLimits& limits);
std::optional<int> go_trace_minor_of_bytes(std::string_view bytes, const ReadLimits& limits);

// Standard input, which cannot be read twice: a trace read through the helper, anything else
// through the readers (read_snapshots.h), from the bytes already taken and the rest.
Result<std::vector<Snapshot>> read_stdin_maybe_go_trace(const ReadLimits& limits);

struct GoTraceRead {
  // `name` in messages and in the snapshot's source; `end_time` dates a trace without a clock
  // snapshot of its own (before Go 1.25): when it was fetched or last written.
  std::string name;
  std::optional<std::chrono::system_clock::time_point> end_time;
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
};

// Reads the trace at `path` (format `minor`, from go_trace_minor_of_*): a format before Go 1.22,
// a missing helper, a helper that fails, outlives `timeout` or writes more than the input limit
// are one-line errors naming the input.
Result<std::vector<Snapshot>> read_go_trace_file(const std::string& path, int minor,
                                                 const GoTraceRead& read, const ReadLimits& limits);
// The same for a trace in memory (a URL's body), through a temporary file.
Result<std::vector<Snapshot>> read_go_trace_bytes(std::string_view bytes, int minor,
                                                  const GoTraceRead& read,
                                                  const ReadLimits& limits);

}  // namespace leakscan
