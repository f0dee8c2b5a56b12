"""The description phase over the database (SQLite and PostgreSQL): documents filled from
the pages' OCR text, reruns, confirmed fields, secret documents, per-document PDF/A,
review through the form answer and the Excel sheet, QC overrides."""

from __future__ import annotations

import io
from datetime import date

import pikepdf
import pytest
from sqlalchemy import func, select

from sohoa.core.db.models import Agency, Document, Event, File, Page, RescanRequest
from sohoa.core.db.session import make_engine, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.description import phase as dphase
from sohoa.description import review
from sohoa.ocr.pdf import blank_page_pdf, build_pdfa, check_pdf

FILE_CODE = "TTLTHN.G01.2025.01.001"
W, H = 1654, 2339

QD_P1 = """ỦY BAN NHÂN DÂN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
QUẬN HOÀN KIẾM
Độc lập - Tự do - Hạnh phúc
Số: 155/QĐ-UBND
Hoàn Kiếm, ngày 05 tháng 6 năm 2025
QUYẾT ĐỊNH
Về việc phê duyệt kế hoạch số hóa tài liệu lưu trữ năm 2025
CHỦ TỊCH ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM
Căn cứ Luật Lưu trữ năm 2024;
Điều 1. Phê duyệt kế hoạch số hóa tài liệu lưu trữ."""
QD_P2 = """2
Điều 2. Quyết định có hiệu lực từ ngày ký.
Nơi nhận:
- Như Điều 2;
- Lưu: VT."""
CV_SECRET = """ỦY BAN NHÂN DÂN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
QUẬN HOÀN KIẾM
Độc lập - Tự do - Hạnh phúc
MẬT
Số: 42/UBND-VP
Hoàn Kiếm, ngày 12 tháng 3 năm 2025
V/v báo cáo tình hình an ninh trật tự
Kính gửi: Công an quận Hoàn Kiếm
Ủy ban nhân dân quận đề nghị báo cáo.
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Trần Thị Bình"""


def _line(text, x, y, w, conf=92.0, min_conf=None):
    return {"text": text, "conf": conf, "min_conf": conf - 5 if min_conf is None else min_conf,
            "bbox": [x, y, w, 40]}


#: A thông báo whose number was written by hand: OCR reads "17" with a weak word.
TB_LINES = [
    _line("ỦY BAN NHÂN DÂN", 150, 120, 500), _line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 120, 800),
    _line("QUẬN HOÀN KIẾM", 180, 170, 450), _line("Độc lập - Tự do - Hạnh phúc", 950, 170, 550),
    _line("Số: 17/TB-UBND", 200, 240, 400, conf=55, min_conf=18),
    _line("Hoàn Kiếm, ngày 20 tháng 4 năm 2025", 900, 240, 650),
    _line("THÔNG BÁO", 700, 380, 300), _line("Về lịch tiếp công dân tháng 5 năm 2025", 450, 430, 800),
    _line("Ủy ban nhân dân quận thông báo lịch tiếp công dân.", 150, 520, 1300),
    _line("TM. ỦY BAN NHÂN DÂN", 1000, 900, 500), _line("CHỦ TỊCH", 1100, 950, 300),
    _line("Lê Văn Cường", 1050, 1150, 400),
]
TB_TEXT = "\n".join(ln["text"] for ln in TB_LINES)


