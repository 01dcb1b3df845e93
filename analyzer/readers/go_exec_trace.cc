#include "analyzer/readers/go_exec_trace.h"

#include <charconv>

namespace leakscan {

std::optional<int> go_exec_trace_minor(std::string_view head) {
  constexpr std::string_view kPrefix = "go 1.";
  constexpr std::string_view kSuffix = " trace";
  constexpr size_t kHeaderBytes = 16;
  if (head.size() < kHeaderBytes || !head.starts_with(kPrefix)) return std::nullopt;
  std::string_view header = head.substr(0, kHeaderBytes);
  int minor = 0;
  const char* digits = header.data() + kPrefix.size();
  auto [end, ec] = std::from_chars(digits, header.data() + header.size(), minor);
  if (ec != std::errc() || end == digits || minor <= 0) return std::nullopt;
  std::string_view rest = header.substr(static_cast<size_t>(end - header.data()));
  if (!rest.starts_with(kSuffix)) return std::nullopt;
  for (char c : rest.substr(kSuffix.size())) {
    if (c != '\0') return std::nullopt;
  }
  return minor;
}

}  // namespace leakscan
