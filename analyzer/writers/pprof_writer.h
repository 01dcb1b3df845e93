#pragma once

#include <google/protobuf/io/zero_copy_stream.h>

#include <span>
#include <string>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"

namespace leakscan {

// Writes snapshots as one gzip-compressed pprof profile (sample type goroutine/count, or
// goroutineleak/count for Go's leak profiles, which cannot be mixed with others), the way
// `go tool pprof` and Go's profile package read it. Threads become one sample each with
// leakscan's thread labels (docs/profile-labels.md); aggregated samples keep their counts.
// `path` "-" is standard output; a file is written to a temporary name and renamed.
Status write_pprof_file(std::span<const Snapshot> snapshots, const std::string& path);

// The same profile, uncompressed, into a string: for tests and in-memory use.
Result<std::string> encode_pprof(std::span<const Snapshot> snapshots);

// The same, uncompressed, into any stream (a gzip stream over memory, for the producers).
Status encode_pprof(std::span<const Snapshot> snapshots,
                    google::protobuf::io::ZeroCopyOutputStream& out);

}  // namespace leakscan
