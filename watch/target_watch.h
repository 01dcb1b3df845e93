// One watched target: its series of snapshots on disk (a new one each time the process behind
// the address changes), the newest of them in memory for the analysis, and which of its
// clusters are leaks since when.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "producer/snapshot_directory.h"
#include "watch/watch_event.h"
#include "watch/watcher.h"

namespace leakscan {

class TargetWatch {
 public:
  // `directory` holds this target's series; series already there (an earlier run) are kept
  // and numbered past.
  TargetWatch(size_t index, std::string url, std::string name, std::filesystem::path directory,
              const WatchOptions& options);

  // Fetches, stores and analyses one snapshot; what happened, in order, goes to `events`.
  // True when a snapshot was stored.
  bool poll(size_t poll_number, std::vector<WatchEvent>& events);

  // A leak that has been one for at least fail_after, as the event to end the watch with.
  const std::optional<WatchEvent>& failed() const { return failed_; }
  bool answered() const { return series_.has_value(); }
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  bool poll_once(size_t poll_number, std::vector<WatchEvent>& events);
  Result<Snapshot> fetch();
  Status start_series(std::vector<WatchEvent>& events, std::string why);
  void say_restarts_unseen(std::vector<WatchEvent>& events);
  Result<std::filesystem::path> store();  // the last body fetched, in the series
  void analyse(WatchEvent& polled, std::vector<WatchEvent>& events);
  WatchEvent event(WatchEventKind kind) const;

  size_t index_;
  std::string url_;
  std::string name_;
  std::filesystem::path directory_;
  const WatchOptions& options_;
  // ".txt", ".pb.gz" or ".pb", as the target's answers are; the URL's guess until the first.
  std::string suffix_;

  size_t series_in_run_ = 0;                 // 1 for the first series of this run
  std::optional<SnapshotDirectory> series_;  // none before the first snapshot
  size_t next_file_ = 1;
  std::string last_body_;  // kept until stored
  // Go's goroutineleak profile fetched with the last snapshot, until it joins the window.
  std::optional<Snapshot> fetched_proof_;
  // The series' newest snapshots, oldest first, after the newest leak profile if there is one
  // (the analysis reads a leading profile as evidence, not as a snapshot of the series).
  std::vector<Snapshot> window_;
  bool window_has_proof_ = false;
  // Since when each leak has been one, by its site and creator.
  std::map<std::string, std::chrono::system_clock::time_point> leak_since_;
  size_t poll_ = 0;
  std::optional<WatchEvent> failed_;
};

}  // namespace leakscan
