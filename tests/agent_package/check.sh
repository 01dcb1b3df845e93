#!/usr/bin/env bash
# The agent as outside services link it, each way the READMEs give: the CMake package from the
# install tree and from the build tree, pkg-config from both; each with and without the
# GoogleTest listener. Every consumer is built in a temporary directory from a copy of this
# folder and run without LD_LIBRARY_PATH, so the rpath must find the library.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/agent_package/common.sh
source "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=$(consumer_cxx_flags "$build")
mkdir "$work/src"
cp "$here/CMakeLists.txt" "$here/consumer.cc" "$here/consumer_test.cc" "$work/src/"

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" --component agent >/dev/null
lib=$(ls "$prefix"/lib*/libleakscan-agent.so)

# libgcc_s must come before libunwind, or every throw in the service goes through libunwind.
needed=$(readelf -d "$lib" | awk '/NEEDED/ {print $5}' | tr -d '[]')
gcc_s=$(grep -n '^libgcc_s' <<<"$needed" | cut -d: -f1)
unwind=$(grep -n '^libunwind' <<<"$needed" | head -1 | cut -d: -f1)
if [ -z "$gcc_s" ] || [ -z "$unwind" ] || [ "$gcc_s" -gt "$unwind" ]; then
  fail "$lib needs libgcc_s before libunwind; NEEDED is: $(echo $needed)"
fi

# The service dumps its blocked fiber; the listener passes the clean test, fails the leaking
# one naming the leak, and the binary ends (a hang is killed by timeout and fails here).
run_consumers() {  # name dir with_gtest
  local name=$1 dir=$2 with_gtest=$3 status=0
  timeout 60 "$dir/consumer" >"$dir/consumer.out" 2>&1 ||
    fail "$name: consumer did not show its fiber blocked on [chan receive]: $(cat "$dir/consumer.out")"
  [ "$with_gtest" = yes ] || return 0
  timeout 60 "$dir/consumer_tests" --gtest_filter=Consumer.JoinsItsFiber >"$dir/clean.out" 2>&1 ||
    fail "$name: the clean test failed: $(cat "$dir/clean.out")"
  timeout 60 "$dir/consumer_tests" --gtest_filter=Consumer.LeavesAFiberBlocked \
    >"$dir/leak.out" 2>&1 || status=$?
  [ "$status" -eq 1 ] ||
    fail "$name: the leaking test should end the binary with 1, got $status: $(cat "$dir/leak.out")"
  grep -q '1 x chan receive' "$dir/leak.out" ||
    fail "$name: the listener did not name the leak: $(cat "$dir/leak.out")"
}

cmake_consumer() {  # name with_gtest cmake-args...
  local name=$1 with_gtest=$2 dir=$work/$1
  shift 2
  local options=(-DWITH_GTEST=OFF -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
                 -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON)
  # Without the listener, GTest and fmt must not be needed: CMake is told they do not exist.
  [ "$with_gtest" = no ] || options=(-DWITH_GTEST=ON)
  cmake -S "$work/src" -B "$dir" -G Ninja -DCMAKE_CXX_FLAGS="$flags" "${options[@]}" "$@" \
    >"$dir.log" 2>&1 || fail "$name: configure failed: $(cat "$dir.log")"
  cmake --build "$dir" -j2 >>"$dir.log" 2>&1 || fail "$name: build failed: $(cat "$dir.log")"
  run_consumers "$name" "$dir" "$with_gtest"
}

pkg_config_consumer() {  # name with_gtest pc_dir
  local name=$1 with_gtest=$2 pc_dir=$3 dir=$work/$1 agent gtest
  mkdir "$dir"
  # Only our .pc files are visible for the agent alone: gtest.pc and fmt.pc must not be needed.
  agent=$(PKG_CONFIG_LIBDIR=$pc_dir pkg-config --cflags --libs leakscan-agent) ||
    fail "$name: pkg-config leakscan-agent failed"
  # No -std flag of ours: the .pc must give C++20 (g++ 12 defaults to C++17).
  # shellcheck disable=SC2086
  g++ $flags -o "$dir/consumer" "$work/src/consumer.cc" $agent >"$dir.log" 2>&1 ||
    fail "$name: build failed: $(cat "$dir.log")"
  if [ "$with_gtest" = yes ]; then
    gtest=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs leakscan-agent-gtest) ||
      fail "$name: pkg-config leakscan-agent-gtest failed"
    # shellcheck disable=SC2086
    g++ $flags -o "$dir/consumer_tests" "$work/src/consumer_test.cc" $gtest >>"$dir.log" 2>&1 ||
      fail "$name: build failed: $(cat "$dir.log")"
  fi
  run_consumers "$name" "$dir" "$with_gtest"
}

for with_gtest in no yes; do
  cmake_consumer "cmake-install-gtest-$with_gtest" "$with_gtest" -DCMAKE_PREFIX_PATH="$prefix"
  cmake_consumer "cmake-build-tree-gtest-$with_gtest" "$with_gtest" \
    -Dleakscan-agent_DIR="$build/agent"
  pkg_config_consumer "pkg-config-install-gtest-$with_gtest" "$with_gtest" \
    "$(dirname "$lib")/pkgconfig"
  pkg_config_consumer "pkg-config-build-tree-gtest-$with_gtest" "$with_gtest" \
    "$build/agent/pkgconfig"
done
echo "check.sh: CMake (install and build tree) and pkg-config (install and build tree) each" \
  "build a working consumer, with and without the GoogleTest listener"
