#include "agent/src/fiber_stack_unwinder.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <boost/context/fiber.hpp>
#include <utility>

namespace leakscan::fibers::detail {
namespace {

// Boost keeps a fiber's continuation private. An explicit instantiation may name private
// members (C++ [temp.spec]/6), which is how this reads them without patching Boost.
template <typename Tag, typename Tag::type Member>
struct PrivateMember {
  friend typename Tag::type member_pointer(Tag /*unused*/) { return Member; }
};

struct ContextContinuation {
  using type = boost::context::fiber boost::fibers::context::*;
  friend type member_pointer(ContextContinuation);
};
template struct PrivateMember<ContextContinuation, &boost::fibers::context::c_>;

struct ContinuationStackPointer {
  using type = boost::context::detail::fcontext_t boost::context::fiber::*;
  friend type member_pointer(ContinuationStackPointer);
};
template struct PrivateMember<ContinuationStackPointer, &boost::context::fiber::fctx_>;

struct ContextTerminated {
  using type = bool boost::fibers::context::*;
  friend type member_pointer(ContextTerminated);
};
template struct PrivateMember<ContextTerminated, &boost::fibers::context::terminated_>;

}  // namespace

bool fiber_terminated(const boost::fibers::context& fiber) {
  return fiber.*member_pointer(ContextTerminated{});
}

size_t unwind_suspended_fiber(boost::fibers::context& fiber, std::span<uintptr_t> out) {
  boost::context::fiber& continuation = fiber.*member_pointer(ContextContinuation{});
  // The suspended fiber's saved stack pointer: frames below it are the unwinder's own, run on
  // top of the fiber's stack; the fiber's frames start above it.
  auto saved_sp =
      reinterpret_cast<uintptr_t>(continuation.*member_pointer(ContinuationStackPointer{}));
  if (saved_sp == 0) return 0;
  size_t depth = 0;
  continuation = std::move(continuation).resume_with([&](boost::context::fiber&& back) {
    unw_context_t registers;
    unw_cursor_t cursor;
    if (unw_getcontext(&registers) == 0 && unw_init_local(&cursor, &registers) == 0) {
      while (depth < out.size() && unw_step(&cursor) > 0) {
        unw_word_t ip = 0;
        unw_word_t sp = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &ip);
        unw_get_reg(&cursor, UNW_REG_SP, &sp);
        if (sp <= saved_sp) continue;
        if (ip == 0) break;
        out[depth++] = ip;
      }
    }
    // Back to the caller; the fiber stays suspended here until its scheduler resumes it, and
    // then returns what its own suspended switch expects: the continuation that resumed it.
    back = std::move(back).resume();
    return std::move(back);
  });
  return depth;
}

}  // namespace leakscan::fibers::detail
