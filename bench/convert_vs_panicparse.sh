#!/usr/bin/env bash
# Compare `leakscan convert` and the full analysis (`leakscan DUMP`) with panicparse on a debug=2 dump of bigleak
# (100,000 goroutines in chan send, 10,000 in WaitGroup.Wait, 16 idle workers).
# Env: LEAKSCAN (default build/cli/leakscan), PANICPARSE (default
# /usr/bin/panicparse), GO (default Debian's Go 1.19), BIGLEAK_N (default 100000), RUNS (default 5).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/listening.sh
. "$ROOT/scripts/listening.sh"
LEAKSCAN=${LEAKSCAN:-$ROOT/build/cli/leakscan}
PANICPARSE=${PANICPARSE:-/usr/bin/panicparse}
GO=${GO:-/usr/lib/go-1.19/bin/go}
BIGLEAK_N=${BIGLEAK_N:-100000}
RUNS=${RUNS:-5}
READER_BENCH=${READER_BENCH:-$ROOT/build/bench/reader_bench}
TIME=/usr/bin/time

die() { echo "convert_vs_panicparse.sh: error: $*" >&2; exit 1; }
[ -x "$TIME" ] || die "$TIME missing (apt-get install time)"
command -v curl >/dev/null || die "curl missing"

TMP=$(mktemp -d)
BIGLEAK_PID=
cleanup() {
	if [ -n "$BIGLEAK_PID" ]; then
		kill "$BIGLEAK_PID" 2>/dev/null || true
		wait "$BIGLEAK_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

"$ROOT/scripts/build-go.sh" "$GO" "$TMP/bin"

"$TMP/bin/bigleak" -n "$BIGLEAK_N" >"$TMP/bigleak.out" 2>"$TMP/bigleak.err" &
BIGLEAK_PID=$!
ADDR=$(wait_listening "$TMP/bigleak.out" "$TMP/bigleak.err" "$BIGLEAK_PID" 60) ||
	die "bigleak did not start"

DUMP=$TMP/bigleak-debug2.txt
curl -sS --fail --max-time 300 -o "$DUMP" "http://$ADDR/debug/pprof/goroutine?debug=2" ||
	die "fetching the goroutine dump failed"
kill "$BIGLEAK_PID"
wait "$BIGLEAK_PID" 2>/dev/null || true
BIGLEAK_PID=

BYTES=$(stat -c %s "$DUMP")
GOROUTINES=$(grep -c '^goroutine ' "$DUMP" || true)
echo "dump: $BYTES bytes ($((BYTES / 1048576)) MiB), $GOROUTINES goroutines"

# measure NAME CMD...: run CMD $RUNS times under /usr/bin/time; sets
# BEST_WALL (best wall seconds, to the millisecond: /usr/bin/time only gives
# hundredths) and PEAK_KB (largest max RSS seen).
measure() {
	local name=$1 i wall kb start end
	shift
	BEST_WALL='' PEAK_KB=0
	for i in $(seq "$RUNS"); do
		start=$(date +%s%N)
		if ! "$TIME" -f '%M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/$name.err" </dev/null; then
			cat "$TMP/$name.err" >&2
			die "$name failed (run $i)"
		fi
		end=$(date +%s%N)
		wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
		read -r kb <"$TMP/time"
		if [ -z "$BEST_WALL" ] || awk -v a="$wall" -v b="$BEST_WALL" 'BEGIN{exit !(a < b)}'; then
			BEST_WALL=$wall
		fi
		if [ "$kb" -gt "$PEAK_KB" ]; then PEAK_KB=$kb; fi
	done
}

# panicparse prints to stdout; -no-color keeps it plain whatever the terminal,
# -parse=false skips reading Go sources, -rebase=false skips guessing GOROOT.
measure panicparse "$PANICPARSE" -no-color -rebase=false -parse=false "$DUMP"
PP_WALL=$BEST_WALL PP_KB=$PEAK_KB

HAVE_LEAKSCAN=0
if [ -x "$LEAKSCAN" ]; then
	HAVE_LEAKSCAN=1
	measure leakscan "$LEAKSCAN" convert "$DUMP" -o "$TMP/out.pb.gz"
	LS_WALL=$BEST_WALL LS_KB=$PEAK_KB
	# The full analysis: read, five layers, JSON report.
	measure analysis "$LEAKSCAN" "$DUMP" --format json
	AN_WALL=$BEST_WALL AN_KB=$PEAK_KB
fi

echo
echo "best of $RUNS runs"
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}'; }
if [ "$HAVE_LEAKSCAN" = 1 ]; then
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1fx", a / b; else print "inf" }'; }
	per_input() { awk -v k="$1" -v b="$BYTES" 'BEGIN{printf "%.2f", k * 1024 / b}'; }
	printf '%-22s %10s %16s %14s %12s\n' tool "wall s" "peak RSS MiB" "faster than pp" "RSS / input"
	printf '%-22s %10s %16s\n' "panicparse -parse=false" "$PP_WALL" "$(mib "$PP_KB")"
	printf '%-22s %10s %16s %14s %12s\n' "leakscan convert" "$LS_WALL" "$(mib "$LS_KB")" \
		"$(ratio "$PP_WALL" "$LS_WALL")" "$(per_input "$LS_KB")"
	printf '%-22s %10s %16s %14s %12s\n' "leakscan (analysis)" "$AN_WALL" "$(mib "$AN_KB")" \
		"$(ratio "$PP_WALL" "$AN_WALL")" "$(per_input "$AN_KB")"
else
	printf 'panicparse -parse=false: %s s, %s MiB\n' "$PP_WALL" "$(mib "$PP_KB")"
	echo "leakscan: missing ($LEAKSCAN not built yet); only panicparse measured"
fi

if [ -x "$READER_BENCH" ]; then
	echo
	echo "text reader alone (input in memory, Google Benchmark):"
	LEAKSCAN_BENCH_INPUTS=$DUMP "$READER_BENCH" --benchmark_filter='^read/' 2>/dev/null | tail -n +4
fi
