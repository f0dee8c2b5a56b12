"""Integration into the shared database: idempotent upsert, access rules, the Postgres hook."""

from datetime import date

import pytest
from sohoa.core.db.models import Agency, Event, File, Page
from sohoa.core.db.session import make_engine, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.integration.phase import integrate, search, shared_files, shared_pages
from sqlalchemy import func, select


def _programme(engine):
    with session_scope(engine) as s:
        old = Agency(code="G01X01", name="UBND phường Hàng Bạc", level="commune", status="merged")
        new = Agency(code="G01X02", name="UBND phường Hoàn Kiếm", level="commune")
        s.add_all([old, new])
        s.flush()
        old.successor_id = new.id
        for i, (access, words) in enumerate([("public", "giấy chứng nhận quyền sử dụng đất"),
                                             ("restricted", "hồ sơ kỷ luật cán bộ")], 1):
            f = File(agency_id=old.id, notation=f"0{i}", file_code=f"TTLTHN.G01X01.2021.01.00{i}",
                     title=f"Hồ sơ {words}", start_date=date(2021, 1, 1), access_mode=access,
                     status="ocr_done", pdf_key=f"pdf/G01X01/{i}.pdf", pdf_sha256="ab" * 32)
            s.add(f)
            s.flush()
            for n in (1, 2):
                s.add(Page(file_id=f.id, page_no=n, image_key=f"scans/{i}/{n}.jpg", sha256="cd" * 32,
                           qc_verdict="pass", ocr_text=f"Trang {n}: {words}", ocr_confidence=91.0))


def test_upsert_is_idempotent_and_rolls_up(engine, shared_url, tmp_path):
    _programme(engine)
    shared = make_engine(shared_url)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        assert integrate(s, shared, storage)["files"] == 2
    with shared.connect() as c:
        rows = {r.file_code: r for r in c.execute(select(shared_files))}
        assert len(rows) == 2
        r = rows["TTLTHN.G01X01.2021.01.001"]
        assert r.creating_agency_code == "G01X01" and r.holder_agency_code == "G01X02"
        assert "Trang 2: giấy chứng nhận" in r.full_text
        assert c.execute(select(func.count()).select_from(shared_pages)).scalar() == 4
    with session_scope(engine) as s:
        assert all(f.status == "integrated" for f in s.scalars(select(File)))
        n_events = s.scalar(select(func.count()).select_from(Event))
    with session_scope(engine) as s:  # second run: nothing to do, nothing written
        out = integrate(s, shared, storage)
        assert (out["files"], out["unchanged"]) == (0, 2)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == n_events
    shared.dispose()


def test_restricted_files_never_in_public_search(engine, shared_url, tmp_path):
    _programme(engine)
    shared = make_engine(shared_url)
    with session_scope(engine) as s:
        integrate(s, shared, LocalStorage(tmp_path / "obj"))
    assert [r["file_code"] for r in search(shared, "chứng nhận")] == ["TTLTHN.G01X01.2021.01.001"]
    assert search(shared, "kỷ luật") == []
    assert [r["access_mode"] for r in search(shared, "kỷ luật", include_restricted=True)] == [
        "restricted"]
    shared.dispose()


def test_shared_engine_through_the_postgres_provider_hook(monkeypatch, pg_base_url, sqlite_url,
                                                         tmp_path):
    """With SOHOA_SHARED_CONN_ID set, integration writes through the provider's PostgresHook."""
    import uuid

    from sohoa.airflow_glue import shared_engine
    from sohoa.core.db.session import migrate
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(pg_base_url)
    dbname = f"sohoa_hook_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{dbname}"'))
    try:
        monkeypatch.setenv("SOHOA_SHARED_CONN_ID", "sohoa_shared")
        monkeypatch.setenv("AIRFLOW_CONN_SOHOA_SHARED",
                           f"postgresql://{u.username}@{u.host}:{u.port}/{dbname}")
        eng = shared_engine()
        assert eng.dialect.name == "postgresql" and eng.url.database == dbname
        migrate(sqlite_url)
        project = make_engine(sqlite_url)
        _programme(project)
        with session_scope(project) as s:
            assert integrate(s, eng, LocalStorage(tmp_path / "obj"))["files"] == 2
        with eng.connect() as c:
            assert c.execute(select(func.count()).select_from(shared_files)).scalar() == 2
        eng.dispose()
        project.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_returns_public_only(engine, shared_url, tmp_path, q):
    _programme(engine)
    shared = make_engine(shared_url)
    with session_scope(engine) as s:
        integrate(s, shared, LocalStorage(tmp_path / "obj"))
    if shared.dialect.name == "sqlite":
        assert {r["access_mode"] for r in search(shared, q)} == {"public"}
    shared.dispose()
