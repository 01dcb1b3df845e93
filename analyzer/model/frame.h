#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace leakscan {

// One stack frame. Function names keep Go's spelling (`main.(*Service).Run.func1`,
// `pkg.Map[...]`) without arguments; for C++ they are demangled names.
struct Frame {
  std::string_view function;
  std::string_view file;
  int64_t line = 0;

  friend bool operator==(const Frame&, const Frame&) = default;
};

struct FrameHash {
  size_t operator()(const Frame& frame) const;
};

// Frames are interned per snapshot; threads and samples hold these small ids.
using FrameId = uint32_t;
inline constexpr FrameId kNoFrame = UINT32_MAX;

// A call stack, leaf first. Stacks are interned too (FrameTable::intern_stack): 100,000
// goroutines parked at the same place share one stack, and equal stacks have equal data().
using Stack = std::span<const FrameId>;

}  // namespace leakscan
