"""Faults survived, nothing lost or duplicated: pages, objects, events and shared rows
are counted after each fault and after the run that follows it.

* the S3 endpoint goes away during `scan_qc` (moto's server stopped, then started again
  on the same port with its buckets intact): a short outage is ridden out with backoff;
  one longer than the retries fails the phase with an error naming the endpoint, and
  the next run resumes;
* PostgreSQL restarted during `integration` (a PRIVATE cluster started by this test,
  never the shared server): the phase fails cleanly, no half-written file in the shared
  database, the next run completes it.

The Celery worker killed in the middle of OCR is scripts/celery_check.py
--kill-ocr-worker, run by tests/test_celery.py.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from s3server import moto_s3_server
from sohoa.core.db.models import Agency, Event, File, Page
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.core.storage import S3RetryPolicy, S3Storage, StorageUnavailable
from sohoa.integration.phase import integrate, shared_files, shared_pages
from sohoa.ocr.recognition import render_text_page
from sohoa.scan.phase import scan_qc

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LINES = ["ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM", "QUYẾT ĐỊNH về việc phê duyệt kế hoạch số hóa",
         "Điều 1. Phê duyệt kế hoạch số hóa hồ sơ, tài liệu."] * 6
N_FILES, N_PAGES = 3, 2


# --------------------------------------------------------------------------- S3 outage

def _arranged_programme(engine, deliveries: Path) -> None:
    """N_FILES arranged files of agency G01, each with N_PAGES clean pages delivered."""
    import cv2
    from PIL import Image

    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        for i in range(1, N_FILES + 1):
            s.add(File(agency_id=a.id, notation=f"0{i}", title=f"Tập quyết định số {i}",
                       start_date=date(2025, 1, 1), status="arranged", page_count=N_PAGES,
                       file_code=f"TTLTHN.G01.2025.01.00{i}"))
    for i in range(1, N_FILES + 1):
        folder = deliveries / "G01" / f"0{i}"
        folder.mkdir(parents=True)
        for n in range(1, N_PAGES + 1):
            page = render_text_page([f"Hồ sơ {i} trang {n}", *LINES], dpi=200)
            Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB)).save(
                folder / f"{n:04d}.jpg", quality=85, dpi=(200, 200))


class _OutageAfterFirstPut:
    """Storage wrapper: the first stored object stops the S3 server; it comes back on the
    same port ``seconds`` later (a thread). Only the timing hook: every call goes to the
    real S3Storage over HTTP."""

    def __init__(self, storage: S3Storage, server, seconds: float):
        self._s, self._server, self._seconds = storage, server, seconds
        self.back: threading.Thread | None = None

    def __getattr__(self, name):
        return getattr(self._s, name)

    def put_file(self, key, path, content_type=None):
        sha = self._s.put_file(key, path, content_type)
        if self.back is None:
            self._server.stop()
            self.back = threading.Thread(target=lambda: (time.sleep(self._seconds),
                                                         self._server.start_again()))
            self.back.start()
        return sha


def _scan_counts(engine, client, bucket) -> dict:
    with session_scope(engine) as s:
        checked = s.execute(select(Event.entity_id, func.count()).where(
            Event.phase == "scan_qc", Event.action == "checked").group_by(Event.entity_id)).all()
        return {
            "pages": s.scalar(select(func.count()).select_from(Page)),
            "qc_passed": s.scalar(select(func.count()).select_from(File).where(
                File.status == "qc_passed")),
            "checked_events": len(checked), "checked_twice": sum(n > 1 for _, n in checked),
            "qc_done_events": s.scalar(select(func.count()).select_from(Event).where(
                Event.action == "qc_done")),
            "objects": client.list_objects_v2(Bucket=bucket).get("KeyCount", 0),
        }


EXPECTED_SCAN = {"pages": N_FILES * N_PAGES, "qc_passed": N_FILES,
                 "checked_events": N_FILES * N_PAGES, "checked_twice": 0,
                 "qc_done_events": N_FILES, "objects": N_FILES * N_PAGES}


@pytest.fixture
def s3_scan(tmp_path, monkeypatch, sqlite_url):
    # scaled down: waits 0.5, 1, 2, 2 s (5.5 s in all), one botocore try of 1 s each
    monkeypatch.setenv("SOHOA_S3_RETRY_SECONDS", "6")
    monkeypatch.setenv("SOHOA_S3_RETRY_BASE", "0.5")
    monkeypatch.setenv("SOHOA_S3_RETRY_MAX_DELAY", "2")
    monkeypatch.setenv("SOHOA_S3_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("SOHOA_S3_CONNECT_TIMEOUT", "1")
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    _arranged_programme(engine, tmp_path / "deliveries")
    with moto_s3_server() as server:
        bucket = f"faults-{uuid.uuid4().hex[:8]}"
        storage = S3Storage(bucket, endpoint_url=server.endpoint_url,
                            access_key=server.access_key, secret_key=server.secret_key)
        assert storage.retry == S3RetryPolicy(total=6, base=0.5, max_delay=2, max_attempts=1,
                                              connect_timeout=1, read_timeout=60)
        yield engine, storage, server, bucket, tmp_path / "deliveries"
        if server._handle is None:
            server.start_again()
    engine.dispose()


def test_retry_policy_from_env_and_its_waits(monkeypatch):
    assert list(S3RetryPolicy(total=6, base=0.5, max_delay=2).delays()) == [0.5, 1, 2, 2]
    default = S3RetryPolicy()
    assert sum(default.delays()) >= 60  # a one-minute outage is ridden out by default
    monkeypatch.setenv("SOHOA_S3_RETRY_SECONDS", "30")
    assert S3RetryPolicy.from_env().total == 30


def test_s3_outage_during_scan_qc_is_ridden_out(s3_scan, caplog):
    engine, storage, server, bucket, deliveries = s3_scan
    flaky = _OutageAfterFirstPut(storage, server, seconds=3)
    caplog.set_level(logging.WARNING, logger="sohoa.core.storage")
    t0 = time.monotonic()
    with session_scope(engine) as s:
        out = scan_qc(s, flaky, deliveries)
    flaky.back.join()
    assert time.monotonic() - t0 >= 3  # it did wait for the endpoint
    assert out["files"] == N_FILES and out["reject"] == 0
    retries = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert retries and server.endpoint_url in retries[0]
    assert _scan_counts(engine, server.client(), bucket) == EXPECTED_SCAN


def test_s3_outage_longer_than_the_retries_fails_clearly_and_resumes(s3_scan):
    engine, storage, server, bucket, deliveries = s3_scan
    flaky = _OutageAfterFirstPut(storage, server, seconds=10)
    with pytest.raises(StorageUnavailable) as err:
        with session_scope(engine) as s:
            scan_qc(s, flaky, deliveries)
    assert server.endpoint_url in str(err.value)
    assert "Không kết nối được kho đối tượng S3" in str(err.value)
    flaky.back.join()
    client = server.client()
    # the failed run left no page, event or status behind; one object was stored
    after_fault = _scan_counts(engine, client, bucket)
    assert after_fault == {"pages": 0, "qc_passed": 0, "checked_events": 0, "checked_twice": 0,
                           "qc_done_events": 0, "objects": 1}
    with session_scope(engine) as s:  # the next run resumes and completes
        out = scan_qc(s, storage, deliveries)
    assert out["files"] == N_FILES
    assert _scan_counts(engine, client, bucket) == EXPECTED_SCAN  # the object once, not twice


# --------------------------------------------------------------------------- PostgreSQL restart

class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster in a temp dir on its own port (trust auth),
    run as the `postgres` OS user; the only server this test may restart."""

    def __init__(self):
        from s3server import free_port

        self.dir = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8", "--locale", "C.UTF-8")

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [str(PG_BIN / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr

    def _ctl(self, action: str, *extra: str) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.dir / "log"), *extra,
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off", action)

    def start(self):
        self._ctl("start")

    def restart(self):
        self._ctl("restart", "-m", "fast")

    def stop(self):
        self._ctl("stop", "-m", "fast")

    def url(self, db: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> str:
        eng = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
        return self.url(name)


@pytest.fixture
def private_pg():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb missing: bash scripts/install_system_deps.sh --test")
    pg = PrivatePostgres()
    pg.start()
    try:
        yield pg
    finally:
        try:
            pg.stop()
        finally:
            shutil.rmtree(pg.dir, ignore_errors=True)


def _ocr_done_programme(engine, n_files: int = 6, n_pages: int = 3) -> None:
    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        for i in range(1, n_files + 1):
            f = File(agency_id=a.id, notation=f"0{i}", file_code=f"TTLTHN.G01.2021.01.00{i}",
                     title=f"Hồ sơ số {i}", start_date=date(2021, 1, 1), access_mode="public",
                     status="ocr_done", pdf_key=f"pdf/G01/{i}.pdf", pdf_sha256="ab" * 32,
                     described_hash="ef" * 32)  # the description phase has read it
            s.add(f)
            s.flush()
            for n in range(1, n_pages + 1):
                s.add(Page(file_id=f.id, page_no=n, image_key=f"scans/{i}/{n}.jpg",
                           sha256="cd" * 32, qc_verdict="pass", ocr_text=f"Hồ sơ {i} trang {n}",
                           ocr_confidence=90.0))


def _integration_counts(project, shared) -> dict:
    with shared.connect() as c:
        per_file = dict(c.execute(select(shared_pages.c.file_code, func.count())
                                  .group_by(shared_pages.c.file_code)).all())
        files = {r.file_code: r.page_count for r in c.execute(select(shared_files))}
    with session_scope(project) as s:
        upserted = s.execute(select(Event.entity_id, func.count()).where(
            Event.action == "upserted").group_by(Event.entity_id)).all()
        integrated = s.scalar(select(func.count()).select_from(File).where(
            File.status == "integrated"))
    return {"shared_files": len(files), "shared_pages": sum(per_file.values()),
            # a file in the shared database with fewer page rows than it says: half-written
            "half_written": sorted(k for k, n in files.items() if per_file.get(k, 0) != n),
            "pages_without_file": sorted(set(per_file) - set(files)),
            "integrated": integrated, "upserted_events": len(upserted),
            "upserted_twice": sum(n > 1 for _, n in upserted)}


def test_postgres_restart_during_integration(private_pg, tmp_path, monkeypatch):
    from sohoa.core.storage import LocalStorage
    from sohoa.integration import phase

    project_url = private_pg.create_db("sohoa_project")
    shared_url = private_pg.create_db("sohoa_shared")
    migrate(project_url)
    project, shared = make_engine(project_url), make_engine(shared_url)
    _ocr_done_programme(project)
    storage = LocalStorage(tmp_path / "obj")

    seen = {"restarted": False}

    real_insert = phase._insert

    def restart_mid_file(conn, table, rows):
        # in the middle of a write: the files' rows sent, their pages not yet (the rows
        # travel by COPY on PostgreSQL, past SQLAlchemy's statement events)
        if table.name == "pages" and not seen["restarted"]:
            seen["restarted"] = True
            private_pg.restart()
        return real_insert(conn, table, rows)

    monkeypatch.setattr(phase, "_insert", restart_mid_file)

    # the project database is on the same server: its transaction is lost and the phase
    # fails (nothing recorded as integrated), whatever the shared side managed to write
    with pytest.raises(DBAPIError):
        with session_scope(project) as s:
            integrate(s, shared, storage)
    assert seen["restarted"]
    monkeypatch.setattr(phase, "_insert", real_insert)
    project.dispose()
    shared.dispose()

    after_fault = _integration_counts(project, shared)
    # every file in the shared database is whole; none is recorded as integrated yet
    assert after_fault["half_written"] == [] and after_fault["pages_without_file"] == []
    assert after_fault["integrated"] == 0 and after_fault["upserted_events"] == 0
    assert after_fault["shared_pages"] == 3 * after_fault["shared_files"]

    with session_scope(project) as s:  # the next run completes it
        out = integrate(s, shared, storage)
    assert out["files"] == 6 and not out["errors"]
    assert _integration_counts(project, shared) == {
        "shared_files": 6, "shared_pages": 18, "half_written": [], "pages_without_file": [],
        "integrated": 6, "upserted_events": 6, "upserted_twice": 0}
    with session_scope(project) as s:  # and once more: nothing left to do
        assert integrate(s, shared, storage)["files"] == 0
    project.dispose()
    shared.dispose()
