#!/usr/bin/env bash
# Installs, with apt, whatever mlhub needs to build, test and benchmark that is not installed yet.
# Idempotent: when everything is present it does nothing (and needs no network).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache
  # libraries (docs/deps: Beast/Asio, simdjson, SQLite, libpq, spdlog/fmt, CLI11)
  libboost-dev libsimdjson-dev libsqlite3-dev libpq-dev libspdlog-dev libfmt-dev libcli11-dev
  # tests (a real PostgreSQL 15 server is started by the test suite itself)
  libgtest-dev libgmock-dev python3 python3-pytest python3-requests
  postgresql-15 postgresql-client-15
  # benchmarks
  wrk
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
