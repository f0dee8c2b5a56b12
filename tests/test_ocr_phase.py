"""The OCR phase over the database (SQLite and PostgreSQL), real tesseract and pikepdf:
bad pages, QC hints, stored PDF/A, skipping, retries, a crash mid-file, a failing file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from datetime import date

import cv2
import pikepdf
import pytest
from PIL import Image
from sohoa.core.db.models import Agency, Event, File, Page
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.core.storage import LocalStorage, sha256_bytes
from sohoa.ocr import phase as ocr_phase
from sohoa.ocr import recognition as ocr
from sohoa.ocr import text as ocr_text
from sohoa.ocr import words as ocr_words
from sohoa.ocr.pdf import check_pdf, pdf_text
from sqlalchemy import func, select

P1 = ["Quyết định về việc phê duyệt danh mục hồ sơ", "có thời hạn bảo quản vĩnh viễn năm 2016."]
P3 = ["Biên bản bàn giao tài liệu lưu trữ của", "Ủy ban nhân dân phường Hàng Bạc."]
CODE = "TTLTHN.G01.2016.01.001"


def _jpeg(img, dpi=200) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(buf, "JPEG", quality=85, dpi=(dpi, dpi))
    return buf.getvalue()


def _add_file(s, storage, agency, notation, code, pages):
    """pages: list of (bytes, qc_metrics) → a qc_passed file with those pages stored."""
    f = File(agency_id=agency.id, notation=notation, title="Hồ sơ chỉnh lý tài liệu năm 2016",
             file_code=code, status="qc_passed", language="vi",
             start_date=date(2016, 3, 5), end_date=date(2016, 12, 31), keyword="lưu trữ")
    s.add(f)
    s.flush()
    for n, (data, metrics) in enumerate(pages, 1):
        key = f"scans/G01/{notation}/{n:04d}.jpg"
        sha = storage.put_bytes(key, data)
        s.add(Page(file_id=f.id, page_no=n, image_key=key, sha256=sha, size_bytes=len(data),
                   dpi=200, qc_verdict="pass", qc_metrics=metrics))
    return f


def _agency(s):
    a = Agency(code="G01", name="Ủy ban nhân dân quận Hoàn Kiếm", level="district")
    s.add(a)
    s.flush()
    return a


def test_file_with_bad_page_completes_and_reruns_are_skipped(engine, tmp_path):
    storage = LocalStorage(tmp_path / "objects")
    upside_down = cv2.rotate(ocr.render_text_page(P3, dpi=200), cv2.ROTATE_180)
    with session_scope(engine) as s:
        a = _agency(s)
        _add_file(s, storage, a, "01", CODE, [
            (_jpeg(ocr.render_text_page(P1, dpi=200)), {"orientation": 0}),
            (b"\xff\xd8\xff\xe0 not a jpeg at all", {}),  # scanner wrote a broken file
            (_jpeg(upside_down), {"orientation": 180}),  # QC: content turned 180°
        ])
    with session_scope(engine) as s:
        out = ocr_phase.run_ocr(s, storage, lang="vie", workers=2)
    assert (out["files"], out["pages"], out["page_errors"], out["file_errors"]) == (1, 3, 1, 0)

    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        p1, p2, p3 = s.scalars(select(Page).order_by(Page.page_no))
        assert f.status == "ocr_done" and f.pdf_key == f"pdf/G01/{CODE}.pdf"
        data = storage.get_bytes(f.pdf_key)
        assert f.pdf_sha256 == sha256_bytes(data)
        assert ocr_text.cer("\n".join(P1), p1.ocr_text) <= 0.05
        assert ocr_text.cer("\n".join(P3), p3.ocr_text) <= 0.05  # the QC hint set it upright
        assert p1.ocr_error is None and p1.ocr_review_reason is None and not p1.ocr_low_confidence
        assert [ln["text"] for ln in p1.ocr_lines] == p1.ocr_text.split("\n")
        assert all(0 <= ln["min_conf"] <= ln["conf"] <= 100 and len(ln["bbox"]) == 4 for ln in p1.ocr_lines)
        assert p2.ocr_text is None and p2.ocr_error.startswith("decode")
        assert p2.ocr_review_reason.startswith("Không đọc được ảnh")
        failed = s.scalars(select(Event).where(Event.action == "ocr_failed")).all()
        assert [e.entity_id for e in failed] == [p2.id]
        rotation = s.scalars(select(Event).where(Event.action == "recognised",
                                                 Event.entity_id == p3.id)).one().details["rotation"]
        assert rotation == 180

    info = check_pdf(data)
    assert info["pages"] == 3 and info["pdfa"] == "2B" and info["problems"] == []
    texts = pdf_text(data)
    assert "thời hạn bảo quản" in texts[0] and texts[1].strip() == "" and "Hàng Bạc" in texts[2]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == CODE
        assert meta["dc:creator"] == ["Ủy ban nhân dân quận Hoàn Kiếm"]
        assert meta["dc:coverage"] == "2016-03-05/2016-12-31"
        assert len(pdf.pages) == 3

    # same inputs: skipped, nothing rewritten (an undecodable page stays so until rescanned)
    with session_scope(engine) as s:
        out = ocr_phase.run_ocr(s, storage, lang="vie", workers=2)
        assert (out["files"], out["skipped"]) == (0, 1)
        assert s.scalar(select(func.count()).select_from(Event).where(Event.action == "pdf_stored")) == 1


def test_transient_failure_retried_and_storage_failure_isolated(sqlite_url, tmp_path, monkeypatch):
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    storage = LocalStorage(tmp_path / "objects")
    page = _jpeg(ocr.render_text_page(P1, dpi=200))
    with session_scope(engine) as s:
        a = _agency(s)
        _add_file(s, storage, a, "01", CODE, [(page, {"orientation": 0})])
        _add_file(s, storage, a, "02", "TTLTHN.G01.2016.01.002", [(page, {"orientation": 0})])

    real_tess, real_put = ocr_words.run_tesseract, storage.put_bytes

    def timeout(*a, **k):
        raise ocr_words.OcrError("tesseract timeout after 120s")

    def put_fails_for_02(key, data, content_type=None):
        if key.endswith("002.pdf"):
            raise OSError("object store unavailable")
        return real_put(key, data, content_type=content_type)

    monkeypatch.setattr(ocr, "run_tesseract", timeout)
    monkeypatch.setattr(storage, "put_bytes", put_fails_for_02)
    with session_scope(engine) as s:
        out = ocr_phase.run_ocr(s, storage, workers=1)
    assert (out["files"], out["file_errors"], out["page_errors"]) == (1, 1, 1)
    with session_scope(engine) as s:
        f1, f2 = s.scalars(select(File).order_by(File.id))
        assert f1.status == "ocr_done" and f1.ocr_input_hash is None  # timeout: retry later
        assert s.get(Page, 1).ocr_review_reason == "Nhận dạng trang quá thời gian cho phép"
        assert f2.status == "qc_passed" and f2.pdf_key is None  # rolled back, nothing stored
        assert not storage.exists("pdf/G01/TTLTHN.G01.2016.01.002.pdf")
        ev = s.scalars(select(Event).where(Event.action == "ocr_file_failed")).one()
        assert ev.entity_id == f2.id and "unavailable" in ev.details["error"]

    monkeypatch.setattr(ocr, "run_tesseract", real_tess)
    monkeypatch.setattr(storage, "put_bytes", real_put)
    with session_scope(engine) as s:
        out = ocr_phase.run_ocr(s, storage, workers=1)
    assert (out["files"], out["skipped"], out["page_errors"]) == (2, 0, 0)
    with session_scope(engine) as s:
        for f in s.scalars(select(File)):
            assert f.status == "ocr_done" and f.ocr_input_hash
            assert ocr_text.cer("\n".join(P1), s.scalars(select(Page).where(Page.file_id == f.id)).one().ocr_text) < 0.05
    engine.dispose()


CRASH = textwrap.dedent("""
    import os, sys
    import sohoa.core.storage as st
    from sohoa.ocr import phase as ocr_phase
    from sohoa.core.db.session import make_engine, session_scope
    real = os.replace
    def replace(src, dst, *a, **k):
        if str(dst).endswith(".pdf"):
            os._exit(9)  # the process dies between writing the PDF and publishing it
        return real(src, dst, *a, **k)
    st.os.replace = replace
    with session_scope(make_engine(sys.argv[1])) as s:
        ocr_phase.run_ocr(s, st.LocalStorage(sys.argv[2]), workers=1)
