#!/usr/bin/env bash
# The cost of "isolation": "process" (a meterbridge-runner per instance) against in-process, on
# the two jobs issue 15 names, each RUNS times alternating in-process and process runs, medians:
#   1. collect: the collect benchmark's day, 200,000 records (10,000 customers x 20 SKUs on
#      2026-10-01, bench_generate_usage) through file-drop into a fresh store each run: the wall
#      time of `meterbridge collect --date 2026-10-01`;
#   2. sync: `meterbridge sandbox --scenario sophos-connectwise`, the "First sync" wall time it
#      prints (a ConnectWise sync of the demo, against emulator-connectwise on loopback), with
#      `--isolation process` for the isolated runs.
# Prints both medians per job and their ratio; target: process / in-process under 1.2 in both.
#
# Usage: bench/isolation_overhead.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR  an optimised build (not the sanitizer test build) in which
#              `cmake --build BUILD_DIR --target meterbridge meterbridge-runner file_drop
#              bench_generate_usage sophos_central connectwise_manage emulator_sophos
#              emulator_connectwise` has run. This script builds nothing.
#   WORKDIR    data, stores and outputs (default BUILD_DIR/bench-isolation).
# Environment: RUNS=5, CUSTOMERS=10000, SKUS=20.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(cd "$1" && pwd)
work=${2:-$build/bench-isolation}
runs=${RUNS:-5}
customers=${CUSTOMERS:-10000}
skus=${SKUS:-20}
exe=$build/bin/meterbridge
plugins=$build/lib/meterbridge/plugins
for f in "$exe" "$build/bin/meterbridge-runner" "$build/bin/bench_generate_usage" \
         "$build/bin/emulator-sophos" "$build/bin/emulator-connectwise"; do
  [ -x "$f" ] || { echo "no $f (see the usage: $0 without arguments)" >&2; exit 2; }
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
data=$work/data-${customers}x${skus}

if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  "$build/bin/bench_generate_usage" "$data" --customers "$customers" --skus "$skus" --days 1 >/dev/null
  touch "$data/.complete"
fi
records=$((customers * skus))

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
now() { date +%s.%N; }

collect_once() {  # $1: in-process|process
  local run=$work/collect-$1
  rm -rf "$run"
  mkdir -p "$run"
  cat > "$run/config.json" <<JSON
{"config_version": 1, "timezone": "UTC", "data_dir": "$run/store", "plugin_dirs": ["$plugins"],
 "plugins": {"bench": {"enabled": true, "plugin": "file-drop", "isolation": "$1",
                       "settings": {"folder": "$data"}}}}
JSON
  local t0 t1
  t0=$(now)
  "$exe" --config "$run/config.json" collect --date 2026-10-01 --format json > "$run/collect.json" 2> "$run/collect.err"
  t1=$(now)
  local got
  got=$(grep -o '"records": [0-9]*' "$run/collect.json" | head -1 | grep -o '[0-9]*$')
  [ "$got" = "$records" ] || { echo "collect ($1) stored $got records, not $records; see $run" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

sync_once() {  # $1: in-process|process
  local out=$work/sandbox-$1.txt
  "$exe" sandbox --scenario sophos-connectwise --isolation "$1" > "$out" 2>&1 ||
    { echo "sandbox --isolation $1 failed; see $out" >&2; exit 1; }
  grep -m1 '^First sync:' "$out" | sed 's/.*wall time \([0-9.]*\) s.*/\1/'
}

: > "$work/collect-in-process.times"; : > "$work/collect-process.times"
: > "$work/sync-in-process.times"; : > "$work/sync-process.times"
for i in $(seq "$runs"); do
  for how in in-process process; do
    collect_once "$how" >> "$work/collect-$how.times"
    sync_once "$how" >> "$work/sync-$how.times"
  done
done

report() {  # $1: job, $2: what
  local a b
  a=$(median < "$work/$1-in-process.times")
  b=$(median < "$work/$1-process.times")
  awk -v job="$1" -v what="$2" -v a="$a" -v b="$b" 'BEGIN {
    r = b / a
    printf "%-8s %-40s in-process %7.3f s   process %7.3f s   ratio %5.3f  %s\n", job, what, a, b,
           r, (r < 1.2 ? "PASS (< 1.2)" : "MISS (>= 1.2)") }'
}
echo "isolation overhead, median of $runs runs each ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
report collect "$records records, one day, fresh store"
report sync "sandbox sophos-connectwise, first sync"
