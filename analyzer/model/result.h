// Errors are values inside the library; the CLI turns them into exit codes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace leakscan {

// What kind of failure, for a front end that has something to add: the CLI names the flag
// that raises a limit, Python raises its own exception type.
enum class ErrorKind : uint8_t {
  kInvalidInput,  // the input is not what it should be (also: missing, unreadable)
  kTooLarge,      // the input is larger than the configured limit allows
  kOverBudget,    // what the input would build needs more memory than its budget allows
  kOutOfMemory,   // the machine had less memory than the budget allowed
  kNotServed,     // an HTTP server answered 404: it has no such endpoint
};

// One line, already naming the file and the line or byte offset where it applies. It speaks of
// the input, never of a command-line flag.
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kInvalidInput;
};

// A minimal std::expected (C++23) for C++20: either a value or an Error.
template <typename T>
class Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// For operations that produce nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace leakscan
