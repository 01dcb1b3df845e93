// The leakscan command line: parses arguments, calls the library, prints. Exit codes: 0 done
// and nothing --fail-on asks about, 1 found it, 2 usage or input error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <new>

#include "cli/commands.h"
#include "leakscan/version.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// What one input may cost, for every command that reads inputs.
void add_limit_options(CLI::App& app, leakscan::ReadLimits& limits) {
  app.add_option("--max-input-size", limits.max_input_bytes,
                 "Refuse inputs larger than this many bytes after decompression")
      ->capture_default_str();
  app.add_option("--max-memory", limits.max_memory_bytes,
                 "Refuse an input whose reading would build more than this many bytes "
                 "(default 0: 6 times its size plus 64 MiB)");
}

// The flags that shape the analysis itself, shared by every command that runs one.
void add_find_options(CLI::App& app, leakscan::cli::AnalyzeOptions& options) {
  app.add_option("--min-wait", options.min_wait,
                 "Wait that counts against a goroutine, for every kind (e.g. 90s, 5m; default: "
                 "per anchor kind, see --config)");
  app.add_option("--config", options.find.config, "Rules and thresholds to add (leakscan.toml)");
  app.add_option("--baseline", options.find.baseline,
                 "Accepted leaks with a reason and an expiry date (known-leaks.toml)");
  app.add_option("--codeowners", options.find.codeowners,
                 "CODEOWNERS file naming owners of the code");
  app.add_option("--focus", options.find.focus,
                 "Only goroutines with a frame or creator matching this regex (RE2)");
  app.add_option("--ignore", options.find.ignore,
                 "Leave out goroutines with a frame or creator matching this regex (RE2)");
  add_limit_options(app, options.find.limits);
  app.add_option("--header", options.headers,
                 "With URL inputs: send this 'Name: value' header with every request "
                 "(repeatable)");
  app.add_option("--bearer-token-file", options.bearer_token_file,
                 "With URL inputs: send the token on this file's first line as "
                 "'Authorization: Bearer TOKEN' (a leakscan agent with bearer_token set)");
  // A callback, not a negated flag: help would show the flag as "{false}".
  app.add_flag_callback(
      "--no-leak-profile", [&options] { options.find.fetch_leak_profile = false; },
      "With a URL of /debug/pprof/goroutine, do not also fetch Go's goroutineleak "
      "profile (Go 1.27, or 1.26 with GOEXPERIMENT=goroutineleakprofile: its GC's proof "
      "of which goroutines leaked, at the cost of one GC cycle in the target)");
  app.add_option("--max-clusters", options.find.max_clusters,
                 "List at most this many clusters, leaks and suspects first (0: all); the "
                 "summary counts the rest")
      ->capture_default_str();
}

template <typename Enum>
using Choices = std::vector<std::pair<std::string, Enum>>;

// An option that takes one of `choices` by name. Help shows the names (CLI11 would print the
// enum values behind them, which have no names of their own).
template <typename Enum>
CLI::Option* add_choice_option(CLI::App& app, const std::string& name, Enum& value,
                               const Choices<Enum>& choices, const std::string& description) {
  std::string names;
  for (const auto& [choice, ignored] : choices) names += (names.empty() ? "" : "|") + choice;
  // CLI11 reads an enum from its number: the name given becomes that number, or an error.
  auto by_name = [choices, names](std::string& given) -> std::string {
    for (const auto& [choice, meaning] : choices) {
      if (CLI::detail::to_lower(given) == choice) {
        given = std::to_string(static_cast<std::underlying_type_t<Enum>>(meaning));
        return {};
      }
    }
    return fmt::format("'{}' is not one of {}", given, names);
  };
  return app.add_option(name, value, description)
      ->transform(CLI::Validator(by_name, ""))
      ->option_text(names);
}

const Choices<leakscan::OutputFormat>& output_formats() {
  static const Choices<leakscan::OutputFormat> formats{
      {"text", leakscan::OutputFormat::kText},
      {"json", leakscan::OutputFormat::kJson},
      {"markdown", leakscan::OutputFormat::kMarkdown},
      {"sarif", leakscan::OutputFormat::kSarif},
      {"html", leakscan::OutputFormat::kHtml}};
  return formats;
}

