#!/bin/bash
# What the agent adds to a Boost.Fiber switch, robust to a shared machine: each round runs
# agent_bench's plain and tracked ping-pong interleaved (5 repetitions each, CPU time) and
# takes their medians; the figure is the median over rounds of tracked - plain.
#   bench/switch_cost.sh build/bench/agent_bench [rounds]
set -euo pipefail
bench=${1:?usage: switch_cost.sh AGENT_BENCH [ROUNDS]}
rounds=${2:-7}
for _ in $(seq "$rounds"); do
  "$bench" --benchmark_filter='PingPong/(plain|tracked)$' --benchmark_repetitions=5 \
    --benchmark_min_time=0.2 --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true 2>/dev/null |
    awk '/_median/ { for (i = 1; i <= NF; i++) if ($i ~ /^per_switch=/) {
                       v = $i; sub("per_switch=", "", v); sub("ns", "", v); m[$1] = v } }
         END { print m["BM_PingPong/plain_median"], m["BM_PingPong/tracked_median"] }'
done | /usr/bin/python3 -c '
import statistics, sys
rows = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
for plain, tracked in rows:
    print(f"  plain {plain:.1f} ns  tracked {tracked:.1f} ns  added {tracked - plain:+.1f} ns")
added = [t - p for p, t in rows]
print(f"medians of {len(rows)} rounds: plain {statistics.median(p for p, _ in rows):.1f} ns, "
      f"tracked {statistics.median(t for _, t in rows):.1f} ns, "
      f"added {statistics.median(added):+.1f} ns (min {min(added):+.1f}, max {max(added):+.1f})")'
