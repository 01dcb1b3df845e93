#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a consumer of the agent
# twice, through the CMake package and through pkg-config; checks the library's link order.
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)

cmake --install "$build" --prefix "$work/prefix" >/dev/null
lib=$(ls "$work"/prefix/lib*/libleakscan-agent.so)

# libgcc_s must come before libunwind, or every throw in the service goes through libunwind.
needed=$(readelf -d "$lib" | awk '/NEEDED/ {print $5}' | tr -d '[]')
gcc_s=$(grep -n '^libgcc_s' <<<"$needed" | cut -d: -f1)
unwind=$(grep -n '^libunwind' <<<"$needed" | head -1 | cut -d: -f1)
if [ -z "$gcc_s" ] || [ -z "$unwind" ] || [ "$gcc_s" -gt "$unwind" ]; then
  echo "check.sh: $lib needs libgcc_s before libunwind; NEEDED is:" >&2
  echo "$needed" >&2
  exit 1
fi

# The consumer is compiled as the library was (a sanitizer build needs its runtime in both).
flags=$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$build/CMakeCache.txt")
cmake -S "$here" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH=$(dirname "$lib") "$work/cmake-build/consumer" >"$work/cmake.out"
grep -q "nobody_sends\|main" "$work/cmake.out"

export PKG_CONFIG_PATH=$(dirname "$lib")/pkgconfig
# shellcheck disable=SC2046
# shellcheck disable=SC2086
g++ -std=c++20 $flags -o "$work/pkg-consumer" "$here/consumer.cc" \
  $(pkg-config --cflags --libs leakscan-agent)
LD_LIBRARY_PATH=$(dirname "$lib") "$work/pkg-consumer" >"$work/pkg.out"
echo "check.sh: the CMake package and pkg-config both build a working consumer"
