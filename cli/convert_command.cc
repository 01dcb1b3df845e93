#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "analyzer/engine/inputs.h"
#include "analyzer/writers/go_text_writer.h"
#include "analyzer/writers/pprof_writer.h"
#include "cli/commands.h"

namespace leakscan::cli {

int run_convert(const ConvertOptions& options) {
  std::vector<Input> inputs;
  for (const auto& input : options.inputs) inputs.push_back(Input::from_argument(input));
  // A conversion writes what it was given: no leak profile fetched beside a URL.
  auto loaded = load_snapshots(std::move(inputs), LoadOptions{.limits = options.limits,
                                                              .order = SnapshotOrder::kAsGiven,
                                                              .fetch_leak_profile = false});
  if (!loaded) return report_error(loaded.error());
  report_warnings(loaded->warnings);
  const std::vector<Snapshot>* snapshots = &loaded->snapshots;
  if (options.to == "text") {
    if (options.output == "-") {
      return write_and_close(stdout, "standard output", [&] { write_go_text(*snapshots, stdout); });
    }
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): write_and_close closes it
    std::FILE* out = std::fopen(options.output.c_str(), "w");
    if (out == nullptr) {
      fmt::print(stderr, "leakscan: {}: cannot create: {}\n", options.output, std::strerror(errno));
      return kExitUsageOrInput;
    }
    return write_and_close(out, options.output, [&] { write_go_text(*snapshots, out); });
  }
  if (options.output == "-" && ::isatty(STDOUT_FILENO)) {
    fmt::print(stderr,
               "leakscan: refusing to write a binary profile to a terminal; give -o FILE\n");
    return kExitUsageOrInput;
  }
  auto status = write_pprof_file(*snapshots, options.output);
  if (!status) return report_error(status.error());
  return kExitOk;
}

}  // namespace leakscan::cli
