// Protocol buffers' wire format, read field by field where the bytes lie: a reader that builds
// only what it keeps, so that its memory follows what it keeps and not the count of messages
// (protobuf's own parser builds an object per message: 10^8 samples of 8 bytes became 11 GB).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace leakscan::wire {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t varint = 0;     // kVarint
  std::string_view bytes;  // kBytes: a string, a nested message or a packed run
};

// Reads a varint from the front of `bytes`, advancing past it; nothing if cut short or longer
// than ten bytes.
inline std::optional<uint64_t> read_varint(std::string_view& bytes) {
  uint64_t value = 0;
  for (unsigned shift = 0, i = 0; i < bytes.size() && shift < 64; ++i, shift += 7) {
    auto byte = static_cast<uint8_t>(bytes[i]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      bytes.remove_prefix(i + 1);
      return value;
    }
  }
  return std::nullopt;
}

// The fields of one message, in order. next() gives nothing at the end or at damage; broken()
// tells the two apart.
class FieldReader {
 public:
  explicit FieldReader(std::string_view message) : rest_(message) {}

  std::optional<Field> next() {
    if (rest_.empty() || broken_) return std::nullopt;
    auto tag = read_varint(rest_);
    if (!tag || (*tag >> 3) == 0 || (*tag >> 3) > UINT32_MAX) return fail();
    Field field;
    field.number = static_cast<uint32_t>(*tag >> 3);
    switch (*tag & 7) {
      case 0: {
        auto value = read_varint(rest_);
        if (!value) return fail();
        field.type = WireType::kVarint;
        field.varint = *value;
        return field;
      }
      case 1:
        return fixed(field, WireType::kFixed64, 8);
      case 2: {
        auto length = read_varint(rest_);
        if (!length || *length > rest_.size()) return fail();
        field.type = WireType::kBytes;
        field.bytes = rest_.substr(0, *length);
        rest_.remove_prefix(*length);
        return field;
      }
      case 5:
        return fixed(field, WireType::kFixed32, 4);
      default:
        return fail();  // groups (3, 4) are not in any profile; others do not exist
    }
  }

  bool broken() const { return broken_; }

 private:
  std::optional<Field> fail() {
    broken_ = true;
    return std::nullopt;
  }
  std::optional<Field> fixed(Field& field, WireType type, size_t size) {
    if (rest_.size() < size) return fail();
    field.type = type;
    field.bytes = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return field;
  }

  std::string_view rest_;
  bool broken_ = false;
};

// A repeated integer field's values, packed or one per field: calls `each(value)` for each;
// false if a packed run is damaged.
template <typename Each>
bool for_each_integer(const Field& field, Each&& each) {
  if (field.type == WireType::kVarint) {
    each(field.varint);
    return true;
  }
  if (field.type != WireType::kBytes) return true;  // skipped, as protobuf skips it
  std::string_view packed = field.bytes;
  while (!packed.empty()) {
    auto value = read_varint(packed);
    if (!value) return false;
    each(*value);
  }
  return true;
}

}  // namespace leakscan::wire
