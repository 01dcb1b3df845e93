#include "watch/target_watch.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <new>

#include "analyzer/engine/find_leaks.h"
#include "analyzer/engine/http_fetch.h"
#include "analyzer/engine/leak_profile_fetch.h"
#include "analyzer/engine/process_identity.h"
#include "analyzer/model/text_format.h"
#include "analyzer/readers/pprof_reader.h"
#include "analyzer/readers/read_snapshots.h"

namespace leakscan {
namespace {

constexpr std::string_view kSeriesPrefix = "series-";
// In a series directory whose target shows no restart.
constexpr std::string_view kRestartsUnseenNote = "RESTARTS-UNSEEN.txt";
constexpr std::string_view kSnapshotPrefix = "goroutine-";

// The series-NNNN directories under `directory`, by number.
std::vector<std::pair<size_t, std::filesystem::path>> series_under(
    const std::filesystem::path& directory) {
  std::vector<std::pair<size_t, std::filesystem::path>> series;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kSeriesPrefix)) continue;
    size_t number = 0;
    const char* digits = name.data() + kSeriesPrefix.size();
    auto [end, ec] = std::from_chars(digits, name.data() + name.size(), number);
    if (ec == std::errc() && end == name.data() + name.size()) {
      series.emplace_back(number, entry.path());
    }
  }
  return series;
}

// What makes a cluster the same leak from one poll to the next. The cluster id is not: it takes
// in the creator only while another cluster shares the site, which can change between polls.
std::string leak_key(const report::Cluster& cluster) {
  return fmt::format("{}\n{}\n{}", cluster.blocking_operation(), cluster.blocked_at().function(),
                     cluster.created_by().function());
}

bool is_text_debug_level(std::string_view url) {
  return url.find("debug=1") != std::string_view::npos ||
         url.find("debug=2") != std::string_view::npos;
}

// The file name ending for what the target answered, whatever its URL asked for: a target may
// ignore `debug=`, or a proxy may compress.
std::string_view suffix_of(std::string_view body) {
  if (body.starts_with("\x1f\x8b")) return ".pb.gz";
  return looks_like_pprof(body) ? ".pb" : ".txt";
}

}  // namespace

TargetWatch::TargetWatch(size_t index, std::string url, std::string name,
                         std::filesystem::path directory, const WatchOptions& options)
    : index_(index),
      url_(std::move(url)),
      name_(std::move(name)),
      directory_(std::move(directory)),
      options_(options),
      suffix_(is_text_debug_level(url_) ? ".txt" : ".pb.gz") {}

WatchEvent TargetWatch::event(WatchEventKind kind) const {
  WatchEvent out;
  out.kind = kind;
  out.target = index_;
  out.name = name_;
  out.poll = poll_;
  out.at = std::chrono::system_clock::now();
  return out;
}

Result<Snapshot> TargetWatch::fetch() {
  auto fetched_at = std::chrono::system_clock::now();
  auto body = http_get(url_, options_.limits.max_input_bytes, options_.http);
  if (!body) return body.error();
  auto snapshots = read_snapshots_from_memory(*body, without_userinfo(url_), options_.limits);
  if (!snapshots) return snapshots.error();
  if (snapshots->empty()) {
    return Error{fmt::format("{}: no snapshot in the response", without_userinfo(url_))};
  }
  Snapshot snapshot = std::move(snapshots->front());
  if (!snapshot.captured_at) {
    snapshot.captured_at = fetched_at;
    snapshot.capture_time_origin = CaptureTimeOrigin::kFetched;
  }
  last_body_ = std::move(*body);
  // A failed or unreadable leak profile costs this poll its proof, not its snapshot.
  fetched_proof_.reset();
  if (options_.fetch_leak_profile) {
    if (auto proof = fetch_leak_profile(url_, options_.limits, options_.http); proof) {
      fetched_proof_ = std::move(*proof);
    }
  }
  return snapshot;
}

Status TargetWatch::start_series(std::vector<WatchEvent>& events, std::string why) {
  auto earlier = series_under(directory_);
  size_t number = 0;
  for (const auto& [seen, path] : earlier) {
    number = std::max(number, seen);
    // A watch killed mid-write left its temporary behind; nothing will ever finish it.
    if (series_in_run_ == 0) remove_interrupted_writes(path, kSnapshotPrefix, suffix_);
  }
  ++number;
  auto directory =
      SnapshotDirectory::open({.path = directory_ / fmt::format("{}{:04}", kSeriesPrefix, number),
                               .prefix = std::string(kSnapshotPrefix),
                               .suffix = suffix_,
                               .retain = options_.retain,
                               .retain_bytes = options_.retain_bytes});
  if (!directory) return directory.error();
  series_.emplace(std::move(*directory));
  ++series_in_run_;
  next_file_ = 1;
  window_.clear();
  window_has_proof_ = false;
  leak_since_.clear();  // the leaked goroutines ended with the process
  WatchEvent started = event(WatchEventKind::kNewSeries);
  started.status.series = series_in_run_;
  started.status.file = series_->path();
  started.message = std::move(why);
  events.push_back(std::move(started));
  return Ok{};
}

void TargetWatch::say_restarts_unseen(std::vector<WatchEvent>& events) {
  constexpr std::string_view kUnseen =
      "restarts cannot be seen in what this target answers (no goroutine ids, no object mapped "
      "at a randomised address): this series may mix processes; poll ?debug=2 to tell them apart";
  WatchEvent said = event(WatchEventKind::kRestartsUnseen);
  said.message = kUnseen;
  said.status.series = series_in_run_;
  events.push_back(std::move(said));
  // Said where the series is kept too, for whoever reads it back later.
  std::ofstream note(series_->path() / kRestartsUnseenNote);
  note << kUnseen << '\n';
}

