// Whether a run found what the caller asked to fail on: the CLI's exit code 1, a CI gate.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/leakscan_report.pb.h"

namespace leakscan {

enum class FailOn : uint8_t {
  kNever,
  kLeak,     // a cluster judged leak and not accepted by the baseline
  kSuspect,  // a leak or a suspect
};

std::optional<FailOn> parse_fail_on(std::string_view text);  // "leak", "suspect", "never"

bool fails(const report::Summary& summary, FailOn fail_on);

}  // namespace leakscan
