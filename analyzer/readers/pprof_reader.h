#pragma once

#include <string>
#include <string_view>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// Reads a pprof protobuf (already decompressed): Go's goroutine profiles, with pprof.Do labels,
// as aggregated samples; profiles that follow leakscan's thread-label convention as threads.
// What it builds is charged against `limits`' memory budget (MemoryBudget).
Result<Snapshot> read_pprof(std::string_view bytes, const std::string& name,
                            const ReadLimits& limits = {});

// A quick look at the first bytes: could this be a protobuf-encoded pprof Profile?
bool looks_like_pprof(std::string_view head);

}  // namespace leakscan
