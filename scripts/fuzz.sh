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
  # README's budget for an input of max_len (6 times it plus 64 MiB), as the hostile suite
  # allows it under AddressSanitizer: a blow-up past it is a failure, not a slow run.
  local rss_limit=$(((6 * max_len / 1048576 + 64) * 4 + 512))
  if ! "build-fuzz/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb="$rss_limit" -max_len="$max_len" -print_final_stats=1 -artifact_prefix="build-fuzz/$target-" \
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

# Hostile seeds (issue 23), generated: a goroutine printed again and again (each repeat a new
# dump), counts and waits past any range, control bytes in names, UTF-16.
seeds=build-fuzz/hostile-seeds
mkdir -p "$seeds"
/usr/bin/python3 - "$seeds" <<'PY'
import sys, os
d = sys.argv[1]
g = b"goroutine 1 [chan receive, 10 minutes]:\nmain.leak(...)\n\t/app/main.go:10 +0x1d\n\n"
open(os.path.join(d, "repeated-ids.txt"), "wb").write(g * 5000)
open(os.path.join(d, "absurd-counts.txt"), "wb").write(
    b"goroutine profile: total 2\n9223372036854775807 @ 0x1\n#\t0x1\tmain.a+0x1\t/a.go:1\n\n"
    b"9223372036854775807 @ 0x2\n#\t0x2\tmain.b+0x1\t/b.go:1\n\n")
open(os.path.join(d, "absurd-wait.txt"), "wb").write(
    g.replace(b"10 minutes", b"9223372036854775807 minutes") + g.replace(b"10 ", b"-5 ").replace(b"goroutine 1", b"goroutine 2"))
open(os.path.join(d, "escapes.txt"), "wb").write(
    b"panic: \x1b[2J\x1b]52;c;eA==\x07\n\n" + g.replace(b"main.leak", b"main.\x1b]0;t\x07`x`<img>\xc2\x9b"))
open(os.path.join(d, "utf16.txt"), "wb").write(g.decode().encode("utf-16"))
PY

# Text inputs up to 1 MiB, where repeated ids amplify; the others up to 64 KiB: mutating
# megabyte dumps is slow, and every reader path shows up in less.
captures=(tests/data/corpus/*.txt tests/data/corpus/*.gz tests/data/handwritten/*.txt samples/profiles/* "$seeds"/*)
# Every reader through sniffing, then the writers and the whole analysis (the pipeline).
run fuzz_readers 65536 "${captures[@]}"
# The pprof reader alone, raw and behind gzip.
run fuzz_pprof 65536 samples/profiles/*.pb.gz tests/data/corpus/*.gz
# The debug=1 and debug=2-family readers alone.
run fuzz_text_readers 1048576 tests/data/corpus/*.txt tests/data/handwritten/*.txt samples/profiles/*.txt "$seeds"/*
# Rules (shared and each runtime's), baseline and CODEOWNERS files.
run fuzz_config 4096 analyzer/analysis/default_rules.toml analyzer/runtimes/*/rules.toml
