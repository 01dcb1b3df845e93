// `leakscan FILE...`: the engine's findings, printed in the format asked for.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "analyzer/engine/leak_selection.h"
#include "analyzer/writers/pprof_writer.h"
#include "cli/commands.h"
#include "watch/report_file.h"

namespace leakscan::cli {

bool use_color(Color choice) {
  if (choice == Color::kAlways) return true;
  if (choice == Color::kNever) return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
}

std::optional<FindOptions> resolve_find_options(const AnalyzeOptions& options) {
  FindOptions find_options = options.find;
  if (!options.min_wait.empty()) {
    find_options.min_wait = parse_duration(options.min_wait);
    if (!find_options.min_wait) {
      report_error(Error{
          fmt::format("--min-wait {}: expected a duration like 90s, 5m or 1h", options.min_wait)});
      return std::nullopt;
    }
  }
  return find_options;
}

std::optional<Findings> find(const AnalyzeOptions& options, const std::vector<std::string>& inputs,
                             SnapshotOrder order) {
  auto resolved = resolve_find_options(options);
  if (!resolved) return std::nullopt;
  FindOptions find_options = std::move(*resolved);
  find_options.order = order;
  std::vector<Input> engine_inputs;
  engine_inputs.reserve(inputs.size());
  for (const auto& input : inputs) engine_inputs.push_back(Input::from_argument(input));
  auto findings = find_leaks(std::move(engine_inputs), find_options);
  if (!findings) {
    report_error(findings.error());
    return std::nullopt;
  }
  report_warnings(findings->warnings());
  return std::move(*findings);
}

int run_analyze(const AnalyzeOptions& options) {
  const bool to_stdout = options.output.empty() || options.output == "-";
  if (options.format == OutputFormat::kHtml && to_stdout && ::isatty(STDOUT_FILENO) != 0) {
    fmt::print(stderr,
               "leakscan: --format html writes a page for a browser; give -o report.html\n");
    return kExitUsageOrInput;
  }
  // Before reading any input: a mistyped flag should not wait for a large dump.
  auto sources = load_source_map(options.source_root, options.path_prefixes);
  if (!sources) return report_error(sources.error());
  auto findings = find(options, options.inputs, SnapshotOrder::kByCaptureTime);
  if (!findings) return kExitUsageOrInput;
  TextOptions text{to_stdout && use_color(options.color), options.verbose};
  text.compact_json = options.compact_json;
  text.sources = std::move(*sources);
  Status written = Ok{};
  if (to_stdout) {
    int code = write_and_close(stdout, "standard output", [&] {
      written = write_report(findings->analysis(), options.format, text, stdout);
    });
    if (code != kExitOk) return code;
  } else {
    written =
        write_report_file(findings->analysis(), ReportFile{options.output, options.format, text});
  }
  if (!written) return report_error(written.error());
  if (!options.emit_pprof.empty()) {
    int64_t goroutines = 0;
    Snapshot leaks = select_leaks(*findings, goroutines);
    auto status = write_pprof_file(std::span<const Snapshot>(&leaks, 1), options.emit_pprof);
    if (!status) return report_error(status.error());
    // Say what the file holds: an empty profile is easy to mistake for a failed write.
    const auto& summary = findings->report().summary();
    if (goroutines > 0) {
      fmt::print(stderr, "leakscan: wrote {} goroutine{} judged leaking to {}\n", goroutines,
                 goroutines == 1 ? "" : "s", options.emit_pprof);
    } else {
      fmt::print(stderr, "leakscan: wrote an empty profile to {}: no cluster was judged leak{}\n",
                 options.emit_pprof,
                 summary.suspects() > 0
                     ? fmt::format(" ({} suspect{} left out; --emit-pprof holds leaks only)",
                                   summary.suspects(), summary.suspects() == 1 ? "" : "s")
                     : "");
    }
  }
  return fails(findings->report().summary(), options.fail_on) ? kExitFound : kExitOk;
}

}  // namespace leakscan::cli
