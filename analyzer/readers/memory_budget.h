// README's promise, enforced where memory is spent: a reader charges what it builds against
// 6 times its input plus 64 MiB (or --max-memory) and stops, naming what was too many, before
// an input built to exhaust memory does.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/model/result.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

class MemoryBudget {
 public:
  static constexpr uint64_t kPerInputByte = 6;
  static constexpr uint64_t kFloor = uint64_t{64} << 20;

  MemoryBudget(const ReadLimits& limits, uint64_t input_bytes)
      : limit_(limits.max_memory_bytes != 0 ? limits.max_memory_bytes
                                            : input_bytes * kPerInputByte + kFloor) {}

  // Whether `count` objects of `size` bytes would fit, for what is built and freed at once.
  bool fits(uint64_t count, uint64_t size) const {
    return size == 0 || count <= (limit_ - used_) / size;
  }
  // Spends `count` objects of `size` bytes; false once the total passes the budget.
  bool charge(uint64_t count, uint64_t size) {
    if (!fits(count, size)) return false;
    used_ += count * size;
    return true;
  }

  // The one-line error for `input` when `what` ("12,000,000 samples") did not fit.
  Error exceeded(std::string_view input, std::string_view what) const {
    std::string budget = limit_ >= (uint64_t{1} << 20) ? fmt::format("{} MiB", limit_ >> 20)
                                                       : fmt::format("{} bytes", limit_);
    return Error{fmt::format("{}: {} need more memory than its budget of {} allows; no real "
                             "profile is this dense for its size",
                             input, what, budget),
                 ErrorKind::kOverBudget};
  }

  uint64_t limit() const { return limit_; }

 private:
  uint64_t limit_;
  uint64_t used_ = 0;
};

// What a text reader has built, priced at what each item costs with its share of the tables and
// indexes behind it (measured: a goroutine of a dump of empty goroutines about 290 bytes at the
// reader's peak, a distinct frame about 160 with the analysis of its stack). Text is charged as it
// is read, against 6 times the bytes read so far: a stream's size is not known in advance, and a
// dense stretch is refused where it starts.
struct BuiltFromText {
  static constexpr uint64_t kThreadBytes = 256;
  static constexpr uint64_t kSampleBytes = 128;
  static constexpr uint64_t kLabelBytes = 48;
  static constexpr uint64_t kFrameBytes = 160;

  uint64_t threads = 0;
  uint64_t samples = 0;
  uint64_t labels = 0;
  uint64_t frames = 0;

  uint64_t bytes() const {
    return threads * kThreadBytes + samples * kSampleBytes + labels * kLabelBytes +
           frames * kFrameBytes;
  }

  // Ok, or the one-line error for `input` at `line`, having read `bytes_read` of it.
  Status check(const ReadLimits& limits, uint64_t bytes_read, std::string_view input,
               uint64_t line) const {
    MemoryBudget budget(limits, bytes_read);
    if (budget.fits(1, bytes())) return Ok{};
    std::string what = threads != 0 ? fmt::format("{} goroutines", threads)
                                    : fmt::format("{} records with {} labels", samples, labels);
    return budget.exceeded(
        fmt::format("{}: line {}", input, line),
        fmt::format("{} and {} distinct frames in its first {} bytes", what, frames, bytes_read));
  }
};

}  // namespace leakscan
