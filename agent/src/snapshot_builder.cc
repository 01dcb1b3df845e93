#include "agent/src/snapshot_builder.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <span>

#include "agent/src/symbolizer.h"
#include "agent/src/unknown_stack.h"
#include "analyzer/model/text_format.h"
#include "analyzer/model/thread_labels.h"
#include "analyzer/model/user_code.h"
#include "producer/stack_interner.h"

namespace leakscan::agent {
namespace {

ThreadState to_thread_state(FiberState state) {
  switch (state) {
    case FiberState::kRunning:
      return ThreadState::kRunning;
    case FiberState::kRunnable:
      return ThreadState::kRunnable;
    case FiberState::kWaiting:
      return ThreadState::kWaiting;
    case FiberState::kSleeping:
      return ThreadState::kSleeping;
    case FiberState::kExited:
      return ThreadState::kExited;
    case FiberState::kFree:
      break;
  }
  return ThreadState::kUnknown;
}

RuntimeKind to_runtime_kind(Runtime runtime) {
  switch (runtime) {
    case Runtime::kBoostFiber:
      return RuntimeKind::kBoostFiber;
    case Runtime::kCppCoroutine:
      return RuntimeKind::kCppCoroutine;
    case Runtime::kOther:
      break;
  }
  return RuntimeKind::kUnknown;
}

// Builds one snapshot; frames and stacks are symbolized once per distinct pc list.
class SnapshotWriter {
 public:
  SnapshotWriter(Snapshot& snapshot, Symbolizer& symbolizer)
      : stacks_(snapshot), snapshot_(snapshot), symbolizer_(symbolizer) {}

  Stack stack(const std::vector<uintptr_t>& pcs) {
    return stacks_.stack(pcs, [this](std::span<const uint64_t> pcs, std::vector<FrameId>& ids) {
      for (uintptr_t pc : pcs) {
        for (const SourceFrame& frame : symbolizer_.frames(pc)) {
          // The fiber's entry: below it lie Boost's and the standard library's calling
          // machinery, nothing of the program's.
          if (frame.function.starts_with("boost::fibers::worker_context<") ||
              frame.function.starts_with("boost::context::detail::fiber_")) {
            drop_invoking_frames(ids);
            return;
          }
          ids.push_back(stacks_.intern(frame));
        }
      }
      drop_invoking_frames(ids);
    });
  }

  // Where a green thread was created: the creator's stack from the first frame of the
  // program's own code outwards, the site first; empty when no frame is the program's. A
  // coroutine's creator stack starts in its promise's constructor, called by the coroutine's
  // ramp function: the site is the frame after the ramp, the call of the coroutine.
  struct Creation {
    FrameId site = kNoFrame;
    std::string stack;  // "f file:line <- g file:line", as the tracer and labels write it
  };
  Creation creation(const std::vector<uintptr_t>& creator_pcs, bool coroutine) {
    std::vector<SourceFrame> frames;
    for (uintptr_t pc : creator_pcs) {
      auto at_pc = symbolizer_.frames(pc);
      frames.insert(frames.end(), at_pc.begin(), at_pc.end());
    }
    auto start = frames.begin();
    if (coroutine) {
      start = std::find_if(frames.begin(), frames.end(), [](const SourceFrame& frame) {
        return !frame.function.starts_with("leakscan::") &&
               frame.function.find("promise_type") == std::string_view::npos;
      });
      if (start != frames.end()) ++start;  // the ramp
    }
    auto site = std::find_if(start, frames.end(), [this](const SourceFrame& frame) {
      return is_user_frame(snapshot_, Frame{frame.function, frame.file, frame.line});
    });
    if (site == frames.end()) return {};
    Creation out{.site = stacks_.intern(*site)};
    for (auto frame = site; frame != frames.end(); ++frame) {
      if (!out.stack.empty()) out.stack += " <- ";
      out.stack += format_site(frame->function, frame->file, frame->line);
    }
    return out;
  }

 private:
  // Below the program's outermost frame lies only what called it: std::invoke for a fiber,
  // the thread's start (std::thread, libc, clone) for a thread's main fiber.
  void drop_invoking_frames(std::vector<FrameId>& ids) const {
    auto outermost = std::find_if(ids.rbegin(), ids.rend(),
                                  [this](FrameId id) { return is_user_frame(snapshot_, id); });
    if (outermost != ids.rend()) {
      ids.erase(outermost.base(), ids.end());
      return;
    }
    while (!ids.empty() && snapshot_.frame(ids.back()).function.starts_with("std::")) {
      ids.pop_back();
    }
  }

