#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "analyzer/model/frame.h"
#include "analyzer/model/id_index.h"
#include "analyzer/model/string_pool.h"

namespace leakscan {

// Interns frames and the strings they point to. Looking up a frame whose text points into a
// reader's buffer copies nothing when the frame was seen before, which is the common case:
// a 100,000-goroutine dump has a few hundred distinct frames. The uncommon case, a dump of a
// million distinct stacks, is why frames sit in fixed chunks (no copy as the table grows) and
// the indexes are open-addressing arrays of ids and hashes (no node per entry).
class FrameTable {
 public:
  FrameTable();

  FrameId intern(const Frame& frame);
  // Like intern(), for a frame whose text is already in strings(): merging tables re-interns
  // a million frames, and looks up no text again.
  FrameId intern_pooled(const Frame& frame);
  const Frame& at(FrameId id) const {
    auto [chunk, offset] = locate(id);
    return chunks_[chunk][offset];
  }
  size_t size() const { return size_; }

  // Stores `frames` once per distinct sequence; the result lives as long as the table.
  Stack intern_stack(std::span<const FrameId> frames);

  std::string_view intern_string(std::string_view text) { return strings_->intern(text); }
  StringPool& strings() { return *strings_; }

  // Frees the indexes (its strings' too): what is stored stays readable, but nothing more can
  // be interned. For a table about to be merged into another, or read by analysis only.
  void drop_indexes();

 private:
  // Chunks double from kFirstChunk frames up to kChunk, then stay kChunk long: a snapshot of
  // one goroutine costs a few frames, not 4,096 of them.
  static constexpr FrameId kFirstChunk = 16;
  static constexpr unsigned kGrowingChunks = 8;  // 16, 32, ... 2,048
  static constexpr FrameId kChunk = kFirstChunk << kGrowingChunks;
  static constexpr FrameId kInGrowingChunks = kChunk - kFirstChunk;

  struct Place {
    size_t chunk;
    size_t offset;
  };
  static Place locate(FrameId id) {
    if (id >= kInGrowingChunks) {
      FrameId rest = id - kInGrowingChunks;
      return {kGrowingChunks + rest / kChunk, rest % kChunk};
    }
    auto chunk = static_cast<size_t>(std::bit_width(id / kFirstChunk + 1) - 1);
    return {chunk, id - kFirstChunk * ((FrameId{1} << chunk) - 1)};
  }
  static FrameId chunk_size(size_t chunk) {
    return chunk < kGrowingChunks ? kFirstChunk << chunk : kChunk;
  }

  struct StackSlot {
    const FrameId* data = nullptr;
    uint32_t size = 0;
    uint32_t hash = 0;
  };

  static uint32_t hash_of(const Frame& frame);
  static uint32_t hash_of(std::span<const FrameId> frames);
  IdIndex::Slot& find(const Frame& frame, uint32_t hash);
  StackSlot& find(std::span<const FrameId> frames, uint32_t hash);
  FrameId add(const Frame& stored, IdIndex::Slot& slot, uint32_t hash);
  void grow_stacks();

  std::unique_ptr<StringPool> strings_;
  std::vector<std::unique_ptr<Frame[]>> chunks_;
  size_t size_ = 0;
  IdIndex frame_index_;
  // Chunks never move, so Stacks pointing into them survive the table's growth and moves.
  std::vector<std::unique_ptr<FrameId[]>> stack_chunks_;
  size_t stack_chunk_used_ = 0;
  size_t stack_chunk_size_ = 0;
  std::vector<StackSlot> stack_slots_;  // a power of two long, at most 3/4 used
  size_t stack_count_ = 0;
};

}  // namespace leakscan
