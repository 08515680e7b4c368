#!/usr/bin/env bash
# Sync at MSP scale into Autotask: 500 companies x 4 services (2,000 lines) from the file-drop
# source through the `autotask` sink into emulator-autotask with --latency-ms 50 (its thread
# limit, 3 concurrent requests per endpoint, is always on). Three syncs of period 2026-11: the
# first (2,000 new contract services), one after 10 % of the lines increased, and one with no
# change. For each: the API calls by endpoint against the floor (paged reads + one POST per
# changed line), wall time against the wall floor (calls / 3 x latency). Targets: calls <= 1.05x
# the floor, wall <= 1.3x the floor, a no-change sync under 20 calls. Then it checks through the
# emulator's /_emulator/state that every contract service holds exactly the desired units and
# exits 1 when one does not.
#
# Usage: bench/autotask_sync.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR  an optimised build (not the sanitizer test build) in which
#              `cmake --build BUILD_DIR --target meterbridge file_drop autotask emulator_autotask`
#              has run. This script builds nothing. E.g. (bench/README.md)
#                cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#                      -DMETERBRIDGE_BUILD_TESTS=OFF      # the emulators are built all the same
#                cmake --build build-bench -j2 --target meterbridge file_drop autotask \
#                      emulator_autotask
#   WORKDIR    where the seed, CSV, store, config and outputs go (default BUILD_DIR/bench-autotask);
#              made fresh on every run.
# Environment (all optional):
#   COMPANIES=500 SERVICES=4 CHANGED=200 LATENCY_MS=50   the data set and the emulated latency
#   STOP_AFTER_FAILURES=N   the config's sync.stop_after_failures (the host sends apply in batches
#                           of at most this many lines); unset: the host's default
# Needs: jq, curl, sqlite3.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(cd "$1" && pwd)
work=${2:-$build/bench-autotask}
companies=${COMPANIES:-500}
services=${SERVICES:-4}
changed=${CHANGED:-200}
latency=${LATENCY_MS:-50}
here=$(cd "$(dirname "$0")" && pwd)
period=2026-11
day=2026-11-30

exe=$build/bin/meterbridge
emu=$build/bin/emulator-autotask
plugins=$build/lib/meterbridge/plugins
for f in "$exe" "$emu"; do
  [ -x "$f" ] || { echo "no $f: cmake --build $build --target meterbridge file_drop autotask emulator_autotask" >&2; exit 2; }
done
for p in file-drop autotask; do
  [ -f "$plugins/$p.plugin.json" ] || { echo "no $p plugin in $plugins: build its target" >&2; exit 2; }
done
for c in jq curl sqlite3; do
  command -v "$c" >/dev/null || { echo "$c missing" >&2; exit 2; }
done
lines=$(( companies * services ))

rm -rf "$work"
mkdir -p "$work/drop" "$work/store"
work=$(cd "$work" && pwd)

# 1. Seed and emulator. The contracts cover the whole year, so the period and every effective
# date fall inside them.
"$here/autotask_seed.sh" seed "$companies" "$services" 2026-01-01 2026-12-31 > "$work/seed.json"
"$emu" --listen 127.0.0.1:0 --seed "$work/seed.json" --latency-ms "$latency" \
  > "$work/emulator.out" 2> "$work/emulator.err" &
emu_pid=$!
trap 'kill "$emu_pid" 2>/dev/null || true' EXIT
for _ in $(seq 200); do
  [ -s "$work/emulator.out" ] && break
  sleep 0.05
done
base=$(head -n 1 "$work/emulator.out")
[ -n "$base" ] || { echo "emulator-autotask printed no URL:" >&2; cat "$work/emulator.err" >&2; exit 1; }

