#pragma once

#include <string>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/line_reader.h"

namespace leakscan {

// Reads Go's full goroutine dumps: /debug/pprof/goroutine?debug=2, runtime.Stack(all), panics,
// fatal errors, SIGQUIT/SIGABRT dumps with registers, GOTRACEBACK=system/crash dumps
// (gp=/m= headers), tracebackancestors, CRLF and indented pastes, and dumps embedded in logs.
// Lines that belong to no goroutine are skipped; each dump in the stream is one snapshot.
Result<std::vector<Snapshot>> read_go_traceback(LineReader& lines);

// The same over bytes in memory; a large input is read by two threads, each from a goroutine
// boundary. `image`: the bytes are a FileImage whose read pages may be handed back.
Result<std::vector<Snapshot>> read_go_traceback(std::string_view bytes, const std::string& name,
                                                const ReadLimits& limits, bool image);

}  // namespace leakscan
