#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "analyzer/engine/exit_decision.h"
#include "analyzer/engine/find_leaks.h"
#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"
#include "analyzer/report/reporters.h"

namespace leakscan::cli {

// One meaning each, as ripgrep's: found what --fail-on asks about, clean, or could not run.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsageOrInput = 2;

// The one place errors reach the user: "leakscan: MESSAGE" on stderr, with what a flag can
// do about it, and the exit code for errors.
int report_error(const Error& error);
// `code`, unless what was printed to standard output could not all be written (a full disk,
// /dev/full, a closed pipe): then kExitUsageOrInput, said in one line.
int with_stdout_written(int code);
// Closes `file`, written as `name`, saying in one line if anything written to it was lost.
int close_written(std::FILE* file, std::string_view name, int code);
// The one line for a write to `name` that failed with `error` (an errno).
int report_write_failure(std::string_view name, int error);

// Runs `write`, which prints to `file` (fmt throws when a write fails), then closes `file`:
// either failure is one line naming `name`, never an exception that names nothing.
template <typename Write>
int write_and_close(std::FILE* file, std::string_view name, Write&& write) {
  try {
    write();
  } catch (const std::system_error& error) {
    if (file != stdout) std::fclose(file);  // NOLINT(cppcoreguidelines-owning-memory)
    return report_write_failure(name, error.code().value());
  }
  return close_written(file, name, kExitOk);
}
void report_warnings(const std::vector<std::string>& warnings);

enum class Color : uint8_t { kAuto, kAlways, kNever };

// Whether to colour stdout: asked for, or auto on a terminal unless NO_COLOR is set.
bool use_color(Color choice);

struct ConvertOptions {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string to = "pprof";
  ReadLimits limits;
};

struct AnalyzeOptions {
  std::vector<std::string> inputs;
  FindOptions find;
  std::string min_wait;  // as given, parsed into find.min_wait
  std::string timeout;   // as given, parsed into find.http.timeout
  // --trace-window, as given: beside a plain http://HOST:PORT's debug=2 dump, also its Go
  // execution trace over this long.
  std::string trace_window;
  std::vector<std::string> headers;  // --header, checked into find.http.headers
  std::string bearer_token_file;     // its token sent as "Authorization: Bearer …"
  OutputFormat format = OutputFormat::kText;
  FailOn fail_on = FailOn::kNever;
  Color color = Color::kAuto;
  bool verbose = false;
  bool compact_json = false;  // --format json on one line (trace --report streams NDJSON)
  std::string emit_pprof;
  std::string output;  // -o: the report to this file instead of stdout
  std::optional<std::filesystem::path> source_root;  // SARIF: the repository checked out here
  std::vector<std::string> path_prefixes;            // SARIF: FROM=TO, as given
};

struct TraceCommandOptions {
  int pid = 0;
  std::vector<std::string> command;  // after `--`: started and traced
  std::string duration;              // empty: until Ctrl-C or the target exits
  std::string every = "30s";
  std::string out;  // default: leakscan-trace-PID
  std::string probe_duty = "10%";
  bool all_events = false;
  bool report = false;
  size_t retain = 0;
  AnalyzeOptions analysis;  // for --report
};

struct WatchCommandOptions {
  std::vector<std::string> urls;
  std::string out = "leakscan-watch";
  std::string every = "1m";
  std::string timeout;  // default: the interval, at most 30s
  std::string run_for;  // --for; empty: until Ctrl-C or --polls
  std::string fail_after;
  size_t polls = 0;
  size_t retain = 100;
  uint64_t retain_bytes = 1ULL << 30;
  size_t window = 10;
  std::string report;  // rewritten after every poll
  OutputFormat report_format = OutputFormat::kText;
  std::string html;         // an HTML report, rewritten after every poll
  AnalyzeOptions analysis;  // the analysis flags; format, fail-on and emit-pprof unused
};

struct DiffOptions {
  std::string old_input;
  std::string new_input;
  AnalyzeOptions analysis;
};

// The library's options for the analysis flags (--min-wait parsed); nothing, and the error
// printed, when a flag is malformed.
std::optional<FindOptions> resolve_find_options(const AnalyzeOptions& options);

// The engine's findings for `inputs` with the options' flags; prints warnings, and the error
// when there is one.
std::optional<Findings> find(const AnalyzeOptions& options, const std::vector<std::string>& inputs,
                             SnapshotOrder order);

int run_convert(const ConvertOptions& options);
int run_analyze(const AnalyzeOptions& options);
int run_diff(const DiffOptions& options);
int run_trace(const TraceCommandOptions& options);
int run_watch(const WatchCommandOptions& options);

}  // namespace leakscan::cli
