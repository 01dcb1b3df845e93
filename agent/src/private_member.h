// Boost.Fiber keeps what the agent needs to know about a fiber private (its continuation, its
// terminated flag, its sleep link). An explicit instantiation may name private members (C++
// [temp.spec]/6), which is how the agent reads them without patching Boost:
//
//   LEAKSCAN_PRIVATE_MEMBER(ContextTerminated, boost::fibers::context, bool, terminated_);
//   ... fiber.*member_pointer(ContextTerminated{}) ...
//
// Use it in namespace leakscan::fibers::detail, where the friend is defined, once per tag in
// the library.
#pragma once

namespace leakscan::fibers::detail {

template <typename Tag, typename Tag::type Member>
struct PrivateMember {
  friend typename Tag::type member_pointer(Tag /*unused*/) { return Member; }
};

}  // namespace leakscan::fibers::detail

// A macro: the tag's friend declaration and the explicit instantiation must name the class and
// the member literally, at namespace scope.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define LEAKSCAN_PRIVATE_MEMBER(Tag, Class, Type, member) \
  struct Tag {                                            \
    using type = Type Class::*;                           \
    friend type member_pointer(Tag);                      \
  };                                                      \
  template struct PrivateMember<Tag, &Class::member>
