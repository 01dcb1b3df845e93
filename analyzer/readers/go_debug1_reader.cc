#include "analyzer/readers/go_debug1_reader.h"

#include <fmt/format.h>

#include <array>

#include "analyzer/readers/memory_budget.h"
#include "analyzer/readers/text_runtime.h"
#include "analyzer/readers/text_scan.h"

namespace leakscan {
namespace {

using text::parse_int;
using text::trim;

// Go writes label maps with %q: {"k":"v", "k2":"v2"}. Unquotes one Go string literal at `pos`.
std::optional<std::string> unquote_go(std::string_view text, size_t& pos) {
  if (pos >= text.size() || text[pos] != '"') return std::nullopt;
  std::string out;
  for (++pos; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++pos >= text.size()) return std::nullopt;
    switch (text[pos]) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'x': {
        auto byte = parse_int<unsigned>(text.substr(pos + 1, 2), 16);
        if (!byte) return std::nullopt;
        out.push_back(static_cast<char>(*byte));
        pos += 2;
        break;
      }
      default:
        // \u and \U escapes keep their text: labels are compared, not rendered.
        out.push_back('\\');
        out.push_back(text[pos]);
    }
  }
  return std::nullopt;
}

std::optional<std::vector<Label>> parse_labels(std::string_view text, Snapshot& snapshot) {
  text = trim(text);
  if (!text.starts_with('{') || !text.ends_with('}')) return std::nullopt;
  std::vector<Label> labels;
  size_t pos = 1;
  while (pos < text.size() - 1) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ',')) ++pos;
    if (pos >= text.size() - 1) break;
    auto key = unquote_go(text, pos);
    if (!key || pos >= text.size() || text[pos] != ':') return std::nullopt;
    ++pos;
    auto value = unquote_go(text, pos);
    if (!value) return std::nullopt;
    labels.push_back(Label{.key = snapshot.intern(*key), .str = snapshot.intern(*value)});
  }
  return labels;
}

}  // namespace

Result<Snapshot> read_go_debug1(LineReader& lines) {
  Snapshot snapshot;
  snapshot.source = lines.name();
  snapshot.format = SourceFormat::kGoDebug1;
  auto fail = [&](std::string_view what) {
    return Error{fmt::format("{}:{}: {}", lines.name(), lines.line_number(), what)};
  };

  Sample* record = nullptr;
  std::vector<FrameId> stack;
  uint64_t label_count = 0;  // of all records, for the memory budget
  auto finish_record = [&] {
    if (record != nullptr) record->stack = snapshot.intern_stack(stack);
    record = nullptr;
    stack.clear();
  };

  for (;;) {
    auto next = lines.next();
    if (!next) return next.error();
    if (!*next) break;
    std::string_view line = **next;
    if (line.empty()) {
      finish_record();
      continue;
    }
    // Go 1.26's goroutineleak profile has the same form, of the proven leaks only.
    const bool leak_profile = line.starts_with("goroutineleak profile: total ");
    if (line.starts_with("goroutine profile: total ") || leak_profile) {
      if (snapshot.declared_total || !snapshot.samples.empty()) {
        return fail("a second 'goroutine profile' header; give each profile its own file");
      }
      snapshot.proven_leaked = leak_profile;
      snapshot.declared_total = parse_int<int64_t>(trim(line.substr(leak_profile ? 29 : 25)));
      if (!snapshot.declared_total || !is_goroutine_count(*snapshot.declared_total)) {
        return fail(fmt::format("expected a number of goroutines from 0 to {} after 'total'",
                                kMaxGoroutineCount));
      }
      continue;
    }
    if (line.starts_with('#')) {
      if (record == nullptr) return fail("expected 'COUNT @ 0x...' before this '#' line");
      std::string_view rest = trim(line.substr(1));
      if (rest.starts_with("labels:")) {
        auto labels = parse_labels(rest.substr(7), snapshot);
        if (!labels) return fail(R"(expected '# labels: {"key":"value", ...}')");
        record->labels = std::move(*labels);
        label_count += record->labels.size();
        continue;
      }
      // Fields are tab-separated, with extra tabs for alignment: pc, func+off, file:line.
      std::array<std::string_view, 3> fields;
      size_t count = 0;
      while (!rest.empty() && count < 3) {
        size_t tab = rest.find('\t');
        std::string_view field = rest.substr(0, tab);
        if (!field.empty()) fields[count++] = field;
        rest = tab == std::string_view::npos ? std::string_view{} : trim(rest.substr(tab));
      }
      if (count == 0) return fail(R"(expected '#\t0xPC\tfunction+0xOFF\tfile:line')");
      Frame frame;
      if (count >= 2) {
        std::string_view function = fields[1];
        if (size_t plus = function.rfind("+0x"); plus != std::string_view::npos) {
          function = function.substr(0, plus);
        }
        frame.function = function;
      } else {
        frame.function = fields[0];  // unsymbolized: the pc is all there is
      }
      if (count == 3) {
        auto file_line = text::parse_file_line(fields[2]);
        if (!file_line) return fail("expected 'file:line' as the frame's last field");
        frame.file = file_line->file;
        frame.line = file_line->line;
      }
      stack.push_back(snapshot.frames().intern(frame));
      continue;
    }
    size_t at = line.find(" @ ");
    if (at == std::string_view::npos && line.ends_with(" @")) at = line.size() - 2;
    if (at != std::string_view::npos) {
      auto count = parse_int<int64_t>(line.substr(0, at));
      if (!count || !is_goroutine_count(*count)) {
        return fail(
            fmt::format("expected 'COUNT @ 0x...' with a count from 0 to {}", kMaxGoroutineCount));
      }
      finish_record();
      BuiltFromText built{.samples = snapshot.samples.size(),
                          .labels = label_count,
                          .frames = snapshot.frames().size()};
      if (auto within =
              built.check(lines.limits(), lines.bytes_read(), lines.name(), lines.line_number());
          !within) {
        return within.error();
      }
      snapshot.samples.emplace_back();
      record = &snapshot.samples.back();
      record->count = *count;
      continue;
    }
    return fail(
        fmt::format("expected 'COUNT @ 0x...', a '#' frame line or a blank line, found '{}'",
                    line.substr(0, 80)));
  }
  finish_record();
  if (!snapshot.declared_total) return fail("expected 'goroutine profile: total N' at the start");
  if (snapshot.goroutine_count() != *snapshot.declared_total) {
    snapshot.warnings.push_back(fmt::format("{}: records add up to {} goroutines, header says {}",
                                            lines.name(), snapshot.goroutine_count(),
                                            *snapshot.declared_total));
  }
  for (auto& warning : lines.take_warnings()) snapshot.warnings.push_back(std::move(warning));
  snapshot.runtime = runtime_of_text(snapshot);
  return snapshot;
}

}  // namespace leakscan
