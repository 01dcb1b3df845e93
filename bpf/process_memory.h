// Reads another process's memory with process_vm_readv: no ptrace stop, no signal, nothing the
// target notices. Many small reads go out in one system call (up to IOV_MAX pieces).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan::trace {

// A buffer kept between snapshots and never zero-filled: a fresh 40 MB buffer each time costs
// more in page faults and memset than the copy into it.
class ScratchBuffer {
 public:
  uint8_t* at_least(size_t size) {
    if (size > size_) {
      data_ = std::make_unique_for_overwrite<uint8_t[]>(size);
      size_ = size;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

class ProcessMemory {
 public:
  explicit ProcessMemory(pid_t pid) : pid_(pid) {}
  pid_t pid() const { return pid_; }

  // Reads exactly out.size() bytes at `address`; an error says where and why.
  Status read(uint64_t address, std::span<uint8_t> out) const;

  template <typename T>
  Result<T> read_value(uint64_t address) const {
    T value{};
    auto status = read(address, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
    if (!status) return status.error();
    return value;
  }

  struct Piece {
    uint64_t address = 0;
    uint8_t* out = nullptr;
    size_t size = 0;
    bool ok = false;                // set by read_many
    const uint8_t* data = nullptr;  // the bytes read: `out`, or inside a merged range
  };
  // Reads every piece, batched; a piece that cannot be read is left with ok = false. Pieces
  // closer than `merge_gap` bytes are read as one range: 100,000 g's packed in the heap's
  // spans cost a few large copies instead of 100,000 small ones. A piece's bytes are at
  // `data`, valid until the next read_many. Thousands of pieces are read by two threads.
  void read_many(std::span<Piece> pieces, size_t merge_gap = 0) const;

 private:
  struct Iovecs {
    std::vector<iovec> local, remote;
  };
  void read_batched(std::span<Piece> pieces) const;
  void read_serially(std::span<Piece> pieces, Iovecs& iovecs) const;

  struct Ordered {
    uint64_t address = 0;
    size_t piece = 0;
  };
  struct Range {
    uint64_t start = 0, end = 0;
    size_t first = 0, count = 0;  // members: order_[first, first + count)
  };

  pid_t pid_;
  // Kept between calls: 640,000 pieces a snapshot in fresh vectors cost more in page faults
  // than the system calls.
  mutable ScratchBuffer merged_;
  mutable std::vector<Ordered> order_;
  mutable std::vector<Range> ranges_;
  mutable std::vector<Piece> range_pieces_;
  mutable std::array<Iovecs, 2> iovecs_;  // one per reading thread
};

}  // namespace leakscan::trace
