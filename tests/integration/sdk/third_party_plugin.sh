#!/usr/bin/env bash
# Plays a third-party plugin author who has only the installed SDK: installs meterbridge from the
# build tree into a fresh prefix, copies the examples out of that prefix (not from the source
# tree), checks that every link of the installed docs resolves, builds the example plugins and
# their unit tests with COMPILER (gcc or clang) against the installed CMake package, runs the
# tests, and runs the Acme example in the installed (gcc-built) host against a loopback Acme API:
# plugins list, plugins check, collect, discover, plan.
# Usage: third_party_plugin.sh BUILD_DIR WORK_DIR gcc|clang EMULATOR_ACME SEED
set -euo pipefail
build=$(realpath "$1") work=$(realpath -m "$2") compiler=$3 emulator=$(realpath "$4") seed=$(realpath "$5")
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for header in abi.h plugin.hpp http.hpp paging.hpp http_failure.hpp testing.hpp digest.hpp; do
  test -f "$prefix/include/meterbridge/$header" || { echo "$header was not installed" >&2; exit 1; }
done
docs=$(dirname "$(find "$prefix" -name GETTING_STARTED.md | head -n 1)")
for doc in PROTOCOL.md GETTING_STARTED.md examples/CMakeLists.txt examples/acme_source.cpp \
  examples/acme_source_tests.cpp; do
  test -f "$docs/$doc" || { echo "the SDK docs lack $doc (looked in $docs)" >&2; exit 1; }
done
# Every relative link of the installed docs must lead to an installed file.
for doc in "$docs"/*.md; do
  grep -o '](\([^)#]*\)' "$doc" | sed 's/^](//' | grep -v '^https\?:' | grep -v '^$' | while read -r target; do
    test -e "$(dirname "$doc")/$target" || { echo "$doc links to $target, which was not installed" >&2; exit 1; }
  done
done

case "$compiler" in
  gcc) cxx=g++ ;;
  clang) cxx=clang++ ;;
  *) echo "unknown compiler $compiler" >&2; exit 2 ;;
esac
cp -r "$docs/examples" "$work/src"
# A clean environment: the sanitizer flags of the test build must not leak into a third
# party's build.
env -u CFLAGS -u CXXFLAGS -u LDFLAGS cmake -S "$work/src" -B "$work/example" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
cmake --build "$work/example" >"$work/build.log"
ctest --test-dir "$work/example" --output-on-failure >"$work/ctest.log" || { cat "$work/ctest.log"; exit 1; }
grep -q "100% tests passed" "$work/ctest.log"
grep -q "acme" "$work/ctest.log" || { echo "the example's acme tests did not run" >&2; cat "$work/ctest.log"; exit 1; }

plugins="$work/example/plugins"
for lib in "$plugins"/*.so; do
  exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
  if [ "$exported" != "meterbridge_plugin_entry " ]; then
    echo "$lib must export only meterbridge_plugin_entry, it exports: $exported" >&2
    exit 1
  fi
  if [ "$compiler" = clang ]; then
    readelf -p .comment "$lib" | grep -q clang || { echo "$lib was not built by clang" >&2; exit 1; }
  fi
done

# The loopback Acme API.
"$emulator" --seed "$seed" >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/emulator.out")
test -n "$url" || { echo "emulator-acme did not start" >&2; cat "$work/emulator.err" >&2; exit 1; }
key=$(sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p' "$seed")

cat >"$work/config.json" <<JSON
{"config_version": 1, "timezone": "Europe/Berlin", "plugin_dirs": ["$plugins"],
 "plugins": {"acme": {"enabled": true, "plugin": "acme-source",
                      "settings": {"api_url": "$url", "api_key": "\${env:ACME_API_KEY}"}}}}
JSON
mb() { ACME_API_KEY=$key "$prefix/bin/meterbridge" --config "$work/config.json" --data-dir "$work/data" "$@"; }
out=$(mb plugins list --format json)
grep -q '"id": "acme-source"' <<<"$out"
grep -q "\"path\": \"$plugins/libacme_source.so\"" <<<"$out"
out=$(mb plugins check --format json)
echo "$out"
grep -q '"result": "ok"' <<<"$out"
grep -q '"clients": 3' <<<"$out"
grep -q '"past_days": false' <<<"$out"
out=$(mb collect --format json)
echo "$out"
grep -q '"records": 3' <<<"$out"
mb discover >/dev/null
out=$(mb plan --format json)
echo "$out"
grep -q 'c-300' <<<"$out"
# A wrong key is an auth failure that names the call and not the key.
set +e
wrong=$(ACME_API_KEY=not-the-key "$prefix/bin/meterbridge" --config "$work/config.json" \
  --data-dir "$work/data" plugins check 2>&1)
status=$?
set -e
echo "$wrong"
[ "$status" -eq 1 ] || { echo "plugins check with a wrong key exited $status, not 1" >&2; exit 1; }
grep -q 'Acme refused the credentials for GET /v1/clients?page=1' <<<"$wrong"
if grep -q 'not-the-key' <<<"$wrong"; then echo "the key leaked into the output" >&2; exit 1; fi
echo "third party ($compiler): built, tested and ran the example from the installed SDK alone"
