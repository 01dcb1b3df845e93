// Go's own proof beside a fetched dump: a target that serves /debug/pprof/goroutine may also
// serve /debug/pprof/goroutineleak (Go 1.27; Go 1.26 built with
// GOEXPERIMENT=goroutineleakprofile), whose goroutines its GC proved can never run again.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/engine/http_fetch.h"
#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

// The leak profile's URL (debug=1: compact, and it names each leak's stack once) for a URL of
// the goroutine profile, with or without a query; none for any other URL.
std::optional<std::string> leak_profile_url(std::string_view goroutine_url);

// Fetches and reads the leak profile beside `goroutine_url`. None where the URL is not the
// goroutine profile's or the target does not serve the leak profile (404: an older Go, or
// the experiment off); an error where it answers with something else or what cannot be read.
// Serving it costs the target one garbage collection.
Result<std::optional<Snapshot>> fetch_leak_profile(std::string_view goroutine_url,
                                                   const ReadLimits& limits,
                                                   const HttpOptions& http);

}  // namespace leakscan
