#!/usr/bin/env bash
# Quick start 1: install what is needed, build, and run the main job on the embedded default:
# `meterbridge sandbox`, a full Sophos Central to ConnectWise Manage billing run on demo data.
# It needs no account: both API emulators are started on free loopback ports and stopped at the
# end; the demo config and store live in a temporary directory (kept with --keep).
# Arguments are passed to `meterbridge sandbox` (try --keep, or --help).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build=${METERBRIDGE_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERBRIDGE_BUILD_TESTS=OFF
fi
cmake --build "$build" --parallel "$(nproc)"

echo
echo "== meterbridge plugins list"
"$build/bin/meterbridge" plugins list
echo
echo "== meterbridge sandbox $*"
exec "$build/bin/meterbridge" sandbox "$@"
