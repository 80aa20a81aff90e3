#!/usr/bin/env bash
# Installs, with apt, whatever mlhub needs to build, test and benchmark that is not installed yet.
# Idempotent: when everything is present it does nothing (and needs no network).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache
  # libraries (docs/deps: Beast/Asio, simdjson, SQLite, libpq, spdlog/fmt, CLI11)
  libboost-dev libsimdjson-dev libsqlite3-dev libpq-dev libspdlog-dev libfmt-dev libcli11-dev
  # S3: OpenSSL 3 for the SigV4 signer, libcurl for requests, pugixml for S3's XML answers
  libssl-dev libcurl4-openssl-dev libpugixml-dev
  # mlhub serve: XGBoost's C API (the `xgboost` CLI package is needed by its CMake config), gRPC
  # and protobuf for KServe V2 gRPC, yaml-cpp for MLmodel files
  libxgboost-dev xgboost libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libyaml-cpp-dev
  # mlhub serve's TorchScript backend: LibTorch, with OpenBLAS (Debian's libtorch otherwise runs
  # on the reference BLAS, 5x slower: docs/deps)
  libtorch-dev libopenblas0-pthread
  # tests (a real PostgreSQL 15 server is started by the test suite itself)
  libgtest-dev libgmock-dev python3 python3-pytest python3-requests
  postgresql-15 postgresql-client-15
  # S3 artifact-store tests: a single-node Ceph RGW (mon + memstore OSD + radosgw) started by the
  # test suite itself (tests/e2e/rgw_cluster.py); botocore is the SigV4 oracle (sigv4_test) and
  # signs requests in the Python tests
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime python3-botocore
  # serving tests: models are trained at test time with Debian's xgboost; gRPC clients
  python3-xgboost python3-sklearn python3-numpy python3-grpcio python3-protobuf python3-torch
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
