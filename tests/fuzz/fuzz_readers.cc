// libFuzzer: any bytes through content sniffing and every reader (gzip, pprof, debug=1,
// debug=2 family, on one thread and two), then the writers and the analysis over what was
// read. Nothing may crash, hang or grow without bound; errors are fine.
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "analyzer/engine/find_leaks.h"
#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/reporters.h"
#include "analyzer/writers/go_text_writer.h"
#include "analyzer/writers/pprof_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  leakscan::ReadLimits limits;
  limits.max_input_bytes = 64 << 20;  // a gzip bomb stops here
  limits.max_line_bytes = 64 << 10;
  limits.parallel_min_bytes = size % 2 == 0 ? 256 : SIZE_MAX;  // both paths
  auto snapshots = leakscan::read_snapshots_from_memory(bytes, "fuzz", limits);
  if (!snapshots) return 0;
  (void)leakscan::encode_pprof(*snapshots);
  std::FILE* sink = std::fopen("/dev/null", "w");
  if (sink != nullptr) {
    leakscan::write_go_text(*snapshots, sink);
    auto analysis = leakscan::analyze(*snapshots, leakscan::AnalysisOptions{});
    if (analysis) {
      leakscan::write_text_report(*analysis, leakscan::TextOptions{.verbose = true}, sink);
      (void)leakscan::json_report(analysis->report);
      (void)leakscan::sarif_report(analysis->report);
    }
    std::fclose(sink);
  }
  return 0;
}