# 2. Config: file-drop and the autotask sink with the seed's API user, secrets from the
# environment as the config requires.
sync_settings=
[ -z "${STOP_AFTER_FAILURES:-}" ] || sync_settings="\"sync\": {\"stop_after_failures\": $STOP_AFTER_FAILURES},"
cat > "$work/config.json" <<EOF
{
  "config_version": 1,
  "timezone": "UTC",
  "data_dir": "$work/store",
  "plugin_dirs": ["$plugins"],
  $sync_settings
  "plugins": {
    "drop": {"enabled": true, "plugin": "file-drop", "settings": {"folder": "$work/drop"}},
    "at": {"enabled": true, "plugin": "autotask",
           "settings": {"username": "api-meterbridge@msp.example",
                        "secret": "\${env:MB_BENCH_AT_SECRET}",
                        "integration_code": "\${env:MB_BENCH_AT_CODE}",
                        "zone_url": "$base/ATServicesRest/"}}
  }
}
EOF
export MB_BENCH_AT_SECRET=emulator-secret-1 MB_BENCH_AT_CODE=METERBRIDGE-TRACKING-ID
mb() { "$exe" --config "$work/config.json" --log-level warn "$@"; }
# A setup command, its output in setup.log (plugin warnings included), shown when it fails.
step() {
  echo "\$ meterbridge $*" >> "$work/setup.log"
  mb "$@" >> "$work/setup.log" 2>&1 || {
    echo "meterbridge $* failed:" >&2; tail -n 20 "$work/setup.log" >&2; exit 1
  }
}
store=$work/store/billing.sqlite3
now_us() { echo $(( $(date +%s%N) / 1000 )); }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1e6 }'; }

# 3. Usage, discover, mappings.
"$here/autotask_seed.sh" usage "$companies" "$services" "$day" 0 > "$work/drop/usage.csv"
step collect --date "$day"
step discover
psa=$(sqlite3 "$store" "SELECT psa FROM psa_companies WHERE company_id = '1001'")
[ -n "$psa" ] || { echo "discover found no company 1001" >&2; exit 1; }
for s in $(seq "$services"); do
  step map product drop "SKU-$s" $(( 300 + s )) --tracking monthly --method last
done
# One customer through the CLI, timed; the others straight into the store in one transaction
# (as billing_collect_plan.sh does): one process per customer costs its start-up each time.
t0=$(now_us)
step map customer drop c-0001 1001
map_one_us=$(( $(now_us) - t0 ))
t0=$(now_us)
sqlite3 "$store" <<EOF
PRAGMA foreign_keys = ON;
BEGIN;
INSERT INTO customer_map (source, customer_id, psa, company_id, how, mapped_at)
  SELECT source, customer_id, '$psa', CAST(1000 + CAST(substr(customer_id, 3) AS INTEGER) AS TEXT),
         'manual', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM vendor_customers WHERE source = 'drop' AND customer_id <> 'c-0001';
COMMIT;
EOF
map_sql_us=$(( $(now_us) - t0 ))
mapped=$(sqlite3 "$store" "SELECT count(*) FROM customer_map")
[ "$mapped" -eq "$companies" ] || { echo "mapped $mapped customers, expected $companies" >&2; exit 1; }

# 4. The syncs.
clear_log() { curl -fsS -X DELETE "$base/_emulator/requests" > /dev/null; }
state() { curl -fsS "$base/_emulator/state"; }
# Existing contract services: the number of unit rows a read needs for the period.
existing_cs() { state | jq '.contract_services | length'; }
pages() { echo $(( ($1 + 499) / 500 )); }
at_least_one() { [ "$1" -gt 0 ] && echo "$1" || echo 1; }
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo PASS; else echo MISS; fi; }
row() { printf '  %-26s %-48s %s\n' "$1" "$2" "${3:-}"; }
summary=()

