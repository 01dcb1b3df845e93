#pragma once

#include <string>
#include <string_view>

#include "analyzer/model/result.h"

namespace leakscan {

// A regular file mapped read-only. Readers parse it in place, without copying it, and hand
// back the pages they have passed so that a 20 MB dump does not stay resident.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {data_, size_}; }

 private:
  MappedFile(const char* data, size_t size) : data_(data), size_(size) {}
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// Tells the kernel that [begin, end) of a mapping will not be read again.
void release_pages(std::string_view mapped, size_t begin, size_t end);

}  // namespace leakscan
