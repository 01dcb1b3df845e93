#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan::cli {

// Reads every input, printing warnings and errors on stderr as one line each. Returns nothing
// when an input could not be read at all.
std::optional<std::vector<Snapshot>> load_inputs(const std::vector<std::string>& inputs,
                                                 const ReadLimits& limits);

}  // namespace leakscan::cli
