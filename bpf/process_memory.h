// Reads another process's memory with process_vm_readv: no ptrace stop, no signal, nothing the
// target notices. Many small reads go out in one system call (up to IOV_MAX pieces).
#pragma once

#include <sys/types.h>

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
  // `data`, valid until the next read_many.
  void read_many(std::span<Piece> pieces, size_t merge_gap = 0) const;

 private:
  void read_batched(std::span<Piece> pieces) const;

 public:
 private:
  pid_t pid_;
  mutable ScratchBuffer merged_;
};

}  // namespace leakscan::trace
