#!/usr/bin/env bash
# What `leakscan watch` costs the machine it runs on: CPU seconds and peak RSS for POLLS polls of
# samples/go/bigleak (110,019 goroutines, 20 MB of debug=2 text a poll), every poll fetched,
# parsed, stored (fsync, rename) and analysed with the window's other snapshots.
# Usage: bench/watch_cost.sh [POLLS] [BIGLEAK] [LEAKSCAN]
#        (defaults: 5, build/tests/go-bin/go1.26/bigleak, build/cli/leakscan)
set -euo pipefail
polls=${1:-5}
bigleak=${2:-build/tests/go-bin/go1.26/bigleak}
leakscan=${3:-build/cli/leakscan}
dir=$(mktemp -d)
"$bigleak" > "$dir/bigleak.out" 2>&1 &
pid=$!
trap 'kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  grep -q '^LISTENING ' "$dir/bigleak.out" && break
  sleep 0.1
done
address=$(awk '/^LISTENING / { print $2 }' "$dir/bigleak.out")
/usr/bin/time -f '%U %S %M' -o "$dir/time" \
  "$leakscan" watch "http://$address" --every 2s --timeout 30s --polls "$polls" --out "$dir/out" \
  > "$dir/watch.out"
read -r user system kib < "$dir/time"
stored=$(du -sb "$dir/out" | cut -f1)
tail -n 1 "$dir/watch.out"
awk -v p="$polls" -v u="$user" -v s="$system" -v k="$kib" -v b="$stored" 'BEGIN {
  printf "%d polls: %.2f s CPU (%.3f s a poll), %.0f MB peak RSS, %.0f MB stored\n",
         p, u + s, (u + s) / p, k / 1024, b / 1e6 }'
