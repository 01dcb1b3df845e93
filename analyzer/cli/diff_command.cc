// `leakscan diff OLD NEW`: how each cluster changed between two snapshots.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/cli/commands.h"

namespace leakscan::cli {

int run_diff(const DiffOptions& options) {
  std::vector<Snapshot> snapshots;
  CodeOwners owners;
  // OLD and NEW in the order given, whatever their times: the user says which is which.
  auto analysis = load_and_analyze(options.analysis, {options.old_input, options.new_input},
                                   /*order_by_time=*/false, snapshots, owners);
  if (!analysis) return kExitUsageOrInput;
  const auto& report = analysis->report;
  // Snapshots of the first input come first; a dump file may hold several.
  int first_of_new = report.snapshots_size() - 1;
  while (first_of_new > 0 && report.snapshots(first_of_new - 1).source() == options.new_input) {
    --first_of_new;
  }
  struct Row {
    int64_t before = 0;
    int64_t after = 0;
    const report::Cluster* cluster = nullptr;
  };
  std::vector<Row> rows;
  for (const auto& cluster : report.clusters()) {
    Row row{0, 0, &cluster};
    for (int i = 0; i < cluster.count_per_snapshot_size(); ++i) {
      (i < first_of_new ? row.before : row.after) = cluster.count_per_snapshot(i);
    }
    if (row.before != row.after) rows.push_back(row);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::abs(a.after - a.before) > std::abs(b.after - b.before);
  });
  fmt::print("{} → {}: {} clusters changed\n", options.old_input, options.new_input, rows.size());
  for (const auto& row : rows) {
    const auto& cluster = *row.cluster;
    std::string creator = cluster.created_by().function().empty()
                              ? std::string()
                              : ", created by " + cluster.created_by().function();
    fmt::print("{:>9}  ({} → {})  {} in {}{}\n",
               (row.after > row.before ? "+" : "") + with_thousands(row.after - row.before),
               with_thousands(row.before), with_thousands(row.after), cluster.blocking_operation(),
               cluster.blocked_at().function(), creator);
  }
  const auto& summary = report.summary();
  if (options.analysis.fail_on == "leak" && summary.leaks() > 0) return kExitFound;
  if (options.analysis.fail_on == "suspect" && summary.leaks() + summary.suspects() > 0) {
    return kExitFound;
  }
  return kExitOk;
}

}  // namespace leakscan::cli
