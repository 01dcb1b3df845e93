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

// A hexadecimal argument as a traceback prints it. Since Go 1.17 (register ABI) a value the
// runtime cannot vouch for, read from a spill slot that may be stale, is followed by '?'.
struct PrintedValue {
  uint64_t value = 0;
  bool hint = false;   // printed with '?'
  bool first = false;  // the first argument: a method's receiver
};

// The object a blocking call waits on, from its first argument as a traceback prints it:
// "sync.(*Mutex).lockSlow(0xc000123456)", "runtime.chanrecv1(0xc00008e060, 0x0)" give the
// mutex's and the channel's addresses. Nothing for other functions, or where the argument was
// not printed ("(...)" of inlined calls) or is not an address.
std::optional<PrintedValue> wait_object_argument(std::string_view function, std::string_view call);

// Values below this are lengths, flags and small integers, not addresses of objects.
inline constexpr uint64_t kLeastAddress = 0x10000;
// At most this many address-like values are kept of one frame's arguments: a frame whose
// list is forged to be long costs no more than an ordinary one.
inline constexpr size_t kMaxAddressesPerFrame = 8;

// Calls `found(PrintedValue)` for each address-like value (at least kLeastAddress) among the
// call's printed arguments, braces of structs and interfaces included, at most
// kMaxAddressesPerFrame of them.
template <typename Found>
void for_each_printed_address(std::string_view function, std::string_view call, Found found) {
  if (call.size() <= function.size() + 2) return;
  std::string_view args = call.substr(function.size() + 1, call.size() - function.size() - 2);
  size_t kept = 0;
  for (size_t at = args.find("0x"); at != std::string_view::npos && kept < kMaxAddressesPerFrame;
       at = args.find("0x", at + 2)) {
    if (at > 0 && args[at - 1] != ' ' && args[at - 1] != '{' && args[at - 1] != '(') continue;
    uint64_t value = 0;
    const char* begin = args.data() + at + 2;
    auto [end, ec] = std::from_chars(begin, args.data() + args.size(), value, 16);
    if (ec != std::errc() || end == begin || value < kLeastAddress) continue;
    bool hint = end != args.data() + args.size() && *end == '?';
    found(PrintedValue{value, hint, at == 0});
    ++kept;
  }
}

}  // namespace leakscan::text
