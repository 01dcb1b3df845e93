#!/usr/bin/env bash
# What `leakscan trace` costs the traced program, side by side in one run: requests/s of
# samples/go/leaktrace's /hello (one short-lived goroutine per request) under wrk on loopback,
# untraced, traced in the default mode (memory snapshots, lifecycle uprobes 10% of the time)
# and with --all-events, interleaved run by run, for each Go version; then the time of one
# memory snapshot of bigleak at each size in BIGLEAK_NS (built by the last version).
# Needs root (uprobes). Env: LEAKSCAN (default build/cli/leakscan), SECONDS_PER_RUN
# (default 20, a multiple of the 10 s duty period), RUNS (default 3; 0 times bigleak only),
# WRK_THREADS (1), WRK_CONNECTIONS (16), GO_VERSIONS ("NAME=GO ...", scripts/build-go.sh's GO;
# default the three the tests run on), BIGLEAK_NS (default "100000 630000": ~110,000 and
# ~640,000 goroutines with its 10,016 others).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/listening.sh
. "$ROOT/scripts/listening.sh"
LEAKSCAN=${LEAKSCAN:-$ROOT/build/cli/leakscan}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
RUNS=${RUNS:-3}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
GO_VERSIONS=${GO_VERSIONS:-go1.19=/usr/lib/go-1.19/bin/go go1.26=go go1.27=go@go1.27.3}
BIGLEAK_NS=${BIGLEAK_NS:-100000 630000}

die() { echo "trace_overhead.sh: error: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (uprobes need CAP_BPF and CAP_PERFMON)"
[ -x "$LEAKSCAN" ] || die "$LEAKSCAN missing (build it first)"
command -v wrk >/dev/null || die "wrk missing (apt-get install wrk)"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# requests_per_second: one bounded wrk run against /hello.
requests_per_second() {
	wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout 5s \
		"http://$ADDR/hello" | awk '/^Requests\/sec:/{printf "%.0f", $2}'
}

# traced NAME MODE_ARGS...: requests/s while `leakscan trace` runs with the given arguments;
# its summary is kept in $TMP/NAME.sites.
traced() {
	local name=$1
	shift
	: >"$TMP/trace.err"
	"$LEAKSCAN" trace --pid "$TARGET" --out "$TMP/trace" --every 30s "$@" \
		2>"$TMP/trace.err" >"$TMP/$name.sites" &
	local tracer=$! i
	for ((i = 0; i < 100; i++)); do
		grep -q "snapshot 1:" "$TMP/trace.err" && break
		kill -0 "$tracer" 2>/dev/null || { cat "$TMP/trace.err" >&2; die "leakscan trace failed"; }
		sleep 0.1
	done
	requests_per_second
	kill -INT "$tracer"
	wait "$tracer" || { cat "$TMP/trace.err" >&2; die "leakscan trace failed"; }
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for pair in $GO_VERSIONS; do
	NAME=${pair%%=*}
	"$ROOT/scripts/build-go.sh" "${pair#*=}" "$TMP/$NAME" 2>/dev/null || die "building with ${pair#*=} failed"
	VERSION=$(cat "$TMP/$NAME/VERSION")
	BIN=$TMP/$NAME
	[ "$RUNS" -gt 0 ] || continue  # only bigleak's snapshots, by the last version
	: >"$TMP/leaktrace.out"
	"$BIN/leaktrace" >"$TMP/leaktrace.out" 2>"$TMP/leaktrace.err" &
	TARGET=$!
	PIDS+=("$TARGET")
	ADDR=$(wait_listening "$TMP/leaktrace.out" "$TMP/leaktrace.err" "$TARGET" 60) ||
		die "leaktrace did not start"
	echo "$NAME ($VERSION): leaktrace /hello, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS, ${SECONDS_PER_RUN}s per run, $RUNS runs each, requests/s:"
	printf '%-6s %12s %14s %14s\n' run untraced default all-events
	: >"$TMP/untraced" && : >"$TMP/default" && : >"$TMP/all"
	for run in $(seq "$RUNS"); do
		u=$(requests_per_second)
		d=$(traced default)
		a=$(traced all --all-events)
		echo "$u" >>"$TMP/untraced"
		echo "$d" >>"$TMP/default"
		echo "$a" >>"$TMP/all"
		printf '%-6s %12s %14s %14s\n' "$run" "$u" "$d" "$a"
	done
	U=$(median <"$TMP/untraced")
	D=$(median <"$TMP/default")
	A=$(median <"$TMP/all")
	printf '%-6s %12s %14s %14s\n' median "$U" "$D" "$A"
	awk -v u="$U" -v d="$D" -v a="$A" \
		'BEGIN {printf "throughput lost: default %.1f %%, --all-events %.1f %%\n", 100*(u-d)/u, 100*(u-a)/u}'
	echo "last runs' probes: default: $(sed -n 's/^creation sites, \(.*\):$/\1/p' "$TMP/default.sites")"
	echo "                   --all-events: $(sed -n 's/^creation sites, \(.*\):$/\1/p' "$TMP/all.sites")"
	kill "$TARGET"
	wait "$TARGET" 2>/dev/null || true
done

for n in $BIGLEAK_NS; do
	: >"$TMP/bigleak.out"
	"$BIN/bigleak" -n "$n" >"$TMP/bigleak.out" 2>"$TMP/bigleak.err" &
	BIGLEAK=$!
	PIDS+=("$BIGLEAK")
	wait_listening "$TMP/bigleak.out" "$TMP/bigleak.err" "$BIGLEAK" 300 >/dev/null ||
		die "bigleak did not start"
	"$LEAKSCAN" trace --pid "$BIGLEAK" --out "$TMP/big" --probe-duty 0 --every 3s --duration 10s \
		2>"$TMP/big.err" >/dev/null || { cat "$TMP/big.err" >&2; die "leakscan trace on bigleak failed"; }
	echo "memory snapshot of bigleak -n $n ($VERSION), per snapshot:"
	# The first snapshot of a run reads every stack and pays its arrays' page faults; the
	# median is of the others, which read only the stacks of goroutines that ran.
	sed -n 's/.*snapshot \([0-9]*\): \([0-9]*\) goroutines .*(memory read in \([0-9.]*\) ms, written in \([0-9.]*\) ms)/\2 \3 \4/p' "$TMP/big.err" >"$TMP/big.times"
	awk '{printf "  %s goroutines: memory read %s ms, profile built and written %s ms, together %.1f ms\n", $1, $2, $3, $2 + $3}' "$TMP/big.times"
	echo "  median of snapshots 2 to $(wc -l <"$TMP/big.times"): $(awk 'NR > 1 {print $2 + $3}' "$TMP/big.times" | median) ms together"
	kill "$BIGLEAK"
	wait "$BIGLEAK" 2>/dev/null || true
	rm -rf "$TMP/big"
done
