#include "analyzer/report/visible_text.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <algorithm>
#include <utility>

namespace leakscan {
namespace {

bool is_c0_or_del(unsigned char byte) { return byte < 0x20 || byte == 0x7f; }

// A C1 control encoded as UTF-8: 0xC2 followed by 0x80 to 0x9F.
bool is_c1_at(std::string_view text, size_t at) {
  return static_cast<unsigned char>(text[at]) == 0xC2 && at + 1 < text.size() &&
         static_cast<unsigned char>(text[at + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[at + 1]) <= 0x9F;
}

bool needs_escape(std::string_view text) {
  for (size_t at = 0; at < text.size(); ++at) {
    if (is_c0_or_del(static_cast<unsigned char>(text[at])) || is_c1_at(text, at)) return true;
  }
  return false;
}

}  // namespace

std::string visible(std::string_view text) {
  if (!needs_escape(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t at = 0; at < text.size(); ++at) {
    auto byte = static_cast<unsigned char>(text[at]);
    if (is_c0_or_del(byte)) {
      out += fmt::format("\\x{:02x}", byte);
    } else if (is_c1_at(text, at)) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[at + 1]));
      ++at;
    } else {
      out.push_back(text[at]);
    }
  }
  return out;
}

void make_visible(google::protobuf::Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  using Field = google::protobuf::FieldDescriptor;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const Field* field = descriptor->field(i);
    if (field->cpp_type() == Field::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
          std::string value = reflection->GetRepeatedString(message, field, j);
          if (needs_escape(value))
            reflection->SetRepeatedString(&message, field, j, visible(value));
        }
      } else if (std::string value = reflection->GetString(message, field); needs_escape(value)) {
        reflection->SetString(&message, field, visible(value));
      }
    } else if (field->cpp_type() == Field::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
          make_visible(*reflection->MutableRepeatedMessage(&message, field, j));
        }
      } else if (reflection->HasField(message, field)) {
        make_visible(*reflection->MutableMessage(&message, field));
      }
    }
  }
}

std::string markdown_code(std::string_view text, MarkdownPlace place) {
  std::string line = visible(text);
  if (place == MarkdownPlace::kTableCell) {
    std::string escaped;
    for (char c : line) {
      if (c == '|') escaped.push_back('\\');
      escaped.push_back(c);
    }
    line = std::move(escaped);
  }
  size_t longest = 0;
  for (size_t at = 0; at < line.size();) {
    size_t run = 0;
    while (at + run < line.size() && line[at + run] == '`') ++run;
    longest = std::max(longest, run);
    at += run == 0 ? 1 : run;
  }
  std::string fence(longest + 1, '`');
  // A span that starts or ends with a backtick needs a space to keep it from the fence.
  bool pad = !line.empty() && (line.front() == '`' || line.back() == '`');
  return fmt::format("{}{}{}{}{}", fence, pad ? " " : "", line, pad ? " " : "", fence);
}

std::string markdown_text(std::string_view text) {
  std::string line = visible(text);
  std::string out;
  out.reserve(line.size() + 8);
  for (char c : line) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '(':
      case ')':
      case '!':
      case '|':
      case '#':
      case '~':
        out.push_back('\\');
        out.push_back(c);
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace leakscan
