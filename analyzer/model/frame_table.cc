#include "analyzer/model/frame_table.h"

#include <functional>

namespace leakscan {

FrameTable::FrameTable() : strings_(std::make_unique<StringPool>()) {}

size_t FrameHash::operator()(const Frame& frame) const {
  size_t hash = std::hash<std::string_view>{}(frame.function);
  hash ^= std::hash<std::string_view>{}(frame.file) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  hash ^= std::hash<int64_t>{}(frame.line) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

FrameId FrameTable::intern(const Frame& frame) {
  if (auto it = index_.find(frame); it != index_.end()) return it->second;
  Frame stored{strings_->intern(frame.function), strings_->intern(frame.file), frame.line};
  auto id = static_cast<FrameId>(frames_.size());
  frames_.push_back(stored);
  index_.emplace(stored, id);
  return id;
}

}  // namespace leakscan
