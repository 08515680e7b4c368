#!/usr/bin/env bash
# Quick start 1: install what is needed, build, and run the main job on the embedded default
# (the sandbox config). Today the sandbox lists and checks the plugins of config/sandbox.json;
# it needs no credentials and writes only under build/.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build=${METERBRIDGE_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERBRIDGE_BUILD_TESTS=OFF
fi
cmake --build "$build" --parallel "$(nproc)"

mb=("$build/bin/meterbridge" --config config/sandbox.json --data-dir "$build/sandbox-data")
echo
echo "== meterbridge plugins list (config/sandbox.json)"
"${mb[@]}" plugins list
echo
echo "== meterbridge plugins check"
"${mb[@]}" plugins check
