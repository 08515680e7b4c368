#!/usr/bin/env bash
# Cold start and peak memory of `meterbridge plugins list`: median of N runs (default 10).
# Usage: bench/plugins_list_startup.sh [BUILD_DIR] [CONFIG] [RUNS]
# Use an optimised build (scripts/sandbox.sh makes build/), not the sanitizer test build.
# Each run drops nothing from the page cache (that needs root and is not what a user sees);
# "cold" here means a new process each time: load, negotiate and list every plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
config=${2:-config/demo.json}
runs=${3:-10}
exe="$build/bin/meterbridge"
[ -x "$exe" ] || { echo "no $exe: build first (scripts/sandbox.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: run scripts/install-deps.sh" >&2; exit 2; }

times=()
rss=()
for _ in $(seq "$runs"); do
  # Wall time from the shell's nanosecond clock (time's %e has only 10 ms resolution);
  # peak RSS from /usr/bin/time's %M, in a separate run so time's own fork is not counted.
  start=$(date +%s%N)
  "$exe" --config "$config" --log-level warn plugins list --format json >/dev/null
  end=$(date +%s%N)
  times+=("$(( (end - start) / 1000 ))")
  out=$( { /usr/bin/time -f '%M' "$exe" --config "$config" --log-level warn plugins list --format json >/dev/null; } 2>&1 | tail -n 1)
  rss+=("$out")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
plugins=$("$exe" --config "$config" --log-level off plugins list --format json | grep -c '"id"' || true)
echo "meterbridge plugins list: $runs runs, $plugins plugin(s) loaded"
echo "  wall time median: $(median "${times[@]}") us (min $(printf '%s\n' "${times[@]}" | sort -n | head -1), max $(printf '%s\n' "${times[@]}" | sort -n | tail -1))"
echo "  peak RSS median:  $(median "${rss[@]}") KiB"
