#include "bpf/traced_snapshot.h"

#include <fmt/format.h>

#include "analyzer/model/text_format.h"
#include "analyzer/model/thread_labels.h"
#include "producer/stack_interner.h"

namespace leakscan::trace {
namespace {

// A dead g's stack still held (docs/profile-labels.md), summed by the report's dead_but_unfreed.
constexpr std::string_view kStackBytes = "stack_bytes";
// The dead g itself, which the runtime never frees (allgs only grows).
constexpr std::string_view kGBytes = "g_bytes";
// The runtime's free list a dead g waits on: what frees its stack.
constexpr std::string_view kFreeList = "free_list";

bool is_runtime_entry_frame(std::string_view function) {
  return function == "runtime.goexit" || function == "runtime.systemstack" ||
         function.starts_with("runtime.newproc") || function == "runtime.mstart";
}

// Wait reasons synctest counts as durably blocked inside a bubble (runtime.isIdleInSynctest),
// those whose names do not already say "(durable)".
bool idle_in_synctest(std::string_view reason) {
  return reason == "chan receive (nil chan)" || reason == "chan send (nil chan)" ||
         reason == "select (no cases)" || reason == "sleep" || reason == "sync.Cond.Wait" ||
         reason == "coroutine" || reason == "synctest.Run" || reason == "synctest.Wait";
}

}  // namespace

std::string status_text(const GoroutineTableReader& names, const LiveGoroutine& goroutine) {
  std::string text(names.status_name(goroutine.status));
  const bool waiting = goroutine.status == kGoStatusWaiting;
  if ((waiting || goroutine.leaked) && goroutine.wait_reason != 0) {
    text = names.wait_reason_name(goroutine.wait_reason);
  }
  if (goroutine.leaked) text += " (leaked)";
  if (waiting && goroutine.in_bubble && idle_in_synctest(text)) text += " (durable)";
  return text;
}

std::optional<SourceFrame> creation_site(const gobinary::GoBinary& binary, uint64_t gopc) {
  auto frames = binary.symbolize(gopc, /*return_address=*/true);
  if (frames.empty()) return std::nullopt;
  return SourceFrame{frames.back().function, frames.front().file, frames.front().line};
}

std::string creation_site_text(const gobinary::GoBinary& binary, uint64_t gopc) {
  auto site = creation_site(binary, gopc);
  if (!site) return fmt::format("{:#x}", gopc);
  return format_site(site->function, site->file, site->line);
}

std::string creation_stack_text(const gobinary::GoBinary& binary, std::span<const uint64_t> stack) {
  std::string text;
  bool leading = true;
  for (size_t i = 0; i < stack.size(); ++i) {
    // stack[0] is the probed instruction itself, the rest are return addresses.
    for (const auto& frame : binary.symbolize(stack[i], /*return_address=*/i > 0)) {
      if (leading && is_runtime_entry_frame(frame.function)) continue;
      if (frame.function == "runtime.goexit") continue;
      leading = false;
      if (!text.empty()) text += " <- ";
      text += format_site(frame.function, frame.file, frame.line);
    }
  }
  return text;
}

uint64_t blocked_key(const LiveGoroutine& goroutine) {
  uint64_t pc = goroutine.pcs.empty() ? 0 : goroutine.pcs.front();
  return (pc * 1000003) ^ (static_cast<uint64_t>(goroutine.status) << 8) ^ goroutine.wait_reason;
}

void track_wait(const LiveGoroutine& goroutine, std::chrono::system_clock::time_point captured_at,
                std::optional<std::chrono::system_clock::time_point> previous,
                GoroutineHistory& known) {
  if (!goroutine.blocked()) {
    known.blocked_since.reset();
    known.awake_at = captured_at;
    return;
  }
  const uint64_t key = blocked_key(goroutine);
  const bool same = known.blocked_since && known.blocked_key == key &&
                    (!goroutine.has_park_count || known.park_count == goroutine.park_count) &&
                    (known.waitsince == 0 || known.waitsince == goroutine.waitsince);
  if (!same) {
    // Seen before in another state, or created since the previous capture (its created_at is
    // that capture): this wait began after the previous capture.
    if (known.blocked_since || known.awake_at || known.created_at) {
      if (previous) known.awake_at = *previous;
      if (known.created_at && (!known.awake_at || *known.created_at > *known.awake_at)) {
        known.awake_at = *known.created_at;
      }
    }
    known.blocked_since = captured_at;
    known.blocked_key = key;
  }
  known.park_count = goroutine.park_count;
  known.waitsince = goroutine.waitsince;
}

Snapshot build_traced_snapshot(const gobinary::GoBinary& binary, const GoroutineTableReader& names,
                               std::span<const LiveGoroutine> goroutines,
                               std::span<const DeadGoroutine> dead,
                               std::span<const GoroutineHistory> history,
                               const TracedCapture& capture, std::vector<GreenThread> recycled) {
  Snapshot snapshot;
  recycled.clear();
  snapshot.threads = std::move(recycled);
  snapshot.source = capture.source;
  snapshot.format = SourceFormat::kPprofProto;
  snapshot.runtime = RuntimeKind::kGo;
  snapshot.captured_at = capture.captured_at;
  snapshot.threads.reserve(goroutines.size() + dead.size());

  StackInterner stacks(snapshot);
  std::unordered_map<uint64_t, FrameId> creation_frame;  // by gopc
  auto symbolize_stack = [&](std::span<const uint64_t> pcs, std::vector<FrameId>& out) {
    for (size_t i = 0; i < pcs.size(); ++i) {
      // A goroutine that never ran resumes at its function's entry, not after a call.
      bool return_address = !(i == 0 && binary.function_entry_at(pcs[i]) == pcs[i]);
      for (const auto& frame : binary.symbolize(pcs[i], return_address)) {
        if (frame.function != "runtime.goexit") out.push_back(stacks.intern(frame));
      }
    }
  };

  // A status is one of a few dozen (state, wait reason, flags): named and classified once each.
  struct Status {
    std::string_view text;
    ThreadState state = ThreadState::kUnknown;
  };
  std::unordered_map<uint64_t, Status> status_of;
  auto status = [&](const LiveGoroutine& goroutine) {
    uint64_t key = uint64_t{goroutine.status} << 16 | uint64_t{goroutine.wait_reason} << 8 |
                   uint64_t{goroutine.leaked} << 1 | uint64_t{goroutine.in_bubble};
    auto [it, inserted] = status_of.try_emplace(key);
    if (inserted) {
      it->second.text = snapshot.intern(status_text(names, goroutine));
      it->second.state = classify_status(it->second.text);
    }
    return it->second;
  };

  auto created_by = [&](uint64_t gopc) {
    auto it = creation_frame.find(gopc);
    if (it == creation_frame.end()) {
      auto site = creation_site(binary, gopc);
      it = creation_frame.emplace(gopc, site ? stacks.intern(*site) : kNoFrame).first;
    }
    return it->second;
  };

  for (const auto& goroutine : goroutines) {
    GreenThread thread;
    thread.id = goroutine.goid;
    const Status named = status(goroutine);
    set_status(thread, named.text, named.state);
    thread.locked_to_thread = goroutine.locked_to_thread;
    thread.stack_unavailable = goroutine.stack_unavailable;

    thread.stack = stacks.stack(goroutine.pcs, symbolize_stack);

    // Goroutine 1 is started by the runtime's assembly; Go names no creator for it either.
    if (goroutine.gopc != 0 && goroutine.goid != 1) thread.created_by = created_by(goroutine.gopc);

    // The runtime keeps no park time: waitsince is the start of the first GC that found the
    // goroutine blocked, and the tracer sees each wait only from the snapshot that first showed
    // it. Both give lower bounds; the last capture before the wait and the goroutine's creation
    // give an upper bound, which caps a lower bound that overshoots it.
    std::optional<std::chrono::nanoseconds> wait, at_most;
    WaitPrecision precision = WaitPrecision::kUnknown;
    const bool blocked = goroutine.blocked();
    if (blocked && goroutine.waitsince > 0 && goroutine.waitsince <= capture.target_nanotime) {
      wait = std::chrono::nanoseconds(capture.target_nanotime - goroutine.waitsince);
      precision = WaitPrecision::kLowerBound;
    }
    auto since = [&](std::chrono::system_clock::time_point at) {
      return std::max(
          std::chrono::nanoseconds(0),
          std::chrono::duration_cast<std::chrono::nanoseconds>(capture.captured_at - at));
    };
    if (goroutine.slot < history.size()) {
      const GoroutineHistory& known = history[goroutine.slot];
      thread.created_at = known.created_at;
      if (known.created_at) {
        thread.created_at_precision =
            known.created_at_exact ? CreationPrecision::kMeasured : CreationPrecision::kInferred;
      }
      thread.creator_id = known.creator_goid;
      if (blocked && known.blocked_since && known.blocked_key == blocked_key(goroutine)) {
        // Seen in this wait since an earlier snapshot: at least that long, perhaps longer.
        auto seen = since(*known.blocked_since);
        if (!wait || seen > *wait) {
          wait = seen;
          precision = WaitPrecision::kLowerBound;
        }
        if (known.awake_at) at_most = since(*known.awake_at);
      }
      if (blocked && known.created_at) {
        auto age = since(*known.created_at);
        if (!at_most || age < *at_most) at_most = age;
      }
      if (wait && at_most && *wait > *at_most) {
        wait = at_most;
        precision = WaitPrecision::kCapped;
      }
      if (!known.creator_stack.empty()) {
        thread_labels::add_creation_stack(
            snapshot.intern(creation_stack_text(binary, known.creator_stack)), thread, snapshot);
      }
    }
    thread.wait = wait;
    thread.wait_precision = precision;
    for (const auto& [key, value] : goroutine.labels) {
      thread.labels.push_back(Label{.key = snapshot.intern(key), .str = snapshot.intern(value)});
    }
    snapshot.threads.push_back(std::move(thread));
  }

  // The dead: no wait and no history, their memory is the finding (docs/profile-labels.md).
  const std::string_view dead_status = snapshot.intern("dead");
  for (const auto& goroutine : dead) {
    GreenThread thread;
    thread.id = goroutine.goid;
    set_status(thread, dead_status, ThreadState::kExited);
    if (goroutine.startpc != 0) {
      thread.stack = stacks.stack(std::span(&goroutine.startpc, 1), symbolize_stack);
    }
    if (goroutine.gopc != 0) thread.created_by = created_by(goroutine.gopc);
    if (goroutine.stack_bytes != 0) {
      thread.labels.push_back(Label{.key = kStackBytes,
                                    .num = static_cast<int64_t>(goroutine.stack_bytes),
                                    .unit = "bytes",
                                    .numeric = true});
    }
    if (goroutine.g_bytes != 0) {
      thread.labels.push_back(
          Label{.key = kGBytes, .num = goroutine.g_bytes, .unit = "bytes", .numeric = true});
    }
    if (goroutine.free_list != FreeList::kUnknown) {
      thread.labels.push_back(Label{.key = kFreeList, .str = to_string(goroutine.free_list)});
    }
    snapshot.threads.push_back(std::move(thread));
  }
  return snapshot;
}

}  // namespace leakscan::trace
