#!/usr/bin/env bash
# Quick start 2: install what is needed, build with warnings as errors under ASan and UBSan,
# and run the whole test suite with ctest. .ci/run runs exactly this.
# The parsers' fuzz targets (scripts/fuzz.sh: clang, build-fuzz, 15 s each) run first, so that the
# main ctest summary closes the output; a fuzz failure still fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build=${METERBRIDGE_TEST_BUILD_DIR:-build-test}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DMETERBRIDGE_WERROR=ON -DMETERBRIDGE_SANITIZE=ON -DMETERBRIDGE_BUILD_TESTS=ON
fi
cmake --build "$build" --parallel "$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_status=0
./scripts/fuzz.sh "${METERBRIDGE_FUZZ_SECONDS:-15}" || fuzz_status=$?
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 600
if [ "$fuzz_status" -ne 0 ]; then
  echo "test.sh: the fuzz run failed (exit $fuzz_status, output above 'fuzz-replay' and 'fuzz')" >&2
  exit "$fuzz_status"
fi
