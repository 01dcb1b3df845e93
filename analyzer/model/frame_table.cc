#include "analyzer/model/frame_table.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace leakscan {
namespace {

constexpr size_t kMinSlots = 64;
constexpr size_t kFirstStackChunk = 256;
constexpr size_t kStackChunk = size_t{16} * 1024;

uint64_t mix(uint64_t hash, uint64_t value) {
  return (hash ^ (value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2)));
}

}  // namespace

size_t FrameHash::operator()(const Frame& frame) const {
  size_t hash = std::hash<std::string_view>{}(frame.function);
  hash ^=
      std::hash<std::string_view>{}(frame.file) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  hash ^= std::hash<int64_t>{}(frame.line) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

FrameTable::FrameTable() : strings_(std::make_unique<StringPool>()) {}

uint32_t FrameTable::hash_of(const Frame& frame) { return fold_hash(FrameHash{}(frame)); }

uint32_t FrameTable::hash_of(std::span<const FrameId> frames) {
  uint64_t hash = frames.size();
  for (FrameId id : frames) hash = mix(hash, id);
  return fold_hash(hash * 0x9e3779b97f4a7c15ULL);
}

IdIndex::Slot& FrameTable::find(const Frame& frame, uint32_t hash) {
  return frame_index_.find(hash, [&](uint32_t id) { return at(id) == frame; });
}

FrameTable::StackSlot& FrameTable::find(std::span<const FrameId> frames, uint32_t hash) {
  size_t mask = stack_slots_.size() - 1;
  for (size_t at = hash & mask;; at = (at + 1) & mask) {
    StackSlot& slot = stack_slots_[at];
    if (slot.data == nullptr) return slot;
    if (slot.hash == hash && slot.size == frames.size() &&
        std::equal(frames.begin(), frames.end(), slot.data)) {
      return slot;
    }
  }
}

void FrameTable::grow_stacks() {
  std::vector<StackSlot> old = std::exchange(
      stack_slots_, std::vector<StackSlot>(std::max(kMinSlots, stack_slots_.size() * 2)));
  size_t mask = stack_slots_.size() - 1;
  for (const StackSlot& slot : old) {
    if (slot.data == nullptr) continue;
    size_t at = slot.hash & mask;
    while (stack_slots_[at].data != nullptr) at = (at + 1) & mask;
    stack_slots_[at] = slot;
  }
}

FrameId FrameTable::add(const Frame& stored, IdIndex::Slot& slot, uint32_t hash) {
  auto id = static_cast<FrameId>(size_);
  auto [chunk, offset] = locate(id);
  if (offset == 0) chunks_.push_back(std::make_unique<Frame[]>(chunk_size(chunk)));
  chunks_.back()[offset] = stored;
  ++size_;
  slot = IdIndex::Slot{id, hash};
  return id;
}

FrameId FrameTable::intern(const Frame& frame) {
  frame_index_.prepare(size_);
  uint32_t hash = hash_of(frame);
  IdIndex::Slot& slot = find(frame, hash);
  if (slot.id != IdIndex::kEmpty) return slot.id;
  Frame stored{strings_->intern(frame.function), strings_->intern(frame.file), frame.line};
  if (stored.function.size() == frame.function.size() && stored.file.size() == frame.file.size()) {
    return add(stored, slot, hash);
  }
  // Text with invalid UTF-8 is stored repaired, and may equal a frame seen before.
  uint32_t repaired_hash = hash_of(stored);
  IdIndex::Slot& repaired = find(stored, repaired_hash);
  if (repaired.id != IdIndex::kEmpty) return repaired.id;
  return add(stored, repaired, repaired_hash);
}

FrameId FrameTable::intern_pooled(const Frame& frame) {
  frame_index_.prepare(size_);
  uint32_t hash = hash_of(frame);
  IdIndex::Slot& slot = find(frame, hash);
  if (slot.id != IdIndex::kEmpty) return slot.id;
  return add(frame, slot, hash);
}

Stack FrameTable::intern_stack(std::span<const FrameId> frames) {
  if (frames.empty()) return {};
  if ((stack_count_ + 1) * 4 > stack_slots_.size() * 3) grow_stacks();
  uint32_t hash = hash_of(frames);
  StackSlot& slot = find(frames, hash);
  if (slot.data != nullptr) return {slot.data, slot.size};
  if (stack_chunk_used_ + frames.size() > stack_chunk_size_) {
    size_t next =
        stack_chunks_.empty() ? kFirstStackChunk : std::min(kStackChunk, stack_chunk_size_ * 2);
    stack_chunk_size_ = std::max(next, frames.size());
    stack_chunks_.push_back(std::make_unique_for_overwrite<FrameId[]>(stack_chunk_size_));
    stack_chunk_used_ = 0;
  }
  FrameId* dest = stack_chunks_.back().get() + stack_chunk_used_;
  std::copy(frames.begin(), frames.end(), dest);
  stack_chunk_used_ += frames.size();
  slot = StackSlot{dest, static_cast<uint32_t>(frames.size()), hash};
  ++stack_count_;
  return {dest, frames.size()};
}

void FrameTable::drop_indexes() {
  frame_index_.clear();
  stack_slots_ = std::vector<StackSlot>();
  stack_count_ = 0;
  strings_->drop_index();
}

}  // namespace leakscan
