#!/usr/bin/env bash
# Calibration 1 (cal1.toml): every training the plan lacks, then the report. Resumes wherever it
# stopped (killed sessions included: a trial silent for 60 s is re-queued); run it again.
#
#   bash experiments/calibration/run.sh            # 2 workers (1 thread each, nice 19), then the report
#   WORKERS=1 bash experiments/calibration/run.sh  # one worker
#   bash experiments/calibration/run.sh report     # the report only (results/calibration/cal1/)
#   bash experiments/calibration/run.sh snapshot   # the report, and cal1.db staged for a commit while
#                                                  # workers run (an exclusive lock: no torn copy)
#
# Worker 1 trains the reference first, worker 2 today's protocol (f1) first; then both share
# the rest. Extra arguments go to every `designspace calibrate run` (e.g. --device cuda).
set -euo pipefail
cd "$(dirname "$0")/../.."
plan=experiments/calibration/cal1.toml
step=${1:-all}
shift || true

train() {
  local pids=()
  # Linux groups a session's processes (autogroup): `nice` alone yields only within the session, and
  # the workers took half the CPU from a test run started in another one (pytest at 74% of a core
  # beside them, 93% once their group was niced). So each worker gets its own session, niced.
  start() {  # (the new session niceing its own group: no race with the parent's group)
    setsid sh -c 'echo 19 > /proc/self/autogroup 2>/dev/null; exec nice -n 19 "$@"' sh \
      designspace calibrate run "$plan" "$@" &
    pids+=($!)
  }
  start --part reference protocols "$@"
  if [ "${WORKERS:-2}" -ge 2 ]; then
    sleep 20  # the first worker creates the storage
    start --part f1 reference protocols "$@"
  fi
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' INT TERM
  wait "${pids[@]}"
}

report() {
  designspace calibrate report "$plan"
}

snapshot() {
  report
  python - <<'PY'
import sqlite3, subprocess
db = "results/calibration/cal1.db"
con = sqlite3.connect(db, timeout=60, isolation_level=None)
con.execute("BEGIN EXCLUSIVE")  # workers wait (their busy timeout) while git copies the file
try:
    subprocess.run(["git", "add", db, "results/calibration/cal1"], check=True)
finally:
    con.execute("ROLLBACK")
    con.close()
PY
  echo "staged results/calibration/cal1.db and results/calibration/cal1/: commit them"
}

case "$step" in
  train) train "$@" ;;
  report) report ;;
  snapshot) snapshot ;;
  all) train "$@"; report ;;
  *) echo "usage: run.sh [train|report|snapshot|all] [calibrate run options]" >&2; exit 2 ;;
esac
