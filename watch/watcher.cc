#include "watch/watcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>

#include "analyzer/engine/http_fetch.h"
#include "watch/target_watch.h"

namespace leakscan {
namespace {

using Clock = std::chrono::steady_clock;

// Sleeps are cut in slices this long, so that a stop or another target's failure is seen.
constexpr auto kStopCheck = std::chrono::milliseconds(50);

// "127.0.0.1_6060" for http://127.0.0.1:6060/debug/pprof/goroutine: a directory name.
std::string target_name(std::string_view url) {
  std::string shown = without_userinfo(url);
  std::string_view host = shown;
  host.remove_prefix(host.find("://") + 3);
  host = host.substr(0, host.find('/'));
  std::string name(host);
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-'; },
      '_');
  return name;
}

// The first retry comes soon, the next ones later: a target that restarts is back in seconds,
// one that is down is not polled harder than on schedule.
std::chrono::milliseconds retry_delay(std::chrono::milliseconds every, size_t failures) {
  auto delay = std::max(every / 16, std::chrono::milliseconds(50));
  for (size_t i = 1; i < failures && delay < every; ++i) delay *= 2;
  return std::min(delay, every);
}

// What the targets' threads share: the end of the run and the one sink events go through.
class Run {
 public:
  Run(const WatchOptions& options, const std::atomic<bool>& stop, const WatchEventSink& sink)
      : options_(options), stop_(stop), sink_(sink), started_(Clock::now()) {}

  bool over() const {
    return stop_ || failed_ || (options_.run_for && Clock::now() - started_ >= *options_.run_for);
  }

  // Sleeps until `until`, or less when the run is over.
  void sleep_until(Clock::time_point until) const {
    while (!over() && Clock::now() < until) {
      std::this_thread::sleep_for(std::min<Clock::duration>(kStopCheck, until - Clock::now()));
    }
  }

  void deliver(std::vector<WatchEvent>& events) {
    std::lock_guard lock(mutex_);
    for (const auto& event : events) sink_(event);
    events.clear();
  }

  void fail() { failed_ = true; }

 private:
  const WatchOptions& options_;
  const std::atomic<bool>& stop_;
  const WatchEventSink& sink_;
  Clock::time_point started_;
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
};

// Poll N is due at the start plus N - 1 intervals. A failed poll is retried within its
// interval, sooner at first; the next poll is never pushed back by retries.
void watch_target(TargetWatch& target, const WatchOptions& options, Run& run) {
  std::vector<WatchEvent> events;
  auto due = Clock::now();
  for (size_t poll = 1; options.polls == 0 || poll <= options.polls; ++poll) {
    run.sleep_until(due);
    auto next_due = std::max(due + options.every, Clock::now());
    for (size_t failures = 1; !run.over() && !target.poll(poll, events); ++failures) {
      auto retry = Clock::now() + retry_delay(options.every, failures);
      bool retry_now = retry < next_due;
      bool last = options.polls != 0 && poll == options.polls;
      if (retry_now || !last) {
        events.back().retry_in = std::chrono::ceil<std::chrono::milliseconds>(
            (retry_now ? retry : next_due) - Clock::now());
      }
      run.deliver(events);
      if (!retry_now) break;
      run.sleep_until(retry);
    }
    run.deliver(events);
    if (target.failed()) {
      run.fail();
      return;
    }
    if (run.over()) return;
    due = next_due;
  }
}

}  // namespace

std::string goroutine_url(const std::string& argument) {
  size_t scheme = argument.find("://");
  if (scheme == std::string::npos) return argument;
  size_t path = argument.find('/', scheme + 3);
  if (path != std::string::npos && path + 1 < argument.size()) return argument;
  std::string base = argument.substr(0, path);
  return base + "/debug/pprof/goroutine?debug=2";
}

Result<WatchSummary> run_watch(const WatchOptions& options, const std::atomic<bool>& stop,
                               const WatchEventSink& on_event) {
  std::vector<std::unique_ptr<TargetWatch>> targets;
  std::set<std::string> names;
  for (size_t index = 0; index < options.urls.size(); ++index) {
    std::string url = goroutine_url(options.urls[index]);
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      return Error{fmt::format("{}: expected an http:// or https:// URL", options.urls[index])};
    }
    std::string name = target_name(url);
    for (int copy = 2; names.contains(name); ++copy)
      name = fmt::format("{}-{}", target_name(url), copy);
    names.insert(name);
    std::error_code error;
    std::filesystem::path directory = options.out / name;
    std::filesystem::create_directories(directory, error);
    if (error) {
      return Error{fmt::format("{}: cannot create: {}", directory.string(), error.message())};
    }
    targets.push_back(std::make_unique<TargetWatch>(index, std::move(url), std::move(name),
                                                    std::move(directory), options));
  }

  Run run(options, stop, on_event);
  {
    std::vector<std::jthread> threads;
    threads.reserve(targets.size());
    for (auto& target : targets) {
      threads.emplace_back([&target, &options, &run] { watch_target(*target, options, run); });
    }
  }  // joined

  WatchSummary summary;
  for (const auto& target : targets) {
    if (target->failed() && !summary.failed) summary.failed = target->failed();
    if (!target->answered()) summary.never_answered.push_back(target->url());
  }
  return summary;
}

}  // namespace leakscan