void add_color_option(CLI::App& app, leakscan::cli::Color& color) {
  using leakscan::cli::Color;
  add_choice_option(app, "--color", color,
                    {{"auto", Color::kAuto}, {"always", Color::kAlways}, {"never", Color::kNever}},
                    "Colour: auto (on a terminal, unless NO_COLOR), always, never");
}

void add_fail_on_option(CLI::App& app, leakscan::FailOn& fail_on) {
  add_choice_option(app, "--fail-on", fail_on,
                    {{"leak", leakscan::FailOn::kLeak}, {"suspect", leakscan::FailOn::kSuspect}},
                    "Exit 1 when a leak (or a leak or suspect) is found");
}

void add_analysis_options(CLI::App& app, leakscan::cli::AnalyzeOptions& options) {
  add_choice_option(app, "--format", options.format, output_formats(),
                    "Report format (html: one self-contained page)");
  add_find_options(app, options);
  add_fail_on_option(app, options.fail_on);
  add_color_option(app, options.color);
  app.add_flag("-v,--verbose", options.verbose,
               "List every cluster and why goroutines were set aside");
}

CLI::App* add_watch_command(CLI::App& app, leakscan::cli::WatchCommandOptions& watch) {
  auto* cmd = app.add_subcommand(
      "watch", "Poll live goroutine endpoints, keep every snapshot, and say when a leak starts");
  cmd->add_option("urls", watch.urls,
                  "Go pprof or leakscan agent endpoints; a bare http://host:port polls "
                  "/debug/pprof/goroutine?debug=2")
      ->required();
  cmd->add_option("--every", watch.every, "Poll interval")->capture_default_str();
  cmd->add_option("--out", watch.out,
                  "Directory for the snapshots: OUT/TARGET/series-NNNN/goroutine-NNNNNN.txt")
      ->capture_default_str();
  cmd->add_option("--timeout", watch.timeout,
                  "Give up on a fetch after this long, connecting included (default: the "
                  "interval, at most 30s)");
  cmd->add_option("--polls", watch.polls, "Stop after N polls of each target (0: no limit)");
  cmd->add_option("--for", watch.run_for, "Stop after this long (default: Ctrl-C or --polls)");
  cmd->add_option("--fail-after", watch.fail_after,
                  "Exit 1 once a cluster has been a leak (or stuck) this long");
  cmd->add_option("--retain", watch.retain, "Snapshots kept per series (0: all)")
      ->capture_default_str();
  cmd->add_option("--retain-bytes", watch.retain_bytes,
                  "Bytes of snapshots kept per series (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--window", watch.window,
                  "Newest snapshots of a series analysed together (0: all kept)")
      ->capture_default_str();
  cmd->add_option("--report", watch.report,
                  "Rewrite this report file after every poll (atomically; with several "
                  "targets, one file each)");
  add_choice_option(*cmd, "--report-format", watch.report_format, output_formats(),
                    "Format of --report");
  cmd->add_option("--html", watch.html,
                  "Keep this HTML report current: rewritten after every poll (with several "
                  "targets, one file each)");
  add_find_options(*cmd, watch.analysis);
  add_color_option(*cmd, watch.analysis.color);
  cmd->footer(
      "One status line per poll and target (rewritten in place on a terminal), the full\n"
      "finding when a cluster becomes a leak, a new series when a target restarts. Fetches\n"
      "that fail, time out or return no goroutine dump are retried sooner (backoff up to\n"
      "the interval); nothing stored is lost.\n\n"
      "Examples:\n"
      "  leakscan watch http://127.0.0.1:6060 --every 1m --out /var/tmp/watch\n"
      "  leakscan watch http://10.0.0.5:6060 http://10.0.0.6:9102/debug/pprof/goroutine \\\n"
      "      --every 30s --for 2h --fail-after 10m --report leaks.json --report-format json\n"
      "  leakscan watch http://127.0.0.1:6060 --every 1m --html leaks.html\n"
      "  leakscan /var/tmp/watch/127.0.0.1_6060/series-0001/goroutine-*.txt\n\n"
      "Exit codes: 0 stopped (--polls, --for, Ctrl-C) with no leak past --fail-after,\n"
      "1 a leak outlasted --fail-after, 2 usage error or a target never answered.");
  return cmd;
}

