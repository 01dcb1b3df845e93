#include "analyzer/readers/byte_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace leakscan {
namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string name, bool owned, std::optional<uint64_t> size = std::nullopt)
      : fd_(fd), name_(std::move(name)), owned_(owned), size_(size) {}
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override {
    if (owned_) ::close(fd_);
  }

  Result<size_t> read(std::span<char> buffer) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      if (n >= 0) {
        offset_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      return Error{
          fmt::format("{}: byte {}: read failed: {}", name_, offset_, std::strerror(errno))};
    }
  }
  uint64_t offset() const override { return offset_; }
  std::optional<uint64_t> size_hint() const override { return size_; }

 private:
  int fd_;
  std::string name_;
  bool owned_;
  std::optional<uint64_t> size_;
  uint64_t offset_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  Result<size_t> read(std::span<char> buffer) override {
    size_t n = std::min(buffer.size(), bytes_.size() - offset_);
    std::memcpy(buffer.data(), bytes_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  uint64_t offset() const override { return offset_; }
  std::optional<uint64_t> size_hint() const override { return bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t offset_ = 0;
};

class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::string head, std::unique_ptr<ByteSource> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  Result<size_t> read(std::span<char> buffer) override {
    if (head_used_ < head_.size()) {
      size_t n = std::min(buffer.size(), head_.size() - head_used_);
      std::memcpy(buffer.data(), head_.data() + head_used_, n);
      head_used_ += n;
      return n;
    }
    return rest_->read(buffer);
  }
  uint64_t offset() const override {
    return head_used_ < head_.size() ? head_used_ : rest_->offset();
  }
  std::optional<uint64_t> size_hint() const override { return rest_->size_hint(); }

 private:
  std::string head_;
  size_t head_used_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> compressed, std::string name, uint64_t max_output)
      : compressed_(std::move(compressed)),
        name_(std::move(name)),
        max_output_(max_output),
        input_(size_t{64} * 1024) {
    // 15 + 32: any window size, gzip or zlib header detected automatically.
    inflateInit2(&stream_, 15 + 32);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  ~GzipSource() override { inflateEnd(&stream_); }

  Result<size_t> read(std::span<char> buffer) override {
    if (finished_ || buffer.empty()) return size_t{0};
    stream_.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(buffer.size(), UINT32_MAX));
    while (stream_.avail_out == buffer.size()) {
      if (stream_.avail_in == 0) {
        auto n = compressed_->read(input_);
        if (!n) return n.error();
        if (*n == 0) {
          if (member_done_) {
            finished_ = true;
            break;
          }
          return Error{fmt::format("{}: byte {}: truncated gzip stream (ended before its trailer)",
                                   name_, compressed_->offset())};
        }
        stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
        stream_.avail_in = static_cast<uInt>(*n);
      }
      if (member_done_) {
        // Concatenated gzip members are one stream, as gzip(1) reads them.
        inflateReset(&stream_);
        member_done_ = false;
      }
      int rc = inflate(&stream_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Error{fmt::format("{}: byte {}: corrupt gzip data ({})", name_,
                                 compressed_->offset() - stream_.avail_in,
                                 stream_.msg != nullptr ? stream_.msg : "inflate failed")};
      }
    }
    size_t produced = buffer.size() - stream_.avail_out;
    produced_ += produced;
    if (produced_ > max_output_) {
      return Error{fmt::format("{}: decompressed data exceeds {} bytes, the size limit (a gzip "
                               "bomb?)",
                               name_, max_output_),
                   ErrorKind::kTooLarge};
    }
    return produced;
  }
  uint64_t offset() const override { return produced_; }

 private:
  std::unique_ptr<ByteSource> compressed_;
  std::string name_;
  uint64_t max_output_;
  std::vector<char> input_;
  z_stream stream_{};
  uint64_t produced_ = 0;
  bool member_done_ = false;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path) {
  if (path == "-")
    return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(0, "<stdin>", false));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error{
        fmt::format("{}: is a directory; expected a goroutine dump or profile file", path)};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format(
        "{}: not a regular file; pipe it through standard input with '-' instead", path)};
  }
  ::fcntl(fd, F_SETFL, 0);  // O_NONBLOCK only kept open() from hanging on a FIFO.
  return std::unique_ptr<ByteSource>(
      std::make_unique<FileSource>(fd, path, true, static_cast<uint64_t>(st.st_size)));
}

std::unique_ptr<ByteSource> memory_source(std::string_view bytes) {
  return std::make_unique<MemorySource>(bytes);
}

std::unique_ptr<ByteSource> gzip_source(std::unique_ptr<ByteSource> compressed, std::string name,
                                        uint64_t max_output) {
  return std::make_unique<GzipSource>(std::move(compressed), std::move(name), max_output);
}

std::unique_ptr<ByteSource> prefixed_source(std::string head, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixedSource>(std::move(head), std::move(rest));
}

Result<std::string> read_up_to(ByteSource& source, size_t want) {
  std::string out(want, '\0');
  size_t have = 0;
  while (have < want) {
    auto n = source.read(std::span<char>(out.data() + have, want - have));
    if (!n) return n.error();
    if (*n == 0) break;
    have += *n;
  }
  out.resize(have);
  return out;
}

Result<std::string> read_all(ByteSource& source, const std::string& name, uint64_t limit) {
  std::string out;
  constexpr size_t kStep = 1 << 20;
  for (;;) {
    size_t have = out.size();
    out.resize(have + kStep);
    auto n = source.read(std::span<char>(out.data() + have, kStep));
    if (!n) return n.error();
    out.resize(have + *n);
    if (*n == 0) return out;
    if (out.size() > limit) {
      return Error{fmt::format("{}: input exceeds {} bytes, the size limit", name, limit),
                   ErrorKind::kTooLarge};
    }
  }
}

}  // namespace leakscan
