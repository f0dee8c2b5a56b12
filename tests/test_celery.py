"""The production shape actually run: `make celery-check` (scripts/celery_check.py) with a
Celery worker SIGKILLed in the middle of OCR and a forced rerun afterwards.

Two Celery workers, the api-server, scheduler, dag-processor and triggerer on the local
PostgreSQL (fresh databases, dropped after) and Redis (queues unique to the run). Every
phase DAG must succeed, both workers must have run tasks, the OCR task must run in its
own queue and pool, the killed try must be retried on the other worker and every file
must be done once: one PDF per file, one recognition event per page, one shared row per
integrated file. The forced integration is recorded under the operator's name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    out = tmp_path_factory.mktemp("celery") / "check.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "celery_check.py"),
                           "--kill-ocr-worker", "--force-rerun", "--json", str(out)],
                          capture_output=True, text=True, timeout=1800)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-5000:]
    result = json.loads(out.read_text())
    result["stdout"], result["returncode"] = proc.stdout, proc.returncode
    return result


def test_every_phase_dag_succeeded_under_celery(check):
    assert check["returncode"] == 0 and check["ok"], check["stdout"][-4000:]
    assert check["failed_runs"] == []
    dags = set(check["per_dag"])
    assert {"inventory_intake", "arrangement", "scan_qc", "ocr", "integration",
            "progress_report"} <= dags
    assert "total" in check["stdout"]  # the per-worker table was printed


def test_both_workers_ran_tasks_and_ocr_has_its_own_queue(check):
    per_dag = check["per_dag"]
    assert sum(d["w1"] for d in per_dag.values()) > 0
    assert sum(d["w2"] for d in per_dag.values()) > 0
    assert all(not d["other"] for d in per_dag.values())  # only our two workers
    run = check["run_id"]
    ocr_queues = per_dag["ocr"]["queues"]
    assert ocr_queues.get(f"sohoa_ocr_{run}", 0) >= 1  # the OCR task in the OCR queue
    for dag_id in ("inventory_intake", "progress_report"):
        assert set(per_dag[dag_id]["queues"]) == {f"sohoa_{run}"}  # never behind OCR


def test_killed_ocr_worker_retried_elsewhere_and_nothing_done_twice(check):
    killed = check["killed"]
    assert killed["worker"] in ("w1", "w2")
    c = check["counts"]
    assert c["pdf_stored_per_file"] == {"1": c["ocr_done_files"]}, c  # each file once
    assert set(c["recognised_per_page"]) == {"1"}, c  # each page recognised once
    assert c["pdf_objects"] == c["ocr_done_files"]
    integrated = c["files_by_status"].get("integrated", 0)
    assert integrated > 0 and c["shared_files"] == integrated


def test_run_notes_and_the_forced_rerun(check):
    for dag_id, notes in check["notes"].items():
        # the fixity audit counts objects, every other phase its files or lists
        said = "Kiểm tra toàn vẹn: " if dag_id == "fixity_audit" else " lỗi."
        assert notes and all(n and said in n for n in notes), (dag_id, notes)
    force = check["force"]
    assert force["state"] == "success" and force["triggering_user"] == "admin"
    assert force["note"].startswith("Làm lại (force) theo yêu cầu của admin cho ")
    assert f"{force['files']} làm lại" in force["note"]
    assert len(force["forced_events"]) == force["files"] > 0
    assert {e["actor"] for e in force["forced_events"]} == {"user:admin"}
