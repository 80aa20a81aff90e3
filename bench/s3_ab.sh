#!/usr/bin/env bash
# A/B of two mlhub builds on the S3 artifact proxy: both servers run at once against one private
# Ceph RGW (tests/e2e/rgw_cluster.py), and transfers alternate between them (A then B, then B
# then A), so the host's phases and the RGW's state weigh on both alike. For changes worth a few
# percent, which bench/s3.sh's per-round spread (half to one and a half times) hides.
#
#   bench/s3_ab.sh OLD/mlhub NEW/mlhub                 (MODE=put, SIZE_MB=200, PAIRS=12)
#   MODE=get PAIRS=40 bench/s3_ab.sh OLD/mlhub NEW/mlhub
#
# MODE=put uploads a fresh key per transfer and starts a fresh RGW every PUTS_PER_CLUSTER pairs
# (its memstore slows down once it holds about 1.2 GB); MODE=get uploads one object and reads it
# back through both servers. Prints B's throughput as a percentage of A's for each pair and their
# median. A_ENV / B_ENV add environment variables to one server ("NAME=value ...").
set -euo pipefail

[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 path/to/mlhub-A path/to/mlhub-B" >&2; exit 2; }
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
RGW=$HERE/../tests/e2e/rgw_cluster.py
MODE=${MODE:-put}
SIZE_MB=${SIZE_MB:-200}
PAIRS=${PAIRS:-12}
PUTS_PER_CLUSTER=${PUTS_PER_CLUSTER:-2}
read -r -a ENV_A <<<"${A_ENV:-}"
read -r -a ENV_B <<<"${B_ENV:-}"

TMP=$(mktemp -d /tmp/mlhub-bench-s3ab.XXXXXX)
PIDS=()
stop_cluster() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  "$PY" "$RGW" stop "$TMP/rgw" >/dev/null 2>&1 || true
}
trap 'stop_cluster; rm -rf "$TMP"' EXIT

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_cluster: a fresh RGW and both servers. Sets URL_A, URL_B (artifact proxy bases).
start_cluster() {
  stop_cluster
  "$PY" "$RGW" start "$TMP/rgw" >"$TMP/rgw.log" 2>&1 || { cat "$TMP/rgw.log"; exit 1; }
  local endpoint key secret region
  eval "$("$PY" -c "
import json, shlex; s = json.load(open('$TMP/rgw/rgw.json'))
print(' '.join(f'{k}={shlex.quote(s[f])}' for k, f in (('endpoint', 'endpoint'), ('key', 'access_key'),
                                                     ('secret', 'secret_key'), ('region', 'region'))))")"
  export MLFLOW_S3_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
  export AWS_DEFAULT_REGION=$region
  "$BIN_A" storage init s3://bench >/dev/null 2>&1
  local port_a port_b
  port_a=$(free_port)
  port_b=$(free_port)
  env "${ENV_A[@]}" "$BIN_A" server --port "$port_a" --backend-store-uri "sqlite:///$TMP/a-$RANDOM.db" \
    --artifacts-destination s3://bench/ab >"$TMP/a.log" 2>&1 &
  PIDS+=($!)
  env "${ENV_B[@]}" "$BIN_B" server --port "$port_b" --backend-store-uri "sqlite:///$TMP/b-$RANDOM.db" \
    --artifacts-destination s3://bench/ab >"$TMP/b.log" 2>&1 &
  PIDS+=($!)
  URL_A=http://127.0.0.1:$port_a/api/2.0/mlflow-artifacts/artifacts
  URL_B=http://127.0.0.1:$port_b/api/2.0/mlflow-artifacts/artifacts
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port_a/health" >/dev/null && curl -sf "http://127.0.0.1:$port_b/health" >/dev/null && break
    sleep 0.1
  done
  # Untimed warm-up of both: connections, buffers, RGW's pools.
  for url in "$URL_A" "$URL_B"; do
    curl -sS --fail -o /dev/null -T "$TMP/warm.bin" "$url/warm-$RANDOM.bin"
  done
}

timed() {  # MB/s of one curl transfer (curl's own total time)
  local t; t=$(curl -sS --fail -o /dev/null -w '%{time_total}' "$@")
  awk -v t="$t" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", mb / t }'
}

head -c "$((SIZE_MB * 1000 * 1000))" /dev/urandom >"$TMP/file.bin"
head -c 32000000 /dev/urandom >"$TMP/warm.bin"
echo "== $(nproc) cores; MODE=$MODE SIZE_MB=$SIZE_MB PAIRS=$PAIRS; A=$BIN_A ${A_ENV:-}; B=$BIN_B ${B_ENV:-}"
start_cluster
[[ $MODE == get ]] && curl -sS --fail -o /dev/null -T "$TMP/file.bin" "$URL_A/object.bin"
ratios=()
for pair in $(seq "$PAIRS"); do
  if [[ $MODE == put ]]; then
    (( pair > 1 && (pair - 1) % PUTS_PER_CLUSTER == 0 )) && start_cluster
    one_a() { a=$(timed -T "$TMP/file.bin" "$URL_A/a$pair.bin"); }
    one_b() { b=$(timed -T "$TMP/file.bin" "$URL_B/b$pair.bin"); }
  else
    one_a() { a=$(timed "$URL_A/object.bin"); }
    one_b() { b=$(timed "$URL_B/object.bin"); }
  fi
  if (( pair % 2 )); then one_a; one_b; else one_b; one_a; fi
  ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", 100 * b / a }')")
  echo "pair $pair: A $a MB/s, B $b MB/s, B/A ${ratios[-1]} %"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "median B/A over %d pairs: %s %% (lowest %s, highest %s)\n", NR, m, v[1], v[NR] }'
