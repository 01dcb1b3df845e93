// Turns return addresses in this process into function, file and line, inlined frames
// included, with libdw (elfutils). Names are demangled and without parameter lists, the way
// the analyzer and pprof group them. Not thread-safe: the agent symbolizes under its snapshot
// lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct Dwfl;

namespace leakscan::agent {

struct SourceFrame {
  std::string function;
  std::string file;
  int64_t line = 0;
};

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // The frames at a return address, innermost (inlined) first; never empty.
  const std::vector<SourceFrame>& frames(uintptr_t return_address);

 private:
  std::vector<SourceFrame> lookup(uintptr_t pc);
  void report_modules();

  struct DwflDeleter {
    void operator()(Dwfl* dwfl) const;
  };
  std::unique_ptr<Dwfl, DwflDeleter> dwfl_;
  bool reported_since_miss_ = false;
  std::unordered_map<uintptr_t, std::vector<SourceFrame>> cache_;
};

// "ns::f<int>(int, char) const" -> "ns::f<int>"; " [clone .actor]" suffixes go too.
std::string without_parameters(std::string name);

}  // namespace leakscan::agent
