#!/usr/bin/env bash
# Every C++ block of the given Markdown files builds against the agent, as a reader would
# paste it (through the build tree's pkg-config files). A block is a whole program, compiled
# and linked, unless the line before its fence is `<!-- snippet: fragment -->`: then it is
# statements, compiled as the body of a function after the agent's public headers
# (fragment_prelude below). Compile errors name the Markdown file and line (#line).
set -euo pipefail
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/agent_package/common.sh
source "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=$(consumer_cxx_flags "$build")
agent=$(PKG_CONFIG_PATH=$build/agent/pkgconfig pkg-config --cflags --libs leakscan-agent-gtest)

fragment_prelude() {
  echo '#include <boost/fiber/all.hpp>'
  echo '#include <csignal>'
  for header in "$here"/../../agent/include/leakscan/agent/*.h \
                "$here"/../../agent/testing/include/leakscan/testing/*.h; do
    echo "#include <leakscan/${header#*/include/leakscan/}>"
  done
  echo '[[maybe_unused]] static void snippet() {'
}

# Writes each block to <prefix>-<n>.<program|fragment>, its first line a #line directive.
extract() {  # markdown prefix
  awk -v out="$2" -v src="$1" '
    /^<!-- snippet: fragment -->$/ { fragment = 1; next }
    /^```(cpp|c\+\+)$/ {
      n++
      file = sprintf("%s-%d.%s", out, n, fragment ? "fragment" : "program")
      printf "#line %d \"%s\"\n", NR + 1, src > file
      in_block = 1
      fragment = 0
      next
    }
    in_block && /^```$/ { in_block = 0; close(file); next }
    in_block { print > file; next }
    NF { fragment = 0 }  # the mark belongs to the block right after it
  ' "$1"
}

documents=0
for markdown in "$@"; do
  documents=$((documents + 1))
  extract "$markdown" "$work/doc$documents"
  compgen -G "$work/doc$documents-*" >/dev/null || fail "$markdown: no \`\`\`cpp block found"
done

failures=0
for block in "$work"/*.program "$work"/*.fragment; do
  [ -e "$block" ] || continue
  source_file=$block.cc
  if [[ $block == *.fragment ]]; then
    { fragment_prelude; cat "$block"; echo '}'; } >"$source_file"
    # shellcheck disable=SC2086
    g++ $flags -c -o "$block.o" "$source_file" $agent 2>"$block.log" || {
      echo "a fragment does not compile: $(cat "$block.log")" >&2
      failures=$((failures + 1))
      continue
    }
  else
    cp "$block" "$source_file"
    # shellcheck disable=SC2086
    g++ $flags -o "$block.bin" "$source_file" $agent 2>"$block.log" || {
      echo "a program does not build: $(cat "$block.log")" >&2
      failures=$((failures + 1))
      continue
    }
  fi
  echo "built $(head -1 "$block" | awk '{gsub(/"/, "", $3); print $3 ":" $2}') (${block##*.})"
done
[ "$failures" -eq 0 ] || fail "$failures C++ blocks of $* do not build"
