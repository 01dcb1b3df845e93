// The pprof profile a producer serves or stores: gzip'd as Go's /debug/pprof/goroutine is, in
// memory, for an HTTP response or a SnapshotDirectory.
#pragma once

#include <span>
#include <string>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"

namespace leakscan {

// Where the deflating runs: on the caller's thread (the agent, inside someone else's service,
// starts no thread) or on a second thread while the caller encodes (the tracer, a process of
// its own, whose 640,000-goroutine profiles take tens of milliseconds to deflate).
enum class GzipThread { kCaller, kSecond };

Result<std::string> encode_gzipped_pprof(std::span<const Snapshot> snapshots,
                                         GzipThread thread = GzipThread::kCaller);

}  // namespace leakscan
