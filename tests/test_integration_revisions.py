"""Integration finds changed files by their content revision (sohoa.core.db.revisions):
triggers move ``files.content_rev`` on exactly the changes the shared database carries, a
rerun builds no record when nothing moved, and no change is lost, whichever way it came."""

from __future__ import annotations

import ast
import inspect
from datetime import date

import pytest
from sqlalchemy import insert, text

from sohoa.core.db import revisions
from sohoa.core.db.models import Agency, Document, File, Page
from sohoa.core.db.session import make_engine, session_scope
from sohoa.integration import contract, phase
from test_shared_contract import _world

FILE_1 = "TTLTHN.G01X01.2021.01.001"
FILE_4 = "TTLTHN.G02.2021.01.004"


@pytest.fixture
def world(engine, shared_url, tmp_path):
    w = _world(engine, shared_url, tmp_path)
    yield w
    w[1].dispose()


@pytest.fixture
def built(monkeypatch):
    """The file codes build_record made a record for, run by run."""
    seen: list[str] = []
    real = phase.build_record

    def counting(f, *a, **kw):
        seen.append(f.file_code)
        return real(f, *a, **kw)

    monkeypatch.setattr(phase, "build_record", counting)
    return seen


def _rev(engine, file_id: int) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT content_rev FROM files WHERE id = :i"), {"i": file_id}).scalar()


def _sql(engine, sql: str, **params) -> None:
    with engine.begin() as c:
        c.execute(text(sql), params)


def _run(engine, shared, storage, **kw) -> dict:
    with session_scope(engine) as s:
        return phase.integrate(s, shared, storage, **kw)


def _shared_text(shared, code: str) -> str:
    with shared.connect() as c:
        return c.execute(text("SELECT full_text FROM files WHERE file_code = :c"), {"c": code}).scalar()


# ------------------------------------------------------------------------- triggers


def test_the_revision_moves_on_contract_columns_only(engine):
    with session_scope(engine) as s:
        a = Agency(code="G05", name="Sở Y tế", level="department")
        s.add(a)
        s.flush()
        f = File(agency_id=a.id, notation="01", file_code="TTLTHN.G05.2020.01.001", title="Hồ sơ",
                 start_date=date(2020, 1, 1), status="scanned")
        g = File(agency_id=a.id, notation="02", file_code="TTLTHN.G05.2020.01.002", title="Khác",
                 status="scanned")
        s.add_all([f, g])
        s.flush()
        d = Document(file_id=f.id, ordinal=1, subject="Về việc A")
        s.add(d)
        s.flush()
        p = Page(file_id=f.id, page_no=1, image_key="k/1", sha256="0" * 64, qc_verdict="pass")
        s.add(p)
        s.flush()
        fid, gid, pid, did = f.id, g.id, p.id, d.id
    steps = [  # (statement, does the file's record change?)
        ("UPDATE pages SET qc_metrics = '{\"blur\": 1}', qc_verdict = 'fixable' WHERE id = :p", False),
        ("UPDATE pages SET ocr_text = 'Trang một' WHERE id = :p", True),
        ("UPDATE pages SET ocr_text = 'Trang một' WHERE id = :p", False),  # same value
        ("UPDATE pages SET ocr_confidence = 88.5 WHERE id = :p", True),
        ("UPDATE files SET status = 'ocr_done', qc_issues = '[]' WHERE id = :f", False),
        ("UPDATE files SET title = 'Hồ sơ về việc A' WHERE id = :f", True),
        ("UPDATE files SET access_mode = 'restricted' WHERE id = :f", True),
        ("UPDATE documents SET confidence = '{\"subject\": 0.4}' WHERE id = :d", False),
        ("UPDATE documents SET review_state = 'confirmed' WHERE id = :d", True),
        ("UPDATE documents SET signer = 'Nguyễn Văn A' WHERE id = :d", True),
        ("INSERT INTO documents (file_id, ordinal, language, review_state) "
         "VALUES (:f, 2, 'vi', 'none')", True),
        ("DELETE FROM documents WHERE file_id = :f AND ordinal = 2", True),
        ("DELETE FROM pages WHERE id = :p", True),
    ]
    for sql, moves in steps:
        before = _rev(engine, fid)
        _sql(engine, sql, p=pid, f=fid, d=did)
        assert (_rev(engine, fid) > before) == moves, sql
    # several pages in one statement: the file moves (once per statement on PostgreSQL)
    before = _rev(engine, fid)
    with engine.begin() as c:
        c.execute(insert(Page.__table__), [
            {"file_id": fid, "page_no": n, "image_key": f"k/{n}", "sha256": "0" * 64,
             "size_bytes": 0} for n in (2, 3, 4)])
    assert _rev(engine, fid) > before
    # a page moved to another file: both files move
    before_f, before_g = _rev(engine, fid), _rev(engine, gid)
    _sql(engine, "UPDATE pages SET file_id = :g, page_no = 9 WHERE file_id = :f AND page_no = 2",
         f=fid, g=gid)
    assert _rev(engine, fid) > before_f and _rev(engine, gid) > before_g


