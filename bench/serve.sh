#!/usr/bin/env bash
# Benchmarks of `mlhub serve` (issue 6): an XGBoost regressor (100 trees, depth 6, 13 features)
# behind V2 JSON, the V2 binary extension, /predict, /invocations and gRPC ModelInfer.
#
#   bench/serve.sh build/src/mlhub                 (grpc_load from build/bench/grpc_load)
#   DURATION=5s SERVE_ARGS="--instances 2" bench/serve.sh build/src/mlhub
#   MODEL_TREES=20 MODEL_DEPTH=4 bench/serve.sh build/src/mlhub  (a smaller model)
#   MODEL_KIND=torch bench/serve.sh build/src/mlhub  (issue 7's TorchScript MLP 13 -> 64 -> 1)
#
# Trains the model with Debian's python3-xgboost (bench/make_serving_model.py), starts
# `BIN serve --model reg=DIR --http-port P --grpc-port Q` on free loopback ports, checks each
# request body once against Python's predictions, warms up, then runs each scenario for DURATION
# (default 10s) with wrk -t2 -c8 --latency (bench/serve_wrk.lua) or grpc_load --threads 2
# --connections 8, plus a c=1 run of V2 JSON batch 1 (latency without queueing). For each it
# prints req/s, p50, p99 and, from GET /metrics before and after (counters of
# src/serving/batcher/scheduler.cc and src/serving/protocol/inference.cc, all totals over requests):
#   rows/exec  = d inference_count / d exec_count                (mean rows per model execution)
#   compute    = d compute_infer_duration_us / d request_success (each request counts the whole
#                execution it was part of: the mean execution time as a request saw it)
#   queue      = d queue_duration_us / d request_success
#   overhead   = (d request_duration_us - d compute_infer_duration_us) / d request_success: mean
#                server time from the decoded request to the finished result outside the model
#                (input checks, queueing, batching); HTTP, JSON and protobuf work is not in it
#   HTTP ovh.  = d mlhub_http_request_duration_seconds_sum / _count of the route (headers received
#                to response ready: body, decoding, inference, encoding) - compute; HTTP only
#   CPU/req    = server utime+stime (all threads, /proc/PID/stat) / requests
#   others     = CPU that other processes used during the run (% of one core): the 2 cores are
#                shared, so a figure with others well above 0 is not the server's own
# and how much CPU the load generator used. Counters are whole microseconds per request or
# execution (truncated), so per-request means can be up to 1 us low.
# Exit status 1 when a scenario fails outright (non-2xx answers, socket or gRPC errors, wrong
# predictions, the server dying); a missed target is reported as MISS in the table, not an error.
# Env: DURATION (10s), WARMUP (3s), SERVE_ARGS (extra `serve` flags), GRPC_LOAD (path),
# WAIT_QUIET=1 (before each run wait until other processes use < 10 % of a core; rerun a run
# during which they used > 20 %, up to RETRIES=3 times), KEEP=1 keeps the temp dir.
# Needs: wrk, curl, /usr/bin/python3 with numpy, xgboost, requests (Debian packages).
set -euo pipefail

