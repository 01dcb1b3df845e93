#pragma once

#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace leakscan {

// Interns strings so that every distinct function name, file and label is stored once and
// compared by pointer. Views stay valid for the pool's lifetime, also across moves.
class StringPool {
 public:
  StringPool() = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;
  StringPool(StringPool&&) = default;
  StringPool& operator=(StringPool&&) = default;

  // Invalid UTF-8 (a crashed program's garbled output) is stored with each bad byte replaced
  // by U+FFFD: reports, JSON and pprof's proto3 strings must be valid UTF-8.
  std::string_view intern(std::string_view text);
  size_t size() const { return index_.size(); }

 private:
  std::string_view store(std::string_view text);
  std::string_view copy(std::string_view text);

  static constexpr size_t kChunkSize = size_t{64} * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::unique_ptr<char[]>> large_;
  size_t chunk_used_ = kChunkSize;
  std::unordered_set<std::string_view> index_;
};

}  // namespace leakscan
