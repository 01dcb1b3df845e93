#include "analyzer/readers/mapped_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace leakscan {

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format("{}: not a regular file", path)};
  }
  if (st.st_size == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void* data = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  int mmap_errno = errno;
  ::close(fd);
  if (data == MAP_FAILED) {
    return Error{fmt::format("{}: cannot map: {}", path, std::strerror(mmap_errno))};
  }
  ::madvise(data, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
  return MappedFile(static_cast<const char*>(data), static_cast<size_t>(st.st_size));
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

void release_pages(std::string_view mapped, size_t begin, size_t end) {
  static const auto kPage = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto base = reinterpret_cast<uintptr_t>(mapped.data());
  uintptr_t first = (base + begin + kPage - 1) / kPage * kPage;
  uintptr_t last = (base + end) / kPage * kPage;
  if (last > first) {
    // madvise takes page-aligned addresses, which only integer arithmetic can produce.
    ::madvise(reinterpret_cast<void*>(first), last - first,  // NOLINT(performance-no-int-to-ptr)
              MADV_DONTNEED);
  }
}

}  // namespace leakscan
