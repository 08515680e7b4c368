#!/usr/bin/env bash
# One Datto RMM collect at MSP scale: 2,000 devices over 40 sites in emulator-datto-rmm with the
# default account rate limit (600 requests per 60 s), through the `datto-rmm` source into the
# store. Prints the API calls (from the emulator's request log), the wall time, and the floor:
# the least time the account's limit allows for that many calls (ceil(calls / limit) - 1
# windows), and the floor of the plugin's own pacing (it keeps under 90 % of the limit). Exits 1
# when the emulator answered any 429 or slowed any request down (Datto's 90 % delay).
#
# Usage: bench/datto_rmm_collect.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR  an optimised build in which
#              `cmake --build BUILD_DIR --target meterbridge datto_rmm emulator_datto_rmm` has
#              run. This script builds nothing (bench/README.md).
#   WORKDIR    where the seed, config, store and outputs go (default BUILD_DIR/bench-datto-rmm);
#              made fresh on every run.
# Environment (all optional):
#   SITES=40 DEVICES=2000 LIMIT=600 WINDOW=60   the data set and the account's limit
#   PAGE_SIZE=250   the plugin's page_size: smaller pages mean more calls (PAGE_SIZE=2 makes
#                   about 1,050 calls, more than the limit allows in one window)
# Needs: jq, curl.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(cd "$1" && pwd)
work=${2:-$build/bench-datto-rmm}
sites=${SITES:-40}
devices=${DEVICES:-2000}
limit=${LIMIT:-600}
window=${WINDOW:-60}
page_size=${PAGE_SIZE:-250}

exe=$build/bin/meterbridge
emu=$build/bin/emulator-datto-rmm
plugins=$build/lib/meterbridge/plugins
for f in "$exe" "$emu"; do
  [ -x "$f" ] || { echo "no $f: cmake --build $build --target meterbridge datto_rmm emulator_datto_rmm" >&2; exit 2; }
done
[ -f "$plugins/datto-rmm.plugin.json" ] || { echo "no datto-rmm plugin in $plugins: build its target" >&2; exit 2; }
for c in jq curl; do
  command -v "$c" >/dev/null || { echo "$c missing" >&2; exit 2; }
done

rm -rf "$work"
mkdir -p "$work/data"
work=$(cd "$work" && pwd)

jq -n --argjson s "$sites" --argjson d "$devices" --argjson l "$limit" --argjson w "$window" '{
  api_users: [{api_key: "BENCHKEY", api_secret: "bench-secret"}],
  rate_limit: {limit: $l, window_seconds: $w, delay_ms: 1000},
  generate: {sites: $s, devices: $d}}' > "$work/seed.json"

"$emu" --listen 127.0.0.1:0 --seed "$work/seed.json" > "$work/emulator.out" 2> "$work/emulator.err" &
emu_pid=$!
trap 'kill $emu_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.1; done
url=$(head -1 "$work/emulator.out")
[ -n "$url" ] || { echo "emulator did not start: $(cat "$work/emulator.err")" >&2; exit 1; }

jq -n --arg data "$work/data" --arg plugins "$plugins" --arg url "$url" --argjson p "$page_size" '{
  config_version: 1, timezone: "UTC", data_dir: $data, plugin_dirs: [$plugins],
  plugins: {rmm: {enabled: true, plugin: "datto-rmm", settings: {
    api_url: $url, api_key: "${env:BENCH_RMM_KEY}", api_secret: "${env:BENCH_RMM_SECRET}",
    page_size: $p}}}}' > "$work/config.json"

start=$(date +%s%N)
BENCH_RMM_KEY=BENCHKEY BENCH_RMM_SECRET=bench-secret \
  "$exe" --config "$work/config.json" collect --format json > "$work/collect.json" 2> "$work/collect.err"
end=$(date +%s%N)

curl -sf "$url/_emulator/requests" > "$work/requests.json"
curl -sf "$url/_emulator/state" > "$work/state.json"
calls=$(jq 'length' "$work/requests.json")
api_calls=$(jq '[.[] | select(.path | startswith("/api/v2/"))] | length' "$work/requests.json")
refused=$(jq '.rate.refused' "$work/state.json")
delayed=$(jq '.rate.delayed' "$work/state.json")
records=$(jq '.days[0].records' "$work/collect.json")
wall_ms=$(( (end - start) / 1000000 ))
ceiling=$(( limit * 9 / 10 ))
floor_s=$(( ((api_calls + limit - 1) / limit - 1) * window ))
paced_floor_s=$(( ((api_calls + ceiling - 1) / ceiling - 1) * window ))
[ "$floor_s" -ge 0 ] || floor_s=0
[ "$paced_floor_s" -ge 0 ] || paced_floor_s=0

echo "datto-rmm collect: $sites sites, $devices devices, page_size $page_size, limit $limit per ${window} s"
echo "  records stored       $records"
echo "  HTTP calls           $calls ($api_calls counted by the account, the rest token requests)"
echo "  wall time            $(awk -v ms="$wall_ms" 'BEGIN {printf "%.2f s", ms / 1000}')"
echo "  floor (the limit)    $floor_s s"
echo "  floor (90 % pacing)  $paced_floor_s s"
echo "  429 answers          $refused"
echo "  delayed at 90 %      $delayed"
[ "$refused" -eq 0 ] && [ "$delayed" -eq 0 ]
