#include "agent/src/unknown_stack.h"

#include <array>
#include <cstddef>

namespace leakscan::agent {
namespace unknown_stack {

// Never called: their names are the frame. Each has an address of its own (the standard
// forbids two functions comparing equal), and noinline keeps a body at it.
[[gnu::noinline, gnu::used]] void running_on_its_thread() { asm volatile(""); }
[[gnu::noinline, gnu::used]] void not_started_yet() { asm volatile(""); }
[[gnu::noinline, gnu::used]] void exited_not_released() { asm volatile(""); }
[[gnu::noinline, gnu::used]] void not_unwound_by_its_scheduler() { asm volatile(""); }

}  // namespace unknown_stack

UnknownStack unknown_stack_cause(const ThreadRecord& record) {
  switch (record.state) {
    case FiberState::kRunning:
      return UnknownStack::kRunning;
    case FiberState::kExited:
      return UnknownStack::kExited;
    case FiberState::kRunnable:
      return record.started ? UnknownStack::kNotUnwound : UnknownStack::kNotStarted;
    case FiberState::kWaiting:
    case FiberState::kSleeping:
    case FiberState::kFree:
      break;
  }
  return UnknownStack::kNotUnwound;
}

uintptr_t unknown_stack_pc(UnknownStack cause) {
  // In UnknownStack's order.
  static constexpr std::array<void (*)(), 4> kFunctions{
      &unknown_stack::running_on_its_thread, &unknown_stack::not_started_yet,
      &unknown_stack::exited_not_released, &unknown_stack::not_unwound_by_its_scheduler};
  // The symbolizer looks up the byte before a return address (the call): one past the entry
  // is inside the function.
  return reinterpret_cast<uintptr_t>(kFunctions[static_cast<size_t>(cause)]) + 1;
}

}  // namespace leakscan::agent
