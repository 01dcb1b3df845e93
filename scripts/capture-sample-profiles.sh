#!/usr/bin/env bash
# Regenerates samples/profiles/ from a real run of samples/go/zoo: its goroutine profile as
# served by net/http/pprof (debug=0, 1 and 2). Usage: scripts/capture-sample-profiles.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/listening.sh
. "$root/scripts/listening.sh"
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$root/scripts/build-go.sh" "$work/bin"
"$work/bin/zoo" >"$work/zoo.out" 2>"$work/zoo.err" &
pid=$!
address=$(wait_listening "$work/zoo.out" "$work/zoo.err" "$pid" 10)
out=$root/samples/profiles
mkdir -p "$out"
curl -sS --fail --max-time 30 -o "$out/zoo-debug0.pb.gz" "http://$address/debug/pprof/goroutine?debug=0"
curl -sS --fail --max-time 30 -o "$out/zoo-debug1.txt" "http://$address/debug/pprof/goroutine?debug=1"
curl -sS --fail --max-time 30 -o "$out/zoo-debug2.txt" "http://$address/debug/pprof/goroutine?debug=2"
echo "captured zoo's goroutine profiles into $out"
