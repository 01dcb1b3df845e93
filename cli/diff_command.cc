// `leakscan diff OLD NEW`: how each cluster changed between two snapshots.
#include <fmt/format.h>

#include "analyzer/engine/diff.h"
#include "analyzer/model/text_format.h"
#include "analyzer/report/visible_text.h"
#include "cli/commands.h"

namespace leakscan::cli {

int run_diff(const DiffOptions& options) {
  // OLD and NEW in the order given, whatever their times: the user says which is which.
  auto findings =
      find(options.analysis, {options.old_input, options.new_input}, SnapshotOrder::kAsGiven);
  if (!findings) return kExitUsageOrInput;
  auto rows = diff_clusters(*findings);
  fmt::print("{} → {}: {} clusters changed\n", visible(options.old_input),
             visible(options.new_input), rows.size());
  for (const auto& row : rows) {
    const auto& cluster = *row.cluster;
    std::string creator = cluster.created_by().function().empty()
                              ? std::string()
                              : ", created by " + cluster.created_by().function();
    fmt::print("{:>9}  ({} → {})  {} in {}{}\n",
               (row.after > row.before ? "+" : "") + with_thousands(row.after - row.before),
               with_thousands(row.before), with_thousands(row.after),
               visible(cluster.blocking_operation()), visible(cluster.blocked_at().function()),
               visible(creator));
  }
  return fails(findings->report().summary(), options.analysis.fail_on) ? kExitFound : kExitOk;
}

}  // namespace leakscan::cli
