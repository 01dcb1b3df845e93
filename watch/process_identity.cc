#include "watch/process_identity.h"

#include <algorithm>

namespace leakscan {
namespace {

// Ids Go may hand out of order: 16 per P, for up to 8 Ps holding a part-used batch.
constexpr uint64_t kIdReorderSlack = uint64_t{16} * 8;

}  // namespace

uint64_t highest_id(const Snapshot& snapshot) {
  uint64_t highest = 0;
  for (const auto& thread : snapshot.threads) highest = std::max(highest, thread.id);
  return highest;
}

bool is_new_process(const Snapshot& previous, const Snapshot& next) {
  uint64_t before = highest_id(previous);
  uint64_t now = highest_id(next);
  if (before == 0 || now == 0) return false;
  return now + kIdReorderSlack < before;
}

}  // namespace leakscan
