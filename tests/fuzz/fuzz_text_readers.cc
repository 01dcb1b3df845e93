// libFuzzer: bytes straight into the text readers, debug=1 and the debug=2 family (streamed
// and in place, on one thread and two), without the sniffing that picks one of them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analyzer/readers/byte_source.h"
#include "analyzer/readers/go_debug1_reader.h"
#include "analyzer/readers/go_traceback_reader.h"
#include "analyzer/readers/line_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  leakscan::ReadLimits limits;
  limits.max_line_bytes = 64 << 10;
  limits.parallel_min_bytes = size % 2 == 0 ? 256 : SIZE_MAX;  // both paths
  {
    auto source = leakscan::memory_source(bytes);
    leakscan::LineReader lines(*source, "fuzz-debug1.txt", limits);
    (void)leakscan::read_go_debug1(lines);
  }
  {
    auto source = leakscan::memory_source(bytes);
    leakscan::LineReader lines(*source, "fuzz-debug2.txt", limits);
    (void)leakscan::read_go_traceback(lines);
  }
  (void)leakscan::read_go_traceback(bytes, "fuzz-inplace.txt", limits, /*image=*/false);
  return 0;
}
