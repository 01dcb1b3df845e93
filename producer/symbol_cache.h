// Program counters resolved to source frames once each: a snapshot of 100,000 green threads has
// a few hundred distinct pcs, and symbolizing is the expensive part of building it.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "analyzer/model/string_pool.h"
#include "producer/source_frame.h"

namespace leakscan {

class SymbolCache {
 public:
  // The frames at `pc`, innermost first, from `resolve(pc, names, out)` the first time `pc` is
  // asked for. A resolver that builds names (demangling) interns them in `names`, which lives
  // as long as the cache; one that points into a mapped binary need not.
  template <typename Resolve>
  std::span<const SourceFrame> frames(uint64_t pc, Resolve&& resolve) {
    auto [it, added] = by_pc_.try_emplace(pc);
    if (added) resolve(pc, names_, it->second);
    return it->second;
  }

 private:
  StringPool names_;
  std::unordered_map<uint64_t, std::vector<SourceFrame>> by_pc_;
};

}  // namespace leakscan
