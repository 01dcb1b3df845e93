// Dumps saved from Windows PowerShell (`> dump.txt`) are UTF-16: read as text, converted once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace leakscan {

enum class Utf16Order : uint8_t { kLittleEndian, kBigEndian };

// The byte order of text that starts with a UTF-16 byte-order mark, or that is ASCII written
// as UTF-16 without one (every other byte zero); nothing for anything else.
std::optional<Utf16Order> detect_utf16(std::string_view head);

// `bytes` as UTF-8, without the byte-order mark; unpaired surrogates and an odd last byte
// become U+FFFD.
std::string utf16_to_utf8(std::string_view bytes, Utf16Order order);

}  // namespace leakscan
