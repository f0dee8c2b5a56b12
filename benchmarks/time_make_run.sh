#!/usr/bin/env bash
# Measures `make run` on a fresh clone: seconds until the Airflow UI answers, and until the
# sample has gone through every phase (a progress report built after all files settled).
# Usage: bash benchmarks/time_make_run.sh [clone-dir]   (stops Airflow at the end)
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-$(mktemp -d /tmp/sohoa-run-XXXX)/sohoa}"
git clone -q "$SRC" "$DIR"
cd "$DIR"
T0=$(date +%s)
setsid make run > run.log 2>&1 &
RUN_PID=$!
trap 'kill -TERM -- -$RUN_PID 2>/dev/null; sleep 5; pkill -f "$DIR/.venv" || true' EXIT
until curl -fsS http://127.0.0.1:8080/api/v2/monitor/health >/dev/null 2>&1; do
  sleep 2; kill -0 $RUN_PID 2>/dev/null || { tail -30 run.log; exit 1; }
done
T_UI=$(( $(date +%s) - T0 ))
echo "UI answers after ${T_UI}s"
# Done = no file is still waiting for a phase it can pass (only QC-rejected ones may stay
# behind, waiting for a rescan), every integrated file has its AIP, and a report exists
# that was built after the last change to the files (preservation comes after the report).
until .venv/bin/python - <<'PY'
import sqlite3, sys
db = sqlite3.connect("var/sohoa.db")
try:
    pending = db.execute("select count(*) from files where status not in ('integrated','qc_rejected')").fetchone()[0]
    files = db.execute("select count(*) from files").fetchone()[0]
    integrated = db.execute("select count(*) from files where status = 'integrated'").fetchone()[0]
    aips = db.execute("select count(distinct file_id) from aips").fetchone()[0]
    last = db.execute("select max(occurred_at) from events "
                      "where phase not in ('progress_report', 'preservation')").fetchone()[0]
    rep = db.execute("select max(generated_at) from report_runs").fetchone()[0]
except sqlite3.OperationalError:
    sys.exit(1)
sys.exit(0 if files and pending == 0 and aips >= integrated and rep and last and rep >= last else 1)
PY
do sleep 5; done
T_ALL=$(( $(date +%s) - T0 ))
echo "sample through every phase, report and AIPs built, after ${T_ALL}s"
.venv/bin/python - <<'PY'
import sqlite3
db = sqlite3.connect("var/sohoa.db")
print(dict(db.execute("select status, count(*) from files group by status").fetchall()))
print("pages", db.execute("select qc_verdict, count(*) from pages group by qc_verdict").fetchall())
PY
# every DAG's runs and their notes, from the REST API (description_review waits for people)
.venv/bin/python - <<'PY'
import json, urllib.request
pw = json.load(open("var/airflow/simple_auth_manager_passwords.json.generated"))["admin"]
req = urllib.request.Request("http://127.0.0.1:8080/auth/token", headers={"Content-Type": "application/json"},
                             data=json.dumps({"username": "admin", "password": pw}).encode())
tok = json.load(urllib.request.urlopen(req, timeout=30))["access_token"]
req = urllib.request.Request("http://127.0.0.1:8080/api/v2/dags/~/dagRuns?limit=200",
                             headers={"Authorization": f"Bearer {tok}"})
runs = json.load(urllib.request.urlopen(req, timeout=30))["dag_runs"]
for r in sorted(runs, key=lambda r: r["dag_id"]):
    print(f"{r['dag_id']:<20} {r['state']:<8} {r.get('note') or ''}")
PY