Result<std::filesystem::path> TargetWatch::store() {
  auto written = series_->write(fmt::format("{:06}", next_file_), last_body_);
  if (!written) return written.error();
  ++next_file_;
  last_body_.clear();
  return written;
}

bool TargetWatch::poll(size_t poll_number, std::vector<WatchEvent>& events) {
  // Each target polls on a thread of its own, which no exception may leave.
  try {
    return poll_once(poll_number, events);
  } catch (const std::bad_alloc&) {
    WatchEvent failed = event(WatchEventKind::kPollFailed);
    failed.message = "the system ran out of memory reading or analysing this poll";
    events.push_back(std::move(failed));
    return false;
  }
}

bool TargetWatch::poll_once(size_t poll_number, std::vector<WatchEvent>& events) {
  poll_ = poll_number;
  auto fetched = fetch();
  if (!fetched) {
    WatchEvent failed = event(WatchEventKind::kPollFailed);
    failed.message = fetched.error().message;
    events.push_back(std::move(failed));
    return false;
  }
  Status series = Ok{};
  std::string_view suffix = suffix_of(last_body_);
  if (!series_) {
    suffix_ = suffix;
    series = start_series(events, {});
  } else if (suffix != suffix_) {
    std::string why = fmt::format("the target now answers {} instead of {}", suffix, suffix_);
    suffix_ = suffix;
    series = start_series(events, std::move(why));
  } else if (auto restart =
                 window_.empty() ? std::nullopt : restart_between(window_.back(), *fetched)) {
    series = start_series(events, fmt::format("the target restarted ({})", *restart));
  }
  if (series && window_.empty() && !shows_restarts(*fetched)) say_restarts_unseen(events);
  Result<std::filesystem::path> stored =
      series ? store() : Result<std::filesystem::path>(series.error());
  if (!stored) {
    WatchEvent failed = event(WatchEventKind::kPollFailed);
    failed.message = stored.error().message;
    events.push_back(std::move(failed));
    return false;
  }
  fetched->source = stored->string();
  window_.push_back(std::move(*fetched));
  if (fetched_proof_) {
    // Go's proof is cumulative: the newest holds every leak the older ones did.
    if (window_has_proof_) {
      window_.front() = std::move(*fetched_proof_);
    } else {
      window_.insert(window_.begin(), std::move(*fetched_proof_));
      window_has_proof_ = true;
    }
    fetched_proof_.reset();
  }
  // The analysis covers no snapshot that retention has removed from disk.
  const size_t proof = window_has_proof_ ? 1 : 0;
  size_t window = options_.window;
  if (options_.retain != 0 && (window == 0 || window > options_.retain)) window = options_.retain;
  if (window != 0 && window_.size() - proof > window) {
    const auto first = window_.begin() + static_cast<std::ptrdiff_t>(proof);
    window_.erase(first, first + static_cast<std::ptrdiff_t>(window_.size() - proof - window));
  }
  WatchEvent polled = event(WatchEventKind::kPolled);
  polled.status.series = series_in_run_;
  polled.status.stored = series_->files().size();
  polled.status.analysed = window_.size() - proof;
  polled.status.file = *stored;
  analyse(polled, events);
  return true;
}

void TargetWatch::analyse(WatchEvent& polled, std::vector<WatchEvent>& events) {
  auto analysis = analyze(window_, options_.analysis);
  if (!analysis) {
    // The snapshot is stored; only this poll's verdicts are missing.
    polled.kind = WatchEventKind::kPollFailed;
    polled.message = analysis.error().message;
    events.push_back(std::move(polled));
    return;
  }
  const report::Report& report = analysis->report;
  polled.status.goroutines = report.summary().goroutines();
  polled.status.leaks = report.summary().leaks() - report.summary().baselined();
  polled.status.suspects = report.summary().suspects();
  events.push_back(polled);

  auto now = *window_.back().captured_at;
  std::map<std::string, std::chrono::system_clock::time_point> still_leaking;
  for (const auto& cluster : report.clusters()) {
    if (cluster.verdict() != report::LEAK || !cluster.baseline_reason().empty()) continue;
    std::string key = leak_key(cluster);
    auto since = leak_since_.find(key);
    if (since == leak_since_.end()) {
      still_leaking.emplace(std::move(key), now);
      WatchEvent became = event(WatchEventKind::kBecameLeak);
      became.cluster = cluster;
      events.push_back(std::move(became));
      continue;
    }
    still_leaking.emplace(since->first, since->second);
    if (options_.fail_after && !failed_ && now - since->second >= *options_.fail_after) {
      failed_ = event(WatchEventKind::kBecameLeak);
      failed_->cluster = cluster;
      failed_->message = fmt::format("a leak since {}", format_duration(now - since->second));
    }
  }
  leak_since_ = std::move(still_leaking);

  for (ReportFile file : options_.reports) {
    if (options_.urls.size() > 1) {
      file.path.replace_filename(
          fmt::format("{}.{}{}", file.path.stem().string(), name_, file.path.extension().string()));
    }
    if (auto written = write_report_file(*analysis, file); !written) {
      WatchEvent failed = event(WatchEventKind::kReportFailed);
      failed.message = written.error().message;
      events.push_back(std::move(failed));
    }
  }
}

}  // namespace leakscan
