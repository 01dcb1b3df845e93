#pragma once

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/line_reader.h"

namespace leakscan {

// Reads /debug/pprof/goroutine?debug=1: "goroutine profile: total N", then records of
// "COUNT @ 0x... 0x..." with "# labels: {...}" and "#\t0xPC\tfunc+0xOFF\tfile:line" frames.
Result<Snapshot> read_go_debug1(LineReader& lines);

}  // namespace leakscan