def _make_file(engine, storage, pages, *, access="public", status="ocr_done",
               file_code=FILE_CODE, notation="01", agency_code="G01") -> int:
    """A file whose pages were OCR'd: text (and line records), and its file PDF/A."""
    with session_scope(engine) as s:
        a = s.scalar(select(Agency).where(Agency.code == agency_code))
        if a is None:
            a = Agency(code=agency_code, name="UBND quận Hoàn Kiếm", level="district")
            s.add(a)
            s.flush()
        f = File(agency_id=a.id, notation=notation, file_code=file_code, status=status,
                 title="Tập văn bản của Ủy ban nhân dân quận năm 2025", access_mode=access,
                 start_date=date(2025, 1, 1))
        s.add(f)
        s.flush()
        pdf = build_pdfa([blank_page_pdf(note=f"trang {i}") for i in range(1, len(pages) + 1)],
                         metadata={"file_code": file_code, "title": f.title, "agency": a.name,
                                   "created": "2025-07-01T08:00:00+00:00"})
        f.pdf_key = f"pdf/{agency_code}/{file_code}.pdf"
        f.pdf_sha256 = storage.put_bytes(f.pdf_key, pdf)
        for n, (text, lines) in enumerate(pages, start=1):
            key = f"scans/{agency_code}/{notation}/{n}.png"
            storage.put_bytes(key, b"\x89PNG\r\n\x1a\n" + bytes([n]) * 16)
            s.add(Page(file_id=f.id, page_no=n, image_key=key, sha256=f"{n:064x}",
                       qc_verdict="pass", width_px=W, height_px=H, ocr_text=text,
                       ocr_lines=lines, ocr_confidence=90.0))
        return f.id


def _describe(engine, storage, **kw) -> dict:
    with session_scope(engine) as s:
        return dphase.describe(s, storage, **kw)


def _docs(engine, file_id) -> list[Document]:
    with session_scope(engine) as s:
        return list(s.scalars(select(Document).where(Document.file_id == file_id)
                              .order_by(Document.ordinal)))


def _events(engine, **where) -> list[Event]:
    with session_scope(engine) as s:
        q = select(Event).order_by(Event.id)
        for k, v in where.items():
            q = q.where(getattr(Event, k) == v)
        return list(s.scalars(q))


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "objects")


@pytest.fixture
def three_docs(engine, storage):
    """A quyết định on pages 1–2 (continuation page 2, no signer found), a secret công
    văn on page 3, a thông báo with a handwritten number on page 4."""
    return _make_file(engine, storage, [(QD_P1, None), (QD_P2, None), (CV_SECRET, None),
                                        (TB_TEXT, TB_LINES)])


def test_phase_fills_documents_and_a_rerun_changes_nothing(engine, storage, three_docs):
    out = _describe(engine, storage)
    assert out["files"] == 1 and out["documents"] == 3 and out["file_errors"] == 0
    qd, cv, tb = _docs(engine, three_docs)
    assert (qd.page_from, qd.page_to, qd.page_amount) == (1, 2, 2)
    assert (qd.type_name, qd.code_number, qd.code_notation) == ("Quyết định", "155", "QĐ-UBND")
    assert qd.issued_date == date(2025, 6, 5) and (qd.issued_year, qd.issued_month) == (2025, 6)
    assert qd.organ_name == "Ủy ban nhân dân quận Hoàn Kiếm"
    assert qd.subject == "Về việc phê duyệt kế hoạch số hóa tài liệu lưu trữ năm 2025"
    assert qd.doc_code == f"{FILE_CODE}.001" and cv.doc_code == f"{FILE_CODE}.002"
    assert cv.type_name == "Công văn" and cv.subject.startswith("V/v báo cáo")
    assert (cv.signer, cv.secrecy) == ("Trần Thị Bình", "MẬT")
    # the handwritten number is left empty and flagged, never invented
    assert tb.code_number is None and "code_number" in tb.review and tb.review_state == "pending"
    assert tb.reasons["code_number"] and tb.confidence["code_number"] < 0.6
    with session_scope(engine) as s:
        pages = {p.page_no: p.document_id for p in s.scalars(select(Page))}
        f = s.get(File, three_docs)
        assert f.described_hash
    assert pages == {1: qd.id, 2: qd.id, 3: cv.id, 4: tb.id}  # every page in one document
    described = _events(engine, entity="documents", action="described")
    assert len(described) == 3 and described[0].after["code_number"] == "155"
    assert described[0].actor.startswith(("user:", "airflow:"))

    n = len(_events(engine))
    again = _describe(engine, storage)
    assert again["files"] == 0 and again["unchanged"] == 1
    assert len(_events(engine)) == n


