#include "analyzer/model/string_pool.h"

#include <cstring>

namespace leakscan {

namespace {

// Length of the valid UTF-8 sequence at the start of `text`, 0 if it is not one.
size_t valid_sequence(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  // Overlong, surrogate and out-of-range forms.
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;
  if (lead == 0xED && byte(1) > 0x9F) return 0;
  if (lead == 0xF0 && byte(1) < 0x90) return 0;
  if (lead == 0xF4 && byte(1) > 0x8F) return 0;
  return length;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t length = valid_sequence(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    size_t length = valid_sequence(text.substr(i));
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

std::string_view StringPool::intern(std::string_view text) {
  if (auto it = index_.find(text); it != index_.end()) return *it;
  if (is_valid_utf8(text)) return store(text);
  std::string replaced = replace_invalid_utf8(text);
  if (auto it = index_.find(std::string_view(replaced)); it != index_.end()) return *it;
  return store(replaced);
}

std::string_view StringPool::store(std::string_view text) {
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
