#include "analyzer/readers/utf16_text.h"

#include <cstdint>

namespace leakscan {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

void append_utf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

}  // namespace

std::optional<Utf16Order> detect_utf16(std::string_view head) {
  if (head.size() < 2) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(head[i]); };
  if (byte(0) == 0xFF && byte(1) == 0xFE) return Utf16Order::kLittleEndian;
  if (byte(0) == 0xFE && byte(1) == 0xFF) return Utf16Order::kBigEndian;
  // Without a mark: "goroutine" and "panic" are ASCII, so one byte of each pair is zero.
  size_t pairs = std::min<size_t>(head.size() / 2, 256);
  if (pairs < 8) return std::nullopt;
  size_t zero_high = 0;
  size_t zero_low = 0;
  for (size_t i = 0; i < pairs; ++i) {
    zero_high += byte(2 * i + 1) == 0 && byte(2 * i) != 0 ? 1 : 0;
    zero_low += byte(2 * i) == 0 && byte(2 * i + 1) != 0 ? 1 : 0;
  }
  if (zero_high == pairs) return Utf16Order::kLittleEndian;
  if (zero_low == pairs) return Utf16Order::kBigEndian;
  return std::nullopt;
}

std::string utf16_to_utf8(std::string_view bytes, Utf16Order order) {
  auto unit_at = [&](size_t i) -> uint32_t {
    auto first = static_cast<uint8_t>(bytes[i]);
    auto second = static_cast<uint8_t>(bytes[i + 1]);
    return order == Utf16Order::kLittleEndian ? (second << 8 | first) : (first << 8 | second);
  };
  std::string out;
  out.reserve(bytes.size() / 2 + 16);
  size_t i = 0;
  if (bytes.size() >= 2 && unit_at(0) == 0xFEFF) i = 2;
  for (; i + 1 < bytes.size(); i += 2) {
    uint32_t unit = unit_at(i);
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 3 < bytes.size()) {
      uint32_t low = unit_at(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) {
      out += kReplacement;
    } else {
      append_utf8(out, unit);
    }
  }
  if (i < bytes.size()) out += kReplacement;
  return out;
}

}  // namespace leakscan