""")


def test_crash_mid_file_leaves_no_half_written_object(sqlite_url, tmp_path):
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    root = tmp_path / "objects"
    storage = LocalStorage(root)
    with session_scope(engine) as s:
        _add_file(s, storage, _agency(s), "01", CODE,
                  [(_jpeg(ocr.render_text_page(P1, dpi=200)), {"orientation": 0})])
    proc = subprocess.run([sys.executable, "-c", CRASH, sqlite_url, str(root)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    assert proc.returncode == 9, proc.stderr[-2000:]
    key = f"pdf/G01/{CODE}.pdf"
    assert not storage.exists(key) and list(storage.list("pdf/")) == []
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        assert f.status == "qc_passed" and f.pdf_key is None and f.ocr_input_hash is None
        assert s.scalars(select(Page)).one().ocr_text is None

    with session_scope(engine) as s:  # the next run redoes the file
        assert ocr_phase.run_ocr(s, storage, workers=1)["files"] == 1
    data = storage.get_bytes(key)
    with session_scope(engine) as s:
        assert s.scalars(select(File)).one().pdf_sha256 == sha256_bytes(data)
    assert check_pdf(data)["problems"] == []
    engine.dispose()


@pytest.mark.parametrize("lang", ["vie+eng"])
def test_languages_are_part_of_the_inputs(sqlite_url, tmp_path, lang):
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    storage = LocalStorage(tmp_path / "objects")
    with session_scope(engine) as s:
        _add_file(s, storage, _agency(s), "01", CODE,
                  [(_jpeg(ocr.render_text_page(P1 + ["Scanned by Fujitsu fi-7160"], dpi=200)), {})])
    with session_scope(engine) as s:
        assert ocr_phase.run_ocr(s, storage, lang="vie", workers=1)["files"] == 1
    with session_scope(engine) as s:  # another language set redoes the file
        assert ocr_phase.run_ocr(s, storage, lang=lang, workers=1)["files"] == 1
        text = s.scalars(select(Page)).one().ocr_text
    assert "Fujitsu" in text and "vĩnh viễn" in text
    engine.dispose()