run_sync() {  # NAME EXPECTED_WRITES
  local name=$1 expected=$2 cs t0 t1 status=0
  cs=$(existing_cs)
  clear_log
  t0=$(now_us)
  mb sync --period "$period" --no-collect --format json > "$work/sync-$name.json" \
    2> "$work/sync-$name.err" || status=$?
  t1=$(now_us)
  curl -fsS "$base/_emulator/requests" > "$work/requests-$name.json"
  if [ "$status" -ne 0 ]; then
    echo "sync $name exited $status:" >&2; tail -n 20 "$work/sync-$name.err" >&2
  fi
  local wall_us=$(( t1 - t0 ))
  local writes calls posts
  writes=$(jq '.writes' "$work/sync-$name.json" 2>/dev/null || echo "?")
  # API calls: everything but the control endpoints.
  calls=$(jq '[.[] | select(.path | ascii_downcase | startswith("/atservicesrest/"))] | length' \
    "$work/requests-$name.json")
  posts=$(jq '[.[] | select(.method == "POST" and (.path | ascii_downcase | test("serviceadjustments$")))] | length' \
    "$work/requests-$name.json")
  # The floor: one 500-record page for the contracts of the companies (at least one query),
  # ceil(contract services / 500) pages of contract services (at least one query: the first sync
  # learns there are none), ceil(units rows / 500) pages of the units rows covering the period
  # (one per contract service; none to read when there is no contract service), one POST per
  # changed line.
  local reads floor
  reads=$(( $(at_least_one "$(pages "$companies")") + $(at_least_one "$(pages "$cs")") + $(pages "$cs") ))
  floor=$(( reads + expected ))
  local wall_floor_us=$(( calls * latency * 1000 / 3 ))
  local call_ratio wall_ratio
  call_ratio=$(awk -v a="$calls" -v b="$floor" 'BEGIN { printf "%.3f", a / b }')
  wall_ratio=$(awk -v a="$wall_us" -v b="$wall_floor_us" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
  echo
  echo "== sync $name: $expected lines to write, $cs contract services before =="
  jq -r '[.[] | select(.path | ascii_downcase | startswith("/atservicesrest/"))
          | "\(.method) \(.path | gsub("/[0-9]+"; "/{id}"))"]
         | group_by(.) | map("    \(length)\t\(.[0])") | .[]' "$work/requests-$name.json"
  jq -r '[.[] | select(.path | ascii_downcase | startswith("/atservicesrest/"))
          | select(.status != 200) | "\(.status)"] | group_by(.)
         | map("    answered \(.[0]): \(length)") | .[]' "$work/requests-$name.json"
  row "writes (sync report)" "$writes (adjustment POSTs: $posts)" "exit $status"
  row "API calls" "$calls"
  row "floor" "$floor = $reads paged reads + $expected POSTs"
  row "calls / floor" "$call_ratio" "target <= 1.05: $(verdict "$call_ratio" 1.05)"
  row "wall" "$(secs "$wall_us") s"
  row "wall floor" "$(secs "$wall_floor_us") s = $calls calls / 3 x $latency ms"
  row "wall / floor" "$wall_ratio" "target <= 1.3: $(verdict "$wall_ratio" 1.3)"
  if [ "$name" = no-change ]; then
    row "no-change sync" "$calls calls" "target < 20: $(verdict "$calls" 19)"
    summary+=("$name: $calls calls (floor $floor), wall $(secs "$wall_us") s")
  else
    summary+=("$name: $calls calls / floor $floor = $call_ratio, wall $(secs "$wall_us") s / $(secs "$wall_floor_us") s = $wall_ratio")
  fi
}

echo
echo "== meterbridge sync into emulator-autotask: $companies companies x $services services = $lines lines, latency $latency ms =="
row "mappings" "$mapped customers: \`map customer\` took $(secs "$map_one_us") s (x $companies = $(secs $(( map_one_us * companies ))) s)," "sqlite3 for $(( companies - 1 )): $(secs "$map_sql_us") s"
run_sync first "$lines"
"$here/autotask_seed.sh" usage "$companies" "$services" "$day" "$changed" > "$work/drop/usage.csv"
step collect --date "$day"
run_sync changed "$changed"
run_sync no-change 0

# 5. Every contract service holds exactly the desired units: the CSV's quantity of its (customer,
# SKU) in the period's units row, and no other contract service exists.
state > "$work/state.json"
awk -F, 'NR > 1 { printf "%d %d %d\n", 20000 + substr($2, 3), 300 + substr($4, 5), $7 }' \
  "$work/drop/usage.csv" | sort > "$work/desired.txt"
jq -r --arg start "${period}-01T00:00:00" '
  (.contract_services | map({key: (.id | tostring), value: "\(.contractID) \(.serviceID)"})
   | from_entries) as $cs
  | .contract_service_units[] | select(.startDate == $start)
  | "\($cs[.contractServiceID | tostring]) \(.units)"' "$work/state.json" | sort > "$work/held.txt"
echo
if diff "$work/desired.txt" "$work/held.txt" > "$work/mismatches.txt"; then
  row "units check" "OK: $(wc -l < "$work/held.txt") contract services hold the desired units"
  result=0
else
  row "units check" "MISMATCH (contract service units, < desired, > held):"
  head -n 20 "$work/mismatches.txt" | sed 's/^/    /'
  result=1
fi
echo
for s in "${summary[@]}"; do echo "  $s"; done
row "outputs" "$work"
exit "$result"
