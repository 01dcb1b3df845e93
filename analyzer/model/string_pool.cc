#include "analyzer/model/string_pool.h"

#include <cstring>

namespace leakscan {

std::string_view StringPool::intern(std::string_view text) {
  if (auto it = index_.find(text); it != index_.end()) return *it;
  std::string_view stored = copy(text);
  index_.insert(stored);
  return stored;
}

std::string_view StringPool::copy(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > kChunkSize / 4) {
    // Large strings get a buffer of their own so they do not waste the shared chunk.
    large_.push_back(std::make_unique<char[]>(text.size()));
    std::memcpy(large_.back().get(), text.data(), text.size());
    return {large_.back().get(), text.size()};
  }
  if (chunk_used_ + text.size() > kChunkSize) {
    chunks_.push_back(std::make_unique<char[]>(kChunkSize));
    chunk_used_ = 0;
  }
  char* dest = chunks_.back().get() + chunk_used_;
  std::memcpy(dest, text.data(), text.size());
  chunk_used_ += text.size();
  return {dest, text.size()};
}

}  // namespace leakscan
