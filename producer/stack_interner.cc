#include "producer/stack_interner.h"

namespace leakscan {

FrameId StackInterner::intern(const SourceFrame& frame) {
  return snapshot_.frames().intern(Frame{frame.function, frame.file, frame.line});
}

size_t StackInterner::PcsHash::operator()(const std::vector<uint64_t>& pcs) const {
  // FNV-1a over the pcs: cheap, and stacks differ in their leaf pcs already.
  size_t hash = 1469598103934665603ULL;
  for (uint64_t pc : pcs) hash = (hash ^ pc) * 1099511628211ULL;
  return hash;
}

}  // namespace leakscan
