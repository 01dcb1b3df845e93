#include "analyzer/readers/file_image.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace leakscan {

Result<FileImage> FileImage::read(ByteSource& source, std::string_view head, uint64_t size,
                                  const std::string& name) {
  if (size == 0 || size < head.size()) {
    return Error{fmt::format("{}: changed while it was read: {} bytes read, {} expected", name,
                             head.size(), size)};
  }
  void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    return Error{fmt::format("{}: cannot allocate {} bytes to read it: {}", name, size,
                             std::strerror(errno)),
                 ErrorKind::kTooLarge};
  }
  FileImage image(static_cast<char*>(mapped), size);
  std::memcpy(image.data_, head.data(), head.size());
  uint64_t have = head.size();
  while (have < size) {
    size_t want = std::min<uint64_t>(size - have, size_t{1} << 24);
    auto n = source.read(std::span<char>(image.data_ + have, want));
    if (!n) return n.error();
    if (*n == 0) {
      return Error{fmt::format(
          "{}: changed while it was read: it ended at byte {} of {} (truncated or rotated?)", name,
          have, size)};
    }
    have += *n;
  }
  // Anything the file gained meanwhile is left for the next read.
  return image;
}

FileImage::FileImage(FileImage&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

FileImage& FileImage::operator=(FileImage&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

FileImage::~FileImage() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

void release_pages(std::string_view image, size_t begin, size_t end) {
  static const auto kPage = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto base = reinterpret_cast<uintptr_t>(image.data());
  uintptr_t first = (base + begin + kPage - 1) / kPage * kPage;
  uintptr_t last = (base + end) / kPage * kPage;
  if (last > first) {
    // madvise takes page-aligned addresses, which only integer arithmetic can produce.
    ::madvise(reinterpret_cast<void*>(first), last - first,  // NOLINT(performance-no-int-to-ptr)
              MADV_DONTNEED);
  }
}

}  // namespace leakscan