def test_a_confirmed_field_survives_a_rerun_after_the_ocr_changes(engine, storage, three_docs):
    _describe(engine, storage)
    qd = _docs(engine, three_docs)[0]
    with session_scope(engine) as s:
        out = review.apply_answers(s, storage, [
            review.Answer(f"vb{qd.id}__signer", "Nguyễn Văn An", "lan.nguyen"),
            review.Answer(f"vb{qd.id}__code_number", "156", "lan.nguyen")])
    assert out["confirmed"] == 2 and not out["rejected"]
    with session_scope(engine) as s:  # page 1 is OCR'd again: another subject, number 999
        p1 = s.scalar(select(Page).where(Page.page_no == 1))
        p1.ocr_text = QD_P1.replace("Số: 155/", "Số: 999/").replace(
            "phê duyệt kế hoạch", "điều chỉnh kế hoạch")
    assert _describe(engine, storage)["files"] == 1
    qd = _docs(engine, three_docs)[0]
    assert qd.subject == "Về việc điều chỉnh kế hoạch số hóa tài liệu lưu trữ năm 2025"
    assert qd.code_number == "156" and qd.signer == "Nguyễn Văn An"  # the person's answers
    assert qd.confirmed["signer"]["by"] == "lan.nguyen"
    assert "signer" not in (qd.review or []) and qd.review_state == "confirmed"
    ev = _events(engine, entity="documents", action="redescribed")[-1]
    assert ev.before["subject"].endswith("phê duyệt kế hoạch số hóa tài liệu lưu trữ năm 2025")
    assert "code_number" not in ev.after and ev.details["kept_confirmed"] == ["code_number",
                                                                                "signer"]
    confirmed = _events(engine, action="confirmed")
    assert {e.actor for e in confirmed} == {"user:lan.nguyen"}
    assert confirmed[0].before == {"signer": None} and confirmed[0].after == {"signer": "Nguyễn Văn An"}


def test_a_secret_document_raises_the_access_mode_before_integration(engine, storage, three_docs,
                                                                     shared_url):
    from sohoa.integration.phase import integrate, search

    other = _make_file(engine, storage, [(QD_P1, None)], file_code="TTLTHN.G01.2025.01.002",
                       notation="02")
    shared = make_engine(shared_url)
    with session_scope(engine) as s:  # nothing described yet: nothing integrated
        assert integrate(s, shared, storage)["files"] == 0
    _describe(engine, storage, file_ref=FILE_CODE)
    with session_scope(engine) as s:
        f = s.get(File, three_docs)
        assert f.access_mode == "confidential"
        assert s.get(File, other).described_hash is None
    ev = _events(engine, action="access_raised")
    assert len(ev) == 1 and ev[0].before == {"access_mode": "public"}
    assert ev[0].after == {"access_mode": "confidential"} and "MẬT" in ev[0].details["reasons"][0]
    assert {d.ordinal: d.mode for d in _docs(engine, three_docs)}[2] == "confidential"
    with session_scope(engine) as s:
        out = integrate(s, shared, storage)
    assert out["files"] == 1  # the described one only
    assert search(shared, "kế hoạch") == []  # confidential: not in public search
    assert [r["access_mode"] for r in search(shared, "kế hoạch", level="confidential")] == ["confidential"]
    shared.dispose()


