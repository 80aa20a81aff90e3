#!/bin/sh
# run_fuzzer.sh BINARY SEEDS RUN_DIR SECONDS [DICT]: the ctest entry of one fuzz target. First
# replays every file in SEEDS whole (crashers included, however large), then fuzzes for SECONDS
# from them, with inputs of up to 4 KiB (larger seeds are cut for mutation). New inputs go to
# RUN_DIR/corpus and a failing one to RUN_DIR/artifacts/ (both emptied first). Exit status is
# libFuzzer's: non-zero on a crash, leak, timeout (10 s on one input) or out-of-memory (2 GiB).
set -eu
bin=$1 seeds=$2 run=$3 seconds=$4 dict=${5:-}
rm -rf "$run"
mkdir -p "$run/corpus" "$run/artifacts"
set -- -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$run/artifacts/"
if ! "$bin" "$@" "$seeds"/* >"$run/replay.log" 2>&1; then
  cat "$run/replay.log"
  echo "run_fuzzer.sh: a seed in $seeds fails (reproduce: $bin FILE)"
  exit 1
fi
echo "run_fuzzer.sh: replayed $(ls "$seeds" | wc -l) seeds; fuzzing for $seconds s"
if [ -n "$dict" ]; then set -- "$@" -dict="$dict"; fi
exec "$bin" "$@" -max_len=4096 -max_total_time="$seconds" -print_final_stats=1 "$run/corpus" "$seeds"
