#!/usr/bin/env bash
# packaging.deb_install: builds the .deb packages with cpack from the built tree (staging and
# output in WORKDIR, nothing written to the build directory), unpacks each with dpkg-deb -x into
# its own root, checks what each holds and what it must not, and runs the unpacked binary, which
# finds the unpacked plugins relative to itself.
# Usage: deb_install.sh CPACK_CONFIG WORKDIR
set -euo pipefail
config=$1 work=$2

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb; do command -v "$tool" >/dev/null || fail "$tool missing"; done
[ -f "$config" ] || fail "$config missing (configure the build first)"

rm -rf "$work"
mkdir -p "$work/out" "$work/service" "$work/sdk" "$work/home"
cpack --config "$config" -G DEB -B "$work/out" > "$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack failed"; }

shopt -s nullglob
debs=("$work"/out/*.deb)
service_debs=("$work"/out/meterbridge_*.deb)
sdk_debs=("$work"/out/meterbridge-sdk_*.deb)
# Exactly the two component packages: a third (meterbridge-unspecified, say) means an install()
# without a component.
[ ${#debs[@]} -eq 2 ] || fail "expected 2 packages, cpack made: ${debs[*]##*/}"
[ ${#service_debs[@]} -eq 1 ] || fail "no meterbridge_*.deb among: ${debs[*]##*/}"
[ ${#sdk_debs[@]} -eq 1 ] || fail "no meterbridge-sdk_*.deb among: ${debs[*]##*/}"
service_deb=${service_debs[0]} sdk_deb=${sdk_debs[0]}

for deb in "$service_deb" "$sdk_deb"; do
  echo "== ${deb##*/}"
  dpkg-deb --field "$deb" Package Version Architecture Section Depends
done
[ "$(dpkg-deb --field "$service_deb" Package)" = meterbridge ] || fail "service package name"
[ "$(dpkg-deb --field "$sdk_deb" Package)" = meterbridge-sdk ] || fail "sdk package name"
dpkg-deb --field "$service_deb" Depends | grep -q libsystemd0 || fail "meterbridge does not depend on libsystemd0"
dpkg-deb --field "$sdk_deb" Depends | grep -q nlohmann-json3-dev || fail "meterbridge-sdk does not depend on nlohmann-json3-dev"
dpkg-deb --ctrl-tarfile "$service_deb" | tar -t | grep -q 'postinst$' || fail "meterbridge has no postinst"

dpkg-deb -x "$service_deb" "$work/service"
dpkg-deb -x "$sdk_deb" "$work/sdk"
svc=$work/service sdk=$work/sdk

# Everything under usr/ (CPACK_PACKAGING_INSTALL_PREFIX), whatever the build's install prefix.
for root in "$svc" "$sdk"; do
  stray=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr)
  [ -z "$stray" ] || fail "${root##*/} package installs outside /usr: $stray"
done

need() { [ -e "$1/$2" ] || fail "${1##*/} package lacks /$2"; }
need "$svc" usr/bin/meterbridge
need "$svc" usr/lib/systemd/system/meterbridge.service
need "$svc" usr/lib/sysusers.d/meterbridge.conf
need "$svc" usr/share/doc/meterbridge/examples/config.example.json
need "$svc" usr/share/doc/meterbridge/README.operators.md
plugin_dirs=("$svc"/usr/lib/meterbridge/plugins "$svc"/usr/lib/*/meterbridge/plugins)
[ ${#plugin_dirs[@]} -eq 1 ] || fail "expected one plugin directory, found: ${plugin_dirs[*]}"
plugin_dir=${plugin_dirs[0]}
for plugin in sophos-central trendmicro-rm connectwise-manage autotask file-drop; do
  manifest=$plugin_dir/$plugin.plugin.json
  [ -f "$manifest" ] || fail "no manifest $manifest"
  library=$(sed -n 's/.*"library": *"\([^"]*\)".*/\1/p' "$manifest")
  [ -f "$plugin_dir/$library" ] || fail "$plugin: manifest names $library, not in $plugin_dir"
done

# The sysusers.d file creates the user the unit runs as (into a scratch root, not this machine).
if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$work/sysroot/etc"
  systemd-sysusers --root="$work/sysroot" "$svc/usr/lib/sysusers.d/meterbridge.conf" \
    || fail "systemd-sysusers refused meterbridge.conf"
  grep -q '^meterbridge:x:[0-9]*:[0-9]*:.*:/var/lib/meterbridge:/usr/sbin/nologin$' "$work/sysroot/etc/passwd" \
    || fail "systemd-sysusers did not create the meterbridge user: $(cat "$work/sysroot/etc/passwd")"
  grep -q '^meterbridge:' "$work/sysroot/etc/group" || fail "systemd-sysusers did not create the meterbridge group"
else
  fail "systemd-sysusers missing (Debian package systemd, scripts/install-deps.sh)"
fi

need "$sdk" usr/include/meterbridge/plugin.hpp
need "$sdk" usr/include/meterbridge/abi.h
sdk_config=("$sdk"/usr/lib/cmake/MeterbridgeSDK/MeterbridgeSDKConfig.cmake "$sdk"/usr/lib/*/cmake/MeterbridgeSDK/MeterbridgeSDKConfig.cmake)
[ ${#sdk_config[@]} -eq 1 ] || fail "meterbridge-sdk lacks the CMake package MeterbridgeSDKConfig.cmake"
need "$sdk" usr/share/doc/meterbridge/sdk/PROTOCOL.md
[ ! -e "$svc/usr/include" ] || fail "the meterbridge package holds headers: $(cd "$svc" && find usr/include | head)"
[ ! -e "$sdk/usr/bin" ] || fail "the meterbridge-sdk package holds executables"
# No emulator, test or fixture: usr/bin holds meterbridge alone.
extra_bins=$(cd "$svc/usr/bin" && ls | grep -vx meterbridge || true)
[ -z "$extra_bins" ] || fail "the meterbridge package ships more executables: $extra_bins"
# The runner of "isolation": "process" is no command: it lives where the host looks for it.
need "$svc" usr/libexec/meterbridge/meterbridge-runner
[ -x "$svc/usr/libexec/meterbridge/meterbridge-runner" ] || fail "meterbridge-runner is not executable"
leaked=$(cd "$work" && find service sdk -iname '*emulator*' -o -iname '*fixture*' -o -iname '*_tests' | grep -v '/sdk/examples/' || true)
[ -z "$leaked" ] || fail "emulators or tests in the packages: $leaked"

# The unpacked binary runs, and finds the unpacked plugins beside itself (lib/meterbridge/plugins
# relative to bin/), not the build tree's.
bin=$svc/usr/bin/meterbridge
run() { env -u METERBRIDGE_CONFIG HOME="$work/home" XDG_STATE_HOME="$work/home/state" "$bin" "$@"; }
version=$(run --version) || fail "meterbridge --version failed"
echo "meterbridge --version: $version"
list=$(run plugins list --format json) || fail "meterbridge plugins list failed: $list"
echo "meterbridge plugins list:"
echo "$list"
for plugin in sophos-central trendmicro-rm connectwise-manage autotask file-drop; do
  grep -q "\"id\": *\"$plugin\"" <<<"$list" || fail "plugins list lacks $plugin"
done
paths=$(grep -o '"path": *"[^"]*"' <<<"$list" | sed 's/"path": *"\(.*\)"/\1/')
[ -n "$paths" ] || fail "plugins list shows no path"
while read -r path; do
  case $path in
    "$plugin_dir"/*) ;;
    *) fail "plugin loaded from $path, not from the unpacked $plugin_dir" ;;
  esac
done <<<"$paths"
echo "PASS: packages $(basename "$service_deb") and $(basename "$sdk_deb")"
