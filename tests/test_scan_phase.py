"""The rescan loop: a rejected page opens a request; a re-delivery checks again and closes it."""

from datetime import date

import cv2
import numpy as np
from PIL import Image
from sohoa.core.db.models import Agency, Event, File, Page, RescanRequest, ScanDelivery
from sohoa.core.db.session import session_scope
from sohoa.core.storage import LocalStorage
from sohoa.ocr.recognition import render_text_page
from sohoa.scan.phase import scan_qc
from sqlalchemy import select

LINES = [
    "ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "QUYẾT ĐỊNH về việc phê duyệt kế hoạch số hóa",
    "Căn cứ Luật Lưu trữ ngày 21 tháng 6 năm 2024;",
    "Điều 1. Phê duyệt kế hoạch số hóa hồ sơ, tài liệu.",
    "Điều 2. Giao Văn phòng chủ trì, phối hợp thực hiện.",
    "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
] * 3


def _save(path, image, dpi=200):
    Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).save(path, quality=85, dpi=(dpi, dpi))


def _setup(engine, deliveries):
    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        s.add(File(agency_id=a.id, notation="01/VP", title="Tập quyết định năm 2025",
                   start_date=date(2025, 1, 1), status="arranged", page_count=3,
                   file_code="TTLTHN.G01.2025.01.001"))
    folder = deliveries / "G01" / "01_VP"  # safe_name("01/VP")
    folder.mkdir(parents=True)
    page = render_text_page(LINES, dpi=200, paper_rgb=(245, 240, 228))
    _save(folder / "0001.jpg", page)
    _save(folder / "0002.jpg", cv2.GaussianBlur(page, (0, 0), 6))  # blurred: reject
    _save(folder / "0003.jpg", cv2.rotate(render_text_page(LINES[::-1], dpi=200), cv2.ROTATE_180))
    return folder, page


def test_reject_rescan_and_redelivery(engine, tmp_path):
    storage = LocalStorage(tmp_path / "obj")
    folder, good = _setup(engine, tmp_path / "deliveries")
    with session_scope(engine) as s:
        out = scan_qc(s, storage, tmp_path / "deliveries")
    assert (out["pages"], out["reject"]) == (3, 1)
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        assert f.status == "qc_rejected"
        pages = {p.page_no: p for p in s.scalars(select(Page))}
        assert "blurred" in pages[2].qc_defects and pages[2].qc_reasons
        assert pages[3].qc_verdict == "fixable" and "upside_down" in pages[3].qc_defects
        req = s.scalars(select(RescanRequest)).one()
        assert (req.page_no, req.status) == (2, "open")
        # the original is stored untouched, under its checksum
        assert storage.get_bytes(pages[1].image_key) == (folder / "0001.jpg").read_bytes()

    with session_scope(engine) as s:  # same delivery again: nothing happens
        n = len(s.scalars(select(Event)).all())
        assert scan_qc(s, storage, tmp_path / "deliveries")["unchanged"] == 1
    with session_scope(engine) as s:
        assert len(s.scalars(select(Event)).all()) == n

    _save(folder / "0002.jpg", render_text_page(LINES[2:], dpi=200))  # the rescan arrives
    with session_scope(engine) as s:
        out = scan_qc(s, storage, tmp_path / "deliveries")
        assert out["reject"] == 0
    with session_scope(engine) as s:
        assert s.scalars(select(File)).one().status == "qc_passed"
        req = s.scalars(select(RescanRequest)).one()
        assert req.status == "closed" and req.closed_at is not None
        assert len(s.scalars(select(ScanDelivery)).all()) == 2
        actions = [e.action for e in s.scalars(select(Event).order_by(Event.id))]
        assert "rescan_opened" in actions and "rescan_closed" in actions


def test_missing_pages_against_the_list(engine, tmp_path):
    storage = LocalStorage(tmp_path / "obj")
    folder, _ = _setup(engine, tmp_path / "deliveries")
    (folder / "0003.jpg").unlink()
    (folder / "0002.jpg").unlink()
    with session_scope(engine) as s:
        scan_qc(s, storage, tmp_path / "deliveries")
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        assert f.status == "qc_rejected"
        assert f.qc_issues == ["Thiếu 2 trang so với danh mục (1/3)"]
        assert sorted(r.page_no for r in s.scalars(select(RescanRequest))) == [2, 3]


def test_no_delivery_yet_waits(engine, tmp_path):
    with session_scope(engine) as s:
        a = Agency(code="G02", name="UBND huyện Đông Anh", level="district")
        s.add(a)
        s.flush()
        s.add(File(agency_id=a.id, notation="05", title="x", status="arranged"))
    with session_scope(engine) as s:
        out = scan_qc(s, LocalStorage(tmp_path / "obj"), tmp_path / "none")
        assert out["awaiting_delivery"] == 1
        assert s.scalars(select(File)).one().status == "arranged"


