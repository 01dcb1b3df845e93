#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// Splits input into lines: either a byte stream, holding no more than one buffer of it, or
// bytes already in memory (a FileImage), without copying them. CRLF endings are folded to
// LF. A line longer than the limit is skipped, not buffered, and reported once.
class LineReader {
 public:
  LineReader(ByteSource& source, std::string name, const ReadLimits& limits);
  // `first_line` numbers the first line, for readers that start in the middle of a file.
  // With `release_pages`, `bytes` is a FileImage whose read part is handed back as it goes.
  LineReader(std::string_view bytes, std::string name, const ReadLimits& limits,
             uint64_t first_line = 1, bool release_pages = false);

  // The next line (valid until the following call), std::nullopt at the end, or an error.
  Result<std::optional<std::string_view>> next();
  uint64_t line_number() const { return line_number_; }
  const std::string& name() const { return name_; }
  const ReadLimits& limits() const { return limits_; }
  std::optional<uint64_t> size_hint() const;
  // Bytes of input taken so far (a stream's buffered bytes included).
  uint64_t bytes_read() const { return source_ == nullptr ? position_ : consumed_; }
  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  Result<std::optional<std::string_view>> next_from_memory();
  Result<std::optional<std::string_view>> next_from_stream();
  Result<bool> refill();
  void warn_long_line();

  ByteSource* source_ = nullptr;  // null in memory mode
  std::string name_;
  ReadLimits limits_;
  uint64_t line_number_ = 0;
  std::vector<std::string> warnings_;

  // Memory mode.
  std::string_view bytes_;
  size_t position_ = 0;
  bool release_pages_ = false;
  size_t released_ = 0;
  size_t previous_start_ = 0;  // where the line returned last starts

  // Stream mode.
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
};

}  // namespace leakscan
