#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan, UBSan) and runs each for a bounded
# time, seeded from the real captures the tests use; prints executions and coverage per target.
# A crash stops the script with libFuzzer's report and the input that caused it.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 >/dev/null

run() {
  local target=$1 max_len=$2
  shift 2
  local corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n "$@" "$corpus"/ 2>/dev/null || true
  local log=build-fuzz/$target.log
  if ! "build-fuzz/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="build-fuzz/$target-" \
      >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz.sh: $target failed; the input is in build-fuzz/$target-*" >&2
    exit 1
  fi
  local runs cov
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-14s %10s executions in %ss, %6s coverage points, corpus %s inputs\n' \
    "$target" "$runs" "$seconds" "$cov" "$(find "$corpus" -type f | wc -l)"
}

# Inputs up to 64 KiB: mutating megabyte dumps is slow, and every reader path shows up in less.
captures=(tests/data/corpus/*.txt tests/data/corpus/*.gz tests/data/handwritten/*.txt samples/profiles/*)
# Every reader through sniffing, then the writers and the whole analysis (the pipeline).
run fuzz_readers 65536 "${captures[@]}"
# The pprof reader alone, raw and behind gzip.
run fuzz_pprof 65536 samples/profiles/*.pb.gz tests/data/corpus/*.gz
# The debug=1 and debug=2-family readers alone.
run fuzz_text_readers 65536 tests/data/corpus/*.txt tests/data/handwritten/*.txt samples/profiles/*.txt
# Rules (shared and each runtime's), baseline and CODEOWNERS files.
run fuzz_config 4096 analyzer/analysis/default_rules.toml analyzer/runtimes/*/rules.toml