def test_pdf_delivery_station_queue_and_derivative(engine, tmp_path):
    """One PDF per file from station MQ-02: pages stored one by one, a fixable page gets an
    upright derivative, a rejected page waits in MQ-02's queue until the PDF comes back."""
    from sohoa.scan.phase import format_queue, rescan_queue

    storage = LocalStorage(tmp_path / "obj")
    deliveries = tmp_path / "deliveries"
    with session_scope(engine) as s:
        a = Agency(code="G03", name="UBND phường Cửa Nam", level="commune")
        s.add(a)
        s.flush()
        s.add(File(agency_id=a.id, notation="HS-07", title="Hồ sơ đất đai", status="arranged",
                   page_count=3, file_code="TTLTHN.G03.2025.01.007"))
    (deliveries / "G03").mkdir(parents=True)
    (deliveries / "G03" / "manifest.json").write_text(
        '{"station": "MQ-02", "operator": "Nguyễn Thị Lan"}', encoding="utf-8")
    good = Image.fromarray(cv2.cvtColor(render_text_page(LINES, dpi=200), cv2.COLOR_BGR2RGB))
    other = Image.fromarray(cv2.cvtColor(render_text_page(LINES[::-1], dpi=200),
                                         cv2.COLOR_BGR2RGB))
    blank = Image.new("RGB", good.size, (250, 248, 240))
    pdf = deliveries / "G03" / "HS-07.pdf"
    good.save(pdf, "PDF", resolution=200, save_all=True,
              append_images=[other.rotate(90, expand=True), blank])
    with session_scope(engine) as s:
        out = scan_qc(s, storage, deliveries)
    assert (out["pages"], out["pass"], out["fixable"], out["reject"]) == (3, 1, 1, 1)
    assert out["derivatives"] == 1 and out["rescans_opened"] == 1
    with session_scope(engine) as s:
        pages = {p.page_no: p for p in s.scalars(select(Page))}
        assert {p.source_key for p in pages.values()} == {pages[1].source_key}
        assert [p.source_page for p in pages.values()] == [1, 2, 3]
        assert storage.get_bytes(pages[1].source_key) == pdf.read_bytes()  # original, untouched
        # every page alone as an image (the embedded JPEG as is): OCR reads it directly
        img = cv2.imdecode(np.frombuffer(storage.get_bytes(pages[2].image_key), np.uint8), 1)
        assert img.shape[1] > img.shape[0]  # stored as delivered: sideways
        assert pages[2].qc_defects == ["rotated"] and pages[2].derivative_key
        fixed = cv2.imdecode(np.frombuffer(storage.get_bytes(pages[2].derivative_key),
                                           np.uint8), 1)
        assert fixed.shape[0] > fixed.shape[1]  # the derivative is upright
        assert pages[1].derivative_key is None and pages[3].qc_defects == ["blank"]
        d = s.scalars(select(ScanDelivery)).one()
        assert (d.station, d.operator) == ("MQ-02", "Nguyễn Thị Lan")
        queue = rescan_queue(s, station="MQ-02")
        assert [(r["agency"], r["station"], r["page"], r["defects"]) for r in queue] == [
            ("G03", "MQ-02", 3, ["blank"])]
        sheet = format_queue(queue)
        assert "máy quét MQ-02" in sheet and "TTLTHN.G03.2025.01.007, trang 3" in sheet
        assert "Trang trắng" in sheet and rescan_queue(s, station="MQ-01") == []

    # the station sends the PDF again with page 3 rescanned
    good.save(pdf, "PDF", resolution=200, save_all=True,
              append_images=[other.rotate(90, expand=True), good.rotate(180)])
    with session_scope(engine) as s:
        out = scan_qc(s, storage, deliveries)
    assert out["rescans_closed"] == 1 and out["reject"] == 0
    with session_scope(engine) as s:
        req = s.scalars(select(RescanRequest)).one()
        second = s.scalars(select(ScanDelivery).order_by(ScanDelivery.id.desc())).first()
        assert req.status == "closed" and req.closed_delivery_id == second.id
        assert s.scalars(select(File)).one().status == "qc_passed"
        assert rescan_queue(s) == []
        actions = [e.action for e in s.scalars(select(Event).order_by(Event.id))]
        assert actions.count("derivative_stored") == 2  # page 2 once, new page 3 once
        assert "rescan_closed" in actions
