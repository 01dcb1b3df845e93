#include "analyzer/engine/leak_profile_fetch.h"

#include <fmt/format.h>

#include "analyzer/engine/http_fetch.h"
#include "analyzer/readers/read_snapshots.h"

namespace leakscan {

std::optional<std::string> leak_profile_url(std::string_view goroutine_url) {
  constexpr std::string_view kGoroutinePath = "/debug/pprof/goroutine";
  std::string_view path = goroutine_url.substr(0, goroutine_url.find_first_of("?#"));
  if (!path.ends_with(kGoroutinePath)) return std::nullopt;
  return fmt::format("{}leak?debug=1", path);
}

Result<std::optional<Snapshot>> fetch_leak_profile(std::string_view goroutine_url,
                                                   const ReadLimits& limits,
                                                   const HttpOptions& http) {
  auto url = leak_profile_url(goroutine_url);
  if (!url) return std::optional<Snapshot>();
  auto body = http_get(*url, limits.max_input_bytes, http);
  if (!body) {
    if (body.error().kind == ErrorKind::kNotServed) return std::optional<Snapshot>();
    return body.error();
  }
  const std::string name = without_userinfo(*url);
  auto snapshots = read_snapshots_from_memory(*body, name, limits);
  if (!snapshots) return snapshots.error();
  // Go before 1.26 serves unknown profile names with 404; a proxy might answer 200 with a page.
  if (snapshots->size() != 1 || !snapshots->front().proven_leaked) {
    return Error{fmt::format("{}: expected Go's goroutineleak profile (debug=1 text)", name)};
  }
  return std::optional<Snapshot>(std::move(snapshots->front()));
}

}  // namespace leakscan
