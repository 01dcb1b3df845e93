#include "analyzer/model/trace_window.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "analyzer/model/text_format.h"

namespace leakscan {

namespace {
constexpr std::string_view kWindowWord = " window";
}  // namespace

std::string trace_window_reason(std::chrono::nanoseconds length,
                                std::optional<std::chrono::system_clock::time_point> end) {
  std::string out =
      fmt::format("{}{}{}", kGoTraceReasonPrefix, format_duration(length), kWindowWord);
  if (end) {
    out += fmt::format(" ending {:%Y-%m-%dT%H:%M:%SZ}",
                       fmt::gmtime(std::chrono::system_clock::to_time_t(*end)));
  }
  return out;
}

std::optional<std::chrono::nanoseconds> trace_window(std::string_view reason) {
  if (!reason.starts_with(kGoTraceReasonPrefix)) return std::nullopt;
  reason.remove_prefix(kGoTraceReasonPrefix.size());
  auto end = reason.find(kWindowWord);
  if (end == std::string_view::npos) return std::nullopt;
  return parse_duration(reason.substr(0, end));
}

bool is_go_trace_comment(std::string_view comment) {
  return comment.starts_with("leakscan: ") &&
         comment.find(" execution trace, ") != std::string_view::npos &&
         comment.find("(Go 1.") != std::string_view::npos;
}

}  // namespace leakscan
