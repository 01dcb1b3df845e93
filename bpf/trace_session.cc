#include "bpf/trace_session.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "analyzer/model/text_format.h"
#include "bpf/capabilities.h"
#include "bpf/goroutine_table_reader.h"
#include "bpf/lifecycle_tracer.h"
#include "bpf/load_bias.h"
#include "bpf/traced_snapshot.h"
#include "gobinary/go_binary.h"
#include "gobinary/go_runtime_layout.h"
#include "producer/gzipped_pprof.h"
#include "producer/snapshot_directory.h"
#include "proto/trace_sites.pb.h"

namespace leakscan::trace {
namespace {

using Clock = std::chrono::steady_clock;
using leakscan::trace::Site;
using leakscan::trace::TraceSites;
using std::chrono::milliseconds;

constexpr auto kPollInterval = milliseconds(100);
constexpr auto kAttachedPollInterval = milliseconds(5);
constexpr auto kRuntimeStartWait = std::chrono::seconds(10);

bool target_alive(pid_t pid) {
  int status = 0;
  pid_t waited = ::waitpid(pid, &status, WNOHANG);
  if (waited == pid) return false;  // our child, and it ended
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

Status write_sites_json(const TraceSummary& summary, const std::filesystem::path& path) {
  TraceSites sites;
  sites.set_traced_ms(summary.traced.count());
  sites.set_probes_attached_ms(summary.probes_attached.count());
  sites.set_created_events(summary.created_events);
  sites.set_exited_events(summary.exited_events);
  sites.set_dropped_events(summary.dropped_events);
  sites.set_born(summary.born);
  sites.set_died(summary.died);
  for (const SiteSummary& summarized : summary.sites) {
    Site& site = *sites.add_sites();
    site.set_site(summarized.site);
    site.set_gopc(summarized.gopc);
    site.set_born(summarized.born);
    site.set_died(summarized.died);
    site.set_live_first(summarized.live_first);
    site.set_live_last(summarized.live_last);
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;  // a site that died out says "died": "0"
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto printed = google::protobuf::util::MessageToJsonString(sites, &json, options);
      !printed.ok()) {
    return Error{fmt::format("{}: {}", path.string(), printed.ToString())};
  }
  return write_file_atomically(path, json);
}

class Session {
 public:
  Session(const TraceOptions& options, const std::atomic<bool>& stop)
      : options_(options), stop_(stop) {}

  Result<TraceSummary> run();

 private:
  Status prepare();
  Status snapshot();
  void on_event(const GoroutineEvent& event);
  void update_duty(Clock::time_point now);
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  const TraceOptions& options_;
  const std::atomic<bool>& stop_;
  std::unique_ptr<gobinary::GoBinary> binary_;
  gobinary::GoRuntimeLayout layout_;
  std::optional<LoadedProgram> program_;  // what the pid ran when attached
  std::unique_ptr<GoroutineTableReader> reader_;
  std::unique_ptr<LifecycleTracer> tracer_;
  GoroutineHistories histories_;
  std::optional<std::chrono::system_clock::time_point> previous_capture_;
  std::unordered_map<uint64_t, int64_t> live_first_, live_last_;
  TraceSummary summary_;
  Clock::time_point attached_since_;
  int64_t window_ = -1;
  milliseconds attached_total_{0};
  size_t snapshot_index_ = 0;
  std::optional<SnapshotDirectory> directory_;
  std::vector<GreenThread> recycled_threads_;  // the last snapshot's, for its capacity
};

Status Session::prepare() {
  const pid_t pid = options_.pid;
  if (pid <= 0 || !target_alive(pid)) return Error{fmt::format("pid {}: no such process", pid)};
  const bool probes = options_.all_events || options_.probe_duty > 0;
  if (auto capabilities = check_trace_capabilities(probes); !capabilities) return capabilities;
  auto binary = gobinary::GoBinary::open(fmt::format("/proc/{}/exe", pid));
  if (!binary) return Error{fmt::format("pid {}: {}", pid, binary.error().message)};
  binary_ = std::move(*binary);
  auto bias = load_bias(pid, *binary_);
  if (!bias) return Error{fmt::format("pid {}: {}", pid, bias.error().message)};
  auto layout = gobinary::read_runtime_layout(*binary_);
  if (!layout) return Error{fmt::format("pid {}: {}", pid, layout.error().message)};
  layout_ = std::move(*layout);
  summary_.go_version = binary_->go_version();
  summary_.layout_source = layout_.source;
  program_ = loaded_program(pid, *binary_);
  reader_ = std::make_unique<GoroutineTableReader>(*binary_, layout_, pid, *bias);
  // A program started by `leakscan trace -- cmd` may not have its runtime up yet.
  auto deadline = Clock::now() + kRuntimeStartWait;
  for (;;) {
    auto verified = reader_->verify();
    if (verified) break;
    if (Clock::now() >= deadline || stop_ || !target_alive(pid)) {
      return Error{fmt::format("pid {}: {}", pid, verified.error().message)};
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  log(fmt::format("pid {}: {} ({}), runtime.g layout from {}, verified on live goroutines", pid,
                  binary_->go_version().empty() ? "Go" : binary_->go_version(),
                  binary_->has_symtab() ? "with symbols" : "stripped", layout_.source));
  if (*bias != 0) log(fmt::format("pid {}: position-independent, loaded at +{:#x}", pid, *bias));
  if (probes) {
    auto tracer = LifecycleTracer::load(
        *binary_, layout_, pid, options_.all_events,
        [this](const GoroutineEvent& event) { on_event(event); }, options_.log, *bias);
    if (!tracer) return Error{fmt::format("pid {}: {}", pid, tracer.error().message)};
    tracer_ = std::move(*tracer);
    summary_.probe_addresses = tracer_->sites().all();
    log(fmt::format("pid {}: BPF programs loaded, ids {}", pid,
                    fmt::join(tracer_->program_ids(), ", ")));
  }
  auto directory = SnapshotDirectory::open({.path = options_.out_dir,
                                            .prefix = "goroutines-",
                                            .suffix = ".pb.gz",
                                            .retain = options_.retain});
  if (!directory) return Error{fmt::format("output directory {}", directory.error().message)};
  directory_ = std::move(*directory);
  return Ok{};
}

void Session::on_event(const GoroutineEvent& event) {
  if (event.kind == GoroutineEvent::Kind::kCreated) {
    ++summary_.created_events;
    histories_.created(event.goid, event.at, event.creator_goid, event.creator_stack);
  } else {
    ++summary_.exited_events;
    histories_.exited(event.goid);
  }
}

void Session::update_duty(Clock::time_point now) {
  if (!tracer_) return;
  bool want = true;
  if (!options_.all_events) {
    auto period = options_.duty_period.count();
    auto since_epoch = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
    if (since_epoch / period != window_) {
      window_ = since_epoch / period;
      if (auto opened = tracer_->open_window(options_.window_event_budget); !opened) {
        log(fmt::format("warning: {}", opened.error().message));
      }
    }
    want = static_cast<double>(since_epoch % period) <
           options_.probe_duty * static_cast<double>(period);
    // Each hit costs the target tens of microseconds: a goroutine-heavy target gets a window
    // cut short once it has given enough creations. The probes stop recording at the budget
    // themselves; detaching ends what the hits cost.
    if (options_.window_event_budget > 0 &&
        tracer_->window_creations() >= options_.window_event_budget) {
      want = false;
    }
  }
  if (want && !tracer_->attached()) {
    auto attached = tracer_->attach();
    if (!attached) {
      log(fmt::format("warning: {}", attached.error().message));
      return;
    }
    attached_since_ = now;
  } else if (!want && tracer_->attached()) {
    if (auto closed = tracer_->close_window(); !closed) {
      log(fmt::format("warning: {}", closed.error().message));
    }
    tracer_->detach();
    attached_total_ += std::chrono::duration_cast<milliseconds>(now - attached_since_);
  }
}

Status Session::snapshot() {
  auto captured_at = std::chrono::system_clock::now();
  int64_t nanotime = monotonic_ns();
  const auto read_start = Clock::now();
  if (auto now = loaded_program(options_.pid, *binary_);
      now != program_ && target_alive(options_.pid)) {
    std::error_code ignored;
    auto runs = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", options_.pid), ignored);
    return Error{fmt::format(
        "pid {}: it ran a new program ({}) while traced: the goroutines it has now are not "
        "those of the Go program attached to; trace it again",
        options_.pid, runs.empty() ? "exec" : runs.string())};
  }
  auto goroutines = reader_->read();
  if (!goroutines) return goroutines.error();
  const auto read_time = Clock::now() - read_start;
  live_last_.clear();
  auto histories = histories_.line_up(*goroutines, captured_at, previous_capture_);
  for (const auto& goroutine : *goroutines) {
    ++live_last_[goroutine.gopc];
    track_wait(goroutine, captured_at, previous_capture_, histories[goroutine.slot]);
  }
  if (snapshot_index_ == 0) live_first_ = live_last_;
  TracedCapture capture{captured_at, nanotime, fmt::format("pid {}", options_.pid)};
  Snapshot snapshot = build_traced_snapshot(*binary_, *reader_, *goroutines, reader_->dead(),
                                            histories, capture, std::move(recycled_threads_));
  previous_capture_ = captured_at;

  auto encoded = encode_gzipped_pprof(std::span<const Snapshot>(&snapshot, 1), GzipThread::kSecond);
  recycled_threads_ = std::move(snapshot.threads);
  if (!encoded) return encoded.error();
  auto path = directory_->write(fmt::format("{:04}", ++snapshot_index_), *encoded);
  if (!path) return path.error();
  // This run's snapshots still kept; files of an earlier run into the same directory go first.
  summary_.snapshot_files.push_back(path->string());
  std::erase_if(summary_.snapshot_files, [&](const std::string& file) {
    return std::find(directory_->files().begin(), directory_->files().end(), file) ==
           directory_->files().end();
  });
  auto as_ms = [](Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  log(fmt::format(
      "snapshot {}: {} goroutines{} -> {} (memory read in {:.1f} ms, written in {:.1f} ms)",
      snapshot_index_, goroutines->size(),
      reader_->dead().empty() ? "" : fmt::format(" and {} dead g's", reader_->dead().size()),
      path->string(), as_ms(read_time), as_ms(Clock::now() - read_start - read_time)));
  if (options_.on_snapshot) options_.on_snapshot(summary_.snapshot_files);
  return Ok{};
}

Result<TraceSummary> Session::run() {
  if (auto prepared = prepare(); !prepared) return prepared.error();
  const auto start = Clock::now();
  update_duty(start);
  if (tracer_ && tracer_->attached()) {
    log(fmt::format("attached {} uprobes ({}) to pid {}", tracer_->sites().all().size(),
                    options_.all_events
                        ? "all events"
                        : fmt::format("{:.0f}% duty cycle", options_.probe_duty * 100),
                    options_.pid));
  }
  auto next_snapshot = start;
  std::optional<Error> failure;  // what ended the run early, if anything did
  for (;;) {
    auto now = Clock::now();
    if (stop_) {
      summary_.ended_by = "interrupted";
      break;
    }
    if (options_.duration && now - start >= *options_.duration) {
      summary_.ended_by = "duration";
      break;
    }
    if (!target_alive(options_.pid)) {
      summary_.ended_by = "target exited";
      break;
    }
    update_duty(now);
    if (tracer_) {
      if (auto polled = tracer_->poll(milliseconds(0)); !polled) {
        failure = polled.error();
        break;
      }
    }
    if (now >= next_snapshot) {
      auto taken = snapshot();
      if (!taken) {
        if (!target_alive(options_.pid)) {
          summary_.ended_by = "target exited";
          break;
        }
        failure = taken.error();
        break;
      }
      next_snapshot += options_.every;
      if (next_snapshot < now) next_snapshot = now + options_.every;
    }
    if (tracer_) {
      // While attached, look often: the window's event budget is checked between polls.
      auto wait = tracer_->attached() ? kAttachedPollInterval : kPollInterval;
      if (auto polled = tracer_->poll(wait); !polled) {
        failure = polled.error();
        break;
      }
    } else {
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  auto end = Clock::now();
  if (tracer_) {
    if (tracer_->attached()) {
      (void)tracer_->close_window();  // a warning would come after the run's end
      tracer_->detach();
      attached_total_ += std::chrono::duration_cast<milliseconds>(end - attached_since_);
    }
    (void)tracer_->poll(milliseconds(0));  // events already in the ring buffer
  }
  // The last state before leaving: creations seen since the last snapshot get their labels.
  if (!failure && summary_.ended_by != "target exited" && target_alive(options_.pid)) {
    if (auto taken = snapshot(); !taken && target_alive(options_.pid)) failure = taken.error();
  }
  summary_.traced = std::chrono::duration_cast<milliseconds>(end - start);
  summary_.probes_attached = attached_total_;
  if (tracer_) summary_.dropped_events = tracer_->dropped_events();

  std::unordered_map<uint64_t, SiteSummary> sites;
  if (tracer_) {
    for (const auto& [gopc, counts] : tracer_->site_counts()) {
      sites[gopc].born = counts.born;
      sites[gopc].died = counts.died;
    }
  }
  for (const auto& [gopc, count] : live_first_) sites[gopc].live_first = count;
  for (const auto& [gopc, count] : live_last_) sites[gopc].live_last = count;
  for (auto& [gopc, site] : sites) {
    if (gopc == 0) continue;
    site.gopc = gopc;
    site.site = creation_site_text(*binary_, gopc);
    summary_.sites.push_back(site);
    summary_.born += site.born;
    summary_.died += site.died;
  }
  std::sort(summary_.sites.begin(), summary_.sites.end(), [](const auto& a, const auto& b) {
    if (a.born != b.born) return a.born > b.born;
    if (a.live_last != b.live_last) return a.live_last > b.live_last;
    return a.site < b.site;
  });
  tracer_.reset();  // unloads the programs before anything else can fail
  if (auto written = write_sites_json(summary_, directory_->path() / "sites.json"); !written) {
    return written.error();
  }
  if (failure) return *failure;
  return summary_;
}

}  // namespace

Result<TraceSummary> run_trace(const TraceOptions& options, const std::atomic<bool>& stop) {
  Session session(options, stop);
  return session.run();
}

std::string format_sites(const TraceSummary& summary) {
  // The totals of the lines below: exit events are sent only with --all-events, but every exit
  // is counted at its site (the header once said "0 exit events" above sites that died).
  std::string text = fmt::format(
      "creation sites, {} traced, lifecycle probes attached {} ({} born, {} died, {} events "
      "dropped):\n",
      format_duration(summary.traced), format_duration(summary.probes_attached), summary.born,
      summary.died, summary.dropped_events);
  for (const auto& site : summary.sites) {
    if (site.born == 0 && site.died == 0 && site.live_last == 0) continue;
    text += fmt::format("  {}: +{} born, {} died in {}; live {} -> {}\n", site.site, site.born,
                        site.died, format_duration(summary.probes_attached), site.live_first,
                        site.live_last);
  }
  return text;
}

}  // namespace leakscan::trace
