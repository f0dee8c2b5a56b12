#!/usr/bin/env bash
# `make run`: embedded default (SQLite + local object folder), sample programme, Airflow standalone.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p "$SOHOA_HOME" "$AIRFLOW_HOME"

sohoa db upgrade
if [ ! -f "$SOHOA_HOME/sample/manifest.json" ]; then
  echo "Tạo chương trình mẫu (sample programme) ..."
  sohoa sample --out "$SOHOA_HOME/sample" --size "${SOHOA_SAMPLE_SIZE:-full}"
fi
sohoa agencies load "$SOHOA_HOME/sample/agencies.csv" --plans "$SOHOA_HOME/sample/plans.csv" >/dev/null

# Airflow's metadata DB first, so the OCR pool exists before the scheduler places tasks
# (the OCR task asks for pool sohoa_ocr; the queue is ignored by LocalExecutor).
airflow db migrate >/dev/null
airflow pools set "${SOHOA_OCR_POOL:-sohoa_ocr}" 1 "OCR (nặng): một tác vụ một lúc" >/dev/null

# The admin's password (kept across runs); the run notes are written with it through
# the REST API (connection sohoa_airflow_api).
PASSFILE="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
[ -f "$PASSFILE" ] || python -c 'import json,secrets,sys; json.dump({"admin": secrets.token_hex(12)}, open(sys.argv[1], "w"))' "$PASSFILE"
ADMIN_PW="$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$PASSFILE")"
export AIRFLOW_CONN_SOHOA_AIRFLOW_API="http://admin:${ADMIN_PW}@127.0.0.1:8080"

LOG="$AIRFLOW_HOME/standalone.log"
echo "Starting Airflow standalone (log: $LOG) ..."
# Its own process group, so stopping `make run` stops every Airflow component with it.
setsid airflow standalone >"$LOG" 2>&1 &
AF_PID=$!
trap 'kill -TERM -- -$AF_PID 2>/dev/null; wait $AF_PID 2>/dev/null' INT TERM EXIT

for _ in $(seq 1 180); do
  curl -fsS "http://127.0.0.1:8080/api/v2/monitor/health" >/dev/null 2>&1 && break
  kill -0 $AF_PID 2>/dev/null || { echo "Airflow exited; see $LOG"; tail -40 "$LOG"; exit 1; }
  sleep 2
done
cat <<MSG

  sohoa is running.
  Airflow UI:  http://127.0.0.1:8080
  User:        admin
  Password:    in $PASSFILE
  Objects:     $SOHOA_HOME/objects   (reports under reports/, PDFs under pdf/)
  The sample flows through all seven phase DAGs on its own; fields to confirm
  wait under Browse → Required actions (DAG description_review). Stop with Ctrl-C.

MSG
wait $AF_PID
