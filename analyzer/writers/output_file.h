// Where a report, profile or snapshot is written. A regular file (or a new one) is written
// beside and renamed over, so a reader never sees half of it; through a symbolic link, its
// target is replaced, not the link. A device, FIFO or socket (/dev/stdout, /dev/full, a pipe)
// is written in place: renaming over it would replace the device node with a file.
#pragma once

#include <filesystem>
#include <string_view>

#include "analyzer/model/result.h"

namespace leakscan {

class OutputFile {
 public:
  // Opens `path` for writing; the error names it.
  static Result<OutputFile> open(const std::filesystem::path& path);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Not committed: the temporary file is removed, whatever was replaced stays as it was.
  ~OutputFile();

  int fd() const { return fd_; }
  Status write(std::string_view bytes);
  // Closes and puts the file in place; `durable`: flushed to disk first, the rename too. Any
  // failure (a full disk shows at close on some filesystems) names the path.
  Status commit(bool durable = false);

 private:
  OutputFile(std::filesystem::path path, std::filesystem::path temporary, int fd)
      : path_(std::move(path)), temporary_(std::move(temporary)), fd_(fd) {}

  std::filesystem::path path_;       // what is replaced: a symbolic link's target
  std::filesystem::path temporary_;  // empty when written in place
  int fd_ = -1;
};

}  // namespace leakscan
