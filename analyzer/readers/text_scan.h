// Small parsing helpers shared by the text readers.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace leakscan::text {

inline std::string_view trim_left(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

inline std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename Int>
std::optional<Int> parse_int(std::string_view s, int base = 10) {
  Int value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// Splits "path/to/file.go:123 +0x1d fp=..." into file and line. Paths may hold spaces and drive
// letters ("C:/Program Files/Go/src/x.go:12"), so the line number is found from the right.
struct FileLine {
  std::string_view file;
  int64_t line = 0;
};
std::optional<FileLine> parse_file_line(std::string_view text);

// "pkg.(*T).Method(0xc000012345, {0x1, 0x2}, ...)" -> "pkg.(*T).Method". Arguments never hold
// parentheses, so the call's list is the last '(' on the line.
std::optional<std::string_view> strip_call_arguments(std::string_view text);

// The object a blocking call waits on, from its first argument as a traceback prints it:
// "sync.(*Mutex).lockSlow(0xc000123456)", "runtime.chanrecv1(0xc00008e060, 0x0)" give the
// mutex's and the channel's addresses. 0 for other functions, or where the argument was not
// printed ("(...)" of inlined calls) or is not an address.
uint64_t wait_object_argument(std::string_view function, std::string_view call);

}  // namespace leakscan::text
