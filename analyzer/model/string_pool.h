#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace leakscan {

// Interns strings so that every distinct function name, file and label is stored once and
// compared by pointer. Views stay valid for the pool's lifetime, also across moves.
//
// A wide dump interns millions of strings, so the layout is compact: the text lives in large
// blocks, and the index is one open-addressing array of 16-byte slots (no node per string).
class StringPool {
 public:
  StringPool() = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;
  // A moved-from pool is empty, and never writes into the blocks it gave away.
  StringPool(StringPool&& other) noexcept;
  StringPool& operator=(StringPool&& other) noexcept;

  // Invalid UTF-8 (a crashed program's garbled output) is stored with each bad byte replaced
  // by U+FFFD: reports, JSON and pprof's proto3 strings must be valid UTF-8.
  std::string_view intern(std::string_view text);
  size_t size() const { return count_; }

  // Takes over `other`'s text without copying it: views into `other` stay valid, now for this
  // pool's lifetime, and interning their text here returns the first copy either pool held.
  // Returns, for the strings both pools held, `other`'s copy and the one kept: every other view
  // into `other` is already this pool's own.
  std::unordered_map<const char*, std::string_view> absorb(StringPool&& other);

  // Frees the index: stored text stays readable, but interning afterwards stores copies that
  // earlier text does not share. For a pool nobody interns into again.
  void drop_index();

 private:
  struct Slot {
    const char* data = nullptr;
    uint32_t size = 0;
    uint32_t hash = 0;
  };

  static uint32_t hash_of(std::string_view text);
  // The slot holding `text`, or the empty slot where it would go.
  Slot& find(std::string_view text, uint32_t hash);
  void insert(std::string_view stored, uint32_t hash);
  // Makes room for `count` + 1 strings, at most 3/4 of the slots.
  void grow(size_t count);
  std::string_view copy(std::string_view text);

  // Blocks start small and double up to kBlockSize: a dump of one goroutine costs bytes, not a
  // block, and a file of ten thousand such dumps stays small.
  static constexpr size_t kFirstBlockSize = size_t{4} * 1024;
  static constexpr size_t kBlockSize = size_t{256} * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t next_block_size_ = kFirstBlockSize;
  std::vector<Slot> slots_;  // a power of two long, at most 3/4 used
  size_t count_ = 0;
  bool has_empty_ = false;  // "" is interned too, but needs no slot
};

}  // namespace leakscan
