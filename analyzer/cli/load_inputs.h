#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/analysis/pipeline.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan::cli {

struct LoadedInputs {
  std::vector<Snapshot> snapshots;
  std::vector<SnapshotOrigin> origins;
};

// Reads every input (files, '-', http:// URLs of a pprof endpoint), printing warnings and
// errors on stderr as one line each. With `order_by_time`, snapshots without a capture time of
// their own get when they were fetched, else the file's modification time, and all are put in
// capture order; a dump's several snapshots keep their order. Without it, snapshots stay as
// read, in the order given. Nothing when an input could not be read at all.
std::optional<LoadedInputs> load_inputs(const std::vector<std::string>& inputs,
                                        const ReadLimits& limits, bool order_by_time);

}  // namespace leakscan::cli
