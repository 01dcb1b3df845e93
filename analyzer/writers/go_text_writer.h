#pragma once

#include <cstdio>
#include <span>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Writes snapshots back as Go prints them: threads as a debug=2 dump ("goroutine N [status]:"),
// aggregated samples as a debug=1 profile. Arguments and pcs are not known, so calls print as
// "f(...)" and pcs as 0x0; every Go dump reader, leakscan's included, reads the result.
void write_go_text(std::span<const Snapshot> snapshots, std::FILE* out);

}  // namespace leakscan
