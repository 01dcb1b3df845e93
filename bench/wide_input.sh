#!/usr/bin/env bash
# Analysis and conversion of a dump whose every goroutine has a stack of its own: the widest
# input there is (a million clusters from a million goroutines), against the budget README
# states. Prints seconds and peak RSS, and their ratio to the input's size.
# Usage: bench/wide_input.sh [GOROUTINES] [LEAKSCAN]   (defaults: 1000000, build/cli/leakscan)
set -euo pipefail
n=${1:-1000000}
leakscan=${2:-build/cli/leakscan}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dump=$dir/wide.txt
# One goroutine a distinct blocking function and creator: what a code generator or a reflection-
# heavy service can produce, and the worst case for clustering.
awk -v n="$n" 'BEGIN {
  for (i = 1; i <= n; i++) {
    printf "goroutine %d [chan receive]:\nmain.handler%d(...)\n\t/app/h%d.go:%d +0x1d\n", i, i, i, i
    printf "created by main.spawn%d\n\t/app/main.go:%d +0x2f\n\n", i, i
  }
}' > "$dump"
bytes=$(stat -c %s "$dump")
measure() {
  local what=$1; shift
  /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >/dev/null
  read -r seconds kib < "$dir/time"
  awk -v w="$what" -v s="$seconds" -v k="$kib" -v b="$bytes" 'BEGIN {
    printf "%-24s %7.2f s  %8.0f MB peak RSS  %5.2fx input\n", w, s, k / 1024, k * 1024 / b }'
}
printf '%s goroutines, %s distinct stacks: %.0f MB of debug=2 text\n' "$n" "$n" "$((bytes / 1000000))"
measure "analysis (--format json)" "$leakscan" "$dump" --format json
measure "convert to pprof" "$leakscan" convert "$dump" -o "$dir/wide.pb.gz"
