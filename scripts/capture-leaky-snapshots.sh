#!/usr/bin/env bash
# Regenerates samples/profiles/leakyservice-{1,2,3}.{txt,pb.gz}: three real snapshots of
# samples/go/leakyservice under load, a few seconds apart, as debug=2 dumps and debug=0
# profiles. Each round sends every leaking route a few requests, keeps a long-poll in flight and
# an idle keep-alive connection open. Usage: scripts/capture-leaky-snapshots.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/listening.sh
. "$root/scripts/listening.sh"
work=$(mktemp -d)
pid=
poll_pid=
cleanup() {
  for p in $poll_pid $pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$root/scripts/build-go.sh" "$work/bin"
"$work/bin/leakyservice" -poll 30s >"$work/out" 2>"$work/err" &
pid=$!
address=$(wait_listening "$work/out" "$work/err" "$pid" 10)
routes=$(awk '$1 == "SEEDED" {print $5}' "$work/out")
out=$root/samples/profiles
curl -s --max-time 60 "http://$address/api/poll" >/dev/null &
poll_pid=$!
for round in 1 2 3; do
  for route in $routes; do
    for _ in $(seq $((round * 2 + 1))); do
      curl -s --max-time 5 -o /dev/null "http://$address$route"
    done
  done
  sleep 1  # past the service's -work time, so every leak has parked
  curl -sS --fail --max-time 30 -o "$out/leakyservice-$round.txt" \
    "http://$address/debug/pprof/goroutine?debug=2"
  curl -sS --fail --max-time 30 -o "$out/leakyservice-$round.pb.gz" \
    "http://$address/debug/pprof/goroutine?debug=0"
  sleep 2
done
echo "captured three snapshots of leakyservice into $out"
