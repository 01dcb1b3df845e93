// Turns return addresses in this process into function, file and line, inlined frames
// included, with libdw (elfutils). Names are demangled and without parameter lists, the way
// the analyzer and pprof group them. Not thread-safe: the agent symbolizes under its snapshot
// lock.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "producer/source_frame.h"
#include "producer/symbol_cache.h"

struct Dwfl;

namespace leakscan::agent {

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // The frames at a return address, innermost (inlined) first; never empty. Their text lives
  // as long as the symbolizer.
  std::span<const SourceFrame> frames(uintptr_t return_address);

 private:
  void lookup(uintptr_t return_address, StringPool& names, std::vector<SourceFrame>& out);
  void report_modules();

  struct DwflDeleter {
    void operator()(Dwfl* dwfl) const;
  };
  std::unique_ptr<Dwfl, DwflDeleter> dwfl_;
  bool reported_since_miss_ = false;
  SymbolCache cache_;
};

// "ns::f<int>(int, char) const" -> "ns::f<int>"; " [clone .actor]" suffixes go too.
std::string without_parameters(std::string name);

}  // namespace leakscan::agent
