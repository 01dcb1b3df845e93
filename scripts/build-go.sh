#!/usr/bin/env bash
# Build the Go sample programs (zoo, bigleak, leakyservice, and leaktrace three
# ways: plain, stripped, with cgo) and the pprofcheck validator.
# Usage: scripts/build-go.sh OUTDIR
# Needs Debian's golang-go (Go 1.19) and golang-github-google-pprof-dev.
# Offline, standard library only; safe to rerun.
set -euo pipefail

die() { echo "build-go.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)

# Debian's Go 1.19, the version every live test is verified against; the machine's newer Go
# (first on PATH) comes in with the tests that run each version.
GO=${GO:-/usr/lib/go-1.19/bin/go}
command -v "$GO" >/dev/null || die "'$GO' not found (apt-get install golang-1.19-go)"
PPROF_SRC=/usr/share/gocode/src/github.com/google/pprof/profile
[ -d "$PPROF_SRC" ] || die "$PPROF_SRC missing (apt-get install golang-github-google-pprof-dev)"

# Everything Go writes stays under OUTDIR, whatever HOME or user we run as.
export GOCACHE="$OUT/gocache" GOMODCACHE="$OUT/gomodcache" GOENV=off
export GOPROXY=off GOFLAGS=-trimpath GOSUMDB=off GOWORK=off CGO_ENABLED=0
unset GOROOT GOOS GOARCH

echo "build-go.sh: $("$GO" version) -> $OUT" >&2
(cd "$ROOT/samples/go" &&
	GO111MODULE=on "$GO" build -o "$OUT/zoo" ./zoo &&
	GO111MODULE=on "$GO" build -o "$OUT/bigleak" ./bigleak &&
	GO111MODULE=on "$GO" build -o "$OUT/leakyservice" ./leakyservice &&
	GO111MODULE=on "$GO" build -o "$OUT/leaktrace" ./leaktrace &&
	GO111MODULE=on "$GO" build -ldflags='-s -w' -o "$OUT/leaktrace-stripped" ./leaktrace &&
	CGO_ENABLED=1 GO111MODULE=on "$GO" build -o "$OUT/leaktrace-cgo" ./leaktrace) ||
	die "building samples/go failed"
(cd "$ROOT/tests/go/pprofcheck" &&
	GOPATH=/usr/share/gocode GO111MODULE=off "$GO" build -o "$OUT/pprofcheck" .) ||
	die "building tests/go/pprofcheck failed"
for b in zoo bigleak leakyservice leaktrace leaktrace-stripped leaktrace-cgo pprofcheck; do
	[ -x "$OUT/$b" ] || die "$OUT/$b was not produced"
done
echo "build-go.sh: built $OUT/zoo $OUT/bigleak $OUT/leakyservice $OUT/leaktrace{,-stripped,-cgo} $OUT/pprofcheck" >&2
