#pragma once

#include <cstdint>
#include <string>

#include "analyzer/model/result.h"

namespace leakscan {

// GET `url` with libcurl, bounded in time and in size. libcurl and the thirty libraries it
// pulls in are loaded on first use, not at start-up: they would cost every run 3 ms and 4 MB
// of memory that only URL inputs need.
Result<std::string> http_get(const std::string& url, uint64_t max_bytes);

}  // namespace leakscan
