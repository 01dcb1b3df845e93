// Text from a dump is bytes: a crashed program's garbled output, a name in another encoding.
// Reports, JSON and pprof's proto3 strings must be valid UTF-8, so readers repair it once.
#pragma once

#include <string>
#include <string_view>

namespace leakscan {

bool is_valid_utf8(std::string_view text);
// `text` with each byte that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace leakscan
