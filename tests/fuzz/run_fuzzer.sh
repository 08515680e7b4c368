#!/usr/bin/env bash
# Runs one libFuzzer target for ctest (tests/fuzz/CMakeLists.txt registers two tests per target).
#   run_fuzzer.sh replay TARGET CORPUS REGRESSIONS      every seed and regression input, once
#   run_fuzzer.sh fuzz TARGET CORPUS ARTIFACTS [DICT]   fuzz for $METERBRIDGE_FUZZ_SECONDS (15) on
#                                                       a fresh copy of CORPUS (never modified)
# A crash, an ASan or UBSan report, a leak, a timeout or an out-of-memory exits non-zero.
set -euo pipefail
mode=$1 target=$2 corpus=$3 out=$4 dict=${5:-}
name=$(basename "$target")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-timeout=25 -rss_limit_mb=2048)

case "$mode" in
  replay)
    dirs=()
    for d in "$corpus" "$out"; do [ -d "$d" ] && dirs+=("$d"); done
    mapfile -t inputs < <(find "${dirs[@]}" -type f ! -name '*.md' | sort)
    if [ ${#inputs[@]} -eq 0 ]; then
      echo "$name: no inputs in $corpus or $out" >&2
      exit 1
    fi
    # Files (not directories) as arguments: libFuzzer runs each once and changes nothing.
    "$target" "${limits[@]}" "${inputs[@]}"
    echo "$name: replayed ${#inputs[@]} inputs, no crash"
    ;;
  fuzz)
    seconds=${METERBRIDGE_FUZZ_SECONDS:-15}
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/corpus" "$out"
    cp -R "$corpus/." "$work/corpus/"
    args=("${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/")
    [ -n "$dict" ] && args+=(-dict="$dict")
    # A random seed each run (libFuzzer prints it); METERBRIDGE_FUZZ_SEED repeats one.
    [ -n "${METERBRIDGE_FUZZ_SEED:-}" ] && args+=(-seed="$METERBRIDGE_FUZZ_SEED")
    status=0
    "$target" "${args[@]}" "$work/corpus" > "$work/log" 2>&1 || status=$?
    cat "$work/log"
    if [ "$status" -ne 0 ]; then
      echo "$name: FAILED (exit $status); the input is in $out/ (crash-*, leak-*, timeout-* or" \
        "oom-*). Reproduce: $target FILE. Once fixed, commit it as" \
        "tests/fuzz/regressions/${name#fuzz_}/<what-it-is> so every run replays it." >&2
      exit 1
    fi
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    echo "$name: ${seconds}s, ${runs:-?} runs, no crash: ${done_line#*DONE }"
    ;;
  *)
    echo "usage: $0 replay|fuzz TARGET CORPUS DIR [DICT]" >&2
    exit 2
    ;;
esac
