#include "analyzer/readers/text_scan.h"

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

}  // namespace leakscan::text
