// What a symbolizer says about one program counter, before a snapshot interns it: the agent's
// (libdw, this process) and the tracer's (.gopclntab, a Go binary) alike.
#pragma once

#include <cstdint>
#include <string_view>

namespace leakscan {

// One source-level frame; an inlined call is a frame of its own. The text lives as long as the
// symbolizer that produced it.
struct SourceFrame {
  std::string_view function;
  std::string_view file;
  int64_t line = 0;
};

}  // namespace leakscan
