#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// A file's bytes, read into an anonymous mapping so that readers parse them in place and hand
// back the pages they have passed (release_pages). Read, never mapped from the file itself: a
// file truncated while a mapping of it is read kills the process with SIGBUS (log rotation
// does it), and leakscan also runs inside a Python interpreter.
class FileImage {
 public:
  // Reads `size` bytes: `head`, already taken from `source`, then the rest of it. A source
  // that ends sooner changed while it was read: an error naming `name`, not a signal.
  static Result<FileImage> read(ByteSource& source, std::string_view head, uint64_t size,
                                const std::string& name);

  FileImage(FileImage&& other) noexcept;
  FileImage& operator=(FileImage&& other) noexcept;
  FileImage(const FileImage&) = delete;
  FileImage& operator=(const FileImage&) = delete;
  ~FileImage();

  std::string_view bytes() const { return {data_, size_}; }

 private:
  FileImage(char* data, size_t size) : data_(data), size_(size) {}
  char* data_ = nullptr;
  size_t size_ = 0;
};

// Tells the kernel that [begin, end) of an image will not be read again.
void release_pages(std::string_view image, size_t begin, size_t end);

}  // namespace leakscan
