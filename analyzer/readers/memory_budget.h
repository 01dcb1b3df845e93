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

}  // namespace leakscan
