#!/usr/bin/env bash
# Installs the SDK and host from the build tree, builds sdk/examples out of tree against the
# installed SDK with find_package, using COMPILER (gcc or clang), runs its tests (built by
# meterbridge_add_plugin_test from the installed package) and loads the plugin with the installed
# (gcc-built) meterbridge.
# Usage: out_of_tree_plugin.sh BUILD_DIR SOURCE_DIR WORK_DIR gcc|clang
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2") work=$(realpath -m "$3") compiler=$4
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -f "$prefix/include/meterbridge/abi.h"
test -f "$prefix/include/meterbridge/plugin.hpp"
test -f "$prefix/include/meterbridge/testing.hpp"
config_file=$(find "$prefix" -name MeterbridgeSDKConfig.cmake | head -n 1)
test -n "$config_file" || { echo "MeterbridgeSDKConfig.cmake was not installed" >&2; exit 1; }

case "$compiler" in
  gcc) cxx=g++ ;;
  clang) cxx=clang++ ;;
  *) echo "unknown compiler $compiler" >&2; exit 2 ;;
esac
# A clean environment: the sanitizer flags of the test build must not leak into a third
# party's build.
env -u CFLAGS -u CXXFLAGS -u LDFLAGS cmake -S "$source/sdk/examples" -B "$work/example" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" -DMETERBRIDGE_EXAMPLE_TESTS=ON >"$work/configure.log"
cmake --build "$work/example" >"$work/build.log"
ctest --test-dir "$work/example" --no-tests=error --output-on-failure >"$work/ctest.log" ||
  { cat "$work/ctest.log" >&2; exit 1; }
grep -q "demo-source:" "$work/ctest.log"

lib="$work/example/plugins/libdemo_source.so"
manifest="$work/example/plugins/demo-source.plugin.json"
test -f "$lib" && test -f "$manifest"
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
if [ "$exported" != "meterbridge_plugin_entry " ]; then
  echo "the plugin must export only meterbridge_plugin_entry, it exports: $exported" >&2
  exit 1
fi
if [ "$compiler" = clang ]; then
  readelf -p .comment "$lib" | grep -q clang || { echo "$lib was not built by clang" >&2; exit 1; }
fi

cat >"$work/config.json" <<JSON
{"config_version": 1, "plugin_dirs": ["$work/example/plugins"],
 "plugins": {"demo": {"enabled": true, "plugin": "demo-source",
                      "settings": {"customers": [{"id": "c1", "name": "Acme", "seats": 2}]}}}}
JSON
out=$("$prefix/bin/meterbridge" --config "$work/config.json" --data-dir "$work/data" plugins list --format json)
echo "$out"
grep -q '"id": "demo-source"' <<<"$out"
grep -q '"kind": "source"' <<<"$out"
grep -q '"abi": "1.1"' <<<"$out"
grep -q "\"path\": \"$lib\"" <<<"$out"
"$prefix/bin/meterbridge" --config "$work/config.json" --data-dir "$work/data" plugins check
echo "out-of-tree $compiler plugin built against the installed SDK and loaded by the host"