def test_each_document_has_its_own_pdfa(engine, storage, three_docs):
    _describe(engine, storage)
    docs = _docs(engine, three_docs)
    for d in docs:
        assert d.pdf_key == f"pdf/G01/{d.doc_code}.pdf"  # beside the file's PDF
        data = storage.get_bytes(d.pdf_key)
        assert storage.stat(d.pdf_key).sha256 == d.pdf_sha256
        chk = check_pdf(data)
        assert chk["pdfa"] == "2B" and chk["problems"] == [] and chk["pages"] == d.page_amount
        with pikepdf.open(io.BytesIO(data)) as pdf:
            meta = pdf.open_metadata()
            assert meta["dc:identifier"] == d.doc_code
            assert meta["dc:title"] == d.subject
            assert meta["dc:creator"] == [d.organ_name]
    assert _events(engine, action="pdf_stored", entity="documents")
    n = len(_events(engine))
    with session_scope(engine) as s:  # same inputs, same bytes: nothing stored again
        f = s.get(File, three_docs)
        for d in s.scalars(select(Document)):
            assert dphase.store_document_pdf(s, storage, f, f.agency, d) is False
    assert len(_events(engine)) == n


def test_the_form_is_prefilled_and_links_the_page_image(engine, storage, three_docs):
    _describe(engine, storage)
    qd, cv, tb = _docs(engine, three_docs)
    with session_scope(engine) as s:
        assert review.agencies_with_review(s) == ["G01"]
        form = review.build_form(s, "G01", page_url=lambda pid: f"http://af/sohoa/pages/{pid}/image")
        page4 = s.scalar(select(Page).where(Page.page_no == 4))
    p = form["params"]
    assert p[f"vb{tb.id}__code_number"]["value"] is None  # handwritten: not pre-filled
    assert p[f"vb{tb.id}__code_notation"]["value"] == "TB-UBND"  # the machine's reading
    assert p[f"vb{cv.id}__secrecy"]["value"] == "MẬT"
    assert f"vb{qd.id}__subject" not in p  # only what is flagged
    assert f"http://af/sohoa/pages/{page4.id}/image" in form["body"]
    assert "G01" in form["subject"] and "3 văn bản" in form["subject"]

    # the reviewer submits the form: blank number stays waiting, a bad notation is refused
    answer = {k: spec["value"] for k, spec in p.items()}
    answer[f"vb{tb.id}__code_notation"] = "TB UBND!"
    answer[f"vb{qd.id}__signer"] = "Nguyễn Văn An"
    with session_scope(engine) as s:
        out = review.apply_answers(s, storage, review.answers_from_form(answer, "admin"))
    assert [r["key"] for r in out["rejected"]] == [f"vb{tb.id}__code_notation"]
    assert "Ký hiệu" in out["rejected"][0]["reason"]
    qd, cv, tb = _docs(engine, three_docs)
    assert qd.signer == "Nguyễn Văn An" and qd.review_state == "confirmed"
    assert cv.secrecy == "MẬT" and cv.confirmed["secrecy"]["by"] == "admin"
    assert tb.review == ["code_number", "code_notation"] and tb.code_notation == "TB-UBND"
    assert _events(engine, action="answer_rejected")[0].details["reason"] == out["rejected"][0]["reason"]


