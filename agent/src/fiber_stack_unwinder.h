// Unwinds a suspended Boost.Fiber fiber: runs libunwind on top of the fiber's own stack
// (Boost.Context's resume_with) and switches straight back, leaving the fiber suspended where it
// was. Only the thread that owns the fiber, between fibers, may call it.
#pragma once

#include <boost/fiber/context.hpp>
#include <cstddef>
#include <cstdint>
#include <span>

namespace leakscan::fibers::detail {

// Return addresses, innermost first, starting with the frame that suspended the fiber. Returns
// how many were written; 0 when the fiber is not suspended (running, or not yet started).
size_t unwind_suspended_fiber(boost::fibers::context& fiber, std::span<uintptr_t> out);

}  // namespace leakscan::fibers::detail
