#include "analyzer/writers/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace leakscan {

namespace fs = std::filesystem;

Result<OutputFile> OutputFile::open(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    if (S_ISDIR(info.st_mode)) {
      return Error{fmt::format("{}: is a directory, expected a file to write", path.string())};
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return Error{fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno))};
    }
    return OutputFile(path, {}, fd);
  }
  // Followed as the kernel follows links (at most 40), to a target that may not exist yet.
  fs::path target = path;
  std::error_code error;
  for (int hops = 0; hops < 40 && fs::is_symlink(target, error); ++hops) {
    fs::path next = fs::read_symlink(target, error);
    if (error) break;
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  fs::path temporary = target;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error{fmt::format("{}: cannot create: {}", temporary.string(), std::strerror(errno))};
  }
  return OutputFile(std::move(target), std::move(temporary), fd);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : path_(std::move(other.path_)),
      temporary_(std::move(other.temporary_)),
      fd_(std::exchange(other.fd_, -1)) {}

OutputFile::~OutputFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

Status OutputFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return Error{fmt::format("{}: cannot write: {}", path_.string(),
                               std::strerror(written < 0 ? errno : EIO))};
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return Ok{};
}

Status OutputFile::commit(bool durable) {
  const bool in_place = temporary_.empty();
  int failed = 0;
  if (durable && !in_place && ::fsync(fd_) != 0) failed = errno;
  if (::close(std::exchange(fd_, -1)) != 0 && failed == 0) failed = errno;
  if (failed != 0) {
    if (!in_place) ::unlink(temporary_.c_str());
    return Error{fmt::format("{}: cannot write: {}", path_.string(), std::strerror(failed))};
  }
  if (in_place) return Ok{};
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary_.c_str());
    return Error{
        fmt::format("{}: cannot rename into place: {}", path_.string(), std::strerror(error))};
  }
  if (durable) {
    // The rename itself survives a crash only once the directory is flushed too.
    fs::path directory = path_.parent_path();
    int fd =
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }
  return Ok{};
}

}  // namespace leakscan
