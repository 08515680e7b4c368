#!/usr/bin/env bash
# Collect and plan at MSP scale: synthetic 10,000 customers x 20 SKUs x 31 days (October 2026)
# through the file-drop source into the billing store, then the month's plan. Prints records/s
# of collect, plan time, store size on disk, peak memory, and the rate of plain SQLite inserts of
# the same rows (bench_sqlite_insert_reference, measured in the same run) as the reference.
# Targets: collect within 2x of the reference, plan of the month under 10 s, peak RSS < 512 MB.
#
# Usage: bench/billing_collect_plan.sh BUILD_DIR [WORKDIR]
#   BUILD_DIR  an optimised build (Release/RelWithDebInfo, not the sanitizer test build) in which
#              `cmake --build BUILD_DIR --target meterbridge file_drop bench_generate_usage
#              bench_sqlite_insert_reference` has run. This script builds nothing. E.g.
#                cmake -S . -B /work/build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#                      -DMETERBRIDGE_BUILD_TESTS=OFF
#                cmake --build /work/build-bench -j2 --target meterbridge file_drop \
#                      bench_generate_usage bench_sqlite_insert_reference
#   WORKDIR    where the data, the stores and the outputs go (default BUILD_DIR/bench-billing).
#              The generated CSVs are kept and reused; the stores are made fresh on every run.
# Environment (all optional):
#   CUSTOMERS=10000 SKUS=20 DAYS=31    the data set's size (a reduced one for profiling)
#   VARIANT=steady|every-day           steady: ~5 % of the series change on a given day (default);
#                                      every-day: every value changes every day (worst case)
#   CUSTOMERS_PER_COMPANY=5            vendor customers mapped onto each PSA company
# Needs: the sqlite3 command-line shell (package sqlite3) and GNU time (package time).
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(cd "$1" && pwd)
work=${2:-$build/bench-billing}
customers=${CUSTOMERS:-10000}
skus=${SKUS:-20}
days=${DAYS:-31}
variant=${VARIANT:-steady}
per_company=${CUSTOMERS_PER_COMPANY:-5}

exe=$build/bin/meterbridge
gen=$build/bin/bench_generate_usage
ref=$build/bin/bench_sqlite_insert_reference
plugins=$build/lib/meterbridge/plugins
for f in "$exe" "$gen" "$ref"; do
  [ -x "$f" ] || { echo "no $f: cmake --build $build --target meterbridge file_drop bench_generate_usage bench_sqlite_insert_reference" >&2; exit 2; }
done
[ -f "$plugins/file-drop.plugin.json" ] || { echo "no file-drop plugin in $plugins: build target file_drop" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (package time)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 shell missing (package sqlite3)" >&2; exit 2; }
case $variant in
  steady) gen_flags=() ;;
  every-day) gen_flags=(--every-day) ;;
  *) echo "VARIANT must be steady or every-day" >&2; exit 2 ;;
esac
[ "$days" -le 31 ] || { echo "DAYS must be at most 31" >&2; exit 2; }
companies=$(( (customers + per_company - 1) / per_company ))
rows=$(( customers * skus * days ))
last_day=$(printf '2026-10-%02d' "$days")

mkdir -p "$work"
work=$(cd "$work" && pwd)
data=$work/data-$variant-${customers}x${skus}x${days}
run=$work/run-$variant-${customers}x${skus}x${days}

# 1. The data, once.
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  echo "generating $rows rows into $data ..."
  "$gen" "$data" --customers "$customers" --skus "$skus" --days "$days" "${gen_flags[@]}"
  touch "$data/.complete"
fi
csv_mb=$(du -sm "$data" | cut -f1)

# 2. A fresh store and config.
rm -rf "$run"
mkdir -p "$run/store"
config=$run/config.json
cat > "$config" <<EOF
{
  "config_version": 1,
  "timezone": "UTC",
  "data_dir": "$run/store",
  "plugin_dirs": ["$plugins"],
  "plugins": {
    "bench": {"enabled": true, "plugin": "file-drop", "settings": {"folder": "$data"}}
  }
}
EOF
store=$run/store/billing.sqlite3

now_us() { echo $(( $(date +%s%N) / 1000 )); }
peak_kb() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1e6 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
file_bytes() { [ -f "$1" ] && stat -c %s "$1" || echo 0; }

# 3. The reference: plain SQLite inserts of the same rows (CSV parse included).
echo "reference: plain SQLite inserts ..."
t0=$(now_us)
/usr/bin/time -v -o "$run/time-reference.txt" "$ref" "$data" "$run/reference.sqlite3" > "$run/reference.txt"
t1=$(now_us)
ref_us=$(( t1 - t0 ))
ref_rows=$(sed -n 's/^rows //p' "$run/reference.txt")
ref_inner=$(sed -n 's/^seconds //p' "$run/reference.txt")
ref_bytes=$(sed -n 's/^bytes //p' "$run/reference.txt")
ref_kb=$(peak_kb "$run/time-reference.txt")

# 4. Collect the month.
echo "collect 2026-10-01..$last_day ..."
t0=$(now_us)
status=0
/usr/bin/time -v -o "$run/time-collect.txt" \
  "$exe" --config "$config" --log-level warn collect --from 2026-10-01 --to "$last_day" \
  --format json > "$run/collect.json" 2> "$run/collect.err" || status=$?
t1=$(now_us)
if [ "$status" -ne 0 ]; then
  echo "collect failed ($status):" >&2; tail -n 20 "$run/collect.err" >&2; exit 1