def test_the_tracked_columns_cover_what_the_record_reads():
    assert set(contract.DOCUMENT_FIELDS) <= set(revisions.DOCUMENT_COLUMNS)
    # every attribute build_record reads of the file (f.<name>) moves the revision
    # the function as the file holds it now (getsource goes by line numbers cached at import)
    module = ast.parse(open(inspect.getsourcefile(phase), encoding="utf-8").read())
    tree = next(n for n in ast.walk(module)
                if isinstance(n, ast.FunctionDef) and n.name == "build_record")
    read = {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "f"}
    assert read and read <= set(revisions.FILE_COLUMNS) | {"id"}, read - set(revisions.FILE_COLUMNS)
    page_reads = {n.attr for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "p"}
    assert page_reads <= set(revisions.PAGE_COLUMNS) | {"id"}, page_reads


# ---------------------------------------------------------------------- integration


def test_a_rerun_builds_no_record_and_a_changed_page_rebuilds_one_file(world, built):
    engine, shared, storage = world
    out = _run(engine, shared, storage)
    assert (out["files"], out["unchanged"], built) == (0, 4, [])
    _sql(engine, "UPDATE pages SET ocr_text = 'Trang 1: đã sửa lỗi nhận dạng' "
                 "WHERE page_no = 1 AND file_id = (SELECT id FROM files WHERE file_code = :c)",
         c=FILE_1)
    out = _run(engine, shared, storage)
    assert (built, out["files"], out["unchanged"]) == ([FILE_1], 1, 3)
    assert "đã sửa lỗi nhận dạng" in _shared_text(shared, FILE_1)
    built.clear()
    assert _run(engine, shared, storage)["unchanged"] == 4 and built == []


def test_a_file_checked_and_found_unchanged_is_not_checked_again(world, built):
    engine, shared, storage = world
    # an edit and its undoing: the revision moves, the record does not
    with engine.connect() as c:
        title, updated = c.execute(text("SELECT title, updated_at FROM files WHERE file_code = :c"),
                                   {"c": FILE_4}).one()
    for t in ("Tạm", title):
        _sql(engine, "UPDATE files SET title = :t, updated_at = :u WHERE file_code = :c",
             t=t, u=updated, c=FILE_4)
    out = _run(engine, shared, storage)
    assert (built, out["files"], out["unchanged"], out["changes"]) == ([FILE_4], 0, 4, 0)
    with engine.connect() as c:  # marked as seen, its time of change kept
        assert c.execute(text("SELECT updated_at FROM files WHERE file_code = :c"),
                         {"c": FILE_4}).scalar() == updated
    built.clear()
    _run(engine, shared, storage)
    assert built == []


