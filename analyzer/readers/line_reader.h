#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// Splits a byte stream into lines without holding more than one buffer of it. CRLF endings are
// folded to LF. A line longer than the limit is skipped, not buffered, and reported once.
class LineReader {
 public:
  LineReader(ByteSource& source, std::string name, const ReadLimits& limits);

  // The next line (valid until the following call), std::nullopt at the end, or an error.
  Result<std::optional<std::string_view>> next();
  uint64_t line_number() const { return line_number_; }
  std::optional<uint64_t> size_hint() const { return source_.size_hint(); }
  const std::string& name() const { return name_; }
  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  Result<bool> refill();

  ByteSource& source_;
  std::string name_;
  ReadLimits limits_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t consumed_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace leakscan
