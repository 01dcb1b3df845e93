#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace leakscan {

// The index of a table whose entries live in a vector of their own, by entry number: an
// open-addressing array of (id, hash) pairs, 8 bytes a slot and no node per entry, so that
// millions of distinct frames or strings cost little more than the entries themselves.
class IdIndex {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t id = kEmpty;
    uint32_t hash = 0;
  };

  // Makes room for one more entry, beyond the `count` the table holds: at most 3/4 full.
  // Slots found before are invalid after it.
  void prepare(size_t count) {
    if ((count + 1) * 4 > slots_.size() * 3) grow();
  }

  // The slot whose entry has `hash` and satisfies `equal(id)`, or the empty slot where such an
  // entry goes (fill it in with its id and `hash`). Needs prepare() first.
  template <typename Equal>
  Slot& find(uint32_t hash, Equal&& equal) {
    size_t mask = slots_.size() - 1;
    for (size_t at = hash & mask;; at = (at + 1) & mask) {
      Slot& slot = slots_[at];
      if (slot.id == kEmpty || (slot.hash == hash && equal(slot.id))) return slot;
    }
  }

  void clear() { slots_ = std::vector<Slot>(); }

 private:
  void grow() {
    std::vector<Slot> old =
        std::exchange(slots_, std::vector<Slot>(std::max<size_t>(64, slots_.size() * 2)));
    size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id == kEmpty) continue;
      size_t at = slot.hash & mask;
      while (slots_[at].id != kEmpty) at = (at + 1) & mask;
      slots_[at] = slot;
    }
  }

  std::vector<Slot> slots_;  // a power of two long
};

// Folds a 64-bit hash to the 32 bits an IdIndex keeps.
inline uint32_t fold_hash(uint64_t hash) { return static_cast<uint32_t>(hash ^ (hash >> 32)); }

}  // namespace leakscan
