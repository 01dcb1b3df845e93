#include "analyzer/readers/line_reader.h"

#include <fmt/format.h>

#include <cstring>

#include "analyzer/readers/file_image.h"

namespace leakscan {
namespace {
constexpr size_t kBlock = 1 << 20;
// Mapped pages are handed back in steps of this many bytes.
constexpr size_t kReleaseStep = 1 << 20;

std::string_view without_cr(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}
}  // namespace

LineReader::LineReader(ByteSource& source, std::string name, const ReadLimits& limits)
    : source_(&source),
      name_(std::move(name)),
      limits_(limits),
      buffer_(std::max(kBlock, limits.max_line_bytes) + kBlock) {}

LineReader::LineReader(std::string_view bytes, std::string name, const ReadLimits& limits,
                       uint64_t first_line, bool release_pages)
    : name_(std::move(name)),
      limits_(limits),
      line_number_(first_line - 1),
      bytes_(bytes),
      release_pages_(release_pages) {}

std::optional<uint64_t> LineReader::size_hint() const {
  if (source_ == nullptr) return bytes_.size();
  return source_->size_hint();
}

Result<std::optional<std::string_view>> LineReader::next() {
  return source_ == nullptr ? next_from_memory() : next_from_stream();
}

void LineReader::warn_long_line() {
  warnings_.push_back(fmt::format("{}:{}: line longer than {} bytes skipped", name_, line_number_,
                                  limits_.max_line_bytes));
}

Result<std::optional<std::string_view>> LineReader::next_from_memory() {
  for (;;) {
    if (position_ >= bytes_.size()) return std::optional<std::string_view>{};
    if (position_ > limits_.max_input_bytes) {
      return Error{
          fmt::format("{}: input exceeds {} bytes, the size limit", name_, limits_.max_input_bytes),
          ErrorKind::kTooLarge};
    }
    // Only what lies before the previous line is handed back: the caller may still read the
    // line it holds, and released pages of an image read back as zeros.
    if (release_pages_ && previous_start_ - released_ >= kReleaseStep) {
      release_pages(bytes_, released_, previous_start_);
      released_ = previous_start_;
    }
    previous_start_ = position_;
    const char* start = bytes_.data() + position_;
    size_t left = bytes_.size() - position_;
    const void* newline = std::memchr(start, '\n', left);
    size_t length = newline != nullptr ? static_cast<const char*>(newline) - start : left;
    position_ += length + (newline != nullptr ? 1 : 0);
    ++line_number_;
    if (length > limits_.max_line_bytes) {
      warn_long_line();
      continue;
    }
    return std::optional<std::string_view>(without_cr({start, length}));
  }
}

Result<bool> LineReader::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) return true;  // full: the caller handles an over-long line
  auto n = source_->read(std::span<char>(buffer_.data() + end_, buffer_.size() - end_));
  if (!n) return n.error();
  if (*n == 0) {
    eof_ = true;
    return false;
  }
  end_ += *n;
  consumed_ += *n;
  if (consumed_ > limits_.max_input_bytes) {
    return Error{
        fmt::format("{}: input exceeds {} bytes, the size limit", name_, limits_.max_input_bytes),
        ErrorKind::kTooLarge};
  }
  return true;
}

Result<std::optional<std::string_view>> LineReader::next_from_stream() {
  size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* newline = std::memchr(start, '\n', end_ - scanned);
    if (newline != nullptr) {
      size_t stop = static_cast<const char*>(newline) - buffer_.data();
      std::string_view line(buffer_.data() + begin_, stop - begin_);
      begin_ = stop + 1;
      ++line_number_;
      if (line.size() > limits_.max_line_bytes) {
        warn_long_line();
        scanned = begin_;
        continue;
      }
      return std::optional<std::string_view>(without_cr(line));
    }
    if (end_ - begin_ > limits_.max_line_bytes) {
      // Drop the over-long line's bytes as they arrive, keeping memory bounded.
      ++line_number_;
      warn_long_line();
      for (;;) {
        begin_ = end_ = 0;
        auto more = refill();
        if (!more) return more.error();
        if (!*more) return std::optional<std::string_view>{};
        const void* nl = std::memchr(buffer_.data(), '\n', end_);
        if (nl != nullptr) {
          begin_ = static_cast<const char*>(nl) - buffer_.data() + 1;
          break;
        }
      }
      scanned = begin_;
      continue;
    }
    size_t pending = end_ - begin_;
    auto more = refill();
    if (!more) return more.error();
    if (!*more) {
      if (begin_ == end_) return std::optional<std::string_view>{};
      // Last line without a newline.
      std::string_view line(buffer_.data() + begin_, end_ - begin_);
      begin_ = end_;
      ++line_number_;
      return std::optional<std::string_view>(without_cr(line));
    }
    scanned = begin_ + pending;
  }
}

}  // namespace leakscan
