#!/usr/bin/env bash
# S3 artifact transfer benchmark: a file uploaded and downloaded through mlhub's artifact proxy
# (PUT/GET /api/2.0/mlflow-artifacts/artifacts/...) onto an S3 server, against the same
# transfers done directly with `curl --aws-sigv4` (UNSIGNED-PAYLOAD, as the proxy sends).
#
#   bench/s3.sh build/src/mlhub            (SIZE_MB=1000 by default)
#   SIZE_MB=300 ROUNDS=3 GET_PAIRS=4 bench/s3.sh build/src/mlhub
#
# Starts a private single-node Ceph RGW (tests/e2e/rgw_cluster.py) and `BIN server
# --artifacts-destination s3://bench/proxied`, runs each transfer ROUNDS times (default 1),
# takes the best of each, checks every download by SHA-256, prints a table and removes
# everything. Exit status 1 when a check fails or the proxy is below 80 % of the direct figure.
# RGW's memstore holds ~2 bytes of RAM per byte stored and frees nothing during the run: the run
# needs about 4.5 x ROUNDS x SIZE_MB MB of memory (and the memstore holds 4 GiB).
set -euo pipefail

[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 path/to/mlhub" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SIZE_MB=${SIZE_MB:-1000}
ROUNDS=${ROUNDS:-1}

TMP=$(mktemp -d /tmp/mlhub-bench-s3.XXXXXX)
PID=
cleanup() {
  [[ -z $PID ]] || { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
  "$PY" "$HERE/../tests/e2e/rgw_cluster.py" stop "$TMP/rgw" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ { print $2 }') GiB"
"$PY" "$HERE/../tests/e2e/rgw_cluster.py" start "$TMP/rgw" >/dev/null
eval "$("$PY" -c "
import json; s = json.load(open('$TMP/rgw/rgw.json'))
print(f\"ENDPOINT={s['endpoint']} KEY={s['access_key']} SECRET={s['secret_key']} REGION={s['region']}\")")"
export MLFLOW_S3_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=$REGION
"$BIN" storage init s3://bench >/dev/null 2>&1
log "Ceph RGW at $ENDPOINT (memstore), bucket s3://bench"

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" server --host 127.0.0.1 --port "$PORT" --backend-store-uri "sqlite:///$TMP/mlhub.db" \
  --artifacts-destination s3://bench/proxied >"$TMP/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf --max-time 1 "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
PROXY=http://127.0.0.1:$PORT/api/2.0/mlflow-artifacts/artifacts

log "making a ${SIZE_MB} MB file of random bytes"
head -c "$((SIZE_MB * 1000 * 1000))" /dev/urandom >"$TMP/file.bin"
SUM=$(sha256sum "$TMP/file.bin" | cut -d' ' -f1)
SIGN=(--aws-sigv4 "aws:amz:$REGION:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")

# timed NAME CURL-ARGS...: runs curl, prints MB/s (from curl's own total time)
timed() {
  local name=$1; shift
  local t; t=$(curl -sS --fail -o /dev/null -w '%{time_total}' "$@") || { log "$name failed"; exit 1; }
  awk -v t="$t" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", mb / t }'
}
best() { printf '%s\n' "$@" | sort -n | tail -1; }

up_direct=() up_proxy=() down_direct=() down_proxy=()
FAILED=0
# The memstore gets slower as it fills, so the two ways take turns going first.
for round in $(seq "$ROUNDS"); do
  if (( round % 2 == 1 )); then
    up_proxy+=("$(timed "proxied PUT" -T "$TMP/file.bin" "$PROXY/$round.bin")")
    up_direct+=("$(timed "direct PUT" "${SIGN[@]}" -T "$TMP/file.bin" "$ENDPOINT/bench/direct/$round.bin")")
    down_proxy+=("$(timed "proxied GET" "$PROXY/$round.bin")")
    down_direct+=("$(timed "direct GET" "${SIGN[@]}" "$ENDPOINT/bench/direct/$round.bin")")
  else
    up_direct+=("$(timed "direct PUT" "${SIGN[@]}" -T "$TMP/file.bin" "$ENDPOINT/bench/direct/$round.bin")")
    up_proxy+=("$(timed "proxied PUT" -T "$TMP/file.bin" "$PROXY/$round.bin")")
    down_direct+=("$(timed "direct GET" "${SIGN[@]}" "$ENDPOINT/bench/direct/$round.bin")")
    down_proxy+=("$(timed "proxied GET" "$PROXY/$round.bin")")
  fi
  got=$(curl -sS "$PROXY/$round.bin" | sha256sum | cut -d' ' -f1)
  [[ $got == "$SUM" ]] || { log "round $round: proxied download differs from the upload"; FAILED=1; }
  log "round $round: PUT direct ${up_direct[-1]} / proxied ${up_proxy[-1]} MB/s, GET direct ${down_direct[-1]} / proxied ${down_proxy[-1]} MB/s"
done
# GET_PAIRS=N: then N more GETs of one stored object each way, direct and proxied back to back
# (GETs add nothing to the memstore, so a pair shares its state), with mlhub's CPU per MB.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
for pair in $(seq "${GET_PAIRS:-0}"); do
  direct=$(timed "direct GET" "${SIGN[@]}" "$ENDPOINT/bench/direct/1.bin")
  before=$(cpu_ticks)
  proxied=$(timed "proxied GET" "$PROXY/1.bin")
  ticks=$(( $(cpu_ticks) - before ))
  log "GET pair $pair: direct $direct / proxied $proxied MB/s ($(awk -v p="$proxied" -v d="$direct" 'BEGIN { printf "%.0f", 100 * p / d }') %), mlhub $(awk -v t="$ticks" -v mb="$SIZE_MB" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 1000 * t / hz / mb }') ms CPU per MB"
done
RSS=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$PID/status")

row() {
  local pct; pct=$(awk -v p="$3" -v d="$2" 'BEGIN { printf "%.0f", 100 * p / d }')
  local ok=pass; (( pct >= 80 )) || { ok=FAIL; FAILED=1; }
  printf '| %-8s | %6s MB/s | %6s MB/s | %4s %% | %-4s |\n' "$1" "$2" "$3" "$pct" "$ok"
}
echo
printf '| %-8s | %-11s | %-11s | %-6s | %-4s |\n' "transfer" "direct" "proxied" "proxy" "ok"
printf '|----------|-------------|-------------|--------|------|\n'
row upload "$(best "${up_direct[@]}")" "$(best "${up_proxy[@]}")"
row download "$(best "${down_direct[@]}")" "$(best "${down_proxy[@]}")"
echo
log "server peak RSS (VmHWM): $RSS MB; ${SIZE_MB} MB file, best of $ROUNDS rounds"
exit $FAILED
