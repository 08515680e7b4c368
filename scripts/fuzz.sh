#!/usr/bin/env bash
# Fuzzes the parsers: builds the libFuzzer targets of tests/fuzz with clang in build-fuzz
# (METERBRIDGE_FUZZ=ON, ASan + UBSan) and runs them through ctest: first every committed seed and
# regression input once, then each target for SECONDS (default 15) on a fresh copy of its seed
# corpus. Exits non-zero on any crash, sanitizer report, leak, timeout or out-of-memory; the
# input is then in build-fuzz/fuzz-artifacts/<name>/ (tests/fuzz/README.md says what to do).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${METERBRIDGE_FUZZ_SECONDS:-15}}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds of fuzzing per target, default 15)" >&2
  exit 2
fi
./scripts/install-deps.sh
build=${METERBRIDGE_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  # -O1 -g without NDEBUG: quick to build, fast enough to fuzz, asserts on.
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DMETERBRIDGE_FUZZ=ON \
    -DMETERBRIDGE_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
fi
cmake --build "$build" --parallel "$(nproc)"

export METERBRIDGE_FUZZ_SECONDS=$seconds
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout $((seconds + 300))
