// The pprof profile a producer serves or stores: gzip'd as Go's /debug/pprof/goroutine is, in
// memory, for an HTTP response or a SnapshotDirectory.
#pragma once

#include <span>
#include <string>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"

namespace leakscan {

Result<std::string> encode_gzipped_pprof(std::span<const Snapshot> snapshots);

}  // namespace leakscan
