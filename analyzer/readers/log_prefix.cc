#include "analyzer/readers/log_prefix.h"

#include <re2/re2.h>

#include <array>

namespace leakscan {
namespace {

struct Pattern {
  LogPrefixKind kind;
  const char* regex;  // anchored at the line's start, matching the prefix alone
};

constexpr std::array<Pattern, 3> kPatterns{{
    {LogPrefixKind::kSyslog,
     R"([A-Z][a-z]{2} [ 0-9]?[0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} \S+ [^\s:\[]+(\[[0-9]+\])?: )"},
    {LogPrefixKind::kRfc3339,
     R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2}) )"},
    {LogPrefixKind::kTimestamp,
     R"([0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)? )"},
}};

// A goroutine header after some text on the same line: what a prefixed dump shows.
bool prefixed_header(std::string_view line, size_t& prefix) {
  size_t at = line.find("goroutine ");
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view rest = line.substr(at + 10);
  if (rest.empty() || rest.front() < '0' || rest.front() > '9') return false;
  if (rest.find(" [") == std::string_view::npos || !rest.ends_with("]:")) return false;
  prefix = at;
  return true;
}

std::string_view next_line(std::string_view& text) {
  size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

std::string_view to_string(LogPrefixKind kind) {
  switch (kind) {
    case LogPrefixKind::kSyslog:
      return "journald/syslog";
    case LogPrefixKind::kRfc3339:
      return "RFC 3339 timestamps (docker or kubectl --timestamps)";
    case LogPrefixKind::kTimestamp:
      return "timestamps";
  }
  return "log";
}

std::optional<LogPrefixKind> detect_log_prefix(std::string_view head) {
  // The first prefixed goroutine header decides; a header at a line's start before it means
  // the dump is Go's own.
  for (std::string_view rest = head; !rest.empty();) {
    std::string_view line = next_line(rest);
    if (line.starts_with("goroutine ")) return std::nullopt;
    size_t prefix = 0;
    if (!prefixed_header(line, prefix)) continue;
    for (const Pattern& pattern : kPatterns) {
      RE2 re(pattern.regex);
      if (RE2::FullMatch(re2::StringPiece(line.data(), prefix), re)) return pattern.kind;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

StrippedLog strip_log_prefix(LogPrefixKind kind, std::string_view bytes) {
  StrippedLog out{.kind = kind};
  out.text.reserve(bytes.size());
  const Pattern* pattern = &kPatterns.front();
  for (const Pattern& candidate : kPatterns) {
    if (candidate.kind == kind) pattern = &candidate;
  }
  RE2 re(pattern->regex);
  for (std::string_view rest = bytes; !rest.empty();) {
    std::string_view line = next_line(rest);
    re2::StringPiece input(line.data(), line.size());
    if (RE2::Consume(&input, re)) {
      line = std::string_view(input.data(), input.size());
      ++out.lines;
    }
    out.text.append(line);
    out.text.push_back('\n');
  }
  return out;
}

}  // namespace leakscan
