#include "producer/snapshot_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "analyzer/writers/output_file.h"

namespace leakscan {

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  auto file = OutputFile::open(path);
  if (!file) return file.error();
  if (auto written = file->write(bytes); !written) return written;
  return file->commit(/*durable=*/true);
}

size_t remove_interrupted_writes(const std::filesystem::path& directory, std::string_view prefix,
                                 std::string_view suffix) {
  constexpr std::string_view kTemporary = ".tmp";
  constexpr auto kIdle = std::chrono::minutes(1);
  auto now = std::filesystem::file_time_type::clock::now();
  size_t removed = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(kTemporary)) continue;
    std::string_view written(name.data(), name.size() - kTemporary.size());
    if (!written.ends_with(suffix) || written.size() < prefix.size() + suffix.size()) continue;
    std::error_code ignored;  // a file gone meanwhile is as good as removed
    auto modified = entry.last_write_time(ignored);
    if (ignored || now - modified < kIdle) continue;
    removed += std::filesystem::remove(entry.path(), ignored) ? 1 : 0;
  }
  return removed;
}

Result<SnapshotDirectory> SnapshotDirectory::open(Options options) {
  std::error_code error;
  std::filesystem::create_directories(options.path, error);
  if (error) {
    return Error{fmt::format("{}: cannot create: {}", options.path.string(), error.message())};
  }
  SnapshotDirectory directory(std::move(options));
  const Options& adopted = directory.options_;
  remove_interrupted_writes(adopted.path, adopted.prefix, adopted.suffix);
  for (const auto& entry : std::filesystem::directory_iterator(adopted.path, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(adopted.prefix) && name.ends_with(adopted.suffix)) {
      directory.files_.push_back(entry.path());
    }
  }
  std::sort(directory.files_.begin(), directory.files_.end());
  for (const auto& file : directory.files_) {
    uint64_t size = std::filesystem::file_size(file, error);
    directory.sizes_.push_back(error ? 0 : size);
    directory.total_bytes_ += directory.sizes_.back();
  }
  return directory;
}

Result<std::filesystem::path> SnapshotDirectory::write(std::string_view stem,
                                                       std::string_view bytes) {
  std::filesystem::path file =
      options_.path / fmt::format("{}{}{}", options_.prefix, stem, options_.suffix);
  if (auto written = write_file_atomically(file, bytes); !written) return written.error();
  // A name written again (a restarted trace into the same directory) is the newest now.
  if (auto again = std::find(files_.begin(), files_.end(), file); again != files_.end()) {
    auto index = again - files_.begin();
    total_bytes_ -= sizes_[static_cast<size_t>(index)];
    sizes_.erase(sizes_.begin() + index);
    files_.erase(again);
  }
  files_.push_back(file);
  sizes_.push_back(bytes.size());
  total_bytes_ += bytes.size();
  remove_oldest();
  return file;
}

void SnapshotDirectory::remove_oldest() {
  size_t excess = 0;
  uint64_t kept_bytes = total_bytes_;
  auto over = [&] {
    size_t kept = files_.size() - excess;
    if (kept <= 1) return false;  // the newest stays, however large
    return (options_.retain != 0 && kept > options_.retain) ||
           (options_.retain_bytes != 0 && kept_bytes > options_.retain_bytes);
  };
  while (over()) kept_bytes -= sizes_[excess++];
  if (excess == 0) return;
  std::error_code ignored;  // a file already gone is as good as removed
  for (size_t i = 0; i < excess; ++i) std::filesystem::remove(files_[i], ignored);
  files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(excess));
  sizes_.erase(sizes_.begin(), sizes_.begin() + static_cast<std::ptrdiff_t>(excess));
  total_bytes_ = kept_bytes;
}

}  // namespace leakscan
