#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan {

struct HttpOptions {
  // The whole request, connecting included: a target that accepts and never answers must not
  // hold its caller (`leakscan watch` polls on a schedule).
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
  // "Name: value" lines sent with every request: "Authorization: Bearer …" for an agent with a
  // token, or what a proxy in front of the target asks for. Never in any message.
  std::vector<std::string> headers;
};

// GET `url` with libcurl, bounded in time and in size. libcurl and the thirty libraries it
// pulls in are loaded on first use, not at start-up: they would cost every run 3 ms and 4 MB
// of memory that only URL inputs need.
// `url` without "user:password@": what messages, reports and file names may show of it.
std::string without_userinfo(std::string_view url);

Result<std::string> http_get(const std::string& url, uint64_t max_bytes,
                             const HttpOptions& options = {});

}  // namespace leakscan
