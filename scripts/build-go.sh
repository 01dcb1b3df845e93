#!/usr/bin/env bash
# Build the Go sample programs (zoo, bigleak, leakyservice, and spike and leaktrace four ways
# each: plain, stripped, PIE, with cgo), the pprofcheck validator, from Go 1.20 the
# leakygotest test binary, from Go 1.22 the wakepool tracer, and from Go 1.26 zoo-leakprofile
# (with the goroutine leak profile) and the grpc-go service tests/go/grpcservice, with one Go
# toolchain.
# Usage: scripts/build-go.sh GO OUTDIR
#   GO      a go command: /usr/lib/go-1.19/bin/go (Debian's), go (the machine's), or
#           go@go1.27.3, which runs `go` with GOTOOLCHAIN=go1.27.3 (fetched from the module proxy)
#   OUTDIR  where the binaries go; Go's caches stay under OUTDIR/.. (shared by every version)
# Modules (pprof's profile package, goleak) come from the module proxy, checked against go.sum.
# Safe to rerun.
set -euo pipefail

die() { echo "build-go.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 GO OUTDIR"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=$1
mkdir -p "$2" || die "cannot create $2"
OUT=$(cd "$2" && pwd)
CACHE=$(cd "$OUT/.." && pwd)/go-cache

# Everything Go writes stays under the build tree, whatever HOME or user we run as.
export GOPATH="$CACHE/gopath" GOMODCACHE="$CACHE/gomodcache" GOCACHE="$OUT/gocache" GOENV=off
export GOFLAGS=-trimpath GOWORK=off CGO_ENABLED=0 GO111MODULE=on GOTOOLCHAIN=local
export GOPROXY=${GOPROXY:-https://proxy.golang.org}
unset GOROOT GOOS GOARCH
if [[ "$GO" == *@* ]]; then
	GOTOOLCHAIN=${GO#*@}
	GO=${GO%@*}
fi
command -v "$GO" >/dev/null || die "'$GO' not found"
VERSION=$("$GO" env GOVERSION) || die "'$GO' (GOTOOLCHAIN=$GOTOOLCHAIN) does not run"

echo "build-go.sh: $VERSION -> $OUT" >&2
(cd "$ROOT/samples/go" &&
	"$GO" build -o "$OUT/zoo" ./zoo &&
	"$GO" build -o "$OUT/bigleak" ./bigleak &&
	"$GO" build -o "$OUT/leakyservice" ./leakyservice &&
	"$GO" build -o "$OUT/deadlocks" ./deadlocks &&
	"$GO" build -o "$OUT/spike" ./spike &&
	"$GO" build -buildmode=pie -o "$OUT/spike-pie" ./spike &&
	"$GO" build -ldflags='-s -w' -o "$OUT/spike-stripped" ./spike &&
	CGO_ENABLED=1 "$GO" build -o "$OUT/spike-cgo" ./spike &&
	"$GO" build -o "$OUT/leaktrace" ./leaktrace &&
	"$GO" build -ldflags='-s -w' -o "$OUT/leaktrace-stripped" ./leaktrace &&
	"$GO" build -buildmode=pie -o "$OUT/leaktrace-pie" ./leaktrace &&
	CGO_ENABLED=1 "$GO" build -o "$OUT/leaktrace-cgo" ./leaktrace) ||
	die "building samples/go with $VERSION failed"
(cd "$ROOT/tests/go/pprofcheck" && "$GO" build -mod=readonly -o "$OUT/pprofcheck" .) ||
	die "building tests/go/pprofcheck with $VERSION failed"
# A test binary (`go test -c`) that leaks under goleak and hangs past -test.timeout; goleak
# v1.3.0 needs Go 1.20.
MINOR=$(echo "$VERSION" | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "$MINOR" -ge 20 ]; then
	(cd "$ROOT/tests/go/leakygotest" && "$GO" test -mod=readonly -c -o "$OUT/leakygotest.test" .) ||
		die "building tests/go/leakygotest with $VERSION failed"
fi
# A worker pool traced by runtime/trace in the format leakscan-gotrace reads (Go 1.22 on).
if [ "$MINOR" -ge 22 ]; then
	(cd "$ROOT/tests/go/wakepool" && "$GO" build -mod=readonly -o "$OUT/wakepool" .) ||
		die "building tests/go/wakepool with $VERSION failed"
fi
# The goroutine leak profile (/debug/pprof/goroutineleak) is an experiment to build in with Go
# 1.26 and always there from Go 1.27, which no longer knows the experiment's name.
if [ "$MINOR" -ge 26 ]; then
	EXPERIMENT=goroutineleakprofile
	[ "$MINOR" -ge 27 ] && EXPERIMENT=
	(cd "$ROOT/samples/go" && GOEXPERIMENT=$EXPERIMENT "$GO" build -o "$OUT/zoo-leakprofile" ./zoo) ||
		die "building zoo-leakprofile ($VERSION) failed"
	(cd "$ROOT/samples/go" && GOEXPERIMENT=$EXPERIMENT "$GO" build -o "$OUT/deadlocks-leakprofile" ./deadlocks) ||
		die "building deadlocks-leakprofile ($VERSION) failed"
	(cd "$ROOT/samples/go/bugs" && GOEXPERIMENT=$EXPERIMENT "$GO" build -o "$OUT/bugs-leakprofile" .) ||
		die "building bugs-leakprofile ($VERSION) failed"
	# A gRPC service on grpc-go of today (v1.85 needs Go 1.26).
	(cd "$ROOT/tests/go/grpcservice" && "$GO" build -mod=readonly -o "$OUT/grpcservice" .) ||
		die "building tests/go/grpcservice with $VERSION failed"
fi
for b in zoo bigleak leakyservice leaktrace leaktrace-stripped leaktrace-pie leaktrace-cgo pprofcheck; do
	[ -x "$OUT/$b" ] || die "$OUT/$b was not produced"
done
echo "$VERSION" >"$OUT/VERSION"
echo "build-go.sh: built $OUT/{zoo,bigleak,leakyservice,leaktrace{,-stripped,-pie,-cgo},pprofcheck} with $VERSION" >&2
