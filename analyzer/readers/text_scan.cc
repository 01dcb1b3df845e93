#include "analyzer/readers/text_scan.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace leakscan::text {

std::optional<FileLine> parse_file_line(std::string_view text) {
  // Go appends " +0x1d" (pc offset) and, in GOTRACEBACK=system dumps, " fp=... sp=... pc=...".
  size_t cut = text.find(" +0x");
  if (cut == std::string_view::npos) cut = text.find(" fp=");
  if (cut != std::string_view::npos) text = text.substr(0, cut);
  text = trim(text);
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto line = parse_int<int64_t>(text.substr(colon + 1));
  if (!line) return std::nullopt;
  std::string_view file = text.substr(0, colon);
  if (file == "?") file = {};  // Go's word for an unknown file
  return FileLine{file, *line};
}

std::optional<std::string_view> strip_call_arguments(std::string_view text) {
  if (text.empty() || text.back() != ')') return std::nullopt;
  size_t open = text.rfind('(');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  std::string_view name = text.substr(0, open);
  // A function name has no blanks in Go; C++ names may, but never end in one.
  if (name.back() == ' ' || name.find('\t') != std::string_view::npos) return std::nullopt;
  return name;
}

std::optional<PrintedValue> wait_object_argument(std::string_view function, std::string_view call) {
  // Receivers and channels that name what a goroutine waits for; the runtime's semaphores
  // point inside these objects and are left out, but for a sync.Cond's notify list, whose
  // address Go prints reliably where it marks the Cond's own as a guess.
  static constexpr std::array<std::string_view, 16> kWaitingOn{
      "sync.(*Mutex).Lock",
      "sync.(*Mutex).lockSlow",
      "internal/sync.(*Mutex).Lock",
      "internal/sync.(*Mutex).lockSlow",  // Go 1.24 on
      "sync.(*RWMutex).Lock",
      "sync.(*RWMutex).RLock",
      "sync.(*WaitGroup).Wait",
      "sync.(*Cond).Wait",
      "sync.(*RWMutex).rUnlockSlow",
      "sync.(*Once).doSlow",
      "sync.runtime_notifyListWait",
      "runtime.chanrecv",
      "runtime.chansend",
      "runtime.chanrecv1",
      "runtime.chanrecv2",
      "runtime.chansend1"};
  if (std::find(kWaitingOn.begin(), kWaitingOn.end(), function) == kWaitingOn.end()) {
    return std::nullopt;
  }
  std::string_view args = call.substr(function.size());
  if (!args.starts_with("(0x")) return std::nullopt;
  args.remove_prefix(3);
  uint64_t address = 0;
  auto [end, ec] = std::from_chars(args.data(), args.data() + args.size(), address, 16);
  if (ec != std::errc() || end == args.data() || address == 0) return std::nullopt;
  return PrintedValue{address, end != args.data() + args.size() && *end == '?'};
}

}  // namespace leakscan::text
