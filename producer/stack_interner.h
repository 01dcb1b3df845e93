// Puts symbolized stacks into one snapshot: each distinct list of program counters becomes a
// Stack once, so that 100,000 green threads parked at the same place cost one symbolization.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "producer/source_frame.h"

namespace leakscan {

class StackInterner {
 public:
  explicit StackInterner(Snapshot& snapshot) : snapshot_(snapshot) {}

  // The frame in the snapshot's own table (which copies the text the first time).
  FrameId intern(const SourceFrame& frame);

  // The stack of `pcs` (leaf first): `build(pcs, frames)` fills the frame ids the first time
  // these pcs are seen, through intern(); later threads with the same pcs share the result.
  template <typename Build>
  Stack stack(std::span<const uint64_t> pcs, Build&& build) {
    key_.assign(pcs.begin(), pcs.end());
    auto found = stacks_.find(key_);
    if (found != stacks_.end()) return found->second;
    frames_.clear();
    build(pcs, frames_);
    Stack stack = snapshot_.intern_stack(frames_);
    stacks_.emplace(key_, stack);
    return stack;
  }

 private:
  struct PcsHash {
    size_t operator()(const std::vector<uint64_t>& pcs) const;
  };

  Snapshot& snapshot_;
  std::unordered_map<std::vector<uint64_t>, Stack, PcsHash> stacks_;
  std::vector<uint64_t> key_;    // reused: most lookups hit
  std::vector<FrameId> frames_;  // reused while building
};

}  // namespace leakscan
