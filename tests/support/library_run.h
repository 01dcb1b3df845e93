// Snapshots read from files and analyzed through the library, as the end-to-end tests of the
// sample services do it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/engine/find_leaks.h"
#include "analyzer/model/snapshot.h"

namespace leakscan::testing {

struct LibraryRun {
  std::vector<Snapshot> snapshots;
  Analysis analysis;
};

// Reads each file (one snapshot each), gives those without a capture time the matching one of
// `fetched_at`, and analyzes them with the rules of `config` added (none: ""); nothing (and a test
// failure) when a step fails.
std::unique_ptr<LibraryRun> analyze_files(
    const std::vector<std::string>& paths,
    const std::vector<std::chrono::system_clock::time_point>& fetched_at,
    const std::string& config);

// Captures `base`/debug/pprof/goroutine as debug=2 and debug=0 into `prefix`.txt and
// `prefix`.pb.gz, appending the paths to `debug2` and `debug0`; false if either fetch failed.
bool capture_goroutines(const std::string& base, const std::string& prefix,
                        std::vector<std::string>& debug2, std::vector<std::string>& debug0);

// A config whose wait thresholds are one second (the tests run for seconds, not minutes);
// returns its path under `dir`.
std::string write_one_second_thresholds(const std::string& dir);

}  // namespace leakscan::testing
