#!/usr/bin/env bash
# `meterbridge serve` as a running service, on the Sophos to ConnectWise sandbox:
#  1. idle: the service's CPU use (from /proc/PID/stat, over IDLE_SECONDS) and resident memory
#     (VmRSS, and the peak VmHWM) once its start-up collect and sync are done;
#  2. SIGTERM while idle: the time until the process has exited;
#  3. SIGTERM in the middle of a sync: a fresh emulator-connectwise (the PSA lost what the sandbox
#     wrote, so the sync re-creates all 80 lines) slowed down by DELAY_MS per write; SIGTERM
#     STOP_AFTER seconds into the sync, then the time until exit; then a second `serve` runs the
#     cancelled slot again, and the script checks that ConnectWise ends with exactly one addition
#     per planned line (no duplicate from the interrupted run).
#
# Usage: bench/serve_service.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR  an optimised build in which `cmake --build BUILD_DIR --target meterbridge
#              sophos_central connectwise_manage emulator_sophos emulator_connectwise` has run.
#              This script builds nothing (bench/README.md).
#   WORKDIR    default BUILD_DIR/bench-serve; made fresh on every run.
# Environment: IDLE_SECONDS=30 DELAY_MS=250 STOP_AFTER=3
# Needs: jq, curl (and sqlite3 for the journal line).
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(cd "$1" && pwd)
work=${2:-$build/bench-serve}
idle_seconds=${IDLE_SECONDS:-30}
delay_ms=${DELAY_MS:-250}
stop_after=${STOP_AFTER:-3}
exe=$build/bin/meterbridge
for f in "$exe" "$build/bin/emulator-connectwise" "$build/bin/emulator-sophos"; do
  [ -x "$f" ] || { echo "no $f: build it first (see the usage)" >&2; exit 2; }
done
for c in jq curl; do command -v "$c" >/dev/null || { echo "$c missing" >&2; exit 2; }; done
rm -rf "$work"
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# The sandbox leaves its emulators running (--keep) and its mapped store in $work/sbx.
"$exe" sandbox --keep --dir "$work/sbx" > "$work/sandbox.out" 2> "$work/sandbox.err"
read -r sophos_pid cw_pid < <(sed -n 's/.*keep running (pids \([0-9]*\), \([0-9]*\)).*/\1 \2/p' "$work/sandbox.out")
pids+=("$sophos_pid" "$cw_pid")
clock_tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_log() { for _ in $(seq 1 600); do grep -q "$2" "$1" && return 0; sleep 0.1; done; echo "timed out waiting for '$2' in $1" >&2; exit 1; }
stop_and_time() {  # SIGTERM, then the time until exit and the exit code, in $stopped
  local pid=$1 start end code=0
  start=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || code=$?
  end=$(date +%s%N)
  stopped="$(( (end - start) / 1000000 )) ms, exit code $code"
}

# 1 and 2: idle.
port=$(free_port)
jq --arg l "127.0.0.1:$port" '. + {service: {listen: $l}}' "$work/sbx/config.json" > "$work/serve.json"
"$exe" --config "$work/serve.json" serve 2> "$work/idle.log" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 5  # the start-up slots (today's collect, and sync if 02:00 UTC has passed) finish
t0=$(ticks "$serve_pid")
sleep "$idle_seconds"
t1=$(ticks "$serve_pid")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$serve_pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$serve_pid/status")
cpu=$(awk -v d=$((t1 - t0)) -v hz="$clock_tck" -v s="$idle_seconds" 'BEGIN {printf "%.3f", 100 * d / hz / s}')
echo "idle: CPU ${cpu} % over ${idle_seconds} s ($((t1 - t0)) ticks), VmRSS $((rss / 1024)) MiB, peak VmHWM $((hwm / 1024)) MiB, $threads threads"
curl -fsS "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
echo "idle: /metrics $(wc -l < "$work/metrics.txt") lines"
stop_and_time "$serve_pid"
echo "SIGTERM while idle: $stopped"

# 3: SIGTERM during a sync. A fresh ConnectWise (the seed's state: no additions).
kill "$cw_pid"
"$build/bin/emulator-connectwise" --listen 127.0.0.1:0 --seed "$work/sbx/connectwise-seed.json" > "$work/cw.out" 2> "$work/cw.err" &
cw_pid=$!
pids+=("$cw_pid")
for _ in $(seq 1 100); do [ -s "$work/cw.out" ] && break; sleep 0.1; done
cw_url=$(head -1 "$work/cw.out")
curl -fsS -X POST "$cw_url/_emulator/faults" -H 'Content-Type: application/json' \
  -d "{\"kind\": \"slow\", \"method\": \"POST\", \"path_prefix\": \"/\", \"delay_ms\": $delay_ms, \"count\": 100000}" > /dev/null
today=$(date -u +%F)
jq --arg u "$cw_url" --arg l "127.0.0.1:$port" \
  '.plugins.connectwise.settings.site_url = $u | . + {service: {listen: $l},
   schedule: {collect: {at: "00:30", jitter_minutes: 0}, sync: {at: "02:00", daily: true}},
   testing: {allow_test_clock: true}}' "$work/sbx/config.json" > "$work/sync.json"
"$exe" --config "$work/sync.json" serve --test-clock "${today}T01:59:57Z" 2> "$work/sync.log" &
serve_pid=$!
pids+=("$serve_pid")
wait_log "$work/sync.log" "sync: slot $today starts"
sleep "$stop_after"
before=$(curl -fsS "$cw_url/_emulator/requests" | jq '[.[] | select(.method == "POST")] | length' 2>/dev/null || echo "?")
stop_and_time "$serve_pid"
echo "SIGTERM ${stop_after} s into a sync (${delay_ms} ms per ConnectWise write, ${before} POSTs so far): $stopped"
grep -o 'sync: slot [0-9-]* cancelled[^:]*' "$work/sync.log" || { echo "the sync was not cancelled" >&2; exit 1; }
curl -fsS -X DELETE "$cw_url/_emulator/faults" > /dev/null
"$exe" --config "$work/sync.json" serve --test-clock "${today}T03:00:00Z,jump,until=${today}T04:00:00Z" 2> "$work/resume.log"
grep -o 'sync: slot [0-9-]* ok[^:]*' "$work/resume.log"
curl -fsS "$cw_url/_emulator/requests" > "$work/cw-requests.json"
curl -fsS "$cw_url/_emulator/state" > "$work/cw-state.json"
owned='[.additions[] | select((.invoiceDescription // "") | startswith("[meterbridge"))]'
additions=$(jq "$owned | length" "$work/cw-state.json")
distinct=$(jq "$owned | map(\"\\(.agreementId)/\\(.product.identifier)\") | unique | length" "$work/cw-state.json")
echo "after the resumed slot: ConnectWise holds $additions additions meterbridge wrote, for $distinct distinct (agreement, product) (the plan has 80 lines)"
[ "$additions" = 80 ] && [ "$distinct" = 80 ] || { echo "expected 80 additions, one per line" >&2; exit 1; }
grep -o 'sync: slot [0-9-]* cancelled[^:]*' "$work/sync.log" > /dev/null
echo "journal of the cancelled run: $(sqlite3 "$work/sbx/data/billing.sqlite3" "SELECT group_concat(status || ' ' || n, ', ') FROM (SELECT status, COUNT(*) AS n FROM journal WHERE entry = 'outcome' AND run_id = (SELECT MAX(id) FROM runs WHERE command LIKE 'serve sync%' AND status = 'failed') GROUP BY status)" 2>/dev/null || echo '(sqlite3 missing)')"
