#!/usr/bin/env bash
# The deadlock suite's table: every shape of samples/go/deadlocks (the tuned set and the held-out
# set, marked *), run once like a unit test with Go 1.19, 1.26 and 1.27 and dumped a second later,
# judged by leakscan from that one debug=2 dump and from three dumps a second apart, beside what
# Go's own goroutineleak profile proves (Go 1.26 with the experiment, Go 1.27). It is the ctest
# DeadlockPrograms.VerdictsFromOneDumpByWhoCanWakeThem, printed whole.
# Usage: bench/deadlocks.sh [BUILD_DIR]   (default: build; configured and built by the release preset)
set -euo pipefail
build=${1:-build}
binary=$build/tests/deadlock_programs_tests
if [[ ! -x $binary ]]; then
  echo "bench/deadlocks.sh: $binary is missing: cmake --preset release && cmake --build --preset release" >&2
  exit 2
fi
"$binary" --gtest_filter=DeadlockPrograms.VerdictsFromOneDumpByWhoCanWakeThem |
  awk '/^go  +shape/ { on = 1 } on && /^\[/ { exit } on { print }'
