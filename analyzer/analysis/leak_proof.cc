#include "analyzer/analysis/leak_proof.h"

#include <fmt/format.h>

#include <map>
#include <string_view>
#include <utility>

#include "analyzer/analysis/system_frame_filter.h"
#include "analyzer/model/text_format.h"

namespace leakscan {

std::vector<std::string> attach_leak_proof(std::span<const Snapshot> proofs, const Rules& rules,
                                           std::vector<Cluster>& clusters) {
  std::vector<std::string> notes;
  if (proofs.empty()) return notes;
  // Where the proven goroutines block, as layer 1 names the site in any format.
  AnalysisInput proven = make_analysis_input(proofs);
  SystemFrameFilter(rules).run(proven);
  std::map<std::pair<std::string_view, int64_t>, int64_t> by_site;
  std::map<std::string_view, int64_t> by_function;
  int64_t total = 0;
  for (const GoroutineRecord& record : proven.records) {
    if (record.disposition != Disposition::kKept || record.blocked_at == kNoFrame) continue;
    const Frame& site = proofs[record.snapshot].frame(record.blocked_at);
    by_site[{site.function, site.line}] += record.count();
    by_function[site.function] += record.count();
    total += record.count();
  }
  int64_t matched = 0;
  for (Cluster& cluster : clusters) {
    const Frame& site = cluster.blocked_at();
    if (site.function.empty()) continue;
    int64_t count = 0;
    if (auto at = by_site.find({site.function, site.line}); at != by_site.end()) {
      count = at->second;
    } else if (auto in = by_function.find(site.function); in != by_function.end()) {
      count = in->second;
    }
    if (count == 0) continue;
    // The proof counts goroutines at its own capture; the cluster's last snapshot may hold
    // fewer or more. The cluster is proven, by at most as many as it has.
    cluster.proven_leaked =
        std::max<int64_t>(cluster.proven_leaked, std::min<int64_t>(count, cluster.last_count()));
    matched += count;
  }
  for (const Snapshot& proof : proofs) {
    notes.push_back(fmt::format(
        "{}: Go's goroutineleak profile ({} goroutines proven leaked) is read as evidence for the "
        "clusters of the other snapshots, not as a snapshot of its own",
        proof.source, with_thousands(proof.goroutine_count())));
  }
  if (matched < total) {
    notes.push_back(fmt::format(
        "{} of the {} goroutines Go proved leaked block at no site of the other snapshots: "
        "the profile may be of another process, or taken at another time",
        with_thousands(total - matched), with_thousands(total)));
  }
  return notes;
}

}  // namespace leakscan
