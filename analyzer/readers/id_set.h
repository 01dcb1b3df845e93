#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace leakscan {

// The goroutine ids of one dump, to notice a repeated id (a second dump). Go numbers
// goroutines densely from 1, so ids below kDenseLimit are bits in a bitmap that grows only as
// far as the largest id seen (110,000 goroutines: 14 KB); rarer, larger ids go to a hash set.
class IdSet {
 public:
  // False when `id` was already in the set.
  bool insert(uint64_t id);
  bool contains(uint64_t id) const;
  void clear();

 private:
  static constexpr uint64_t kDenseLimit = uint64_t{1} << 24;  // a 2 MiB bitmap at most
  std::vector<uint64_t> bits_;
  std::unordered_set<uint64_t> sparse_;
};

}  // namespace leakscan
