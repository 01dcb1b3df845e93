#include "analyzer/analysis/system_frame_filter.h"

#include "analyzer/analysis/shape_index.h"

namespace leakscan {
namespace {

// What the runtime says the thread waits for: Go's status is its wait reason; an agent's state
// is "waiting" and its wait reason the precise one (sync.Mutex.Lock on a fiber mutex).
std::string_view blocking_status(const GoroutineRecord& record) {
  if (record.thread == nullptr) return {};
  return record.thread->wait_reason.empty() ? record.thread->status : record.thread->wait_reason;
}

// "chan receive (nil chan)" refines "chan receive"; an agent's "sleeping" is not a kind of
// "sleep", but a state its frames say more about.
bool refines(std::string_view status, std::string_view operation) {
  return status.starts_with(operation) &&
         (status.size() == operation.size() || status[operation.size()] == ' ');
}

}  // namespace

void SystemFrameFilter::run(AnalysisInput& input) const {
  ShapeIndex classified;
  uint32_t snapshot = UINT32_MAX;
  for (auto& record : input.records) {
    if (record.disposition != Disposition::kKept) continue;
    if (record.snapshot != snapshot) {
      classified.clear();  // stacks and frame ids are per snapshot
      snapshot = record.snapshot;
    }
    auto index = static_cast<uint32_t>(&record - input.records.data());
    uint32_t first = classified.first_of_shape(input.records, index, blocking_status);
    if (first != index) {
      const GoroutineRecord& same = input.records[first];
      record.blocking_operation = same.blocking_operation;
      record.blocked_at = same.blocked_at;
      record.blocked_depth = same.blocked_depth;
      record.disposition = same.disposition;
      record.why = same.why;
      continue;
    }
    classify(input.snapshots[record.snapshot], record);
  }
}

std::string_view SystemFrameFilter::named_blocking_operation(const Snapshot& snapshot,
                                                             Stack stack) const {
  const RuntimeKind runtime = rules_runtime(snapshot);
  // The outermost names what the goroutine waits for: sync.(*WaitGroup).Wait rather than the
  // sync.runtime_Semacquire it calls, runtime.chanrecv1 rather than runtime.gopark.
  std::string_view operation;
  for (FrameId id : stack) {
    std::string_view function = snapshot.frame(id).function;
    if (is_user_frame(snapshot, id)) break;
    for (const auto& rule : rules_.blocking) {
      if (!applies_to(rule.runtime, runtime)) continue;
      for (const auto& name : rule.functions) {
        if (function_matches(name, function)) operation = rule.operation;
      }
    }
  }
  return operation;
}

void SystemFrameFilter::classify(const Snapshot& snapshot, GoroutineRecord& record) const {
  const Stack stack = record.stack();
  record.blocking_operation = named_blocking_operation(snapshot, stack);
  // The runtime's status is more precise where it refines the same operation ("chan receive
  // (nil chan)"), and all there is where runtime frames are hidden (debug=2 before Go 1.21).
  std::string_view status = blocking_status(record);
  if (!status.empty() &&
      (record.blocking_operation.empty() || refines(status, record.blocking_operation))) {
    record.blocking_operation = status;
  }
  // debug=1 profiles print no runtime frame and no status: the operation is not in the input.
  if (record.blocking_operation.empty()) record.blocking_operation = "an unknown operation";

  bool has_user_frame = false;
  for (size_t depth = 0; depth < stack.size(); ++depth) {
    if (is_user_frame(snapshot, stack[depth])) {
      record.blocked_at = stack[depth];
      record.blocked_depth = static_cast<uint32_t>(depth);
      has_user_frame = true;
      break;
    }
  }
  if (record.blocked_at == kNoFrame && !stack.empty()) record.blocked_at = stack.front();

  Candidate candidate{.stack = stack,
                      .creator = record.created_by() != kNoFrame
                                     ? snapshot.frame(record.created_by()).function
                                     : std::string_view(),
                      .has_user_frame = has_user_frame};
  candidate.creator_is_user = is_user_frame(snapshot, record.created_by());
  const RuntimeKind runtime = rules_runtime(snapshot);
  for (const auto& rule : rules_.system) {
    if (applies_to(rule.runtime, runtime) && matches(rule, snapshot, candidate)) {
      record.disposition = Disposition::kSystem;
      record.why = rule.why;
      return;
    }
  }
}

bool SystemFrameFilter::matches(const SystemRule& rule, const Snapshot& snapshot,
                                const Candidate& candidate) {
  const Stack stack = candidate.stack;
  if (!rule.top_function.empty()) {
    if (stack.empty() || !function_matches(rule.top_function, snapshot.frame(stack[0]).function)) {
      return false;
    }
  }
  if (!rule.any_function.empty()) {
    bool found = false;
    for (FrameId id : stack) {
      if (function_matches(rule.any_function, snapshot.frame(id).function)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (!rule.created_by.empty() && !function_matches(rule.created_by, candidate.creator)) {
    return false;
  }
  if (rule.created_by_runtime && candidate.creator_is_user) return false;
  return !rule.no_user_frame || !candidate.has_user_frame;
}

}  // namespace leakscan
