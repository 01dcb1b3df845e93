#pragma once

#include <optional>
#include <type_traits>
#include <utility>

namespace leakscan {
namespace compact_optional {

// What converts to the value, other than the optional itself and std::nullopt.
template <typename U, typename T, typename Optional>
concept ValueOf =
    std::is_convertible_v<U&&, T> && !std::is_same_v<std::remove_cvref_t<U>, Optional> &&
    !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t>;

// What compares with the value (std::chrono::minutes with nanoseconds), other than optionals.
template <typename U, typename T, typename Optional>
concept ComparableWith = !std::is_same_v<U, Optional> && !std::is_same_v<U, std::nullopt_t> &&
                         !std::is_same_v<U, std::optional<T>> && requires(const T& t, const U& u) {
  t == u;
};

}  // namespace compact_optional

// An optional that spends no byte on "is set": one value of T, which `None::value()` names and
// no reader means, stands for "not set". A million green threads carry two optional times each,
// and std::optional doubles each to 16 bytes. Reads and writes like std::optional, and converts
// to and from it, so that callers need not know.
template <typename T, typename None>
class CompactOptional {
 public:
  using value_type = T;

  constexpr CompactOptional() noexcept : value_(None::value()) {}
  constexpr CompactOptional(std::nullopt_t) noexcept : value_(None::value()) {}  // NOLINT
  template <compact_optional::ValueOf<T, CompactOptional> U = T>
  constexpr CompactOptional(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT
  constexpr CompactOptional(const std::optional<T>& value)                  // NOLINT
      : value_(value ? *value : None::value()) {}

  constexpr operator std::optional<T>() const {  // NOLINT
    return has_value() ? std::optional<T>(value_) : std::nullopt;
  }

  constexpr bool has_value() const { return !(value_ == None::value()); }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const T& operator*() const { return value_; }
  constexpr T& operator*() { return value_; }
  constexpr const T* operator->() const { return &value_; }
  constexpr T* operator->() { return &value_; }
  constexpr const T& value() const {
    if (!has_value()) throw std::bad_optional_access();
    return value_;
  }
  template <typename U>
  constexpr T value_or(U&& otherwise) const {
    return has_value() ? value_ : static_cast<T>(std::forward<U>(otherwise));
  }
  constexpr void reset() { value_ = None::value(); }
  template <typename... Args>
  constexpr T& emplace(Args&&... args) {
    value_ = T(std::forward<Args>(args)...);
    return value_;
  }

  friend constexpr bool operator==(const CompactOptional&, const CompactOptional&) = default;
  friend constexpr bool operator==(const CompactOptional& a, std::nullopt_t) {
    return !a.has_value();
  }
  friend constexpr bool operator==(const CompactOptional& a, const std::optional<T>& b) {
    return a == CompactOptional(b);
  }
  template <compact_optional::ComparableWith<T, CompactOptional> U>
  friend constexpr bool operator==(const CompactOptional& a, const U& b) {
    return a.has_value() && a.value_ == b;
  }

 private:
  T value_;
};

// The least value of a std::chrono duration or time point: never a wait nor a creation time.
template <typename T>
struct LeastOf {
  static constexpr T value() { return T::min(); }
};

}  // namespace leakscan
