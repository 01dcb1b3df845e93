#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

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
    std::FILE* out = stdout;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
    if (options.output != "-") {
      // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): `file` owns and closes it
      file.reset(std::fopen(options.output.c_str(), "w"));
      if (!file) {
        fmt::print(stderr, "leakscan: {}: cannot create\n", options.output);
        return kExitUsageOrInput;
      }
      out = file.get();
    }
    write_go_text(*snapshots, out);
    return kExitOk;
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
