#include "analyzer/readers/id_set.h"

#include <algorithm>

namespace leakscan {

bool IdSet::insert(uint64_t id) {
  if (id >= kDenseLimit) return sparse_.insert(id).second;
  auto word = static_cast<size_t>(id / 64);
  if (word >= bits_.size()) bits_.resize(std::max(word + 1, bits_.size() * 2), 0);
  uint64_t mask = uint64_t{1} << (id % 64);
  bool added = (bits_[word] & mask) == 0;
  bits_[word] |= mask;
  return added;
}

bool IdSet::contains(uint64_t id) const {
  if (id >= kDenseLimit) return sparse_.contains(id);
  auto word = static_cast<size_t>(id / 64);
  return word < bits_.size() && (bits_[word] & (uint64_t{1} << (id % 64))) != 0;
}

void IdSet::clear() {
  std::fill(bits_.begin(), bits_.end(), 0);
  sparse_.clear();
}

}  // namespace leakscan
