#!/usr/bin/env bash
# Installs every Debian package leakscan's build, tests and benchmarks need. Idempotent; run as
# root on Debian 12 (apt-get update runs first, as a fresh machine's package lists are empty).
set -euo pipefail

packages=(
  # build
  # (ccache: the presets compile through it, so CI's four builds and a rebuild share objects)
  cmake ninja-build g++ pkg-config ccache
  libprotobuf-dev protobuf-compiler libfmt-dev libcli11-dev zlib1g-dev libre2-dev
  libtomlplusplus-dev
  # eBPF tracer (bpf/): libbpf, bpftool for skeletons, libelf and libdw for reading Go binaries
  # (clang, below, compiles the BPF programs); wrk loads the traced server in the benchmark
  libbpf-dev bpftool libelf-dev libdw-dev wrk
  # C++ agent (agent/): Boost.Fiber and Boost.Context, libunwind for suspended fibers' stacks
  libboost-fiber-dev libboost-context-dev libunwind-dev
  # tests: GoogleTest, libcurl for fetching from live Go programs, Debian's Go 1.19 for the
  # ground-truth programs under samples/go and tests/go (the tests also build them with the
  # `go` first on PATH, Go 1.26, which Debian 12 does not package, and Go 1.27 through
  # GOTOOLCHAIN; Go modules such as pprof's profile package come from the module proxy)
  libgtest-dev libgmock-dev libcurl4-openssl-dev golang-1.19-go golang-go curl
  # benchmarks: Google Benchmark, the peer (panicparse) and /usr/bin/time
  libbenchmark-dev panicparse time
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizers' runtimes; the style
  # checks (.clang-format, .clang-tidy)
  clang libclang-rt-14-dev clang-format clang-tidy
  # Python bindings (python/): headers, pybind11, and pandas, NumPy and pytest for Debian's
  # /usr/bin/python3
  python3-dev pybind11-dev python3-pybind11 python3-pandas python3-numpy python3-pytest
  # Python extras: plots (matplotlib), the notebook run by README's command (nbconvert,
  # nbclient, nbformat, the python3 kernel from ipykernel), fleet analysis on Dask
  # (distributed), and README's pip install offline into a virtual environment (venv,
  # setuptools, pip)
  python3-matplotlib python3-nbconvert python3-nbclient python3-nbformat python3-ipykernel
  python3-distributed python3-venv python3-setuptools python3-pip
  # SARIF checked against the official 2.1.0 schema (from npm, below) by python3-jsonschema,
  # its uris by python3-rfc3987
  python3-jsonschema python3-rfc3987 nodejs
  # the HTML report's browser test (tests/browser/): headless Chromium, driven by playwright-core
  chromium
  # tests/hostile/: the Markdown report rendered by CommonMark's reference parser, to see that
  # nothing in a dump becomes a link, an image or a tag
  cmark
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps.sh: ${#packages[@]} packages present"
# npm ships with nodejs from NodeSource; Debian's own nodejs needs its npm package.
command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends npm >/dev/null
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The HTML report is bundled at build time from npm packages (report-ui/package-lock.json):
# `npm ci` once, online; the build itself needs no network after that.
npm ci --prefix "$ROOT/report-ui" --no-audit --no-fund --loglevel=error
echo "install-deps.sh: report-ui's npm packages present"
# The SARIF 2.1.0 schema tests/sarif/test_sarif_schema.py validates against, pinned by its lock.
npm ci --prefix "$ROOT/tests/sarif" --no-audit --no-fund --silent
case "$(go version 2>/dev/null)" in
  *go1.2[6-9]*) ;;
  *) echo "install-deps.sh: warning: 'go' on PATH is not Go 1.26 or later (the tests build with it; install it under /usr/local/go from go.dev/dl)" >&2 ;;
esac
