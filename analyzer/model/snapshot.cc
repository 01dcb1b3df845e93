#include "analyzer/model/snapshot.h"

#include <algorithm>
#include <array>
#include <utility>

namespace leakscan {
namespace {

constexpr auto kRuntimeNames = std::to_array<std::pair<RuntimeKind, std::string_view>>({
    {RuntimeKind::kUnknown, "unknown"},
#define LEAKSCAN_RUNTIME(enumerator, name, value) {RuntimeKind::enumerator, name},
#include "analyzer/runtimes/runtimes.inc"
#undef LEAKSCAN_RUNTIME
});

constexpr std::array<std::pair<ThreadState, std::string_view>, 9> kStateNames{{
    {ThreadState::kUnknown, "unknown"},
    {ThreadState::kRunning, "running"},
    {ThreadState::kRunnable, "runnable"},
    {ThreadState::kSyscall, "syscall"},
    {ThreadState::kWaiting, "waiting"},
    {ThreadState::kSleeping, "sleeping"},
    {ThreadState::kIdle, "idle"},
    {ThreadState::kExiting, "exiting"},
    {ThreadState::kExited, "exited"},
}};

template <typename Enum, size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum e) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  for (auto prefix : prefixes) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(RuntimeKind kind) { return name_of(kRuntimeNames, kind); }
std::string_view to_string(ThreadState state) { return name_of(kStateNames, state); }
std::optional<RuntimeKind> parse_runtime_kind(std::string_view text) {
  return value_of(kRuntimeNames, text);
}
std::optional<ThreadState> parse_thread_state(std::string_view text) {
  return value_of(kStateNames, text);
}

std::string_view to_string(WaitPrecision precision) {
  switch (precision) {
    case WaitPrecision::kExact:
      return "exact";
    case WaitPrecision::kLowerBound:
      return "lower_bound";
    case WaitPrecision::kCapped:
      return "capped";
    case WaitPrecision::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<WaitPrecision> parse_wait_precision(std::string_view text) {
  for (auto precision : {WaitPrecision::kUnknown, WaitPrecision::kExact, WaitPrecision::kLowerBound,
                         WaitPrecision::kCapped}) {
    if (to_string(precision) == text) return precision;
  }
  return std::nullopt;
}

// Indexed by the enum's value: the label's words.
constexpr std::array<std::string_view, 3> kCreationPrecisionNames = {"unknown", "measured",
                                                                     "inferred"};

std::string_view to_string(CreationPrecision precision) {
  return kCreationPrecisionNames.at(static_cast<size_t>(precision));
}

std::optional<CreationPrecision> parse_creation_precision(std::string_view text) {
  auto known = std::find(kCreationPrecisionNames.begin() + 1, kCreationPrecisionNames.end(), text);
  if (known == kCreationPrecisionNames.end()) return std::nullopt;
  return static_cast<CreationPrecision>(known - kCreationPrecisionNames.begin());
}

std::string_view to_string(CaptureTimeOrigin origin) {
  switch (origin) {
    case CaptureTimeOrigin::kProfile:
      return "profile";
    case CaptureTimeOrigin::kFetched:
      return "time fetched";
    case CaptureTimeOrigin::kFileModified:
      return "file modification time";
    case CaptureTimeOrigin::kOrderGiven:
      break;
  }
  return "order given";
}

std::string_view to_string(SourceFormat format) {
  switch (format) {
    case SourceFormat::kPprofProto:
      return "pprof";
    case SourceFormat::kGoDebug1:
      return "debug=1";
    case SourceFormat::kGoTraceback:
      return "debug=2";
  }
  return "unknown";
}

ThreadState classify_status(std::string_view status) {
  if (auto own = parse_thread_state(status)) return *own;
  // Go's gStatusStrings and waitReasonStrings, runtime/runtime2.go (Go 1.2 to 1.25).
  if (status == "running") return ThreadState::kRunning;
  if (status == "runnable") return ThreadState::kRunnable;
  if (status == "syscall") return ThreadState::kSyscall;
  if (status == "sleep") return ThreadState::kSleeping;
  if (status == "dead") return ThreadState::kExited;
  if (status == "idle" || status == "copystack" || status == "preempted" ||
      status == "garbage collection" || status == "force gc (idle)" ||
      status == "GC worker (idle)" || status == "GC worker (active)" ||
      status == "timer goroutine (idle)" || status == "GC sweep wait" ||
      status == "GC scavenge wait" || status == "finalizer wait" ||
      status == "trace reader (blocked)" || status == "wait for GC cycle" ||
      status == "GC background sweeper wait" || status == "GC assist marking" ||
      status == "GC weak to strong wait") {
    return ThreadState::kIdle;
  }
  if (starts_with_any(status, {"panicwait", "Goexit"})) return ThreadState::kExiting;
  if (status.empty() || status == "unknown") return ThreadState::kUnknown;
  return ThreadState::kWaiting;
}

void set_status(GreenThread& thread, std::string_view status, ThreadState state) {
  // Go 1.26's goroutineleak?debug=2 and the tracer mark what the GC proved: "[chan send
  // (leaked)]". The proof is a fact of its own; the status is the runtime's word for the wait.
  constexpr std::string_view kLeaked = " (leaked)";
  if (status.ends_with(kLeaked)) {
    status.remove_suffix(kLeaked.size());
    thread.proven_leaked = true;
  }
  thread.status = status;
  thread.state = state;
  default_wait_reason(thread);
}

void set_status(GreenThread& thread, std::string_view status) {
  set_status(thread, status, classify_status(status));
}

void default_wait_reason(GreenThread& thread) {
  if (thread.wait_reason.empty() &&
      (thread.state == ThreadState::kWaiting || thread.state == ThreadState::kSleeping)) {
    thread.wait_reason = thread.status;
  }
}

int64_t Snapshot::goroutine_count() const {
  if (!threads.empty()) return static_cast<int64_t>(threads.size());
  int64_t total = 0;
  for (const auto& sample : samples) total += sample.count;
  return total;
}

}  // namespace leakscan
