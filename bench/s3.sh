#!/usr/bin/env bash
# S3 artifact transfer benchmark: a file uploaded and downloaded through mlhub's artifact proxy
# (PUT/GET /api/2.0/mlflow-artifacts/artifacts/...) onto an S3 server, against the same
# transfers done directly with `curl --aws-sigv4` (UNSIGNED-PAYLOAD, as the proxy sends).
#
#   bench/s3.sh build/src/mlhub            (SIZE_MB=1000 by default)
#   SIZE_MB=300 ROUNDS=5 GET_PAIRS=4 bench/s3.sh build/src/mlhub
#
# Each round starts its own private single-node Ceph RGW (tests/e2e/rgw_cluster.py) and `BIN
# server --artifacts-destination s3://bench/proxied`, warms both paths up with a WARM_MB (64)
# transfer each way, then times a PUT and a GET of the file each way (direct first in odd rounds,
# proxied first in even ones), checks the proxied download by SHA-256 and removes the cluster.
# A fresh cluster per round because RGW's memstore gets slower as it fills (it frees nothing
# during a run: past ~1 GB stored its OSD takes 3x the CPU per PUT), which made whichever
# transfer came later lose. The table gives the median of the rounds' figures, and the verdict
# uses the median of the per-round ratios (proxied / direct of the same round), so one slow
# phase of this shared host moves it less than a best-of would. GET_PAIRS=N then adds N GETs of
# one stored object each way, back to back, in the last round's cluster.
# Exit status 1 when a check fails or the proxy is below 80 % of the direct figure.
# Memory: RGW's memstore holds ~2 bytes of RAM per byte stored: about 5 x (SIZE_MB + WARM_MB) MB.
set -euo pipefail

