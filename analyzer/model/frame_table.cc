#include "analyzer/model/frame_table.h"

#include <algorithm>
#include <functional>

namespace leakscan {

FrameTable::FrameTable() : strings_(std::make_unique<StringPool>()) {}

size_t FrameHash::operator()(const Frame& frame) const {
  size_t hash = std::hash<std::string_view>{}(frame.function);
  hash ^=
      std::hash<std::string_view>{}(frame.file) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  hash ^= std::hash<int64_t>{}(frame.line) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

FrameId FrameTable::intern(const Frame& frame) {
  if (auto it = index_.find(frame); it != index_.end()) return it->second;
  Frame stored{strings_->intern(frame.function), strings_->intern(frame.file), frame.line};
  // Text with invalid UTF-8 is stored repaired, and may equal a frame seen before.
  if (auto it = index_.find(stored); it != index_.end()) return it->second;
  auto id = static_cast<FrameId>(frames_.size());
  frames_.push_back(stored);
  index_.emplace(stored, id);
  return id;
}

size_t FrameTable::StackHash::operator()(Stack stack) const {
  size_t hash = stack.size();
  for (FrameId id : stack) hash = hash * 0x100000001b3ULL ^ id;
  return hash;
}

bool FrameTable::StackEqual::operator()(Stack a, Stack b) const {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

Stack FrameTable::intern_stack(std::span<const FrameId> frames) {
  if (frames.empty()) return {};
  if (auto it = stacks_.find(frames); it != stacks_.end()) return it->first;
  if (stack_chunk_used_ + frames.size() > stack_chunk_size_) {
    stack_chunk_size_ = std::max<size_t>(size_t{16} * 1024, frames.size());
    stack_chunks_.push_back(std::make_unique<FrameId[]>(stack_chunk_size_));
    stack_chunk_used_ = 0;
  }
  FrameId* dest = stack_chunks_.back().get() + stack_chunk_used_;
  std::copy(frames.begin(), frames.end(), dest);
  stack_chunk_used_ += frames.size();
  Stack stored(dest, frames.size());
  stacks_.emplace(stored, true);
  return stored;
}

}  // namespace leakscan
