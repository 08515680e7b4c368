#!/usr/bin/env bash
# Installs every Debian 12 package meterbridge needs to build, test and run.
# Idempotent: when everything is already present it installs nothing and never calls apt-get.
# Works as root or through sudo; never prompts (CI has no standard input).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-format git ca-certificates openssl
  libclang-rt-14-dev  # clang's libFuzzer and sanitizer runtimes (scripts/fuzz.sh)
  # libraries (see README "Dependencies")
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  nlohmann-json3-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev catch2
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev libhowardhinnant-date-dev tzdata libsimdjson-dev
  prometheus  # promtool checks the /metrics text (tests/unit/service)
  libsystemd-dev  # sd_notify: `meterbridge serve` runs as a Type=notify unit
  systemd  # systemd-analyze verifies the unit (tests/packaging); dpkg-deb is in dpkg itself
  # measuring (bench/ and the closing figures)
  time
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present, nothing to do"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
