// Within one snapshot, goroutines of one shape (ShapeKey) get the same answers from layers 1
// and 3: this finds the first of each shape.
#pragma once

#include <cstdint>
#include <span>

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/model/id_index.h"

namespace leakscan {

// Well mixed in every bit: IdIndex keeps the low bits of a hash, and interned pointers share
// their low bits.
inline uint32_t shape_hash(const ShapeKey& key) {
  uint64_t hash = reinterpret_cast<uintptr_t>(key.stack) ^ (key.stack_size << 48) ^
                  (uint64_t{key.created_by} << 20) ^
                  (reinterpret_cast<uintptr_t>(key.text.data()) * 0x9e3779b97f4a7c15ULL);
  return fold_hash(hash * 0xbf58476d1ce4e5b9ULL);
}

// Within one snapshot, the first record of each shape: the one whose answers the others take.
// An open-addressing index of record numbers, with no node per shape, since in a dump of
// distinct stacks every goroutine is a shape of its own.
class ShapeIndex {
 public:
  // The first record of the shape `text_of(records[index])` gives `records[index]`, or `index`
  // itself when it is the first. Records in one snapshot only: clear() between snapshots.
  template <typename TextOf>
  uint32_t first_of_shape(std::span<const GoroutineRecord> records, uint32_t index,
                          TextOf&& text_of) {
    const ShapeKey key(records[index], text_of(records[index]));
    index_.prepare(shapes_);
    IdIndex::Slot& slot = index_.find(shape_hash(key), [&](uint32_t first) {
      return ShapeKey(records[first], text_of(records[first])) == key;
    });
    if (slot.id != IdIndex::kEmpty) return slot.id;
    slot = {index, shape_hash(key)};
    ++shapes_;
    return index;
  }
  void clear() {
    index_.clear();
    shapes_ = 0;
  }

 private:
  IdIndex index_;
  size_t shapes_ = 0;
};

}  // namespace leakscan
