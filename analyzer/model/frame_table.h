#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "analyzer/model/frame.h"
#include "analyzer/model/string_pool.h"

namespace leakscan {

// Interns frames and the strings they point to. Looking up a frame whose text points into a
// reader's buffer copies nothing when the frame was seen before, which is the common case:
// a 100,000-goroutine dump has a few hundred distinct frames.
class FrameTable {
 public:
  FrameTable();

  FrameId intern(const Frame& frame);
  const Frame& at(FrameId id) const { return frames_[id]; }
  size_t size() const { return frames_.size(); }

  // Stores `frames` once per distinct sequence; the result lives as long as the table.
  Stack intern_stack(std::span<const FrameId> frames);

  std::string_view intern_string(std::string_view text) { return strings_->intern(text); }
  StringPool& strings() { return *strings_; }

 private:
  struct StackHash {
    size_t operator()(Stack stack) const;
  };
  struct StackEqual {
    bool operator()(Stack a, Stack b) const;
  };

  std::unique_ptr<StringPool> strings_;
  // Chunks never move, so Stacks pointing into them survive the table's growth and moves.
  std::vector<std::unique_ptr<FrameId[]>> stack_chunks_;
  size_t stack_chunk_used_ = 0;
  size_t stack_chunk_size_ = 0;
  std::unordered_map<Stack, bool, StackHash, StackEqual> stacks_;
  std::vector<Frame> frames_;
  std::unordered_map<Frame, FrameId, FrameHash> index_;
};

}  // namespace leakscan
