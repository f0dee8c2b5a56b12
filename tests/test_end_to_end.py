"""The small sample through all six phases, then the database checked against its ground truth.

On SQLite through the real DAGs (dag.test()), on PostgreSQL through the same phase
runners without Airflow. Both then rerun every phase and check nothing changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from sohoa.core.db.models import (
    Event,
    File,
    InventoryRowError,
    InventorySubmission,
    ReportRun,
    RescanRequest,
)
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.integration.phase import shared_files
from sohoa.ocr.pdf import pdf_text
from sqlalchemy import func, select

pytestmark = pytest.mark.slow
ORDER = ["inventory_intake", "arrangement", "scan_qc", "ocr", "integration", "progress_report"]
MUST_REJECT = {"blank", "blurred", "low_dpi"}
MUST_FIX = {"upside_down": "upside_down", "skewed": "skewed"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from sohoa.sample.generate import generate

    out = tmp_path_factory.mktemp("sample")
    manifest = generate(out, size="small", seed=11)
    return out, manifest


@pytest.fixture(scope="module")
def airflow_db():
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   capture_output=True)


def _configure(monkeypatch, tmp_path, sample_dir, db_url):
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOHOA_DB_URL", db_url)
    monkeypatch.setenv("SOHOA_SHARED_DB_URL", f"sqlite:///{tmp_path / 'shared.db'}")
    monkeypatch.setenv("SOHOA_INTAKE_DIR", str(sample_dir / "intake"))
    monkeypatch.setenv("SOHOA_DELIVERY_DIR", str(sample_dir / "deliveries"))
    monkeypatch.setenv("SOHOA_WORKERS", "2")
    monkeypatch.delenv("SOHOA_SHARED_CONN_ID", raising=False)
    monkeypatch.delenv("SOHOA_STORAGE", raising=False)
    monkeypatch.delenv("SOHOA_STORAGE_ROOT", raising=False)
    from sohoa.intake.agencies import load_registry_files

    migrate(db_url)
    with session_scope(make_engine(db_url)) as s:
        load_registry_files(s, sample_dir / "agencies.csv", sample_dir / "plans.csv")


def _event_count(engine, exclude_phase="progress_report") -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(Event).where(Event.phase != exclude_phase))


def check_outcome(db_url: str, sample_dir: Path, manifest: dict, shared_url: str) -> None:
    from sohoa.core.storage import get_storage

    engine = make_engine(db_url)
    storage = get_storage()
    with session_scope(engine) as s:
        files = {(f.agency.code, f.notation): f for f in s.scalars(select(File))}
        pages = {(f.agency.code, f.notation, p.page_no): p
                 for f in files.values() for p in f.pages}

        # Every delivered page is accounted for, with a verdict.
        expected = {(p["agency"], p["notation"], p["page"]) for p in manifest["pages"]}
        assert set(pages) == expected
        assert all(p.qc_verdict in ("pass", "fixable", "reject") for p in pages.values())

        # Labelled defects are caught; rejects carry Vietnamese reasons and a rescan request.
        for rec in manifest["pages"]:
            pg = pages[(rec["agency"], rec["notation"], rec["page"])]
            if rec["defect"] in MUST_REJECT:
                assert pg.qc_verdict == "reject", rec
                assert rec["defect"] in pg.qc_defects and pg.qc_reasons, rec
                assert s.scalar(select(RescanRequest).where(
                    RescanRequest.file_id == pg.file_id, RescanRequest.page_no == pg.page_no,
                    RescanRequest.status == "open")) is not None
            elif rec["defect"] in MUST_FIX:
                assert MUST_FIX[rec["defect"]] in pg.qc_defects, rec
                assert pg.qc_verdict == "fixable", rec
        clean = [pages[(r["agency"], r["notation"], r["page"])] for r in manifest["pages"]
                 if r["defect"] is None]
        assert sum(p.qc_verdict == "reject" for p in clean) <= max(1, len(clean) // 50)

        # Bad inventory rows are kept with reasons, on the row number the clerk sees.
        for bad in manifest["bad_rows"]:
            header = next(i["header_row"] for i in manifest["inventory"] if i["path"] == bad["list"])
            errs = s.scalars(select(InventoryRowError).join(InventorySubmission).where(
                InventoryRowError.row_number == header + bad["row"])).all()
            assert errs and all(e.problem for e in errs), bad
        assert s.scalar(select(func.sum(InventorySubmission.error_rows))) == len(manifest["bad_rows"])

        # The short delivery is held back with a reason and a rescan for the missing page.
        for short in manifest["short_deliveries"]:
            f = files[(short["agency"], short["notation"])]
            assert f.status == "qc_rejected" and f.qc_issues
            assert s.scalar(select(RescanRequest).where(
                RescanRequest.file_id == f.id, RescanRequest.page_no == short["missing_page"]))

        # Files with every page accepted went all the way: PDF/A with the OCR text, shared DB.
        done = [f for f in files.values() if all(p.qc_verdict != "reject" for p in f.pages)
                and f.pages and not f.qc_issues]
        assert done, "no file made it through"
        with make_engine(shared_url).connect() as c:
            shared = {r.file_code: r for r in c.execute(select(shared_files))}
        truth = {(p["agency"], p["notation"], p["page"]): p["text"] for p in manifest["pages"]}
        for f in done:
            assert f.status == "integrated", (f.notation, f.status)
            assert f.file_code in shared
            data = storage.get_bytes(f.pdf_key)
            with pikepdf.open(__import__("io").BytesIO(data)) as pdf:
                assert len(pdf.pages) == len(f.pages)
            texts = pdf_text(data)
            for p in f.pages:
                gt = truth[(f.agency.code, f.notation, p.page_no)]
                words = [w for w in gt.split() if len(w) >= 5][:8]
                if p.qc_verdict == "pass" and words:
                    found = sum(w in texts[p.page_no - 1] for w in words)
                    assert found >= len(words) // 2, (f.notation, p.page_no, words)
                    assert p.ocr_text and p.ocr_confidence is not None

        # The report's numbers are the database's.
        run = s.scalars(select(ReportRun).order_by(ReportRun.id.desc())).first()
        assert run is not None and storage.exists(run.xlsx_key) and storage.exists(run.html_key)
        totals = run.totals
        by_status = dict(s.execute(select(File.status, func.count()).group_by(File.status)).all())
        assert totals["files"]["inventoried"] == sum(by_status.values())
        assert totals["files"]["integrated"] == by_status.get("integrated", 0)
        assert totals["pages"]["scanned"] == len(pages)
        assert totals["pages"]["qc_reject"] == sum(p.qc_verdict == "reject" for p in pages.values())
        assert totals["pages"]["awaiting_rescan"] == s.scalar(
            select(func.count()).select_from(RescanRequest).where(RescanRequest.status == "open"))
        assert totals["rejected_inventory_rows"] == len(manifest["bad_rows"])
    engine.dispose()


def test_sample_through_the_six_dags_on_sqlite(sample, airflow_db, monkeypatch, tmp_path):
    from airflow.dag_processing.dagbag import DagBag

    sample_dir, manifest = sample
    db_url = f"sqlite:///{tmp_path / 'sohoa.db'}"
    _configure(monkeypatch, tmp_path, sample_dir, db_url)
    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags"))
    for dag_id in ORDER:
        run = bag.dags[dag_id].test()
        assert run.state == "success", dag_id
    check_outcome(db_url, sample_dir, manifest, f"sqlite:///{tmp_path / 'shared.db'}")

    # A second pass of every phase changes nothing.
    before = _event_count(make_engine(db_url))
    for dag_id in ORDER[:-1]:
        assert bag.dags[dag_id].test().state == "success"
    assert _event_count(make_engine(db_url)) == before


def test_sample_through_the_phase_runners_on_postgresql(sample, pg_url, monkeypatch, tmp_path):
    from sohoa import pipeline
    sample_dir, manifest = sample
    _configure(monkeypatch, tmp_path, sample_dir, pg_url)
    out = pipeline.run_all()
    assert json.dumps(out, default=str)  # summaries are JSON-able (XCom-sized)
    check_outcome(pg_url, sample_dir, manifest, f"sqlite:///{tmp_path / 'shared.db'}")
    before = _event_count(make_engine(pg_url))
    again = pipeline.run_all()
    assert not any(again[k]["changed"] for k in ORDER[:-1] if "changed" in again[k])
    assert _event_count(make_engine(pg_url)) == before
