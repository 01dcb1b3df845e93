// libFuzzer: bytes straight into the pprof protobuf reader, raw and behind gzip, without the
// sniffing that would turn most mutations away before the reader sees them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/readers/byte_source.h"
#include "analyzer/readers/pprof_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)leakscan::read_pprof(bytes, "fuzz.pb");
  // The same bytes as a gzip stream: truncated, corrupt and bomb-like streams stop at the cap.
  auto source = leakscan::gzip_source(leakscan::memory_source(bytes), "fuzz.pb.gz", 16 << 20);
  auto inflated = leakscan::read_all(*source, "fuzz.pb.gz", 16 << 20);
  if (inflated) (void)leakscan::read_pprof(*inflated, "fuzz.pb.gz");
  return 0;
}
