#!/usr/bin/env bash
# docs/layering.md as a check: each folder includes only from the folders below it.
# Usage: check.sh SOURCE_DIR. Prints every include that crosses a layer upwards; fails if any.
set -euo pipefail
cd "$1"

failed=0
# forbid FOLDERS... -- PATTERN: no file under FOLDERS includes a path matching PATTERN.
forbid() {
  local folders=() pattern
  while [[ $1 != -- ]]; do folders+=("$1"); shift; done
  pattern=$2
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($pattern)/" "${folders[@]}" \
    --include='*.h' --include='*.cc' --include='*.inc' --include='*.cpp' | grep -v '/build/' || true)
  if [[ -n $hits ]]; then
    echo "includes across layers (${folders[*]} must not include $pattern):"
    echo "$hits"
    failed=1
  fi
}

forbid analyzer -- 'cli|bpf|agent|watch|python|producer|gobinary'
forbid analyzer/model -- 'analyzer/(readers|writers|analysis|report|engine)'
forbid analyzer/readers analyzer/writers -- 'analyzer/(analysis|report|engine)'
forbid analyzer/analysis -- 'analyzer/(readers|writers|report|engine)'
forbid analyzer/report -- 'analyzer/engine'
forbid python -- 'analyzer/analysis'
# The agent produces snapshots and judges none. Its one sentence a green thread for tests and
# logs (describe_green_threads, which the test listener prints) words a wait as layer 1 does,
# by layer 1's rules: that file, that header, nothing else of the analysis.
hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"analyzer/analysis/' agent \
  --include='*.h' --include='*.cc' --include='*.inc' --include='*.cpp' |
  grep -v '^agent/src/profiles.cc:[0-9]*:#include "analyzer/analysis/system_frame_filter.h"$' || true)
if [[ -n $hits ]]; then
  echo "includes across layers (agent must not include analyzer/analysis, but for its words):"
  echo "$hits"
  failed=1
fi
forbid producer -- 'analyzer/(analysis|report|engine)|bpf|agent|cli|watch|python'
forbid bpf -- 'agent|cli|watch|python'
forbid agent -- 'bpf|cli|watch|python|analyzer/(report|engine)'
# A Go binary's layout is read from the model's terms, for the tracer: nothing above either.
forbid gobinary -- 'analyzer/(readers|writers|analysis|report|engine)|bpf|agent|cli|watch|python'
forbid watch -- 'cli|bpf|agent|python|gobinary'
# The command line is the top: nothing includes it.
forbid analyzer agent bpf gobinary producer python watch -- 'cli'

if [[ $failed == 0 ]]; then echo "layering: no include crosses a layer upwards"; fi
exit "$failed"
