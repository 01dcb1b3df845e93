// What `go test` prints around goroutine stacks: goleak's report of a test that leaked
// ("found unexpected goroutines: [Goroutine 7 in state chan receive, with F on top of the
// stack: ...]") and the dump of a test binary that hit -timeout ("panic: test timed out after
// 2s" with "running tests:"). Both keep the test's name on its goroutines as the pprof label
// `test`, the anchor a report names.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/line_reader.h"

namespace leakscan {

inline constexpr std::string_view kTestLabel = "test";

// True when `head` holds goleak's report and no goroutine dump of Go's own.
bool looks_like_goleak(std::string_view head);

// goleak's reports in `text`, one snapshot of every goroutine they list; each goroutine is
// labelled with the test whose "--- FAIL: TestName" line comes before its report.
Result<std::vector<Snapshot>> read_goleak(std::string_view text, const std::string& name,
                                          const ReadLimits& limits);

// The tests a timed-out test binary names under "running tests:" ("TestHang (2s)" ->
// "TestHang"), empty for any other input.
std::vector<std::string> running_tests(std::string_view head);

// Labels each goroutine running one of `tests` (a frame of pkg.TestName) and every goroutine it
// created, transitively ("created by ... in goroutine N", Go 1.21+), with test=NAME.
void label_test_goroutines(std::span<const std::string> tests, Snapshot& snapshot);

}  // namespace leakscan
