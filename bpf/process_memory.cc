#include "bpf/process_memory.h"

#include <fmt/format.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>
#include <thread>

namespace leakscan::trace {
namespace {

constexpr size_t kMaxPieces = 1024;                 // IOV_MAX
constexpr uint64_t kMaxRange = 4 << 20;             // bytes read as one merged range
constexpr size_t kParallelPieces = 4 * kMaxPieces;  // fewer are read by one thread

}  // namespace

Status ProcessMemory::read(uint64_t address, std::span<uint8_t> out) const {
  iovec local{out.data(), out.size()};
  iovec remote{reinterpret_cast<void*>(address), out.size()};  // NOLINT: a remote address
  ssize_t got = ::process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  if (got == static_cast<ssize_t>(out.size())) return Ok{};
  return Error{fmt::format("pid {}: cannot read {} bytes at {:#x}: {}", pid_, out.size(), address,
                           got < 0 ? std::strerror(errno) : "short read")};
}

void ProcessMemory::read_many(std::span<Piece> pieces, size_t merge_gap) const {
  if (merge_gap == 0) {
    read_batched(pieces);
    return;
  }
  // Addresses beside their piece: sorting these is sequential, where sorting piece indices by
  // pieces[i].address jumps around memory on every comparison.
  auto& order = order_;
  order.resize(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) order[i] = {pieces[i].address, i};
  auto by_address = [](const Ordered& a, const Ordered& b) { return a.address < b.address; };
  // Often in order already (stacks and g's allocated one after another): skip the sort then.
  if (!std::is_sorted(order.begin(), order.end(), by_address)) {
    std::sort(order.begin(), order.end(), by_address);
  }
  auto& ranges = ranges_;
  ranges.clear();
  for (size_t k = 0; k < order.size(); ++k) {
    const Piece& piece = pieces[order[k].piece];
    uint64_t end = piece.address + piece.size;
    if (!ranges.empty() && piece.address <= ranges.back().end + merge_gap &&
        end - ranges.back().start <= kMaxRange) {
      ranges.back().end = std::max(ranges.back().end, end);
      ++ranges.back().count;
    } else {
      ranges.push_back({piece.address, end, k, 1});
    }
  }
  size_t total = 0;
  for (const auto& range : ranges) total += range.end - range.start;
  uint8_t* buffer = merged_.at_least(total);
  auto& range_pieces = range_pieces_;
  range_pieces.clear();
  size_t offset = 0;
  for (const auto& range : ranges) {
    range_pieces.push_back({range.start, buffer + offset, range.end - range.start});
    offset += range.end - range.start;
  }
  read_batched(range_pieces);
  for (size_t r = 0; r < ranges.size(); ++r) {
    const Range& range = ranges[r];
    for (size_t k = range.first; k < range.first + range.count; ++k) {
      Piece& piece = pieces[order[k].piece];
      if (range_pieces[r].ok) {
        piece.data = range_pieces[r].out + (piece.address - range.start);
        piece.ok = true;
      } else {  // part of the range is unmapped: its pieces one by one
        piece.ok = read(piece.address, {piece.out, piece.size}).has_value();
        piece.data = piece.out;
      }
    }
  }
}

void ProcessMemory::read_batched(std::span<Piece> pieces) const {
  if (pieces.size() < kParallelPieces) {
    read_serially(pieces, iovecs_[0]);
    return;
  }
  // The kernel's page pinning and copying are most of a large snapshot: a second thread reads
  // the second half on the other core meanwhile.
  const size_t half = pieces.size() / 2;
  std::optional<std::jthread> helper;
  try {
    helper.emplace([this, rest = pieces.subspan(half)] { read_serially(rest, iovecs_[1]); });
  } catch (const std::system_error&) {  // no thread to be had: read it all here
    read_serially(pieces, iovecs_[0]);
    return;
  }
  read_serially(pieces.first(half), iovecs_[0]);
}

void ProcessMemory::read_serially(std::span<Piece> pieces, Iovecs& iovecs) const {
  auto &local = iovecs.local, &remote = iovecs.remote;
  size_t next = 0;
  while (next < pieces.size()) {
    size_t count = std::min(kMaxPieces, pieces.size() - next);
    local.clear();
    remote.clear();
    size_t expected = 0;
    for (size_t i = next; i < next + count; ++i) {
      local.push_back({pieces[i].out, pieces[i].size});
      remote.push_back({reinterpret_cast<void*>(pieces[i].address), pieces[i].size});  // NOLINT
      expected += pieces[i].size;
    }
    ssize_t got = ::process_vm_readv(pid_, local.data(), count, remote.data(), count, 0);
    if (got == static_cast<ssize_t>(expected)) {
      for (size_t i = next; i < next + count; ++i) {
        pieces[i].ok = true;
        pieces[i].data = pieces[i].out;
      }
    } else {
      // The batch stopped at an unreadable piece: read this batch one by one.
      for (size_t i = next; i < next + count; ++i) {
        pieces[i].ok = read(pieces[i].address, {pieces[i].out, pieces[i].size}).has_value();
        pieces[i].data = pieces[i].out;
      }
    }
    next += count;
  }
}

}  // namespace leakscan::trace