fi
collect_us=$(( t1 - t0 ))
collect_kb=$(peak_kb "$run/time-collect.txt")
collected=$(sqlite3 "$store" "SELECT coalesce(sum(records), 0) FROM collections WHERE source = 'bench'")
rejected=$(sqlite3 "$store" "SELECT coalesce(sum(rejected), 0) FROM collections WHERE source = 'bench'")
store_bytes=$(( $(file_bytes "$store") + $(file_bytes "$store-wal") ))
runs=$(sqlite3 "$store" "SELECT count(*) FROM usage_runs")
series=$(sqlite3 "$store" "SELECT count(*) FROM usage_series")

# 5. Mappings, straight into the store in one transaction (10,000 `map customer` processes would
# take longer than the benchmark): companies of CUSTOMERS_PER_COMPANY customers each, one PSA line
# per SKU, product methods max/last/average/prorated in turn, daily tracking, sync on.
sqlite3 "$store" <<EOF
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $companies)
INSERT INTO psa_companies (psa, company_id, name, origin)
  SELECT 'manual', printf('P-%05d', i), printf('PSA Company %05d', i), 'manual' FROM n;
INSERT INTO psa_lines (psa, line_id, name, unit_price, origin)
  SELECT 'manual', 'L-' || substr(sku, 5), name, 1.5 + (rowid % 7), 'manual'
  FROM (SELECT sku, name, row_number() OVER (ORDER BY sku) AS rowid FROM vendor_products
        WHERE source = 'bench');
INSERT INTO customer_map (source, customer_id, psa, company_id, how, mapped_at)
  SELECT source, customer_id, 'manual',
         printf('P-%05d', (CAST(substr(customer_id, 3) AS INTEGER) - 1) / $per_company + 1),
         'manual', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM vendor_customers WHERE source = 'bench';
INSERT INTO product_map (source, sku, metric, psa, line_id, sync, method, tracking, included,
                         unit_price, updated_at)
  SELECT source, sku, '', 'manual', 'L-' || substr(sku, 5), 1,
         CASE CAST(substr(sku, 5) AS INTEGER) % 4 WHEN 1 THEN 'max' WHEN 2 THEN 'last'
              WHEN 3 THEN 'average' ELSE 'prorated' END,
         'daily', 0, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM vendor_products WHERE source = 'bench';
COMMIT;
EOF
mapped=$(sqlite3 "$store" "SELECT count(*) FROM customer_map")
products=$(sqlite3 "$store" "SELECT count(*) FROM product_map")

# 6. The month's plan.
echo "plan --period 2026-10 ..."
t0=$(now_us)
status=0
/usr/bin/time -v -o "$run/time-plan.txt" \
  "$exe" --config "$config" --log-level warn plan --period 2026-10 --format json \
  > "$run/plan.json" 2> "$run/plan.err" || status=$?
t1=$(now_us)
if [ "$status" -ne 0 ]; then
  echo "plan failed ($status):" >&2; tail -n 20 "$run/plan.err" >&2; exit 1
fi
plan_us=$(( t1 - t0 ))
plan_kb=$(peak_kb "$run/time-plan.txt")
plan_lines=$(sqlite3 :memory: "SELECT json_array_length(readfile('$run/plan.json'), '\$.lines')")
plan_exceptions=$(sqlite3 :memory: "SELECT json_array_length(readfile('$run/plan.json'), '\$.exceptions')")
expected_lines=$(( companies * skus ))
plan_mb=$(mb "$(file_bytes "$run/plan.json")")

verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo PASS; else echo MISS; fi; }
ratio=$(awk -v a="$collect_us" -v b="$ref_us" 'BEGIN { printf "%.2f", a / b }')
collect_rate=$(awk -v r="$collected" -v us="$collect_us" 'BEGIN { printf "%.0f", r / (us / 1e6) }')
ref_rate=$(awk -v r="$ref_rows" -v us="$ref_us" 'BEGIN { printf "%.0f", r / (us / 1e6) }')

runs_pct=$(awk -v a="$runs" -v b="$collected" 'BEGIN { printf "%.1f", 100 * a / b }')
row() { printf '  %-28s %-44s %s\n' "$1" "$2" "${3:-}"; }
echo
echo "== meterbridge collect + plan: $customers customers x $skus SKUs x $days days, variant $variant =="
row "data" "$rows rows, $days CSV files, $csv_mb MB"
row "reference: plain SQLite" "$ref_rows rows in $(secs "$ref_us") s = $ref_rate rows/s"
row "  reference file, peak RSS" "$(mb "$ref_bytes") MB, $(( ref_kb / 1024 )) MB"
row "collect" "$collected records in $(secs "$collect_us") s = $collect_rate records/s" "($rejected rejected)"
row "  collect / reference" "${ratio}x" "target <= 2x: $(verdict "$ratio" 2)"
row "  collect peak RSS" "$(( collect_kb / 1024 )) MB" "target < 512 MB: $(verdict "$collect_kb" $(( 512 * 1024 - 1 )))"
row "store on disk" "$(mb "$store_bytes") MB (billing.sqlite3 + -wal)"
row "  usage_runs rows" "$runs for $collected rows ($runs_pct %), $series series"
row "mappings" "$companies companies, $mapped customers, $products products"
row "plan 2026-10" "$(secs "$plan_us") s, $plan_lines lines (expected $expected_lines)" "target < 10 s: $(verdict "$plan_us" 9999999)"
row "  plan peak RSS" "$(( plan_kb / 1024 )) MB" "target < 512 MB: $(verdict "$plan_kb" $(( 512 * 1024 - 1 )))"
row "  plan output" "$plan_mb MB of JSON, $plan_exceptions exceptions"
row "outputs" "$run"
if [ "$plan_lines" != "$expected_lines" ]; then
  echo "plan has $plan_lines lines, expected $expected_lines" >&2
  exit 1
fi
