#!/usr/bin/env bash
# Benchmarks of an mlhub server binary against the targets of docs/benchmarks.md.
#
#   bench/run.sh build/src/mlhub                    (what `make bench` runs: SQLite)
#   BACKEND=postgres bench/run.sh build/src/mlhub   (a fresh PostgreSQL 15 cluster in the temp dir)
#
# Starts `BIN server` on a free loopback port with a fresh store in a temp dir (SQLite file, or
# a PostgreSQL cluster started with tests/e2e/pg_cluster.py), runs the five scenarios, prints a
# results table, stops the server with SIGTERM (and PostgreSQL) and removes the temp dir (KEEP=1
# keeps it). Exit status 1 when a scenario fails or misses its target (targets per backend).
# Needs: wrk, curl, /usr/bin/python3 with requests (Debian packages); postgresql-15 for postgres.
set -euo pipefail

[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 path/to/mlhub" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
DURATION=${DURATION:-10s}   # per wrk run
CONNS=4
TICK_US=$((1000000 / $(getconf CLK_TCK)))

BACKEND=${BACKEND:-sqlite}
case $BACKEND in
  sqlite)   T_LOG_METRIC=20000 T_LOG_BATCH=1000000 T_RUNS_CREATE=6000 T_SEARCH_MS=5 ;;
  postgres) T_LOG_METRIC=10000 T_LOG_BATCH=400000  T_RUNS_CREATE=6000 T_SEARCH_MS=10 ;;
  *) echo "BACKEND must be sqlite or postgres" >&2; exit 2 ;;
esac

TMP=$(mktemp -d /tmp/mlhub-bench.XXXXXX)
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
API=$BASE/api/2.0/mlflow
PID=
ROWS=()
FAILED=0

# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