[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 path/to/mlhub" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
GRPC_LOAD=$(realpath -m "${GRPC_LOAD:-$(dirname "$BIN")/../bench/grpc_load}")
[[ -x $GRPC_LOAD ]] || { echo "grpc_load not found at $GRPC_LOAD (build target grpc_load, or set GRPC_LOAD)" >&2; exit 2; }
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
D_S=${DURATION%s} W_S=${WARMUP%s}
[[ $D_S =~ ^[0-9]+$ && $W_S =~ ^[0-9]+$ ]] || { echo "DURATION and WARMUP are whole seconds (10s)" >&2; exit 2; }
CONNS=8
THREADS=2
TICK_US=$((1000000 / $(getconf CLK_TCK)))
read -r -a EXTRA <<<"${SERVE_ARGS:-}"

# Targets (issue 6; issue 7 for the TorchScript MLP) and the KServe xgbserver reference of issue 6
# (same machine, not re-measured).
T_JSON1_RPS=35000 T_JSON1_P99_US=1000 T_JSON64_RPS=15000 T_OVERHEAD_US=30
if [[ ${MODEL_KIND:-xgboost} == torch ]]; then T_JSON1_RPS=25000 T_JSON1_P99_US=1500; fi
KSERVE_B1=1800 KSERVE_B64=740

TMP=$(mktemp -d /tmp/mlhub-bench-serve.XXXXXX)
read -r HTTP_PORT GRPC_PORT < <($PY -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
BASE=http://127.0.0.1:$HTTP_PORT
PID=
ROWS=()
SUMMARY=()
FAILED=0
RUN=0

# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

cleanup() {
  stop_server || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

FMT='| %-27s | %2s | %6s | %6s | %6s | %9s | %7s | %6s | %8s | %9s | %7s | %6s | %-27s | %-4s |'
HEAD=$(printf "$FMT" scenario c 'req/s' 'p50 ms' 'p99 ms' 'rows/exec' compute queue overhead \
  'HTTP ovh.' 'CPU/req' others target ok)
print_table() {
  echo
  echo "$HEAD"
  sed 's/[^|]/-/g' <<<"$HEAD"
  [[ ${#ROWS[@]} -eq 0 ]] || printf '%s\n' "${ROWS[@]}"
  echo "(compute, queue, overhead, HTTP ovh., CPU/req: microseconds per request; others: CPU other processes used"
  echo " during the run, % of one core; see the top of bench/serve.sh)"
  [[ ${#SUMMARY[@]} -eq 0 ]] || printf '%s\n' "${SUMMARY[@]}"
}

server_alive() {
  kill -0 "$PID" 2>/dev/null && return 0
  log "server died; last lines of its log:"; tail -n 20 "$TMP/server.log"
  FAILED=1; print_table; exit 1
}

# ge / le A B: float comparisons (empty A fails)
ge() { [[ -n $1 ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
le() { [[ -n $1 ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }

# counters ROUTE: the model's serving counters (success failure rows execs request_us queue_us
# compute_us) and the HTTP latency histogram's sum (in us) and count for the POST route ROUTE.
counters() {
  curl -sS --max-time 5 "$BASE/metrics" | awk -v route="$1" '
    $1 ~ /^mlhub_inference_[a-z_]+\{model="reg",/ { name = $1; sub(/\{.*/, "", name); v[name] = $2 }
    index($1, "{method=\"POST\",route=\"" route "\"}") { name = $1; sub(/\{.*/, "", name); v[name] = $2 }
    END { p = "mlhub_inference_"; h = "mlhub_http_request_duration_seconds_"
          printf "%d %d %d %d %d %d %d %.0f %d\n", v[p "request_success"], v[p "request_failure"],
            v[p "count"], v[p "exec_count"], v[p "request_duration_us"],
            v[p "queue_duration_us"], v[p "compute_infer_duration_us"], v[h "sum"] * 1e6, v[h "count"] }'
}
# Server CPU time (user+system, all threads) in clock ticks.
cpu_ticks() {
  local stat; stat=$(cat "/proc/$PID/stat" 2>/dev/null) || { echo 0; return; }
  echo "${stat##*) }" | awk '{ print $12 + $13 }'
}
# Whole machine: busy ticks (user nice system irq softirq) and steal ticks.
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }

# others_pct S0 S1 SERVER_TICKS CLIENT_PCT SECONDS: % of a core the rest of the machine used
others_pct() {
  awk -v a="${1% *}" -v b="${2% *}" -v srv="$3" -v cl="$4" -v u="$TICK_US" -v s="$5" \
    'BEGIN { o = (b - a - srv) * u / 1e4 / s - cl; printf "%.0f", o < 0 ? 0 : o }'
}

# wait_quiet: with WAIT_QUIET=1, waits (up to WAIT_MAX seconds, default 900) until the rest of
# the machine uses under 10 % of a core over 3 s (nothing else compiling, say).
wait_quiet() {
  [[ ${WAIT_QUIET:-0} == 1 ]] || return 0
  local waited=0 s0 s1 c0 c1 busy
  while :; do
    s0=$(sys_ticks); c0=$(cpu_ticks); sleep 3; s1=$(sys_ticks); c1=$(cpu_ticks)
    busy=$(others_pct "$s0" "$s1" $((c1 - c0)) 0 3)
    (( busy < 10 )) && break
    (( waited < ${WAIT_MAX:-900} )) || { log "the machine stayed busy (${busy}% of a core); measuring anyway"; break; }
    (( waited % 60 )) || log "waiting for a quiet machine: others use ${busy}% of a core"
    waited=$((waited + 3))
  done
}

# run_once NAME CONNS ROUTE COMMAND...: one run of a load generator (wrk with serve_wrk.lua, or
# grpc_load; ROUTE: the route label of its HTTP metrics, - for gRPC). Sets R_* (figures of the
# run), BAD (errors) and OTHERS (% of a core used by other processes meanwhile).
run_once() {
  local name=$1 conns=$2 route=$3; shift 3
  wait_quiet
  RUN=$((RUN + 1))
  local out=$TMP/run-$RUN.txt m0 m1 c0 c1 s0 s1
  log "$name, $conns connection(s), $DURATION (load $(cut -d' ' -f1-3 /proc/loadavg))"
  m0=$(counters "$route"); c0=$(cpu_ticks); s0=$(sys_ticks)
  { TIMEFORMAT='CLIENTCPU %U %S'; time timeout $((D_S * 2 + 60)) "$@" >"$out" 2>&1; } 2>>"$out" || true
  m1=$(counters "$route"); c1=$(cpu_ticks); s1=$(sys_ticks)
  sed 's/^/   /' "$out"
  local line requests=0 duration_us=1 p50_us='' p99_us=''
  BAD=1
  line=$(grep -E '^(BENCH|GRPC) ' "$out" || true)
  if [[ $line == BENCH* ]]; then
    local non2xx connect rd wr tmo
    read -r requests duration_us non2xx connect rd wr tmo p50_us p99_us _ <<<"$(sed 's/^BENCH //; s/[a-z0-9_]*=//g' <<<"$line")"
    BAD=$((non2xx + connect + rd + wr + tmo))
  elif [[ $line == GRPC* ]]; then
    read -r requests duration_us BAD p50_us p99_us _ <<<"$(sed 's/^GRPC //; s/[a-z0-9_]*=//g' <<<"$line")"
  fi
  # Counter deltas; a failed inference is an error too.
  local d; d=$(awk -v a="$m0" -v b="$m1" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
    for (i = 1; i <= n; i++) printf "%d ", y[i] - x[i] }')
  local ok_n fail_n rows execs req_us queue_us compute_us http_us http_n
  read -r ok_n fail_n rows execs req_us queue_us compute_us http_us http_n <<<"$d"
  BAD=$((BAD + fail_n))
  (( requests > 0 )) || BAD=$((BAD + 1))
  R_RPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  R_P50=$p50_us R_P99=$p99_us
  read -r R_PER_EXEC R_COMPUTE R_QUEUE R_OVERHEAD R_CPU R_HTTP R_HTTP_OVERHEAD <<<"$(awk -v ok="$ok_n" \
    -v rows="$rows" -v ex="$execs" -v rq="$req_us" -v q="$queue_us" -v c="$compute_us" \
    -v t=$((c1 - c0)) -v u="$TICK_US" -v n="$requests" -v hu="$http_us" -v hn="$http_n" 'BEGIN {
      if (ok == 0) ok = 1; if (ex == 0) ex = 1; if (n == 0) n = 1
      printf "%.1f %.1f %.1f %.1f %.1f ", rows / ex, c / ok, q / ok, (rq - c) / ok, t * u / n
      if (hn > 0) printf "%.1f %.1f", hu / hn, hu / hn - c / ok; else printf "- -" }')"
  local sec client steal
  sec=$(awk -v d="$duration_us" 'BEGIN { print d / 1e6 }')
  client=$(awk -v s="$sec" '/^CLIENTCPU/ { printf "%.0f", ($2 + $3) * 100 / s }' "$out")
  OTHERS=$(others_pct "$s0" "$s1" $((c1 - c0)) "${client:-0}" "$sec")
  steal=$(awk -v a="${s0#* }" -v b="${s1#* }" -v u="$TICK_US" -v s="$sec" 'BEGIN { printf "%.0f", (b - a) * u / 1e4 / s }')
  log "$name c=$conns: $R_RPS req/s, p50 $p50_us us, p99 $p99_us us; $ok_n inferences answered" \
    "($fail_n failed), $R_PER_EXEC rows/exec, compute $R_COMPUTE us, queue $R_QUEUE us, overhead" \
    "$R_OVERHEAD us; HTTP request time $R_HTTP us (overhead $R_HTTP_OVERHEAD us); server CPU" \
    "$R_CPU us/req; the load generator used ${client:-?}% of a core, other processes ${OTHERS}%" \
    "(steal ${steal}%); $BAD errors"
}

# measure NAME CONNS TARGET-KIND ROUTE COMMAND...: run_once, then a table row. With WAIT_QUIET=1
# a run during which other processes used over 20 % of a core is repeated (RETRIES more times,
# default 3); the row shows the last run. Sets RPS P50_US OVERHEAD HTTP_OVERHEAD.
measure() {
  local name=$1 conns=$2 kind=$3 route=$4; shift 4
  local attempt=0
  while :; do
    run_once "$name" "$conns" "$route" "$@"
    server_alive
    [[ ${WAIT_QUIET:-0} == 1 ]] && (( BAD == 0 && OTHERS > 20 && attempt < ${RETRIES:-3} )) || break
    attempt=$((attempt + 1))
    log "other processes used ${OTHERS}% of a core during that run: running it again"
  done
  (( BAD == 0 )) || { log "$name: FAILED ($BAD errors)"; FAILED=1; }
  RPS=$R_RPS P50_US=$R_P50 OVERHEAD=$R_OVERHEAD HTTP_OVERHEAD=$R_HTTP_OVERHEAD

  local target=- verdict=-
  case $kind in
    json1)
      target=">= $T_JSON1_RPS, p99 <= $((T_JSON1_P99_US / 1000)).$((T_JSON1_P99_US % 1000 / 100)) ms"
      verdict=$(( $(ge "$RPS" $T_JSON1_RPS) && $(le "$R_P99" $T_JSON1_P99_US) )) ;;
    json64) target=">= $T_JSON64_RPS req/s"; verdict=$(ge "$RPS" $T_JSON64_RPS) ;;
    overhead)
      target="HTTP overhead <= $T_OVERHEAD_US us"
      verdict=$(( $(le "$OVERHEAD" $T_OVERHEAD_US) && $(le "$HTTP_OVERHEAD" $T_OVERHEAD_US) )) ;;
  esac
  case $verdict in 1) verdict=PASS ;; 0) verdict=MISS ;; esac
  (( BAD == 0 )) || verdict=FAIL
  ROWS+=("$(printf "$FMT" "$name" "$conns" "$RPS" "$(awk -v v="${R_P50:-0}" 'BEGIN { printf "%.3f", v / 1000 }')" \
    "$(awk -v v="${R_P99:-0}" 'BEGIN { printf "%.3f", v / 1000 }')" "$R_PER_EXEC" "$R_COMPUTE" "$R_QUEUE" \
    "$OVERHEAD" "$HTTP_OVERHEAD" "$R_CPU" "$OTHERS%" "$target" "$verdict")")
}

# wrk_scenario NAME CONNS KIND BODY PATH CONTENT-TYPE
wrk_scenario() {
  local name=$1 conns=$2 kind=$3 body=$4 path=$5 type=$6 hlen=() route=$5
  [[ $path != /v2/models/* ]] || route=/v2/models/
  [[ -f $TMP/$body.hlen ]] && hlen=("$(cat "$TMP/$body.hlen")")
  local threads=$THREADS; (( conns >= threads )) || threads=$conns
  measure "$name" "$conns" "$kind" "$route" wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 10s --latency \
    -s "$HERE/serve_wrk.lua" "$BASE" -- "$path" "$TMP/$body.body" "$type" "${hlen[@]}"
}

# grpc_scenario NAME BATCH
grpc_scenario() {
  measure "$1" "$CONNS" - - "$GRPC_LOAD" --target "127.0.0.1:$GRPC_PORT" --model reg --batch "$2" \
    --connections "$CONNS" --threads "$THREADS" --duration "$D_S" --input "$TMP/rows-$2.f32"
}

# ---------------------------------------------------------------------------------------------
log "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)," \
  "$(free -g | awk '/^Mem:/ { print $2 }') GiB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "$($BIN --version 2>&1 | head -1) ($BIN), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), grpc_load $GRPC_LOAD"
log "training the model (bench/make_serving_model.py)"
"$PY" "$HERE/make_serving_model.py" make "$TMP" | sed 's/^/   /'

log "starting $BIN serve on $BASE and grpc://127.0.0.1:$GRPC_PORT ${EXTRA[*]:-}"
"$BIN" serve --host 127.0.0.1 --model "reg=$TMP/model" --http-port "$HTTP_PORT" --grpc-port "$GRPC_PORT" \
  "${EXTRA[@]}" >"$TMP/server.log" 2>&1 &
PID=$!
wait_for_url "$BASE/v2/health/ready" 20 "$TMP/server.log"

log "checking every request body once against Python's predictions"
"$PY" "$HERE/make_serving_model.py" check "$TMP" "$BASE" | sed 's/^/   /' || { log "wrong answers"; exit 1; }

log "warm-up: V2 JSON batch 1 (wrk, $WARMUP) and gRPC batch 1 (grpc_load, $WARMUP)"
timeout $((W_S + 30)) wrk -t$THREADS -c$CONNS -d"$WARMUP" -s "$HERE/serve_wrk.lua" "$BASE" -- \
  /v2/models/reg/infer "$TMP/v2-json-1.body" application/json >/dev/null || log "wrk warm-up failed"
timeout $((W_S + 30)) "$GRPC_LOAD" --target "127.0.0.1:$GRPC_PORT" --model reg --batch 1 \
  --connections $CONNS --duration "$W_S" --input "$TMP/rows-1.f32" >/dev/null || log "gRPC warm-up had errors"
server_alive

JSON=application/json OCTET=application/octet-stream INFER=/v2/models/reg/infer
wrk_scenario "V2 JSON, batch 1" $CONNS json1 v2-json-1 $INFER $JSON
JSON1_RPS=$RPS
wrk_scenario "V2 JSON, batch 1" 1 overhead v2-json-1 $INFER $JSON
C1_P50=$P50_US C1_OVERHEAD=$OVERHEAD C1_HTTP_OVERHEAD=$HTTP_OVERHEAD
wrk_scenario "V2 JSON, batch 64" $CONNS json64 v2-json-64 $INFER $JSON
JSON64_RPS=$RPS
wrk_scenario "V2 binary, batch 1" $CONNS - v2-bin-1 $INFER $OCTET
wrk_scenario "V2 binary, batch 64" $CONNS - v2-bin-64 $INFER $OCTET
wrk_scenario "/predict, batch 1" $CONNS - predict-1 /predict $JSON
wrk_scenario "/invocations split, batch 1" $CONNS - invocations-1 /invocations $JSON
grpc_scenario "gRPC raw, batch 1" 1
grpc_scenario "gRPC raw, batch 64" 64

if grep -qiE '\b(error|critical)\b' "$TMP/server.log"; then
  log "errors in the server log (first 10):"; grep -iE '\b(error|critical)\b' "$TMP/server.log" | head -n 10 | sed 's/^/   /'
  FAILED=1
fi
stop_server

[[ ${MODEL_KIND:-xgboost} == torch ]] || SUMMARY+=("KServe xgbserver (issue 6, same machine): V2 JSON batch 1 $KSERVE_B1 req/s, batch 64 $KSERVE_B64 req/s; mlhub $(awk -v a="$JSON1_RPS" -v b=$KSERVE_B1 -v c="$JSON64_RPS" -v d=$KSERVE_B64 'BEGIN { printf "%.0fx and %.0fx", a / b, c / d }') that.")
SUMMARY+=("c=1 V2 JSON batch 1: p50 $C1_P50 us end to end (wrk), mean server-side overhead $C1_OVERHEAD us (inference counters), $C1_HTTP_OVERHEAD us (HTTP request time - compute). Load at the end: $(cut -d' ' -f1-3 /proc/loadavg).")
print_table
exit "$FAILED"