[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 path/to/mlhub" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
RGW=$HERE/../tests/e2e/rgw_cluster.py
SIZE_MB=${SIZE_MB:-1000}
WARM_MB=${WARM_MB:-64}
ROUNDS=${ROUNDS:-1}

TMP=$(mktemp -d /tmp/mlhub-bench-s3.XXXXXX)
PID=
FAILED=0
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

stop_round() {
  stop_server || true
  "$PY" "$RGW" stop "$TMP/rgw" >/dev/null 2>&1 || true
}
cleanup() {
  stop_round
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_round: a fresh RGW and mlhub server. Sets ENDPOINT, SIGN, PROXY, PID.
start_round() {
  stop_round
  "$PY" "$RGW" start "$TMP/rgw" >"$TMP/rgw-start.log" 2>&1 || { cat "$TMP/rgw-start.log"; exit 1; }
  local key secret region
  eval "$("$PY" -c "
import json, shlex; s = json.load(open('$TMP/rgw/rgw.json'))
print(' '.join(f'{k}={shlex.quote(s[f])}' for k, f in (('ENDPOINT', 'endpoint'), ('key', 'access_key'),
                                                     ('secret', 'secret_key'), ('region', 'region'))))")"
  export MLFLOW_S3_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret
  export AWS_DEFAULT_REGION=$region
  SIGN=(--aws-sigv4 "aws:amz:$region:s3" --user "$key:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  "$BIN" storage init s3://bench >/dev/null 2>&1
  local port
  port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" server --host 127.0.0.1 --port "$port" --backend-store-uri "sqlite:///$TMP/mlhub-$RANDOM.db" \
    --artifacts-destination s3://bench/proxied >"$TMP/server.log" 2>&1 &
  PID=$!
  wait_for_url "http://127.0.0.1:$port/health" 10 "$TMP/server.log"
  PROXY=http://127.0.0.1:$port/api/2.0/mlflow-artifacts/artifacts
  # Untimed warm-up of both paths: connections, the server's buffers, RGW's pools.
  curl -sS --fail -o /dev/null -T "$TMP/warm.bin" "$PROXY/warm.bin"
  curl -sS --fail -o /dev/null "$PROXY/warm.bin"
  curl -sS --fail -o /dev/null "${SIGN[@]}" -T "$TMP/warm.bin" "$ENDPOINT/bench/direct/warm.bin"
  curl -sS --fail -o /dev/null "${SIGN[@]}" "$ENDPOINT/bench/direct/warm.bin"
}

log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ { print $2 }') GiB"
log "making a ${SIZE_MB} MB file of random bytes (and a ${WARM_MB} MB one for warming up)"
head -c "$((SIZE_MB * 1000 * 1000))" /dev/urandom >"$TMP/file.bin"
head -c "$((WARM_MB * 1000 * 1000))" /dev/urandom >"$TMP/warm.bin"
SUM=$(sha256sum "$TMP/file.bin" | cut -d' ' -f1)

# timed NAME CURL-ARGS...: runs curl, prints MB/s (from curl's own total time)
timed() {
  local name=$1; shift
  local t; t=$(curl -sS --fail -o /dev/null -w '%{time_total}' "$@") || { log "$name failed" >&2; exit 1; }
  awk -v t="$t" -v mb="$SIZE_MB" 'BEGIN { printf "%.0f", mb / t }'
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pct() { awk -v p="$1" -v d="$2" 'BEGIN { printf "%.0f", 100 * p / d }'; }

up_direct=() up_proxy=() down_direct=() down_proxy=() up_ratio=() down_ratio=() rss=()
for round in $(seq "$ROUNDS"); do
  start_round
  log "round $round: Ceph RGW at $ENDPOINT (memstore), fresh"
  put_direct() { up_direct+=("$(timed "direct PUT" "${SIGN[@]}" -T "$TMP/file.bin" "$ENDPOINT/bench/direct/$round.bin")"); }
  put_proxy() { up_proxy+=("$(timed "proxied PUT" -T "$TMP/file.bin" "$PROXY/$round.bin")"); }
  get_direct() { down_direct+=("$(timed "direct GET" "${SIGN[@]}" "$ENDPOINT/bench/direct/$round.bin")"); }
  get_proxy() { down_proxy+=("$(timed "proxied GET" "$PROXY/$round.bin")"); }
  if (( round % 2 == 1 )); then
    put_direct; put_proxy; get_direct; get_proxy
  else
    put_proxy; put_direct; get_proxy; get_direct
  fi
  got=$(curl -sS "$PROXY/$round.bin" | sha256sum | cut -d' ' -f1)
  [[ $got == "$SUM" ]] || { log "round $round: proxied download differs from the upload"; FAILED=1; }
  up_ratio+=("$(pct "${up_proxy[-1]}" "${up_direct[-1]}")")
  down_ratio+=("$(pct "${down_proxy[-1]}" "${down_direct[-1]}")")
  rss+=("$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$PID/status")")
  log "round $round: PUT direct ${up_direct[-1]} / proxied ${up_proxy[-1]} MB/s (${up_ratio[-1]} %)," \
    "GET direct ${down_direct[-1]} / proxied ${down_proxy[-1]} MB/s (${down_ratio[-1]} %)"
  (( round == ROUNDS )) || stop_round
done
# GET_PAIRS=N: then N more GETs of one stored object each way, direct and proxied back to back
# (GETs add nothing to the memstore, so a pair shares its state), with mlhub's CPU per MB.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
for pair in $(seq "${GET_PAIRS:-0}"); do
  direct=$(timed "direct GET" "${SIGN[@]}" "$ENDPOINT/bench/direct/$ROUNDS.bin")
  before=$(cpu_ticks)
  proxied=$(timed "proxied GET" "$PROXY/$ROUNDS.bin")
  ticks=$(( $(cpu_ticks) - before ))
  log "GET pair $pair: direct $direct / proxied $proxied MB/s ($(pct "$proxied" "$direct") %), mlhub $(awk -v t="$ticks" -v mb="$SIZE_MB" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 1000 * t / hz / mb }') ms CPU per MB"
done

row() {
  local ratio; ratio=$(median "${@:4}")
  local ok=pass; (( ${ratio%.*} >= 80 )) || { ok=FAIL; FAILED=1; }
  printf '| %-8s | %6s MB/s | %6s MB/s | %5s %% | %-4s |\n' "$1" "$2" "$3" "$ratio" "$ok"
}
echo
printf '| %-8s | %-11s | %-11s | %-7s | %-4s |\n' "transfer" "direct" "proxied" "proxy" "ok"
printf '|----------|-------------|-------------|---------|------|\n'
row upload "$(median "${up_direct[@]}")" "$(median "${up_proxy[@]}")" "${up_ratio[@]}"
row download "$(median "${down_direct[@]}")" "$(median "${down_proxy[@]}")" "${down_ratio[@]}"
echo
log "medians of $ROUNDS rounds (proxy: the median of the rounds' own ratios: upload ${up_ratio[*]} %," \
  "download ${down_ratio[*]} %); ${SIZE_MB} MB file; server peak RSS (VmHWM) per round: ${rss[*]} MB"
exit $FAILED
