// Dumps as people paste them: read out of journald or syslog, `docker logs --timestamps` or
// `kubectl logs --timestamps`, or a logger that stamps each line, every line of a goroutine dump
// carries a prefix ("Oct 01 22:57:16 host unit[812]: goroutine 1 [running]:"). The prefix is
// recognised on the dump's own header lines and taken off every line that has it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace leakscan {

enum class LogPrefixKind : uint8_t {
  kSyslog,     // "Oct 01 22:57:16 host unit[812]: " (journald's short format, syslog)
  kRfc3339,    // "2026-10-01T22:57:16.123456789Z " (docker and kubectl --timestamps)
  kTimestamp,  // "2026/10/01 22:57:16 " or "2026-10-01 22:57:16.123 " (Go's log, loggers)
};

std::string_view to_string(LogPrefixKind kind);

struct StrippedLog {
  std::string text;  // the dump with the prefix taken off every line that had it
  LogPrefixKind kind = LogPrefixKind::kSyslog;
  size_t lines = 0;  // lines stripped
};

// The prefix `head` (the input's start) shows before its goroutine headers; nothing for a dump
// as Go writes it.
std::optional<LogPrefixKind> detect_log_prefix(std::string_view head);

// `bytes` with the prefix of `kind` taken off every line that has it.
StrippedLog strip_log_prefix(LogPrefixKind kind, std::string_view bytes);

}  // namespace leakscan
