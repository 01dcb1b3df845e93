#include "analyzer/analysis/process_end.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <span>
#include <tuple>
#include <utility>

#include "analyzer/analysis/vocabulary.h"
#include "analyzer/model/text_format.h"
#include "analyzer/model/trace_window.h"

namespace leakscan {
namespace {

std::optional<ProcessEndKind> kind_of(std::string_view reason) {
  // goleak's report is a test's verdict on the goroutines it left, not the process's end.
  if (!reason_ends_process(reason) || reason == kGoleakReason) return std::nullopt;
  if (reason.starts_with("panic: test timed out")) return ProcessEndKind::kTestTimeout;
  if (reason.starts_with("panic")) return ProcessEndKind::kPanic;
  if (reason.find("all goroutines are asleep") != std::string_view::npos) {
    return ProcessEndKind::kDeadlock;
  }
  if (reason.find("stack overflow") != std::string_view::npos ||
      reason.find("stack exceeds") != std::string_view::npos) {
    return ProcessEndKind::kStackOverflow;
  }
  if (reason.find("SIGQUIT") != std::string_view::npos) return ProcessEndKind::kQuit;
  if (reason.starts_with("SIG") || reason.starts_with("unexpected signal")) {
    return ProcessEndKind::kSignal;
  }
  return ProcessEndKind::kFatalError;
}

// A crash whose header line was lost (a log cut at its top, a paste from the middle): the
// goroutine that was running inside panic or a runtime throw says how the process ended.
std::optional<std::pair<ProcessEndKind, std::string>> read_from_frames(const Snapshot& snapshot) {
  constexpr std::string_view kPanics[] = {"panic", "runtime.gopanic"};
  constexpr std::string_view kThrows[] = {"runtime.throw", "runtime.fatal", "runtime.fatalthrow",
                                          "runtime.fatalpanic"};
  auto any_of = [](std::string_view function, std::span<const std::string_view> names) {
    return std::find(names.begin(), names.end(), function) != names.end();
  };
  for (const auto& thread : snapshot.threads) {
    if (thread.state != ThreadState::kRunning) continue;
    std::optional<ProcessEndKind> kind;
    bool alarm = false;
    for (FrameId id : thread.stack) {
      std::string_view function = snapshot.frame(id).function;
      if (!kind && any_of(function, kPanics)) kind = ProcessEndKind::kPanic;
      if (!kind && any_of(function, kThrows)) kind = ProcessEndKind::kFatalError;
      alarm = alarm || function.starts_with("testing.(*M).startAlarm");
    }
    // The test binary's alarm runs only to panic, and its traceback starts below the panic.
    if (alarm) kind = ProcessEndKind::kTestTimeout;
    if (!kind) continue;
    std::string_view what = *kind == ProcessEndKind::kTestTimeout ? "panic: test timed out"
                            : *kind == ProcessEndKind::kPanic     ? "panic"
                                                                  : "fatal error";
    return std::pair{*kind, fmt::format("{} (the header is not in the input: read from the "
                                        "frames of goroutine {}, running)",
                                        what, thread.id)};
  }
  return std::nullopt;
}

bool hung(ProcessEndKind kind) {
  return kind == ProcessEndKind::kDeadlock || kind == ProcessEndKind::kQuit ||
         kind == ProcessEndKind::kTestTimeout;
}

bool has_frame(const AnalysisInput& input, const GoroutineRecord& record,
               std::initializer_list<std::string_view> functions) {
  const Snapshot& snapshot = input.snapshots[record.snapshot];
  for (FrameId id : record.stack()) {
    std::string_view function = snapshot.frame(id).function;
    if (std::find(functions.begin(), functions.end(), function) != functions.end()) return true;
  }
  return false;
}

bool under_test_runner(const AnalysisInput& input, const GoroutineRecord& record) {
  return has_frame(input, record, {"testing.tRunner"});
}

// A test binary's main goroutine waits for the tests; it is never what went wrong.
bool test_harness(const AnalysisInput& input, const GoroutineRecord& record) {
  return has_frame(input, record,
                   {"testing.RunTests", "testing.(*M).Run", "testing.Main", "testing.runTests"});
}

bool blocked(const GreenThread& thread) {
  return thread.state != ThreadState::kRunning && thread.state != ThreadState::kRunnable &&
         thread.state != ThreadState::kIdle && thread.state != ThreadState::kExiting &&
         thread.state != ThreadState::kExited;
}

std::string where(const Frame& frame) {
  return frame.function.empty() ? std::string("no frame of the program's own code")
                                : format_site(frame);
}

}  // namespace

std::string_view to_string(ProcessEndKind kind) {
  switch (kind) {
    case ProcessEndKind::kPanic:
      return "panic";
    case ProcessEndKind::kTestTimeout:
      return "test_timeout";
    case ProcessEndKind::kDeadlock:
      return "deadlock";
    case ProcessEndKind::kStackOverflow:
      return "stack_overflow";
    case ProcessEndKind::kFatalError:
      return "fatal_error";
    case ProcessEndKind::kSignal:
      return "signal";
    case ProcessEndKind::kQuit:
      return "quit";
  }
  return "fatal_error";
}

std::optional<ProcessEnd> explain_process_end(const AnalysisInput& input) {
  if (input.snapshots.empty()) return std::nullopt;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  const Snapshot& snapshot = input.snapshots[last];
  ProcessEnd end;
  if (auto kind = kind_of(snapshot.reason)) {
    end.kind = *kind;
    end.reason = snapshot.reason;
  } else if (auto read = !reason_ends_process(snapshot.reason) ? read_from_frames(snapshot)
                                                               : std::nullopt) {
    std::tie(end.kind, end.reason) = std::move(*read);
  } else {
    return std::nullopt;
  }

  // The program's own goroutines of the last snapshot, in the order the dump lists them: a
  // crash lists the goroutine that crashed first.
  std::vector<const GoroutineRecord*> own;
  for (const auto& record : input.records) {
    if (record.snapshot != last || record.thread == nullptr) continue;
    if (record.disposition == Disposition::kSystem && record.blocked_at == kNoFrame) continue;
    own.push_back(&record);
  }
  // Where a goroutine is in the program's own code; where it was created if it has no frame.
  auto frame_of = [&](const GoroutineRecord& record) {
    if (record.blocked_at != kNoFrame) return snapshot.frame(record.blocked_at);
    return record.created_by() != kNoFrame ? snapshot.frame(record.created_by()) : Frame{};
  };

  if (hung(end.kind)) {
    // Nothing runs: the goroutines that matter are the program's own, blocked. main first
    // (what the program was doing), then a test's own goroutine, then in dump order.
    std::vector<const GoroutineRecord*> stuck;
    for (const auto* record : own) {
      if (blocked(*record->thread) && record->blocked_at != kNoFrame &&
          record->disposition != Disposition::kSystem) {
        stuck.push_back(record);
      }
    }
    auto rank = [&](const GoroutineRecord* record) {
      if (test_harness(input, *record)) return 3;
      if (record->thread->id == 1) return 0;
      if (under_test_runner(input, *record)) return 1;
      return 2;
    };
    std::stable_sort(stuck.begin(), stuck.end(),
                     [&](const auto* a, const auto* b) { return rank(a) < rank(b); });
    if (!stuck.empty()) end.culprit = stuck.front();
    // By object where the dump names it, else by operation and site.
    std::map<std::tuple<uint64_t, std::string_view, std::string_view>, size_t> groups;
    for (const auto* record : stuck) {
      Frame site = frame_of(*record);
      const uint64_t object = certain_wait_object(*record->thread);
      auto key =
          std::make_tuple(object, object != 0 ? std::string_view() : record->blocking_operation,
                          object != 0 ? std::string_view() : site.function);
      auto [it, added] = groups.try_emplace(key, end.waiting.size());
      if (added) {
        end.waiting.push_back(WaitingOn{object, record->blocking_operation, site, {}});
      }
      end.waiting[it->second].goroutine_ids.push_back(record->thread->id);
    }
  } else {
    // The goroutine that panicked or crashed is the one the dump lists running, the first
    // with a frame of the program's own code if several; else (a signal from outside) the
    // program's own goroutine, a test's before the test binary's harness.
    auto rank = [&](const GoroutineRecord* record) {
      bool running = record->thread->state == ThreadState::kRunning;
      bool own_code = record->blocked_at != kNoFrame;
      if (running && own_code) return 0;
      if (running) return 1;
      if (test_harness(input, *record)) return 4;
      if (under_test_runner(input, *record)) return 2;
      return own_code ? 3 : 5;
    };
    for (const auto* record : own) {
      if (end.culprit == nullptr || rank(record) < rank(end.culprit)) end.culprit = record;
    }
  }

  end.culprit_site = end.culprit != nullptr ? frame_of(*end.culprit) : Frame{};
  const GoroutineRecord* culprit = end.culprit;
  std::string who = culprit != nullptr
                        ? fmt::format("goroutine {}{} [{}] in {}", culprit->thread->id,
                                      culprit->thread->id == 1 ? " (main)" : "",
                                      culprit->thread->status, where(frame_of(*culprit)))
                        : std::string("no goroutine of the program's own");
  switch (end.kind) {
    case ProcessEndKind::kDeadlock:
      end.explanation = fmt::format(
          "every goroutine was blocked, so the runtime stopped the program: nothing could wake "
          "them. First: {}",
          who);
      break;
    case ProcessEndKind::kQuit:
      end.explanation = fmt::format(
          "the process was asked for its goroutines with SIGQUIT, as one does with a process that "
          "hangs, and exited. What it was doing: {}",
          who);
      break;
    case ProcessEndKind::kTestTimeout:
      end.explanation = fmt::format("the test ran past its -timeout and was stopped: {}", who);
      break;
    case ProcessEndKind::kStackOverflow:
      end.explanation =
          fmt::format("a goroutine's stack outgrew its limit (unbounded recursion?): {}", who);
      break;
    case ProcessEndKind::kPanic:
      end.explanation = fmt::format("the program panicked in {}", who);
      break;
    case ProcessEndKind::kSignal:
    case ProcessEndKind::kFatalError:
      end.explanation = fmt::format("the program crashed; running at the time: {}", who);
      break;
  }
  for (const auto& group : end.waiting) {
    if (group.object != 0 && group.goroutine_ids.size() > 1) {
      end.explanation +=
          fmt::format("; {} goroutines wait for the same {} 0x{:x}", group.goroutine_ids.size(),
                      waited_object_kind(group.operation), group.object);
    }
  }
  return end;
}

}  // namespace leakscan