def test_review_sheet_round_trip_with_a_bad_value_rejected(engine, storage, three_docs):
    from openpyxl import load_workbook

    _describe(engine, storage)
    qd, cv, tb = _docs(engine, three_docs)
    with session_scope(engine) as s:
        data, n = review.export_xlsx(s, "G01")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Cần kiểm tra"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Khóa (không sửa)", "Mã cơ quan", "Mã hồ sơ"]
    assert "Giá trị xác nhận" in header and "Lý do cần kiểm tra" in header
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert n == len(rows) == 4  # signer; secrecy; number + notation (no QC rejects)
    col = {h: i for i, h in enumerate(header)}
    row = rows[f"vb{tb.id}__code_notation"]
    assert row[col["Máy đọc được"]].value == "TB-UBND"
    assert row[col["Trường cần kiểm tra"]].value == "Ký hiệu của văn bản"
    rows[f"vb{tb.id}__code_number"][col["Giá trị xác nhận"]].value = "17b"  # bad
    rows[f"vb{tb.id}__code_notation"][col["Giá trị xác nhận"]].value = "TB-UBND"
    rows[f"vb{qd.id}__signer"][col["Giá trị xác nhận"]].value = "  Phạm  Văn Đức "
    rows[f"vb{qd.id}__signer"][col["Người kiểm tra"]].value = "Phạm Thu Hà"
    buf = io.BytesIO()
    wb.save(buf)
    with session_scope(engine) as s:
        out = review.import_xlsx(s, storage, buf.getvalue(), user="clerk")
    assert out["confirmed"] == 2
    assert [(r["key"], r["row"]) for r in out["rejected"]] == [
        (f"vb{tb.id}__code_number", next(i for i, k in enumerate(rows, start=2)
                                          if k == f"vb{tb.id}__code_number"))]
    assert "chữ số" in out["rejected"][0]["reason"]
    qd, cv, tb = _docs(engine, three_docs)
    assert qd.signer == "Phạm Văn Đức"  # NFC, spaces normalised
    assert tb.code_number is None and tb.review == ["code_number"]
    assert tb.confirmed["code_notation"]["source"] == "excel"
    actors = {e.actor for e in _events(engine, action="confirmed")}
    assert actors == {"user:Phạm Thu Hà", "user:clerk"}
    # importing the same sheet again changes nothing
    n_events = len(_events(engine))
    with session_scope(engine) as s:
        again = review.import_xlsx(s, storage, buf.getvalue(), user="clerk")
    assert again["confirmed"] == 0 and len(_events(engine)) == n_events + 1  # the bad row again
    with session_scope(engine) as s:  # the sheet that comes out now lists what still waits
        _, left = review.export_xlsx(s, "G01")
    assert left == 2


def test_qc_override_accepts_a_rejected_page_and_closes_its_rescan(engine, storage):
    fid = _make_file(engine, storage, [(QD_P1, None), (QD_P2, None)], status="qc_rejected")
    with session_scope(engine) as s:
        f = s.get(File, fid)
        p2 = s.scalar(select(Page).where(Page.file_id == fid, Page.page_no == 2))
        p2.qc_verdict, p2.qc_reasons = "reject", ["Trang bị mờ, cần quét lại"]
        s.add(RescanRequest(agency_id=f.agency_id, file_id=fid, page_no=2,
                            reasons=["Trang bị mờ, cần quét lại"]))
    with session_scope(engine) as s:
        form = review.build_form(s, "G01")
        req = s.scalar(select(RescanRequest))
    assert form["params"][f"qc{req.id}__accept"]["value"] is False
    assert "Trang bị mờ" in form["body"]
    with session_scope(engine) as s:  # accepting without a reason is refused
        out = review.apply_answers(s, storage, review.answers_from_form(
            {f"qc{req.id}__accept": True, f"qc{req.id}__reason": ""}, "archivist"))
    assert out["accepted_pages"] == 0 and "lý do" in out["rejected"][0]["reason"]
    with session_scope(engine) as s:
        out = review.apply_answers(s, storage, review.answers_from_form(
            {f"qc{req.id}__accept": True,
             f"qc{req.id}__reason": "Bản giấy gốc đã mờ, không quét tốt hơn được"}, "archivist"))
    assert out["accepted_pages"] == 1
    with session_scope(engine) as s:
        req = s.get(RescanRequest, req.id)
        p2 = s.scalar(select(Page).where(Page.file_id == fid, Page.page_no == 2))
        f = s.get(File, fid)
        assert req.status == "closed" and req.closed_at is not None
        assert p2.qc_verdict == "pass" and p2.qc_metrics["override"]["by"] == "archivist"
        assert f.status == "qc_passed"  # OCR takes it next
        assert review.build_form(s, "G01") is None
    closed = _events(engine, action="rescan_closed")
    assert closed[0].actor == "user:archivist" and closed[0].details["override"] is True
    assert _events(engine, action="qc_override", entity="pages")[0].details["reason"].startswith("Bản giấy")


