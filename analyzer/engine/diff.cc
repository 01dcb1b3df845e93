#include "analyzer/engine/diff.h"

#include <algorithm>
#include <cstdlib>

namespace leakscan {

std::vector<ClusterChange> diff_clusters(const Findings& findings) {
  // Snapshots of the first input come first; a dump file may hold several.
  auto input_of = findings.input_of();
  int first_of_new = static_cast<int>(
      std::find_if(input_of.begin(), input_of.end(), [](uint32_t input) { return input > 0; }) -
      input_of.begin());
  std::vector<ClusterChange> rows;
  for (const auto& cluster : findings.report().clusters()) {
    ClusterChange row{0, 0, &cluster};
    for (int i = 0; i < cluster.count_per_snapshot_size(); ++i) {
      (i < first_of_new ? row.before : row.after) = cluster.count_per_snapshot(i);
    }
    if (row.before != row.after) rows.push_back(row);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ClusterChange& a, const ClusterChange& b) {
    return std::abs(a.after - a.before) > std::abs(b.after - b.before);
  });
  return rows;
}

}  // namespace leakscan
