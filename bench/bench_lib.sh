# Shared by the bench/*.sh scripts (sourced): logging and stopping the server under test.
# Expects PID (the server's pid, may be empty) and FAILED (set to 1 on an unclean stop).

log() { printf '== %s\n' "$*"; }

# SIGTERM, then up to 10 s for a clean exit (status 0); anything else marks the run FAILED.
stop_server() {
  [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null || return 0
  kill -TERM "$PID"
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then
    log "server still running 10 s after SIGTERM; sending SIGKILL"
    kill -KILL "$PID"; FAILED=1
  fi
  wait "$PID" 2>/dev/null && rc=0 || rc=$?
  [[ $rc -eq 0 ]] || { log "server exited with status $rc after SIGTERM"; FAILED=1; }
  PID=
}

# Waits up to SECONDS for URL to answer 2xx while the server (PID) runs; on failure prints the end
# of LOG and exits 1.
wait_for_url() {
  local url=$1 seconds=$2 log_file=$3
  for _ in $(seq $((seconds * 10))); do
    curl -sf --max-time 1 "$url" >/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  curl -sf --max-time 1 "$url" >/dev/null && return 0
  log "$url did not answer within $seconds s"; tail -n 20 "$log_file"; exit 1
}