PG_STATE=
cleanup() {
  stop_server || true
  [[ -z $PG_STATE ]] || "$PY" "$HERE/../tests/e2e/pg_cluster.py" stop "$PG_STATE" >/dev/null || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# row SCENARIO FIGURE TARGET PASS(1/0) — one line of the final table
row() {
  ROWS+=("$(printf '| %-34s | %-36s | %-12s | %-4s |' "$1" "$2" "$3" "$([[ $4 == 1 ]] && echo pass || echo FAIL)")")
  [[ $4 == 1 ]] || FAILED=1
}

# ge / le A B: float comparisons (empty A fails)
ge() { [[ -n $1 ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
le() { [[ -n $1 ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }

post() { curl -sS --fail-with-body --max-time 10 -H 'Content-Type: application/json' -d "$2" "$API/$1"; }
json() { $PY -c "import json, sys; print(json.load(sys.stdin)$1)"; }
new_experiment() { post experiments/create "{\"name\":\"$1\"}" | json '["experiment_id"]'; }
new_run() { post runs/create "{\"experiment_id\":\"$1\",\"start_time\":1700000000000,\"tags\":[]}" | json '["run"]["info"]["run_id"]'; }

# Server CPU time (user+system, all threads) in clock ticks.
cpu_ticks() {
  local stat; stat=$(cat "/proc/$PID/stat" 2>/dev/null) || { echo 0; return; }
  echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

print_table() {
  echo
  printf '| %-34s | %-36s | %-12s | %-4s |\n' scenario figure target ok
  printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..38})" "$(printf -- '-%.0s' {1..14})" "------"
  [[ ${#ROWS[@]} -eq 0 ]] || printf '%s\n' "${ROWS[@]}"
}

# After each scenario: stop here (table so far, exit 1) if the server is gone.
server_alive() {
  kill -0 "$PID" 2>/dev/null && return 0
  log "server died; last lines of its log:"; tail -n 20 "$TMP/server.log"
  print_table; exit 1
}

# wrk_run MODE ID: sets REQS RPS BAD (non-2xx + socket errors) P50_MS P99_MS CPU_US WRK_CPU
wrk_run() {
  local out=$TMP/wrk-$1.txt c0 c1
  c0=$(cpu_ticks)
  { TIMEFORMAT='WRKCPU %U %S'; time timeout 60 wrk -t1 -c$CONNS -d"$DURATION" --timeout 10s \
      -s "$HERE/wrk.lua" "$BASE" -- "$1" "$2" >"$out" 2>&1; } 2>>"$out" || true
  c1=$(cpu_ticks)
  sed 's/^/   /' "$out"
  local line; line=$(grep '^BENCH ' "$out" || true)
  if [[ -z $line ]]; then REQS=0 RPS=0 BAD=1 P50_MS='' P99_MS='' CPU_US='' WRK_CPU=''; return; fi
  # BENCH requests= duration_us= non2xx= connect= read= write= timeout= p50_us= p99_us= max_us=
  local requests duration_us non2xx connect rd wr tmo p50_us p99_us
  read -r requests duration_us non2xx connect rd wr tmo p50_us p99_us _ <<<"$(sed 's/^BENCH //; s/[a-z0-9_]*=//g' <<<"$line")"
  REQS=$requests
  BAD=$((non2xx + connect + rd + wr + tmo))
  RPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50_MS=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
  P99_MS=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  CPU_US=$(awk -v t=$((c1 - c0)) -v u="$TICK_US" -v r="$requests" 'BEGIN { printf "%.0f", r ? t * u / r : 0 }')
  WRK_CPU=$(awk -v d="$duration_us" '/^WRKCPU/ { printf "%.0f%%", ($2 + $3) * 100 / (d / 1e6) }' "$out")
  log "$1: $RPS req/s, p50 $P50_MS ms, p99 $P99_MS ms, server ${CPU_US} CPU-us/req, wrk used $WRK_CPU of a core, $non2xx non-2xx, $((connect + rd + wr + tmo)) socket errors"
}

# check_stored RUN KEY PER_REQUEST: every answered request's points must be in the history
# (up to $CONNS more: requests still in flight when wrk stopped); counts a shortfall in BAD.
check_stored() {
  local n lo=$((REQS * $3)) hi=$(((REQS + CONNS) * $3))
  n=$(curl -sS --max-time 30 "$API/metrics/get-history?run_id=$1&metric_key=$2" | json '.get("metrics", []).__len__()') || n=0
  if (( n >= lo && n <= hi )); then log "stored: $n points of $2 (expected $lo..$hi)"
  else log "stored: $n points of $2, expected $lo..$hi: writes lost or duplicated"; BAD=$((BAD + 1)); fi
}

errs() { (( BAD == 0 )) || echo ", $BAD errors"; }

# py_run SCENARIO ARGS...: runs latency.py, sets R_<name> for each RESULT line
py_run() {
  local out=$TMP/py-$1.txt
  timeout 600 "$PY" "$HERE/latency.py" "$@" >"$out" 2>&1 && PY_OK=1 || PY_OK=0
  sed 's/^/   /' "$out"
  eval "$(awk '/^RESULT / { printf "R_%s=%s\n", $2, $3 }' "$out")"
}

# ---------------------------------------------------------------------------------------------
log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ { print $2 }') GiB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
STORE_URI="sqlite:///$TMP/mlhub.db"
if [[ $BACKEND == postgres ]]; then
  PG_STATE=$TMP/pg
  mkdir -p "$PG_STATE"
  "$PY" "$HERE/../tests/e2e/pg_cluster.py" start "$PG_STATE" >"$TMP/pg-start.log" 2>&1 \
    || { log "PostgreSQL did not start:"; cat "$TMP/pg-start.log"; exit 1; }
  STORE_URI=$("$PY" "$HERE/../tests/e2e/pg_cluster.py" createdb "$PG_STATE" bench)
  log "PostgreSQL: $("$PY" "$HERE/../tests/e2e/pg_cluster.py" psql "$PG_STATE" bench 'SHOW server_version' | head -1), settings of tests/e2e/pg_cluster.py"
fi
log "starting $BIN on $BASE ($BACKEND; data in $TMP)"
"$BIN" server --host 127.0.0.1 --port "$PORT" --backend-store-uri "$STORE_URI" \
  --artifacts-destination "$TMP/art" >"$TMP/server.log" 2>&1 &
PID=$!
wait_for_url "$BASE/health" 15 "$TMP/server.log"

# 1. log-metric, one metric per request, steps 1, 2, 3, ...
log "1. runs/log-metric, 1 metric per request, wrk -t1 -c$CONNS -d$DURATION"
run=$(new_run "$(new_experiment bench-log-metric)")
wrk_run log-metric "$run"
check_stored "$run" m 1
row "1 log-metric (1 metric/request)" "$RPS req/s$(errs)" ">= $T_LOG_METRIC" "$(( $(ge "$RPS" $T_LOG_METRIC) && BAD == 0 ))"
server_alive

# 2. log-batch, 1000 metrics per request: 100 keys x 10 steps, steps advance by 10 per request
log "2. runs/log-batch, 1000 metrics per request (100 keys x 10 steps), wrk -t1 -c$CONNS -d$DURATION"
run=$(new_run "$(new_experiment bench-log-batch)")
wrk_run log-batch "$run"
check_stored "$run" m00 10
MPS=$((RPS * 1000))
row "2 log-batch (1000 metrics/request)" "$MPS metrics/s ($RPS req/s)$(errs)" ">= $T_LOG_BATCH" "$(( $(ge "$MPS" $T_LOG_BATCH) && BAD == 0 ))"
server_alive

# 3. runs/create
log "3. runs/create, wrk -t1 -c$CONNS -d$DURATION"
wrk_run runs-create "$(new_experiment bench-runs-create)"
row "3 runs/create" "$RPS runs/s$(errs)" ">= $T_RUNS_CREATE" "$(( $(ge "$RPS" $T_RUNS_CREATE) && BAD == 0 ))"
server_alive

# 4. get-history of a 100,000-point metric (filled by 100 log-batch requests of 1000 points)
log "4. metrics/get-history of a 100,000-point metric, 20 timed calls"
R_history_points='' R_history_median_ms='' R_history_max_ms='' R_history_rss_growth_mb='' R_history_rss_growth_timed_mb=
py_run history "$BASE" "$PID"
row "4 get-history 100k points (median)" "${R_history_median_ms:-?} ms (max ${R_history_max_ms:-?})" "<= 75 ms" \
  "$(( $(le "$R_history_median_ms" 75) && PY_OK ))"
row "4 get-history points returned" "${R_history_points:-?}" "= 100000" "$([[ ${R_history_points:-} == 100000 ]] && echo 1 || echo 0)"
# RSS growth: before the 1st call -> after the 21st (may be negative when the allocator hands
# back memory of the earlier scenarios), and over the 20 timed calls alone; both must be <= 16 MB.
row "4 server RSS growth" "${R_history_rss_growth_mb:-?} MB (calls 2-21: ${R_history_rss_growth_timed_mb:-?})" "<= 16 MB" \
  "$(( $(le "$R_history_rss_growth_mb" 16) && $(le "$R_history_rss_growth_timed_mb" 16) ))"
server_alive

# 5. runs/search over 10,000 runs, 2-clause filter, ordered by a metric, 100 results
log "5. runs/search over 10,000 runs, 20 timed calls"
R_search_runs='' R_search_median_ms='' R_search_max_ms=''
if [[ $BACKEND == postgres ]]; then
  # Fresh tables have no planner statistics until autovacuum's first ANALYZE (up to a minute
  # after loading); without them PostgreSQL picks nested loops that take seconds. Analyze after
  # loading, as pgbench does.
  export MLHUB_BENCH_AFTER_LOAD="$PY $HERE/../tests/e2e/pg_cluster.py psql $PG_STATE bench ANALYZE"
fi
py_run search "$BASE"
row "5 runs/search 10k runs (median)" "${R_search_median_ms:-?} ms (max ${R_search_max_ms:-?})" "<= $T_SEARCH_MS ms" \
  "$(( $(le "$R_search_median_ms" $T_SEARCH_MS) && PY_OK ))"
row "5 runs/search runs returned" "${R_search_runs:-?}" "= 100" "$([[ ${R_search_runs:-} == 100 ]] && echo 1 || echo 0)"
server_alive

# Anything the server answered with other than 2xx during the whole run (its /metrics counters).
bad=$(curl -s --max-time 5 "$BASE/metrics" | grep '^mlhub_http_requests_total' | grep -v 'status="2' || true)
[[ -z $bad ]] || { log "server non-2xx answers:"; echo "$bad" | sed 's/^/   /'; }
if grep -qiE '\b(error|critical)\b' "$TMP/server.log"; then
  log "errors in the server log (first 10):"; grep -iE '\b(error|critical)\b' "$TMP/server.log" | head -n 10 | sed 's/^/   /'
fi
stop_server

print_table
exit "$FAILED"
