#include "analyzer/model/text_format.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace leakscan {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::nanoseconds(0);
  double total_ns = 0;
  while (!text.empty()) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars reads "inf" and "nan" too: no duration.
    if (ec != std::errc() || end == text.data() || !std::isfinite(value)) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    size_t unit_length = 0;
    while (unit_length < text.size() &&
           (std::isalpha(static_cast<unsigned char>(text[unit_length])) ||
            text[unit_length] == '\xc2' || text[unit_length] == '\xb5')) {
      ++unit_length;
    }
    std::string_view unit = text.substr(0, unit_length);
    text.remove_prefix(unit_length);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xc2\xb5s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit == "d")
      scale = 86400e9;
    else
      return std::nullopt;
    total_ns += value * scale;
  }
  // Past int64 nanoseconds (about 292 years) the conversion would be undefined.
  if (!(std::abs(total_ns) < 9.2e18)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(total_ns));
}

std::string format_duration(std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  if (seconds >= 86400 && static_cast<int64_t>(seconds) % 3600 == 0) {
    return fmt::format("{}h", static_cast<int64_t>(seconds / 3600));
  }
  if (seconds >= 3600) {
    auto total = static_cast<int64_t>(seconds);
    return total % 3600 == 0 ? fmt::format("{}h", total / 3600)
                             : fmt::format("{}h{}m", total / 3600, total % 3600 / 60);
  }
  if (seconds >= 60) {
    auto total = static_cast<int64_t>(seconds);
    return total % 60 == 0 ? fmt::format("{}m", total / 60)
                           : fmt::format("{}m{}s", total / 60, total % 60);
  }
  if (seconds >= 1) return fmt::format("{:.3g}s", seconds);
  return fmt::format("{:.3g}ms", seconds * 1e3);
}

std::string format_seconds(double seconds) {
  return format_duration(std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)));
}

std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return value < 0 ? "-" + out : out;
}

std::string counted(int64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", with_thousands(count), noun, count == 1 ? "" : "s");
}

std::string format_site(std::string_view function, std::string_view file, int64_t line) {
  return fmt::format("{} at {}:{}", function, file, line);
}

std::string format_site(const Frame& frame) {
  return format_site(frame.function, frame.file, frame.line);
}

}  // namespace leakscan
