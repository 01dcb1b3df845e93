#include "analyzer/model/string_pool.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include "analyzer/model/utf8_text.h"

namespace leakscan {

namespace {

constexpr size_t kMinSlots = 64;

}  // namespace

StringPool::StringPool(StringPool&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      cursor_(std::exchange(other.cursor_, nullptr)),
      left_(std::exchange(other.left_, 0)),
      next_block_size_(std::exchange(other.next_block_size_, kFirstBlockSize)),
      slots_(std::move(other.slots_)),
      count_(std::exchange(other.count_, 0)),
      has_empty_(std::exchange(other.has_empty_, false)) {}

StringPool& StringPool::operator=(StringPool&& other) noexcept {
  if (this != &other) {
    blocks_ = std::move(other.blocks_);
    cursor_ = std::exchange(other.cursor_, nullptr);
    left_ = std::exchange(other.left_, 0);
    next_block_size_ = std::exchange(other.next_block_size_, kFirstBlockSize);
    slots_ = std::move(other.slots_);
    count_ = std::exchange(other.count_, 0);
    has_empty_ = std::exchange(other.has_empty_, false);
  }
  return *this;
}

uint32_t StringPool::hash_of(std::string_view text) {
  uint64_t hash = std::hash<std::string_view>{}(text);
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

StringPool::Slot& StringPool::find(std::string_view text, uint32_t hash) {
  size_t mask = slots_.size() - 1;
  for (size_t at = hash & mask;; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.data == nullptr) return slot;
    if (slot.hash == hash && slot.size == text.size() &&
        std::memcmp(slot.data, text.data(), text.size()) == 0) {
      return slot;
    }
  }
}

void StringPool::grow(size_t count) {
  size_t size = std::max<size_t>(kMinSlots, slots_.size());
  while ((count + 1) * 4 > size * 3) size *= 2;
  if (size == slots_.size()) return;
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(size));
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.data == nullptr) continue;
    size_t at = slot.hash & mask;
    while (slots_[at].data != nullptr) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

void StringPool::insert(std::string_view stored, uint32_t hash) {
  Slot& slot = find(stored, hash);
  slot = Slot{stored.data(), static_cast<uint32_t>(stored.size()), hash};
  ++count_;
}

std::string_view StringPool::intern(std::string_view text) {
  if (text.empty()) {
    count_ += has_empty_ ? 0 : 1;
    has_empty_ = true;
    return {};
  }
  // Longer text than a slot can measure is rare enough (never a frame) to store unshared.
  if (text.size() > UINT32_MAX) return copy(text);
  grow(count_);
  uint32_t hash = hash_of(text);
  if (Slot& slot = find(text, hash); slot.data != nullptr) return {slot.data, slot.size};
  if (is_valid_utf8(text)) {
    std::string_view stored = copy(text);
    insert(stored, hash);
    return stored;
  }
  std::string replaced = valid_utf8(text);
  return intern(replaced);
}

std::unordered_map<const char*, std::string_view> StringPool::absorb(StringPool&& other) {
  std::unordered_map<const char*, std::string_view> copies;
  if (other.has_empty_ && !has_empty_) {
    has_empty_ = true;
    ++count_;
  }
  // Sized for both first: inserting a table's slots in their order into a smaller table
  // packs them into long runs that every later probe walks.
  grow(count_ + other.count_);
  for (const Slot& theirs : other.slots_) {
    if (theirs.data == nullptr) continue;
    Slot& slot = find({theirs.data, theirs.size}, theirs.hash);
    if (slot.data == nullptr) {
      slot = theirs;
      ++count_;
    } else {
      copies.emplace(theirs.data, std::string_view(slot.data, slot.size));
    }
  }
  // This pool's current block stays last, so that copy() keeps filling it.
  auto current = blocks_.empty() ? nullptr : std::move(blocks_.back());
  if (current) blocks_.pop_back();
  for (auto& block : other.blocks_) blocks_.push_back(std::move(block));
  if (current) blocks_.push_back(std::move(current));
  other = StringPool();
  return copies;
}

void StringPool::drop_index() { slots_ = std::vector<Slot>(); }

std::string_view StringPool::copy(std::string_view text) {
  if (text.size() > kBlockSize / 4) {
    // Large strings get a block of their own, placed before the one being filled.
    auto block = std::make_unique_for_overwrite<char[]>(text.size());
    std::memcpy(block.get(), text.data(), text.size());
    std::string_view stored(block.get(), text.size());
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(block));
    return stored;
  }
  if (text.size() > left_) {
    size_t size = std::max(next_block_size_, text.size());
    next_block_size_ = std::min(kBlockSize, size * 2);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    cursor_ = blocks_.back().get();
    left_ = size;
  }
  char* dest = cursor_;
  std::memcpy(dest, text.data(), text.size());
  cursor_ += text.size();
  left_ -= text.size();
  return {dest, text.size()};
}

}  // namespace leakscan