def test_reporting_counts_documents_per_agency(engine, storage, three_docs):
    from sohoa.reporting import documents as rdocs

    _describe(engine, storage)
    qd = _docs(engine, three_docs)[0]
    with session_scope(engine) as s:
        review.apply_answers(s, storage, [review.Answer(f"vb{qd.id}__signer", "Nguyễn Văn An", "a")])
    with session_scope(engine) as s:
        aid = s.scalar(select(Agency.id))
        counts = rdocs.document_counts(s)
        waiting = rdocs.waiting_documents(s, aid)
        f = s.get(File, three_docs)
    assert counts == {aid: {"described": 3, "waiting_review": 2, "confirmed": 1}}
    assert [w["doc_code"] for w in waiting] == [f"{FILE_CODE}.002", f"{FILE_CODE}.003"]
    # the secret document's file is confidential now: its subject is not listed
    assert f.access_mode == "confidential" and all(w["subject"] is None for w in waiting)
    assert "Số của văn bản" in waiting[1]["fields"]
    from sohoa.reporting.weekly import build_weekly_report

    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 3
        run = build_weekly_report(s, storage, date(2025, 9, 17))
    html = storage.get_text(run["html_key"])
    table = html.split('id="documents"')[1].split("</table>")[0]
    assert "<td>G01</td><td class=\"n\">3</td>" in table.replace("\n", "").replace("    ", "")


def test_sheet_text_is_never_taken_as_a_formula(engine, storage):
    fid = _make_file(engine, storage, [(TB_TEXT, TB_LINES)])
    _describe(engine, storage)
    with session_scope(engine) as s:
        d = s.scalar(select(Document).where(Document.file_id == fid))
        d.code_notation = "=HYPERLINK(\"http://x\")"
        data, _ = review.export_xlsx(s, "G01")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data))["Cần kiểm tra"]
    cells = [r[6] for r in ws.iter_rows(min_row=2) if r[0].value.endswith("__code_notation")]
    assert cells[0].value == "=HYPERLINK(\"http://x\")" and cells[0].data_type == "s"


def test_dashboard_lists_what_waits_and_serves_the_page_image(engine, storage, three_docs):
    from fastapi.testclient import TestClient

    from sohoa.reporting.dashboard import create_app

    _describe(engine, storage)
    app = create_app(engine_factory=lambda: engine, storage_factory=lambda: storage)
    c = TestClient(app)
    page = c.get("/agency/G01?as_of=2025-09-17")
    assert page.status_code == 200
    assert "3 đã mô tả, 3 chờ kiểm tra, 0 đã xác nhận" in page.text
    assert f"{FILE_CODE}.003" in page.text and "Số của văn bản" in page.text
    api = c.get("/api/agency/G01?as_of=2025-09-17").json()
    assert api["documents"] == {"described": 3, "waiting_review": 3, "confirmed": 0}
    assert "Văn bản chờ kiểm tra" in c.get("/?as_of=2025-09-17").text
    with session_scope(engine) as s:
        p4 = s.scalar(select(Page).where(Page.page_no == 4))
    img = c.get(f"/pages/{p4.id}/image")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert img.content == storage.get_bytes(p4.image_key)
    assert c.get("/pages/999999/image").status_code == 404


def test_force_describes_an_unchanged_file_again_with_an_event(engine, storage, three_docs):
    """Làm lại (force): an unchanged file is described again, one forced_rerun event; the
    documents come out the same and nothing else is written twice."""
    _describe(engine, storage)
    before = [(d.ordinal, d.type_name, d.code_notation) for d in _docs(engine, three_docs)]
    assert _describe(engine, storage)["unchanged"] == 1  # plain rerun: skipped
    out = _describe(engine, storage, force=True)
    assert out["files"] == 1 and out["forced"] == 1 and out["unchanged"] == 0
    forced = _events(engine, action="forced_rerun")
    assert [(e.entity, e.entity_id, e.phase) for e in forced] == [("files", three_docs, "description")]
    assert [(d.ordinal, d.type_name, d.code_notation) for d in _docs(engine, three_docs)] == before
