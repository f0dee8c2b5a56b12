#!/usr/bin/env python
"""`make celery-check`: the production shape (CeleryExecutor) actually run, without Docker.

Starts `airflow api-server`, `scheduler`, `dag-processor`, `triggerer` and two
`airflow celery worker` processes (distinct hostnames, both serving the default and the
OCR queue) against the local PostgreSQL (a fresh Airflow metadata database, project
database and shared database, uniquely named, dropped afterwards) and Redis (broker;
queue names unique to this run), one shared JWT secret, a `db+postgresql://` result
backend. Takes the small sample (`sohoa sample --size small`) through every phase DAG:
unpauses them, triggers `inventory_intake` through the REST API and waits until every
sohoa DAG has finished its runs (the phases chain through their Assets). Prints, per DAG,
how many task instances each worker ran; exits 1 if any run did not succeed.

`--kill-ocr-worker`: SIGKILLs the worker running the OCR task in the middle of it; the
scheduler's heartbeat check fails that try, the retry runs on the other worker, and the
check verifies nothing was lost or done twice (pages, PDF objects, events, shared rows).
`--force-rerun`: afterwards triggers `integration` with "Làm lại (force)" and checks the
forced_rerun events carry the operator and the run note says so.
`--json PATH`: the figures as JSON (for tests/test_celery.py).
`--standalone`: the same run under `airflow standalone` (LocalExecutor, same databases),
for the wall-time comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("SOHOA_CHECK_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("SOHOA_CHECK_REDIS", "redis://127.0.0.1:6379/11")
TERMINAL = {"success", "failed"}
WORKERS = ("w1", "w2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[celery-check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Cluster:
    """The databases, the processes and their environment of one check."""

    def __init__(self, tmp: Path, run_id: str, *, heartbeat_timeout: int | None = None,
                 standalone: bool = False):
        self.tmp, self.run_id = tmp, run_id
        self.dbs = {k: f"sohoa_ck_{run_id}_{k}" for k in ("airflow", "project", "shared")}
        base = PG_ADMIN.rsplit("/", 1)[0]
        self.urls = {k: f"{base}/{v}" for k, v in self.dbs.items()}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.queue, self.ocr_queue = f"sohoa_{run_id}", f"sohoa_ocr_{run_id}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.home = tmp / "home"
        pw_file = tmp / "passwords.json"
        pw_file.write_text(json.dumps({"admin": self.password}))
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("SOHOA_", "AIRFLOW__", "AIRFLOW_HOME", "AIRFLOW_CONN"))}
        pg_plain = self.urls["shared"].replace("postgresql+psycopg2://", "postgresql://")
        af_db = self.urls["airflow"]
        self.env = dict(
            inherited,
            PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "include"),
                                                   os.environ.get("PYTHONPATH")) if p),
            AIRFLOW_HOME=str(tmp / "airflow"),
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW__CORE__HOSTNAME_CALLABLE="sohoa.airflow_glue.worker_hostname",
            AIRFLOW__CORE__AUTH_MANAGER=(
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(pw_file),
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base}/execution/",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=af_db,
            AIRFLOW__CELERY__BROKER_URL=REDIS,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + af_db.replace("+psycopg2", ""),
            AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=self.queue,
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(48),  # one secret, every process
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__API__BASE_URL=self.base,
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
            AIRFLOW_CONN_SOHOA_AIRFLOW_API=f"http://admin:{self.password}@127.0.0.1:{self.port}",
            AIRFLOW_CONN_SOHOA_SHARED=pg_plain,
            SOHOA_SHARED_CONN_ID="sohoa_shared",
            SOHOA_HOME=str(self.home),
            SOHOA_DB_URL=self.urls["project"],
            SOHOA_SHARED_DB_URL=self.urls["shared"],
            SOHOA_INTAKE_DIR=str(tmp / "sample" / "intake"),
            SOHOA_DELIVERY_DIR=str(tmp / "sample" / "deliveries"),
            SOHOA_OCR_QUEUE=self.ocr_queue,
            SOHOA_OCR_POOL="sohoa_ocr",
            SOHOA_WORKERS="2",
            SOHOA_TASK_RETRY_DELAY="5",
        )
        if standalone:
            self.env["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
        if heartbeat_timeout:
            self.env["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"] = str(heartbeat_timeout)
            self.env["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL"] = "3"

    # -- setup / teardown
    def create_databases(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            for name in self.dbs.values():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()

    def drop_databases(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            for name in self.dbs.values():
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def clean_redis(self) -> None:
        import redis

        r = redis.Redis.from_url(REDIS)
        for q in (self.queue, self.ocr_queue):
            r.delete(q, f"_kombu.binding.{q}")
        r.close()

    def run(self, *args: str, timeout: float = 300) -> str:
        out = subprocess.run(list(args), env=self.env, cwd=self.tmp, capture_output=True,
                             text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
        return out.stdout

    def airflow(self, *args: str, timeout: float = 300) -> str:
        return self.run(sys.executable, "-m", "airflow", *args, timeout=timeout)

    def start(self, name: str, *args: str, extra_env: dict | None = None) -> None:
        logf = open(self.tmp / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args], env={**self.env, **(extra_env or {})},
            cwd=self.tmp, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self, name: str) -> None:
        self.start(f"worker-{name}", "celery", "worker", "--celery-hostname",
                   f"{name}-{self.run_id}@%h", "--queues", f"{self.queue},{self.ocr_queue}",
                   "--concurrency", "2", "--skip-serve-logs", "--without-mingle", "--without-gossip",
                   "--pid", str(self.tmp / f"worker-{name}.pid"),
                   extra_env={"SOHOA_WORKER_HOSTNAME": self.hostname(name)})

    def hostname(self, worker: str) -> str:
        return f"{socket.getfqdn()}-{worker}-{self.run_id}"

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in list(self.procs.values()):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None and name not in getattr(self, "killed", set()):
                tail = (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    # -- REST API
    def client(self) -> httpx.Client:
        tok = httpx.post(f"{self.base}/auth/token",
                         json={"username": "admin", "password": self.password}, timeout=30)
        tok.raise_for_status()
        return httpx.Client(base_url=self.base, timeout=60,
                            headers={"Authorization": f"Bearer {tok.json()['access_token']}"})


def wait_for(what: str, cond, timeout: float, cluster: Cluster, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        cluster.check_alive()
        try:
            got = cond()
        except httpx.TransportError as exc:  # an api-server slow under load: ask again
            log(f"REST call failed ({exc!r}); asking again")
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def sohoa_dags(http: httpx.Client) -> list[str]:
    r = http.get("/api/v2/dags", params={"tags": "sohoa", "limit": 100})
    r.raise_for_status()
    return sorted(d["dag_id"] for d in r.json()["dags"])


def dag_runs(http: httpx.Client, dag_id: str) -> list[dict]:
    r = http.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100})
    r.raise_for_status()
    return r.json()["dag_runs"]


def task_instances(http: httpx.Client, dag_id: str, run_id: str) -> list[dict]:
    r = http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
    r.raise_for_status()
    return r.json()["task_instances"]


# DAGs whose tasks wait for a person's answer (human-in-the-loop): not part of the check
WAITS_FOR_PEOPLE = {"description_review"}


def all_settled(http: httpx.Client, dag_ids: list[str], since: int) -> dict | None:
    """Every DAG has at least one run, none is queued or running."""
    runs = {d: dag_runs(http, d) for d in dag_ids}
    if any(not rs for rs in runs.values()):
        return None
    if any(r["state"] not in TERMINAL for rs in runs.values() for r in rs):
        return None
    return runs


def project_counts(cluster: Cluster) -> dict:
    """Rows and objects that must match the work done once: nothing lost or twice."""
    eng = create_engine(cluster.urls["project"])
    with eng.connect() as c:
        q = lambda sql: c.execute(text(sql)).all()  # noqa: E731
        counts = {
            "files_by_status": dict(q("select status, count(*) from files group by status")),
            "pages": q("select count(*) from pages")[0][0],
            "pdf_stored_per_file": dict(Counter(n for _, n in q(
                "select entity_id, count(*) from events where phase='ocr' and action='pdf_stored'"
                " group by entity_id"))),
            "recognised_per_page": dict(Counter(n for _, n in q(
                "select entity_id, count(*) from events where phase='ocr' "
                "and action in ('recognised','ocr_failed') group by entity_id"))),
            "ocr_done_files": q("select count(*) from files where pdf_key is not null")[0][0],
            # the sample's pages that reach OCR are all readable: any error is the platform's
            "ocr_page_errors": dict(Counter(e.split(":")[0] for (e,) in q(
                "select ocr_error from pages where ocr_error is not null"))),
            "forced_events": [dict(r._mapping) for r in c.execute(text(
                "select phase, actor, entity_id from events where action='forced_rerun'"))],
            # each document (văn bản) has its own PDF/A beside its file's
            "document_pdfs": q("select count(*) from documents where pdf_key is not null")[0][0],
        }
    eng.dispose()
    eng = create_engine(cluster.urls["shared"])
    with eng.connect() as c:
        # the shared database's contract schema (sohoa.integration.contract)
        schema = os.environ.get("SOHOA_SHARED_SCHEMA") or "csdl"
        counts["shared_files"] = c.execute(text(f'select count(*) from "{schema}".files')).scalar()
        counts["shared_pages"] = c.execute(text(f'select count(*) from "{schema}".pages')).scalar()
    eng.dispose()
    pdf_dir = cluster.home / "objects" / "pdf"
    all_pdfs = sum(1 for p in pdf_dir.rglob("*.pdf")) if pdf_dir.exists() else 0
    counts["pdf_objects"] = all_pdfs - counts["document_pdfs"]  # the files' own PDF/A
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kill-ocr-worker", action="store_true")
    ap.add_argument("--force-rerun", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds to wait for the DAGs (the machine is shared: generous)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    ap.add_argument("--standalone", action="store_true",
                    help="`airflow standalone` (LocalExecutor) instead of the Celery shape")
    args = ap.parse_args(argv)
    if args.standalone and args.kill_ocr_worker:
        ap.error("--kill-ocr-worker needs the Celery workers")
    # SIGTERM (a test's timeout, Ctrl-C from make) still stops everything and drops the DBs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    run_id = secrets.token_hex(4)
    tmp = Path(tempfile.mkdtemp(prefix=f"sohoa-celery-{run_id}-"))
    cluster = Cluster(tmp, run_id, heartbeat_timeout=15 if args.kill_ocr_worker else None,
                      standalone=args.standalone)
    cluster.killed = set()
    result: dict = {"run_id": run_id, "workers": {w: cluster.hostname(w) for w in WORKERS},
                    "executor": "LocalExecutor (standalone)" if args.standalone else "CeleryExecutor"}
    t0 = time.monotonic()
    ok = False
    try:
        cluster.create_databases()
        log(f"databases {', '.join(cluster.dbs.values())}; broker {REDIS}; "
            f"queues {cluster.queue}, {cluster.ocr_queue}; logs in {tmp}")
        sohoa = [sys.executable, "-m", "sohoa.cli"]
        # Airflow's migration and the sample in parallel (both take a while)
        migrate = subprocess.Popen([sys.executable, "-m", "airflow", "db", "migrate"],
                                   env=cluster.env, cwd=tmp, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        cluster.run(*sohoa, "sample", "--out", str(tmp / "sample"), "--size", "small")
        cluster.run(*sohoa, "db", "upgrade")
        cluster.run(*sohoa, "agencies", "load", str(tmp / "sample" / "agencies.csv"),
                    "--plans", str(tmp / "sample" / "plans.csv"))
        out, _ = migrate.communicate(timeout=600)
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{out[-3000:]}")
        cluster.airflow("pools", "set", "sohoa_ocr", "1", "OCR (nặng): một tác vụ một lúc")
        t_ready = time.monotonic()
        if args.standalone:
            cluster.start("standalone", "standalone")
        else:
            cluster.start("api-server", "api-server", "--host", "127.0.0.1", "--port",
                          str(cluster.port), "--workers", "1")
            for comp in ("scheduler", "dag-processor", "triggerer"):
                cluster.start(comp, comp)
            for w in WORKERS:
                cluster.start_worker(w)

        def health():
            try:
                return httpx.get(f"{cluster.base}/api/v2/monitor/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the api-server", health, 300, cluster)
        http = cluster.client()
        expected = {"inventory_intake", "arrangement", "scan_qc", "ocr", "integration",
                    "progress_report"}
        dag_files = len([p for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_")])
        dag_ids = wait_for("the DAGs to be parsed",
                           lambda: (d := sohoa_dags(http)) and len(d) >= dag_files
                           and expected <= set(d) and d, 120, cluster)
        log(f"{len(dag_ids)} DAGs: {', '.join(dag_ids)}")
        # a DAG that waits for people (Required actions) never settles on its own: left paused
        dag_ids = [d for d in dag_ids if d not in WAITS_FOR_PEOPLE]
        for d in dag_ids:
            http.patch(f"/api/v2/dags/{d}", json={"is_paused": False}).raise_for_status()
        t_start = time.monotonic()
        # unpaused, inventory_intake runs at once (run_immediately); trigger it only if not
        try:
            wait_for("the first inventory_intake run", lambda: dag_runs(http, "inventory_intake"),
                     20, cluster)
        except TimeoutError:
            http.post("/api/v2/dags/inventory_intake/dagRuns",
                      json={"logical_date": None, "conf": {}}).raise_for_status()

        if args.kill_ocr_worker:
            result["killed"] = kill_during_ocr(cluster, http, args.timeout)

        runs = wait_for("every phase DAG to finish", lambda: all_settled(http, dag_ids, 0),
                        args.timeout, cluster, every=3)
        # a run may still be created by an Asset event just announced: settle twice
        time.sleep(4)
        runs = wait_for("every phase DAG to finish", lambda: all_settled(http, dag_ids, 0),
                        args.timeout, cluster, every=3)
        result["wall_seconds"] = round(time.monotonic() - t_start, 1)
        result["setup_seconds"] = round(t_ready - t0, 1)
        per_dag, failed, notes = report(http, runs, cluster)
        result.update(per_dag=per_dag, failed_runs=failed, notes=notes)
        result["counts"] = project_counts(cluster)
        if args.force_rerun:
            result["force"] = force_rerun(cluster, http, args.timeout)
        ok = not failed and not result["counts"]["ocr_page_errors"] and all(
            n for d, ns in notes.items() for n in ns if d != "progress_report")
        if not ok:
            log(f"FAILED runs: {failed}; OCR page errors: {result['counts']['ocr_page_errors']}; "
                f"notes: {notes}")
        return 0 if ok else 1
    finally:
        result["ok"] = ok
        result["total_seconds"] = round(time.monotonic() - t0, 1)
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        cluster.stop_all()
        try:
            cluster.drop_databases()
        finally:
            cluster.clean_redis()
            if args.keep or not ok:
                log(f"logs kept in {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)


def report(http: httpx.Client, runs: dict, cluster: Cluster):
    """Print per DAG: task instances per worker, queues; return (table, failed, notes)."""
    names = {cluster.hostname(w): w for w in WORKERS}
    per_dag, failed, notes = {}, [], defaultdict(list)
    waits = []
    header = f"{'DAG':<20}{'runs':>5}  " + "  ".join(f"{w:>4}" for w in WORKERS) + "  queues"
    print(header)
    for dag_id, rs in sorted(runs.items()):
        count = Counter()
        queues = Counter()
        for run in rs:
            if run["state"] != "success":
                failed.append(f"{dag_id}/{run['dag_run_id']}: {run['state']}")
            if dag_id != "progress_report":
                notes[dag_id].append(run.get("note"))
            for ti in task_instances(http, dag_id, run["dag_run_id"]):
                if ti["state"] in ("skipped", None) or not ti.get("hostname"):
                    continue
                count[names.get(ti["hostname"], ti["hostname"])] += 1
                queues[ti["queue"]] += 1
                if ti.get("queued_when") and ti.get("start_date") and ti["queue"] == cluster.queue:
                    waits.append(_seconds(ti["queued_when"], ti["start_date"]))
        per_dag[dag_id] = {"runs": len(rs), **{w: count.get(w, 0) for w in WORKERS},
                           "other": {k: v for k, v in count.items() if k not in WORKERS},
                           "queues": dict(queues)}
        print(f"{dag_id:<20}{len(rs):>5}  " + "  ".join(f"{count.get(w, 0):>4}" for w in WORKERS)
              + "  " + ", ".join(f"{q.replace('_' + cluster.run_id, '')}:{n}"
                                 for q, n in sorted(queues.items())))
    tot = {w: sum(d[w] for d in per_dag.values()) for w in WORKERS}
    print(f"{'total':<20}{'':>5}  " + "  ".join(f"{tot[w]:>4}" for w in WORKERS))
    if waits:
        print(f"default-queue tasks: queued→started max {max(waits):.1f}s, "
              f"median {sorted(waits)[len(waits) // 2]:.1f}s")
    for dag_id, ns in sorted(notes.items()):
        for n in ns:
            print(f"note {dag_id}: {n}")
    return per_dag, failed, dict(notes)


def _seconds(a: str, b: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def kill_during_ocr(cluster: Cluster, http: httpx.Client, timeout: float) -> dict:
    """SIGKILL the worker (its whole process group) running the OCR task, once it has
    recognised at least one page; the scheduler fails that try on the missing heartbeat
    and the retry runs on the other worker."""
    eng = create_engine(cluster.urls["project"])

    def running_ocr():
        for run in dag_runs(http, "ocr"):
            for ti in task_instances(http, "ocr", run["dag_run_id"]):
                if ti["task_id"] == "process" and ti["state"] == "running" and ti.get("hostname"):
                    with eng.connect() as c:
                        n = c.execute(text("select count(*) from events where phase='ocr' "
                                           "and action='recognised'")).scalar()
                    if n >= 1:
                        return ti
        return None

    try:
        ti = wait_for("an OCR task to be running", running_ocr, timeout, cluster, every=0.5)
    finally:
        eng.dispose()
    victim = next(w for w in WORKERS if cluster.hostname(w) == ti["hostname"])
    log(f"SIGKILL worker {victim} in the middle of OCR (try {ti['try_number']}, "
        f"map index {ti['map_index']})")
    cluster.killed.add(f"worker-{victim}")
    cluster.kill(f"worker-{victim}")
    return {"worker": victim, "try_number": ti["try_number"], "map_index": ti["map_index"],
            "run_id": ti["dag_run_id"]}


def force_rerun(cluster: Cluster, http: httpx.Client, timeout: float) -> dict:
    """Trigger integration with "Làm lại (force)" for one agency; its files are written
    again although unchanged, each a forced_rerun event of the operator (admin)."""
    eng = create_engine(cluster.urls["project"])
    with eng.connect() as c:
        agency = c.execute(text("select a.code from files f join agencies a on a.id=f.agency_id "
                                "where f.status='integrated' order by a.code limit 1")).scalar()
        files = c.execute(text("select count(*) from files f join agencies a on a.id=f.agency_id "
                               "where f.status='integrated' and a.code=:a"), {"a": agency}).scalar()
    eng.dispose()
    r = http.post("/api/v2/dags/integration/dagRuns",
                  json={"logical_date": None, "conf": {"agency": agency, "force": True}})
    r.raise_for_status()
    run_id = r.json()["dag_run_id"]

    def done():
        run = http.get(f"/api/v2/dags/integration/dagRuns/{run_id}").json()
        return run if run["state"] in TERMINAL else None

    run = wait_for("the forced integration run", done, timeout, cluster, every=2)
    forced = [e for e in project_counts(cluster)["forced_events"] if e["phase"] == "integration"]
    log(f"forced integration of {agency}: {run['state']}; note: {run.get('note')}")
    return {"agency": agency, "files": files, "state": run["state"], "note": run.get("note"),
            "forced_events": forced, "triggering_user": run.get("triggering_user_name")}


if __name__ == "__main__":
    sys.exit(main())
