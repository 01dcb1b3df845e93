// `leakscan FILE...`: the engine's findings, printed in the format asked for.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "analyzer/engine/leak_selection.h"
#include "analyzer/report/reporters.h"
#include "analyzer/report/visible_text.h"
#include "analyzer/writers/pprof_writer.h"
#include "cli/commands.h"
#include "cli/duration_option.h"
#include "watch/report_file.h"
#include "watch/watcher.h"

namespace leakscan::cli {

bool use_color(Color choice) {
  if (choice == Color::kAlways) return true;
  if (choice == Color::kNever) return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
}

namespace {

// A bearer token kept in a file (as Kubernetes mounts secrets): its one line, without the
// newline. Kept out of the command line, where `ps` would show it.
Result<std::string> read_token_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error{fmt::format("--bearer-token-file {}: cannot open", path)};
  std::string token;
  std::getline(file, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  bool printable = std::all_of(token.begin(), token.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) != 0x7f;
  });
  if (token.empty() || !printable) {
    return Error{
        fmt::format("--bearer-token-file {}: expected the token on its first line, "
                    "without spaces or control characters",
                    path)};
  }
  return token;
}

// The headers every fetch sends: --header as given, checked, and the token of
// --bearer-token-file; nothing, said in one line, when one is malformed.
std::optional<std::vector<std::string>> http_headers(const AnalyzeOptions& options) {
  std::vector<std::string> headers;
  for (const auto& header : options.headers) {
    size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0 ||
        header.find_first_of("\r\n") != std::string::npos) {
      report_error(
          Error{fmt::format("--header {}: expected 'Name: value' on one line", visible(header))});
      return std::nullopt;
    }
    headers.push_back(header);
  }
  if (!options.bearer_token_file.empty()) {
    auto token = read_token_file(options.bearer_token_file);
    if (!token) {
      report_error(token.error());
      return std::nullopt;
    }
    headers.push_back("Authorization: Bearer " + *token);
  }
  return headers;
}

}  // namespace

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
  auto headers = http_headers(options);
  if (!headers) return std::nullopt;
  find_options.http.headers = std::move(*headers);
  if (!options.timeout.empty()) {
    auto timeout = duration_option("", "--timeout", options.timeout);
    if (!timeout) return std::nullopt;
    find_options.http.timeout = *timeout;
  }
  return find_options;
}

namespace {

// With --trace-window, a plain http://HOST:PORT stands for a Go service's debug=2 dump and its
// execution trace over the window, fetched in that order (watch polls the same dump).
std::optional<std::vector<std::string>> with_trace_windows(const AnalyzeOptions& options,
                                                           const std::vector<std::string>& inputs) {
  if (options.trace_window.empty()) return inputs;
  auto window = duration_option("", "--trace-window", options.trace_window);
  if (!window) return std::nullopt;
  // /debug/pprof/trace takes whole seconds.
  const int64_t seconds = std::max<int64_t>(1, (window->count() + 999) / 1000);
  std::vector<std::string> out;
  bool any = false;
  for (const auto& input : inputs) {
    std::string dump = goroutine_url(input);
    if (dump == input || !(input.starts_with("http://") || input.starts_with("https://"))) {
      out.push_back(input);
      continue;
    }
    any = true;
    std::string base = dump.substr(0, dump.find("/debug/pprof/"));
    out.push_back(std::move(dump));
    out.push_back(fmt::format("{}/debug/pprof/trace?seconds={}", base, seconds));
  }
  if (!any) {
    report_error(
        Error{fmt::format("--trace-window {}: give a plain http://HOST:PORT input, whose "
                          "dump and trace leakscan then fetches",
                          options.trace_window)});
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<Findings> find(const AnalyzeOptions& options, const std::vector<std::string>& given,
                             SnapshotOrder order) {
  auto resolved = resolve_find_options(options);
  if (!resolved) return std::nullopt;
  FindOptions find_options = std::move(*resolved);
  find_options.order = order;
  auto inputs = with_trace_windows(options, given);
  if (!inputs) return std::nullopt;
  std::vector<Input> engine_inputs;
  engine_inputs.reserve(inputs->size());
  for (const auto& input : *inputs) engine_inputs.push_back(Input::from_argument(input));
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
  if (options.format == OutputFormat::kSarif) {
    if (auto unplaced = unplaced_sources_warning(findings->report(), text.sources)) {
      fmt::print(stderr, "leakscan: warning: {}\n", visible(*unplaced));
    }
  }
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
