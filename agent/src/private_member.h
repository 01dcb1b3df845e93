// Boost.Fiber keeps what the agent needs to know about a fiber private (its continuation, its
// terminated flag, its sleep link). An explicit instantiation may name private members (C++
// [temp.spec]/6), which is how the agent reads them without patching Boost:
//
//   struct ContextTerminated {
//     using type = bool boost::fibers::context::*;
//     friend type member_pointer(ContextTerminated);
//   };
//   template struct PrivateMember<ContextTerminated, &boost::fibers::context::terminated_>;
//   ... fiber.*member_pointer(ContextTerminated{}) ...
//
// Declare each tag in namespace leakscan::fibers::detail, where the friend is defined, and
// instantiate it once in the library.
#pragma once

namespace leakscan::fibers::detail {

template <typename Tag, typename Tag::type Member>
struct PrivateMember {
  friend typename Tag::type member_pointer(Tag /*unused*/) { return Member; }
};

}  // namespace leakscan::fibers::detail
