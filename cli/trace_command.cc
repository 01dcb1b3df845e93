// `leakscan trace --pid PID` / `leakscan trace -- ./binary args`: watches an unmodified Go
// process from outside (bpf/), writes snapshots the analyzer reads like any other input, and
// with --report runs the analysis on them as they are written.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "analyzer/analysis/rules.h"
#include "analyzer/engine/spawn_actions.h"
#include "analyzer/report/visible_text.h"
#include "bpf/trace_session.h"
#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/stop_signal.h"

extern char** environ;

namespace leakscan::cli {
namespace {

std::optional<double> duty_option(const std::string& text) {
  std::string number = text;
  bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0') return std::nullopt;
  if (percent) value /= 100;
  if (value < 0 || value > 1) return std::nullopt;
  return value;
}

// `stdout_to_stderr`: with --report, leakscan's stdout is the reports' stream (NDJSON with
// --format json), which the program's own output would break, so it goes to stderr.
pid_t start_command(const std::vector<std::string>& command, bool stdout_to_stderr) {
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  SpawnActions actions;
  if (stdout_to_stderr)
    posix_spawn_file_actions_adddup2(actions.get(), STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], actions.get(), nullptr, argv.data(), environ);
  if (rc != 0) {
    fmt::print(stderr, "leakscan trace: cannot start {}: {}\n", command[0], std::strerror(rc));
    return -1;
  }
  return pid;
}

// A program we started ends with the trace: SIGTERM, then SIGKILL after 5 s.
void end_command(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

}  // namespace

int run_trace(const TraceCommandOptions& options) {
  if ((options.pid > 0) == !options.command.empty()) {
    fmt::print(stderr, "leakscan trace: give either --pid PID or -- COMMAND [ARGS...]\n");
    return kExitUsageOrInput;
  }
  trace::TraceOptions trace;
  auto every = duration_option("trace", "--every", options.every);
  if (!every) return kExitUsageOrInput;
  trace.every = *every;
  if (!options.duration.empty()) {
    trace.duration = duration_option("trace", "--duration", options.duration);
    if (!trace.duration) return kExitUsageOrInput;
  }
  auto duty = duty_option(options.probe_duty);
  if (!duty) {
    fmt::print(stderr, "leakscan trace: --probe-duty {}: expected a share like 10% or 0.1\n",
               options.probe_duty);
    return kExitUsageOrInput;
  }
  trace.probe_duty = *duty;
  trace.all_events = options.all_events;
  trace.retain = options.retain;
  trace.log = [](const std::string& line) {
    fmt::print(stderr, "leakscan trace: {}\n", visible(line));
  };

  int report_exit = kExitOk;
  if (options.report) {
    trace.on_snapshot = [&](const std::vector<std::string>& files) {
      AnalyzeOptions analysis = options.analysis;
      analysis.inputs = files;
      analysis.compact_json = true;  // one report per line: NDJSON
      std::fflush(stdout);
      report_exit = run_analyze(analysis);
      std::fflush(stdout);
    };
  }

  install_stop_handlers();
  pid_t child = -1;
  trace.pid = options.pid;
  if (!options.command.empty()) {
    child = start_command(options.command, options.report);
    if (child < 0) return kExitUsageOrInput;
    trace.pid = child;
  }
  trace.out_dir = options.out.empty() ? fmt::format("leakscan-trace-{}", trace.pid) : options.out;

  auto summary = trace::run_trace(trace, stop_requested());
  if (child > 0) end_command(child);
  if (!summary) {
    fmt::print(stderr, "leakscan trace: {}\n", visible(summary.error().message));
    return kExitUsageOrInput;
  }
  std::FILE* out =
      options.report && options.analysis.format != OutputFormat::kText ? stderr : stdout;
  fmt::print(out, "{}", trace::format_sites(*summary));
  fmt::print(stderr, "leakscan trace: ended ({}); {} snapshots in {}; probes detached\n",
             summary->ended_by, summary->snapshot_files.size(), trace.out_dir);
  return report_exit;
}

}  // namespace leakscan::cli
