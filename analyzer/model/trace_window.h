// A snapshot read from a Go execution trace (leakscan-gotrace) states the trace's window in its
// reason, the one free-text field a snapshot has: "Go execution trace, 2.01s window ending
// 2026-12-07T18:50:00Z". Such a reason is no process end, unlike a dump's "panic: ...".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace leakscan {

inline constexpr std::string_view kGoTraceReasonPrefix = "Go execution trace, ";

// Per-goroutine labels leakscan-gotrace writes (docs/profile-labels.md), kept as the thread's
// own labels: str "true" for a goroutine blocked from before the window to its end; num, how
// many goroutines blocked at its site (first user frame and status) another goroutine woke in
// the window.
inline constexpr std::string_view kBlockedWholeWindow = "blocked_whole_window";
inline constexpr std::string_view kSiteWoken = "site_woken";
// str, beside site_woken: who woke them, by where each waker was (the first frame of the
// program's own code when it woke one), the most frequent first: "12 times by main.feed at
// main.go:40".
inline constexpr std::string_view kSiteWakers = "site_wakers";
// str, beside site_wakers where every goroutine that woke one at the site ended in the window:
// when the last of them ended, RFC 3339 in UTC. Whatever wakes these now must be new.
inline constexpr std::string_view kSiteWakersEndedAt = "site_wakers_ended_at";
// str, beside site_wakers: when the last goroutine blocked at the site was woken, RFC 3339 in
// UTC.
inline constexpr std::string_view kSiteLastWokenAt = "site_last_woken_at";
// num, on a goroutine born in the window: how many goroutines its creation site made and how many
// of those ended in the window.
inline constexpr std::string_view kSiteBorn = "site_born";
inline constexpr std::string_view kSiteDied = "site_died";

std::string trace_window_reason(std::chrono::nanoseconds length,
                                std::optional<std::chrono::system_clock::time_point> end);

// The window's length where `reason` is a trace's (to format_duration's three digits).
std::optional<std::chrono::nanoseconds> trace_window(std::string_view reason);

// The comment leakscan-gotrace writes first: "leakscan: NAME (Go 1.NN execution trace, ...".
bool is_go_trace_comment(std::string_view comment);

// A dump's reason says how its process ended (a panic, a fatal error, SIGQUIT); a trace's and
// an empty one do not.
inline bool reason_ends_process(std::string_view reason) {
  return !reason.empty() && !reason.starts_with(kGoTraceReasonPrefix);
}

}  // namespace leakscan
