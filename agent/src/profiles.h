#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "analyzer/model/snapshot.h"

namespace leakscan::agent {

std::vector<Snapshot> take_snapshots(std::chrono::milliseconds stack_timeout);
std::string goroutine_profile_gzip(std::chrono::milliseconds stack_timeout);
std::string goroutine_text(int debug, std::chrono::milliseconds stack_timeout);

}  // namespace leakscan::agent
