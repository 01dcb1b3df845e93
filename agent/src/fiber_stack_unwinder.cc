#include "agent/src/fiber_stack_unwinder.h"

#include <unwind.h>

#include <boost/context/fiber.hpp>
#include <utility>

#include "agent/src/private_member.h"

namespace leakscan::fibers::detail {

LEAKSCAN_PRIVATE_MEMBER(ContextContinuation, boost::fibers::context, boost::context::fiber, c_);
LEAKSCAN_PRIVATE_MEMBER(ContinuationStackPointer, boost::context::fiber,
                        boost::context::detail::fcontext_t, fctx_);

namespace {

struct UnwindState {
  uintptr_t saved_sp = 0;
  std::span<uintptr_t> out;
  size_t depth = 0;
  uintptr_t previous_cfa = 0;
};

_Unwind_Reason_Code collect_frame(_Unwind_Context* context, void* argument) {
  auto& state = *static_cast<UnwindState*>(argument);
  uintptr_t ip = _Unwind_GetIP(context);
  // A frame's stack pointer is its callee's canonical frame address: frames whose stack lies
  // below the fiber's saved one are the unwinder's own, run on top of the fiber's stack.
  bool fibers_own = state.previous_cfa > state.saved_sp;
  state.previous_cfa = _Unwind_GetCFA(context);
  if (!fibers_own) return _URC_NO_REASON;
  if (ip == 0 || state.depth == state.out.size()) return _URC_END_OF_STACK;
  state.out[state.depth++] = ip;
  return _URC_NO_REASON;
}

// libgcc's unwinder, not libunwind's unw_step: libgcc finds each frame's unwind table through
// glibc's lock-free _dl_find_object, where libunwind 1.6 masks and unmasks every signal twice
// per frame (two system calls).
[[gnu::noinline]] size_t unwind_above(uintptr_t saved_sp, std::span<uintptr_t> out) {
  UnwindState state{saved_sp, out};
  _Unwind_Backtrace(collect_frame, &state);
  return state.depth;
}

}  // namespace

size_t unwind_suspended_fiber(boost::fibers::context& fiber, std::span<uintptr_t> out) {
  boost::context::fiber& continuation = fiber.*member_pointer(ContextContinuation{});
  // The suspended fiber's saved stack pointer: frames below it are the unwinder's own, run on
  // top of the fiber's stack; the fiber's frames start above it.
  auto saved_sp =
      reinterpret_cast<uintptr_t>(continuation.*member_pointer(ContinuationStackPointer{}));
  if (saved_sp == 0) return 0;
  size_t depth = 0;
  continuation = std::move(continuation).resume_with([&](boost::context::fiber&& back) {
    depth = unwind_above(saved_sp, out);
    // Back to the caller; the fiber stays suspended here until its scheduler resumes it, and
    // then returns what its own suspended switch expects: the continuation that resumed it.
    back = std::move(back).resume();
    return std::move(back);
  });
  return depth;
}

}  // namespace leakscan::fibers::detail