int run(int argc, char** argv) {
  CLI::App app{"leakscan: finds leaked goroutines and fibers in goroutine dumps and profiles",
               "leakscan"};
  app.set_version_flag("--version", fmt::format("leakscan {}", leakscan::kLeakscanVersion));
  app.footer(
      "Inputs: pprof goroutine profiles (gzip or raw), debug=1 and debug=2 text, panics, fatal\n"
      "errors, SIGQUIT dumps, logs holding them, '-' for stdin, and http:// pprof endpoints.\n"
      "Several snapshots of one process are ordered by capture time; growth across them is\n"
      "the strongest sign of a leak.\n\n"
      "Examples:\n"
      "  leakscan goroutines.txt\n"
      "  leakscan before.pb.gz after.pb.gz --fail-on leak\n"
      "  leakscan http://127.0.0.1:6060/debug/pprof/goroutine?debug=2 --format json\n"
      "  leakscan a.txt b.txt c.txt --format html -o report.html\n"
      "  leakscan dump.txt --focus 'myservice/' --min-wait 10m --emit-pprof leaks.pb.gz\n"
      "  leakscan dump.txt --format sarif --source-root . > leaks.sarif\n"
      "  leakscan diff old.txt new.txt\n"
      "  leakscan watch http://127.0.0.1:6060 --every 1m --out /var/tmp/watch\n"
      "  leakscan convert dump.txt -o dump.pb.gz && go tool pprof -traces dump.pb.gz\n\n"
      "Exit codes: 0 nothing found (or no --fail-on), 1 found what --fail-on names, 2 error.");

  leakscan::cli::AnalyzeOptions analyze;
  app.add_option("inputs", analyze.inputs, "Snapshots of one process: files, '-', or URLs");
  add_analysis_options(app, analyze);
  app.add_option("--emit-pprof", analyze.emit_pprof,
                 "Write the goroutines judged leaking to this pprof file (for go tool pprof)");
  app.add_option("-o,--output", analyze.output, "Write the report to this file ('-': stdout)");
  app.add_option("--trace-window", analyze.trace_window,
                 "With a plain http://HOST:PORT input: read its /debug/pprof/goroutine?debug=2 "
                 "dump, then its Go execution trace over this long (/debug/pprof/trace)");
  app.add_option("--timeout", analyze.timeout,
                 "Give up on fetching a URL input after this long, connecting included "
                 "(default 2m)");
  app.add_option("--source-root", analyze.source_root,
                 "SARIF: the repository's checkout; files under it, or under the module its "
                 "go.mod names, become repository paths");
  app.add_option("--path-prefix", analyze.path_prefixes,
                 "SARIF: FROM=TO, a frame file's leading FROM as TO in the repository "
                 "(repeatable, tried in order; e.g. /home/ci/src/svc=)")
      ->allow_extra_args(false)
      ->take_all();

  leakscan::cli::ConvertOptions convert;
  auto* convert_cmd = app.add_subcommand(
      "convert", "Convert any goroutine dump or profile to a pprof profile or Go text");
  convert_cmd->add_option("inputs", convert.inputs, "Inputs ('-' for stdin)")->required();
  convert_cmd->add_option("-o,--output", convert.output, "Output file ('-' for stdout)")
      ->capture_default_str();
  convert_cmd
      ->add_option("--to", convert.to,
                   "Output format: pprof (gzip protobuf, the default) or text (Go "
                   "debug=2/debug=1)")
      ->check(CLI::IsMember({"pprof", "text"}).description(""))
      ->option_text("pprof|text");
  add_limit_options(*convert_cmd, convert.limits);
  convert_cmd->footer(
      "Examples:\n"
      "  leakscan convert goroutines.txt -o goroutines.pb.gz\n"
      "  go tool pprof -traces goroutines.pb.gz\n"
      "  go tool pprof -tagfocus=state=chan -top goroutines.pb.gz\n"
      "  leakscan convert goroutine.pb.gz --to text -o -");

  leakscan::cli::DiffOptions diff;
  auto* diff_cmd = app.add_subcommand("diff", "How each cluster changed between two snapshots");
  diff_cmd->add_option("old", diff.old_input, "The earlier snapshot")->required();
  diff_cmd->add_option("new", diff.new_input, "The later snapshot")->required();
  // diff prints one table, plain text: no --format, --color or -v to accept and ignore.
  add_find_options(*diff_cmd, diff.analysis);
  add_fail_on_option(*diff_cmd, diff.analysis.fail_on);
  diff_cmd->footer("Example:\n  leakscan diff before.txt after.txt");

  leakscan::cli::TraceCommandOptions trace;
  auto* trace_cmd = app.add_subcommand(
      "trace", "Watch an unmodified Go process (eBPF and its memory) and write snapshots");
  trace_cmd->add_option("--pid", trace.pid, "The Go process to trace");
  trace_cmd->add_option("command", trace.command, "Or a program to start and trace (after --)");
  trace_cmd->add_option("--duration", trace.duration,
                        "Stop after this long (default: Ctrl-C or the target's exit)");
  trace_cmd->add_option("--every", trace.every, "Snapshot interval")->capture_default_str();
  trace_cmd->add_option("--out", trace.out,
                        "Directory for the snapshots and sites.json (default: leakscan-trace-PID)");
  trace_cmd->add_option("--retain", trace.retain, "Keep only the newest N snapshots (0: all)");
  trace_cmd
      ->add_option("--probe-duty", trace.probe_duty,
                   "Share of time the lifecycle uprobes are attached (0 for none)")
      ->capture_default_str();
  trace_cmd->add_flag("--all-events", trace.all_events,
                      "Keep the uprobes attached: exact lifetimes, at their cost");
  trace_cmd->add_flag("--report", trace.report, "Run the analysis on the snapshots as they come");
  add_analysis_options(*trace_cmd, trace.analysis);
  trace_cmd->footer(
      "Needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE.\n\n"
      "Examples:\n"
      "  leakscan trace --pid 1234 --every 30s --out /tmp/trace\n"
      "  leakscan trace --report --duration 5m -- ./server -addr :8080\n"
      "  leakscan /tmp/trace/goroutines-*.pb.gz");

  leakscan::cli::WatchCommandOptions watch;
  auto* watch_cmd = add_watch_command(app, watch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : leakscan::cli::kExitUsageOrInput;
  }
  if (convert_cmd->parsed()) return leakscan::cli::run_convert(convert);
  if (diff_cmd->parsed()) return leakscan::cli::run_diff(diff);
  if (trace_cmd->parsed()) return leakscan::cli::run_trace(trace);
  if (watch_cmd->parsed()) return leakscan::cli::run_watch(watch);
  if (analyze.inputs.empty()) {
    fmt::print(stderr, "{}", app.help());
    return leakscan::cli::kExitUsageOrInput;
  }
  return leakscan::cli::run_analyze(analyze);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // glibc raises its mmap threshold to the size of each large block freed, up to 32 MB, and
  // then keeps such blocks in the heap once freed: a wide dump's indexes and scratch would stay
  // resident under the clusters built after them. A fixed threshold hands them back on free.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  try {
    return leakscan::cli::with_stdout_written(run(argc, argv));
  } catch (const std::bad_alloc&) {
    // Each input's read names it (engine/inputs.cc); past the reads, it is the analysis.
    std::fputs(
        "leakscan: the system ran out of memory analysing the inputs; free memory, or set "
        "--max-memory below what the machine has\n",
        stderr);
    return leakscan::cli::kExitUsageOrInput;
  } catch (const std::exception& e) {
    // Errors are values in the library; what reaches here is the system.
    std::fputs("leakscan: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
    return leakscan::cli::kExitUsageOrInput;
  }
}
