#!/usr/bin/env bash
# packaging.systemd_analyze_verify: `systemd-analyze verify` on packaging/systemd/meterbridge.service.
# verify checks that ExecStart= and ExecReload= name executables, so it runs on a copy whose
# ExecStart is the built binary and whose ExecReload is this machine's kill. It prints nothing for
# a good unit and exits 0; an unknown key or a bad value is only a printed warning (exit 0), so
# any line about the unit fails the test too. A deliberately broken copy checks that
# systemd-analyze reports such lines here at all (in a container it may run without systemd as
# PID 1), so a silent systemd-analyze cannot pass the test.
# Usage: systemd_verify.sh UNIT METERBRIDGE_BINARY WORKDIR
set -euo pipefail
unit=$1 binary=$2 work=$3

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (Debian package systemd, scripts/install-deps.sh)"
[ -x "$binary" ] || fail "$binary is not built"
kill_bin=$(type -P kill) || fail "no kill executable"

# The directives the operator README and the service rely on.
for directive in Type=notify NotifyAccess=main \
  'ExecStart=/usr/bin/meterbridge --config /etc/meterbridge/config.json serve' \
  'ExecReload=/bin/kill -HUP $MAINPID' User=meterbridge Group=meterbridge \
  StateDirectory=meterbridge ConfigurationDirectory=meterbridge WatchdogSec=120 \
  TimeoutStopSec=45 Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict \
  ProtectHome=yes PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes \
  ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' RestrictNamespaces=yes \
  LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
  CapabilityBoundingSet= UMask=0077; do
  grep -qxF -- "$directive" "$unit" || fail "$unit: no line '$directive'"
done

rm -rf "$work"
mkdir -p "$work/good" "$work/broken"
sed -e "s|^ExecStart=/usr/bin/meterbridge |ExecStart=$binary |" \
    -e "s|^ExecReload=/bin/kill |ExecReload=$kill_bin |" "$unit" > "$work/good/meterbridge.service"
grep -q "^ExecStart=$binary " "$work/good/meterbridge.service" || fail "ExecStart not rewritten"

# verify(): prints systemd-analyze's output, returns its exit code.
verify() {
  local rc=0
  SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$1" > "$work/out" 2>&1 || rc=$?
  cat "$work/out"
  return $rc
}

# The control: an unknown key, a bad value and a missing ExecStart binary must all be reported.
sed -e 's|^UMask=0077|UMask=0077\nNoSuchDirective=1\nProtectSystem=sometimes|' \
    -e "s|^ExecStart=$binary |ExecStart=$work/no-such-meterbridge |" \
    "$work/good/meterbridge.service" > "$work/broken/meterbridge.service"
if broken_out=$(verify "$work/broken/meterbridge.service"); then
  fail "systemd-analyze verify accepted the broken unit (exit 0)"
fi
for expected in NoSuchDirective sometimes no-such-meterbridge; do
  grep -q "$expected" <<<"$broken_out" || fail "systemd-analyze did not report $expected in the broken unit: $broken_out"
done

rc=0
out=$(verify "$work/good/meterbridge.service") || rc=$?
echo "systemd-analyze verify (exit $rc):"
echo "${out:-<no output>}"
[ "$rc" -eq 0 ] || fail "systemd-analyze verify exited $rc"
# Lines about the unit name its file or the unit; anything else (the host's own units, a missing
# user in a container) is shown above but does not fail the test.
if grep -E "meterbridge\.service|$work" <<<"$out"; then
  fail "systemd-analyze verify reported the lines above about the unit"
fi
echo "PASS: meterbridge.service verifies"
