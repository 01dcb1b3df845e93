#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// Reads every snapshot in `path` ("-" for standard input), choosing the reader by content:
// gzip by its magic, then pprof protobuf, debug=1 text, or the debug=2 family.
Result<std::vector<Snapshot>> read_snapshots(const std::string& path,
                                             const ReadLimits& limits = {});

// The same for bytes already in memory; `name` appears in messages.
Result<std::vector<Snapshot>> read_snapshots_from_memory(std::string_view bytes,
                                                         const std::string& name,
                                                         const ReadLimits& limits = {});

// Reads from any source; the other two forward here.
Result<std::vector<Snapshot>> read_snapshots(std::unique_ptr<ByteSource> source,
                                             const std::string& name, const ReadLimits& limits);

}  // namespace leakscan
