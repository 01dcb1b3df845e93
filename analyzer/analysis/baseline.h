#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "analyzer/analysis/cluster.h"
#include "analyzer/model/result.h"

namespace leakscan {

// Accepted leaks (--baseline known-leaks.toml), each with a reason and an expiry date:
//
//   [[accepted]]
//   cluster = "3f9a0c1b2d4e5f60"          # a cluster id from a report, or:
//   blocked_at = "main.(*Cache).refresh*" # patterns: exact, or a prefix ending in '*'
//   created_by = "main.startCache"
//   reason = "refresh loop, fixed in v2.3 (JIRA-123)"
//   expires = 2027-01-31
//
// A matching cluster keeps its verdict but no longer fails --fail-on; an expired entry matches
// nothing and is reported as a warning.
struct BaselineEntry {
  std::string cluster;
  std::string blocked_at;
  std::string created_by;
  std::string reason;
  std::chrono::sys_days expires{};
  bool has_expiry = false;
  std::string where;  // "known-leaks.toml:4" for messages
};

Result<std::vector<BaselineEntry>> load_baseline(const std::string& path);
// The same from text; `name` appears in messages.
Result<std::vector<BaselineEntry>> parse_baseline(std::string_view text, const std::string& name);

// Marks clusters the baseline accepts; returns one warning per expired entry.
std::vector<std::string> apply_baseline(const std::vector<BaselineEntry>& entries,
                                        std::chrono::sys_days today,
                                        std::vector<Cluster>& clusters);

}  // namespace leakscan