def test_an_agency_renamed_or_a_new_holder_rebuilds_its_files(world, built):
    engine, shared, storage = world
    _sql(engine, "UPDATE agencies SET name = 'Sở Xây dựng thành phố' WHERE code = 'G02'")
    out = _run(engine, shared, storage)
    assert built == [FILE_4] and out["files"] == 1
    with shared.connect() as c:
        assert c.execute(text("SELECT creating_agency_name FROM files WHERE file_code = :c"),
                         {"c": FILE_4}).scalar() == "Sở Xây dựng thành phố"
    built.clear()
    # Hàng Đào's records pass to Sở Xây dựng instead of Hoàn Kiếm
    _sql(engine, "UPDATE agencies SET successor_id = (SELECT id FROM agencies WHERE code = 'G02') "
                 "WHERE code = 'G01X03'")
    out = _run(engine, shared, storage)
    assert built == ["TTLTHN.G01X03.2021.01.002"] and out["files"] == 1
    with shared.connect() as c:
        assert c.execute(text("SELECT holder_agency_code FROM files WHERE file_code = :c"),
                         {"c": "TTLTHN.G01X03.2021.01.002"}).scalar() == "G02"


def test_another_shared_database_gets_every_file(world, built, tmp_path):
    engine, _, storage = world
    other = make_engine(f"sqlite:///{tmp_path / 'other-shared.db'}")
    try:
        out = _run(engine, other, storage)
        assert out["files"] == 4 and len(built) == 4
        with other.connect() as c:
            assert c.execute(text("SELECT count(*) FROM files")).scalar() == 4
    finally:
        other.dispose()


def test_a_change_made_while_the_file_is_read_is_not_lost(world, monkeypatch):
    """The revision is read before the pages: a change landing after that read leaves the
    file a candidate, whatever the run itself wrote."""
    engine, shared, storage = world
    _sql(engine, "UPDATE files SET title = title || ' (bổ sung)' WHERE file_code = :c", c=FILE_1)
    real_load = phase._load

    def load_then_edit(session, fids):
        out = real_load(session, fids)
        session.execute(text("UPDATE pages SET ocr_text = 'Trang 2: sửa trong lúc tích hợp' "
                             "WHERE page_no = 2 AND file_id = (SELECT id FROM files "
                             "WHERE file_code = :c)"), {"c": FILE_1})
        return out

    monkeypatch.setattr(phase, "_load", load_then_edit)
    assert _run(engine, shared, storage)["files"] == 1
    assert "sửa trong lúc tích hợp" not in _shared_text(shared, FILE_1)  # read before the edit
    monkeypatch.setattr(phase, "_load", real_load)
    assert _run(engine, shared, storage)["files"] == 1
    assert "sửa trong lúc tích hợp" in _shared_text(shared, FILE_1)


def test_lost_triggers_come_back_and_every_file_is_checked(world, built):
    engine, shared, storage = world
    with engine.begin() as c:
        revisions.uninstall(c)
        assert not revisions.installed(c)
    _sql(engine, "UPDATE pages SET ocr_text = 'Trang 1: không ai thấy' WHERE page_no = 1 "
                 "AND file_id = (SELECT id FROM files WHERE file_code = :c)", c=FILE_4)
    out = _run(engine, shared, storage)
    assert len(built) == 4 and out["files"] == 1
    assert "không ai thấy" in _shared_text(shared, FILE_4)
    with engine.connect() as c:
        assert revisions.installed(c)


def test_recheck_compares_every_file_and_writes_none(world, built):
    engine, shared, storage = world
    out = _run(engine, shared, storage, recheck=True)
    assert (len(built), out["files"], out["unchanged"], out["changes"]) == (4, 0, 4, 0)


def test_the_dag_lists_only_agencies_with_something_to_integrate(world):
    engine, shared, storage = world

    def listed() -> set[str]:
        with session_scope(engine) as s:
            ids = phase.agencies_with_changes(s, shared, storage)
            return {a.code for a in s.query(Agency).filter(Agency.id.in_(ids))}

    assert listed() == set()
    _sql(engine, "UPDATE documents SET review_state = 'confirmed' WHERE file_id = "
                 "(SELECT id FROM files WHERE file_code = :c)", c=FILE_4)
    assert listed() == {"G02"}
    _sql(engine, "UPDATE agencies SET name = 'UBND phường Hàng Bạc (cũ)' WHERE code = 'G01X01'")
    assert listed() == {"G02", "G01X01"}
    _run(engine, shared, storage)
    assert listed() == set()