  StackInterner stacks_;
  Snapshot& snapshot_;
  Symbolizer& symbolizer_;
};

}  // namespace

std::vector<Snapshot> build_snapshots(Registry& registry, Symbolizer& symbolizer,
                                      const SnapshotOptions& options) {
  auto [answered, asked] = registry.collect_stacks(options.stack_timeout);
  std::vector<ThreadRecord> records = registry.records();
  auto captured_at = std::chrono::system_clock::now();
  int64_t now_mono = detail::monotonic_coarse_ns();

  // One snapshot per runtime, in a fixed order; always at least one, so an empty registry
  // still makes a valid (empty) profile.
  std::map<Runtime, size_t> index;
  for (const auto& record : records) index.emplace(record.runtime, 0);
  if (index.empty()) index.emplace(Runtime::kBoostFiber, 0);
  std::vector<Snapshot> snapshots(index.size());
  std::vector<std::unique_ptr<SnapshotWriter>> writers;
  size_t next = 0;
  for (auto& [runtime, position] : index) {
    position = next++;
    Snapshot& snapshot = snapshots[position];
    snapshot.source = fmt::format("leakscan agent, pid {}", getpid());
    snapshot.format = SourceFormat::kPprofProto;
    snapshot.runtime = to_runtime_kind(runtime);
    snapshot.captured_at = captured_at;
    if (answered < asked) {
      snapshot.warnings.push_back(fmt::format(
          "{} of {} fiber schedulers did not unwind their fibers within {} ms (busy in a "
          "long-running fiber); their fibers' stacks are missing",
          asked - answered, asked, options.stack_timeout.count()));
    }
    writers.push_back(std::make_unique<SnapshotWriter>(snapshot, symbolizer));
  }

  for (const auto& record : records) {
    // A coroutine awaiting another is part of that one's stack, not a green thread of its own.
    if (record.runtime == Runtime::kCppCoroutine && record.awaiting_child) continue;
    size_t position = index.at(record.runtime);
    Snapshot& snapshot = snapshots[position];
    SnapshotWriter& writer = *writers[position];
    GreenThread thread;
    thread.id = record.id;
    thread.state = to_thread_state(record.state);
    thread.status = to_string(thread.state);
    bool parked = record.state == FiberState::kWaiting || record.state == FiberState::kSleeping;
    if (parked) {
      if (record.wait_reason != nullptr) thread.wait_reason = snapshot.intern(record.wait_reason);
      thread.wait =
          std::chrono::nanoseconds(std::max<int64_t>(0, now_mono - record.parked_mono_ns));
      thread.wait_precision = WaitPrecision::kExact;
    }
    thread.created_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(record.created_unix_ns)));
    thread.creator_id = record.creator_id;
    thread.stack = writer.stack(record.stack_pcs);
    // Nothing of its own: not unwound, or only Boost's entry machinery (a fiber not started).
    if (thread.stack.empty()) {
      thread.stack = writer.stack({unknown_stack_pc(unknown_stack_cause(record))});
    }
    auto creation = writer.creation(record.creator_pcs, record.runtime == Runtime::kCppCoroutine);
    thread.created_by = creation.site;
    // The registry stamps the creation itself: a measured time, and the creator's own stack.
    thread.created_at_precision = CreationPrecision::kMeasured;
    if (!creation.stack.empty()) {
      thread_labels::add_creation_stack(snapshot.intern(creation.stack), thread, snapshot);
    }
    if (record.wait_object != nullptr) {
      thread.labels.push_back(Label{.key = thread_labels::kWaitObject,
                                    .str = snapshot.intern(fmt::format("{}", record.wait_object))});
    }
    if (record.labels != nullptr) {
      for (const auto& [key, value] : record.labels->labels) {
        thread.labels.push_back(Label{.key = snapshot.intern(key), .str = snapshot.intern(value)});
      }
    }
    snapshot.threads.push_back(std::move(thread));
  }
  return snapshots;
}

}  // namespace leakscan::agent
