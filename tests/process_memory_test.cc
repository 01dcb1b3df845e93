// ProcessMemory against this test's own memory: every piece comes back with its own bytes,
// whatever the order, merging and threads, and an unreadable one is marked, not fatal.
#include "bpf/process_memory.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace leakscan::trace {
namespace {

// Pages of a known pattern, the middle one unreadable.
class Pages {
 public:
  explicit Pages(size_t count) : size_(count * page()) {
    void* mapped =
        ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return;
    base_ = static_cast<uint8_t*>(mapped);
    for (size_t i = 0; i < size_; ++i) base_[i] = static_cast<uint8_t>(i * 7 + i / 251);
    ::mprotect(hole(), page(), PROT_NONE);
  }
  ~Pages() {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;

  static size_t page() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }
  bool ok() const { return base_ != nullptr; }
  uint8_t* at(size_t offset) const { return base_ + offset; }
  uint8_t* hole() const { return base_ + (size_ / page() / 2) * page(); }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* base_ = nullptr;
};

struct Read {
  std::vector<ProcessMemory::Piece> pieces;
  std::vector<std::vector<uint8_t>> outs;
};

// `count` pieces of `size` bytes every `stride` bytes, in a shuffled order.
Read shuffled_pieces(const Pages& pages, size_t count, size_t size, size_t stride) {
  Read read;
  read.outs.resize(count);
  for (size_t i = 0; i < count; ++i) {
    read.outs[i].assign(size, 0);
    read.pieces.push_back(
        {reinterpret_cast<uint64_t>(pages.at(i * stride)), read.outs[i].data(), size});
  }
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  std::vector<ProcessMemory::Piece> shuffled;
  shuffled.reserve(count);
  for (size_t i : order) shuffled.push_back(read.pieces[i]);
  read.pieces = std::move(shuffled);
  return read;
}

// Reads `count` shuffled pieces of `size` bytes every `stride` bytes, merged by `merge_gap`,
// and checks each against the memory it names.
void read_and_check(size_t page_count, size_t size, size_t stride, size_t merge_gap) {
  Pages pages(page_count);
  ASSERT_TRUE(pages.ok());
  ProcessMemory memory(::getpid());
  auto read = shuffled_pieces(pages, pages.size() / stride, size, stride);
  memory.read_many(read.pieces, merge_gap);
  const auto base = reinterpret_cast<uint64_t>(pages.at(0));
  const uint64_t hole = reinterpret_cast<uint64_t>(pages.hole()) - base;
  size_t unreadable = 0;
  for (const auto& piece : read.pieces) {
    const uint64_t offset = piece.address - base;
    bool in_hole = offset + piece.size > hole && offset < hole + Pages::page();
    ASSERT_EQ(piece.ok, !in_hole) << "piece at offset " << offset << ", gap " << merge_gap;
    if (in_hole) {
      ++unreadable;
      continue;
    }
    ASSERT_NE(piece.data, nullptr);
    ASSERT_TRUE(std::equal(piece.data, piece.data + piece.size, pages.at(offset)))
        << "piece at offset " << offset << ", gap " << merge_gap;
  }
  EXPECT_GT(unreadable, 0U);  // the hole was asked for, and refused
}

TEST(ProcessMemory, ReadManyGivesEachPieceItsBytesMergedOrNot) {
  for (size_t merge_gap : {size_t{0}, size_t{512}}) read_and_check(8, 40, 96, merge_gap);
}

TEST(ProcessMemory, ThousandsOfPiecesAreReadByTwoThreadsAlike) {
  // 10,922 pieces: more than one thread takes, with the hole in both halves of the order.
  for (size_t merge_gap : {size_t{0}, size_t{8}}) read_and_check(64, 16, 24, merge_gap);
}

TEST(ProcessMemory, ReadNamesTheAddressItCannotRead) {
  Pages pages(4);
  ASSERT_TRUE(pages.ok());
  ProcessMemory memory(::getpid());
  std::vector<uint8_t> out(8);
  auto status = memory.read(reinterpret_cast<uint64_t>(pages.hole()), out);
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(
      status.error().message.find(fmt::format("{:#x}", reinterpret_cast<uint64_t>(pages.hole()))),
      std::string::npos)
      << status.error().message;
}

}  // namespace
}  // namespace leakscan::trace
