// leakscan's pprof label convention for per-green-thread data (docs/profile-labels.md): one
// sample per green thread, value 1, and these labels. The converter, the agent and the eBPF
// tracer write them; the pprof reader turns them back into GreenThreads.
#pragma once

#include <string_view>
#include <vector>

#include "analyzer/model/snapshot.h"

namespace leakscan::thread_labels {

inline constexpr std::string_view kGoid = "goid";               // num
inline constexpr std::string_view kState = "state";             // str, runtime's words
inline constexpr std::string_view kWaitReason = "wait_reason";  // str, absent: = state
inline constexpr std::string_view kWait = "wait";               // num, nanoseconds
// str "lower_bound" where the wait is only a lower bound (Go's whole minutes); absent: exact.
inline constexpr std::string_view kWaitPrecision = "wait_precision";
// str, RFC 3339 with nanoseconds, so that `go tool pprof -traces` shows a time; older
// snapshots wrote a num of ns since the Unix epoch, still read.
inline constexpr std::string_view kCreatedAt = "created_at";
// str "measured" or "inferred" beside created_at (the tracer): how it was known.
inline constexpr std::string_view kCreatedAtPrecision = "created_at_precision";
inline constexpr std::string_view kCreatorGoid = "creator_goid";         // num
inline constexpr std::string_view kCreatedBy = "created_by";             // str, "FUNC at FILE:LINE"
inline constexpr std::string_view kLockedToThread = "locked_to_thread";  // str "true"
// str "true": Go's GC proved it leaked (goroutineleak; "(leaked)" in a debug=2 status).
inline constexpr std::string_view kProvenLeaked = "proven_leaked";
inline constexpr std::string_view kFramesElided = "frames_elided";  // str "true"
inline constexpr std::string_view kWaitObject = "wait_object";      // str, agent: "0x..." address
inline constexpr std::string_view kRuntime = "runtime";  // str, "boost.fiber"...; absent: go
// str, the creator's stack at the go statement, leaf first: "FUNC at FILE:LINE <- ...".
inline constexpr std::string_view kCreationStack = "creation_stack";
inline constexpr std::string_view kNanoseconds = "nanoseconds";

// Every label the convention defines for `thread`, followed by the thread's own labels.
// Label text that is not already interned (created_by) is stored in `strings`.
std::vector<Label> to_labels(const GreenThread& thread, RuntimeKind runtime,
                             const Snapshot& snapshot, StringPool& strings);

// The same, appended to `out`, with the created_by and created_at texts given (stored by the
// caller, as labels are views): writers that emit many threads format each creation site once.
void append_labels(const GreenThread& thread, RuntimeKind runtime, std::string_view created_by,
                   std::string_view created_at, std::vector<Label>& out);

// The created_by label's text for a creation frame: "FUNC at FILE:LINE".
std::string created_by_text(const Frame& frame);

// A created_by or creation_stack frame's text, "FUNC at FILE:LINE", as a frame whose views
// point into `text`; a text without a site is all function.
Frame parse_site(std::string_view text);

// The created_at label's text for a time: RFC 3339 in UTC with nanoseconds.
std::string created_at_text(std::chrono::system_clock::time_point at);

// The creation_stack label's text (interned in `snapshot`) as the thread's first ancestor, and
// as its label.
void add_creation_stack(std::string_view text, GreenThread& thread, Snapshot& snapshot);

// True when a sample carries the convention (a numeric goid).
bool describes_thread(const std::vector<Label>& labels);

// Fills `thread` from the convention's labels; other labels are kept as the thread's own.
// `runtime` is set when the labels name one.
void from_labels(const std::vector<Label>& labels, GreenThread& thread, RuntimeKind& runtime,
                 Snapshot& snapshot);

}  // namespace leakscan::thread_labels
