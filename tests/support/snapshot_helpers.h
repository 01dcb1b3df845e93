// Looking into snapshots and building small pprof profiles, for the reader tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "proto/profile.pb.h"

namespace leakscan::testing {

std::vector<uint64_t> thread_ids(const Snapshot& snapshot);
std::vector<std::string> functions(const Snapshot& snapshot, Stack stack);
void expect_frame(const Snapshot& snapshot, FrameId id, std::string_view function,
                  std::string_view file, int64_t line);

// The smallest valid goroutine profile: string table "", "goroutine", "count", "main.f",
// "/app/f.go"; function 1 main.f in /app/f.go; location 1 in it; one sample of value 1 there.
// Tests add to it or break it.
perftools::profiles::Profile minimal_profile();

}  // namespace leakscan::testing
