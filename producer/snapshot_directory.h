// A directory of snapshot files, PREFIX...SUFFIX: each written atomically (a temporary file,
// fsync, rename), so that a reader never opens half a snapshot, and the oldest removed past a
// retention count or size, so that a long run does not fill the disk. The agent's periodic
// snapshots, `leakscan trace` and `leakscan watch` keep theirs here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan {

class SnapshotDirectory {
 public:
  struct Options {
    std::filesystem::path path;
    std::string prefix;  // "goroutine-"
    std::string suffix;  // ".pb.gz"
    size_t retain = 0;   // keep the newest N snapshots; 0 keeps all
    // Keep the newest snapshots that fit in this many bytes together (the newest always);
    // 0 keeps all.
    uint64_t retain_bytes = 0;
  };

  // Creates the directory if needed. Snapshots already there count as the oldest, in name
  // order: names that sort by time (zero-padded) are retained across restarts. Temporaries of
  // writes a crash or kill cut short are removed (remove_interrupted_writes).
  static Result<SnapshotDirectory> open(Options options);

  // Writes `bytes` as PREFIX + `stem` + SUFFIX, then removes the oldest past retention.
  Result<std::filesystem::path> write(std::string_view stem, std::string_view bytes);

  // The snapshots kept, oldest first.
  const std::vector<std::filesystem::path>& files() const { return files_; }
  uint64_t total_bytes() const { return total_bytes_; }
  const std::filesystem::path& path() const { return options_.path; }

 private:
  explicit SnapshotDirectory(Options options) : options_(std::move(options)) {}
  void remove_oldest();

  Options options_;
  std::vector<std::filesystem::path> files_;
  std::vector<uint64_t> sizes_;  // per file in files_
  uint64_t total_bytes_ = 0;
};

// Writes `bytes` to `path` through a temporary file beside it (PATH.tmp), flushed to disk
// before it is renamed into place.
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Removes PREFIX...SUFFIX.tmp files in `directory` that no write has touched for a minute:
// what write_file_atomically leaves when its process dies between create and rename. A younger
// one may belong to a writer still running. Returns how many were removed.
size_t remove_interrupted_writes(const std::filesystem::path& directory, std::string_view prefix,
                                 std::string_view suffix);

}  // namespace leakscan
