// `leakscan watch URL...`: the flags into the library's WatchOptions, and its events as lines:
// a status line per poll (rewritten in place on a terminal), the full finding when a cluster
// becomes a leak, and why a target got a new series.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "analyzer/model/text_format.h"
#include "analyzer/report/visible_text.h"
#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/stop_signal.h"
#include "watch/watcher.h"

namespace leakscan::cli {
namespace {

constexpr auto kMaxDefaultTimeout = std::chrono::seconds(30);

std::string plural(int64_t count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

// Prints events; on a terminal the status line of the last poll stays on one line, rewritten.
class EventPrinter {
 public:
  EventPrinter(bool terminal, TextOptions text) : terminal_(terminal), text_(std::move(text)) {}
  EventPrinter(const EventPrinter&) = delete;
  EventPrinter& operator=(const EventPrinter&) = delete;
  ~EventPrinter() {
    if (pending_status_) std::fputs("\n", stdout);
  }

  void print(const WatchEvent& event) {
    std::string when =
        fmt::format("{:%H:%M:%S}", std::chrono::floor<std::chrono::seconds>(event.at));
    switch (event.kind) {
      case WatchEventKind::kPolled:
        status(fmt::format(
            "{} {} poll {}: {} · {}, {} · series {}, {} stored", when, event.name, event.poll,
            plural(event.status.goroutines, "goroutine"), plural(event.status.leaks, "leak"),
            plural(event.status.suspects, "suspect"), event.status.series, event.status.stored));
        return;
      case WatchEventKind::kPollFailed:
        line(fmt::format("{} {} poll {}: failed: {}{}", when, event.name, event.poll, event.message,
                         event.retry_in.count() > 0
                             ? fmt::format("; retrying in {}", format_duration(event.retry_in))
                             : ""));
        return;
      case WatchEventKind::kNewSeries:
        line(event.message.empty()
                 ? fmt::format("{} {}: series {} in {}", when, event.name, event.status.series,
                               event.status.file.string())
                 : fmt::format("{} {}: {}; new series {} in {}", when, event.name, event.message,
                               event.status.series, event.status.file.string()));
        return;
      case WatchEventKind::kRestartsUnseen:
        line(fmt::format("{} {}: series {}: {}", when, event.name, event.status.series,
                         event.message));
        return;
      case WatchEventKind::kBecameLeak:
        line(fmt::format("{} {} poll {}: a cluster became a leak:", when, event.name, event.poll));
        write_text_cluster(event.cluster, text_, stdout);
        std::fflush(stdout);
        return;
      case WatchEventKind::kReportFailed:
        line(fmt::format("{} {}: report not rewritten: {}", when, event.name, event.message));
        return;
    }
  }

 private:
  void status(const std::string& text) {
    if (terminal_) {
      fmt::print(stdout, "\r\x1b[K{}", visible(text));
      pending_status_ = true;
    } else {
      fmt::print(stdout, "{}\n", visible(text));
    }
    std::fflush(stdout);
  }

  void line(const std::string& text) {
    fmt::print(stdout, "{}{}\n", pending_status_ ? "\r\x1b[K" : "", visible(text));
    pending_status_ = false;
    std::fflush(stdout);
  }

  bool terminal_;
  TextOptions text_;
  bool pending_status_ = false;
};

// The command's flags as the library's options; nothing when one is malformed (said so).
// `owners` receives the CODEOWNERS table the options point at.
std::optional<WatchOptions> watch_options(const WatchCommandOptions& options,
                                          std::unique_ptr<CodeOwners>& owners) {
  WatchOptions out;
  out.urls = options.urls;
  out.out = options.out;
  auto every = duration_option("watch", "--every", options.every);
  if (!every) return std::nullopt;
  out.every = *every;
  out.http.timeout = std::min<std::chrono::milliseconds>(out.every, kMaxDefaultTimeout);
  if (!options.timeout.empty()) {
    auto timeout = duration_option("watch", "--timeout", options.timeout);
    if (!timeout) return std::nullopt;
    out.http.timeout = *timeout;
  }
  if (!options.run_for.empty()) {
    out.run_for = duration_option("watch", "--for", options.run_for);
    if (!out.run_for) return std::nullopt;
  }
  if (!options.fail_after.empty()) {
    out.fail_after = duration_option("watch", "--fail-after", options.fail_after);
    if (!out.fail_after) return std::nullopt;
  }
  out.polls = options.polls;
  out.retain = options.retain;
  out.retain_bytes = options.retain_bytes;
  out.window = options.window;
  auto find = resolve_find_options(options.analysis);
  if (!find) return std::nullopt;
  out.limits = find->limits;
  out.fetch_leak_profile = find->fetch_leak_profile;
  out.http.headers = find->http.headers;
  auto analysis = load_analysis_options(*find, owners);
  if (!analysis) {
    report_error(analysis.error());
    return std::nullopt;
  }
  out.analysis = std::move(*analysis);
  if (!options.report.empty()) {
    out.reports.push_back(ReportFile{options.report, options.report_format, TextOptions{}});
  }
  if (!options.html.empty()) {
    out.reports.push_back(ReportFile{options.html, OutputFormat::kHtml, TextOptions{}});
  }
  return out;
}

}  // namespace

int run_watch(const WatchCommandOptions& options) {
  std::unique_ptr<CodeOwners> owners;
  auto watch = watch_options(options, owners);
  if (!watch) return kExitUsageOrInput;
  install_stop_handlers();
  TextOptions text{use_color(options.analysis.color), false};
  Result<WatchSummary> summary = WatchSummary{};
  {
    EventPrinter printer(::isatty(STDOUT_FILENO) != 0, text);
    summary = leakscan::run_watch(*watch, stop_requested(),
                                  [&](const WatchEvent& event) { printer.print(event); });
  }
  if (!summary) return report_error(summary.error());
  if (summary->failed) {
    const WatchEvent& failed = *summary->failed;
    fmt::print(stderr, "{}\n",
               visible(fmt::format("leakscan watch: {}: cluster {} in {} is {} (--fail-after {})",
                                   failed.name, failed.cluster.id(),
                                   failed.cluster.blocked_at().function(), failed.message,
                                   options.fail_after)));
    return kExitFound;
  }
  for (const auto& url : summary->never_answered) {
    fmt::print(stderr, "leakscan watch: {}: no snapshot was stored; see the failures above\n",
               visible(url));
  }
  return summary->never_answered.empty() ? kExitOk : kExitUsageOrInput;
}

}  // namespace leakscan::cli
