"""sohoa.ocr.pdf: PDF/A-2b assembly from tesseract one-page PDFs (real tesseract + pikepdf)."""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone

import pikepdf
import pytest
from sohoa.ocr import recognition as ocr
from sohoa.ocr.pdf import _srgb_icc, blank_page_pdf, build_pdfa, check_pdf, pdf_text

TEXTS = [
    ["Quyết định về việc thành lập Hội đồng xác định", "giá trị tài liệu năm 2015"],
    ["Công văn số 125/UBND-VP gửi Sở Nội vụ", "về tiến độ chỉnh lý hồ sơ lưu trữ"],
    ["Báo cáo tổng kết công tác văn thư", "lưu trữ năm 2016 của phường"],
]
META = {
    "file_code": "000.00.00.G09.2010.01.TH",
    "title": "Hồ sơ về việc chỉnh lý tài liệu lưu trữ của Ủy ban nhân dân phường",
    "agency": "Ủy ban nhân dân phường Hàng Bạc",
    "language": "vie",
    "start_date": "05/03/2010",
    "end_date": "2010-12-31",
    "created": datetime(2025, 7, 1, 8, 30, tzinfo=timezone.utc),
}


@pytest.fixture(scope="module")
def pages() -> list[bytes]:
    out = []
    for lines in TEXTS:
        r = ocr.ocr_page(ocr.render_text_page(lines, dpi=200), dpi=200, rotate=0, deskew_deg=0)
        assert r.error is None and r.pdf
        out.append(r.pdf)
    return out


@pytest.fixture(scope="module")
def doc(pages) -> bytes:
    return build_pdfa(pages, metadata=META)


def test_three_pages_pdfa_structure(doc):
    info = check_pdf(doc)
    assert info["pages"] == 3
    assert info["pdfa"] == "2B"
    assert info["problems"] == []
    with pikepdf.open(io.BytesIO(doc)) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == pikepdf.Name.GTS_PDFA1
        assert bytes(intent.DestOutputProfile.read_bytes())[36:40] == b"acsp"  # an ICC profile
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        assert pdf.Root.PageLabels.Nums[1].S == pikepdf.Name.D
        assert len(pdf.trailer.ID) == 2
        assert not pdf.is_encrypted
        assert doc.startswith(b"%PDF-1.7")


def test_page_text_layer_survives_merge(doc):
    texts = pdf_text(doc)
    assert len(texts) == 3
    assert "Công văn" in texts[1] and "Sở Nội vụ" in texts[1]
    assert "Công văn" not in texts[0] and "Công văn" not in texts[2]


def test_metadata_roundtrip_xmp_and_docinfo(doc):
    with pikepdf.open(io.BytesIO(doc)) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:title"] == META["title"]
        assert meta["dc:creator"] == [META["agency"]]
        assert meta["dc:identifier"] == META["file_code"]
        assert set(meta["dc:language"]) == {"vi"}
        assert meta["dc:coverage"] == "2010-03-05/2010-12-31"
        assert meta["xmp:CreateDate"].startswith("2025-07-01T08:30:00")
        assert str(pdf.docinfo.Title) == META["title"]  # diacritics survive (UTF-16)
        assert str(pdf.docinfo.Author) == META["agency"]
        assert str(pdf.docinfo.CreationDate).startswith("D:20250701083000")


def test_build_is_deterministic(pages, doc):
    # a second later, with the ICC profile made afresh: littleCMS stamps "now" into the
    # profile's header, which once made a rebuild differ whenever the clock ticked between
    getattr(_srgb_icc, "cache_clear", lambda: None)()
    time.sleep(1.05)
    assert build_pdfa(pages, metadata=META) == doc  # same input → same bytes (idempotent)
    other = build_pdfa(pages, metadata={**META, "title": "Khác"})
    with pikepdf.open(io.BytesIO(doc)) as a, pikepdf.open(io.BytesIO(other)) as b:
        assert a.trailer.ID[0] != b.trailer.ID[0]


def test_check_pdf_flags_plain_pdf(pages):
    info = check_pdf(pages[0])  # tesseract page alone: not PDF/A
    assert info["pdfa"] is None
    assert any("XMP" in p for p in info["problems"])
    assert any("OutputIntent" in p for p in info["problems"])
    assert check_pdf(b"not a pdf")["problems"]
    buf = io.BytesIO()
    with pikepdf.open(io.BytesIO(pages[0])) as pdf:
        pdf.save(buf, encryption=pikepdf.Encryption(owner="o", user="u"))
    assert "encrypted" in check_pdf(buf.getvalue())["problems"]


def test_blank_placeholder_keeps_page_position(pages):
    ph = blank_page_pdf(595, 842, "Trang 2: decode: not a readable image")
    doc = build_pdfa([pages[0], ph, pages[2]], metadata=META)
    info = check_pdf(doc)
    assert info["pages"] == 3 and info["problems"] == []
    with pikepdf.open(io.BytesIO(doc)) as pdf:
        assert abs(float(pdf.pages[1].mediabox[2]) - 595) < 1
        assert len(pdf.pages[1].images) == 1
    assert "Báo cáo" in pdf_text(doc)[2]


def test_empty_input_rejected():
    with pytest.raises(ValueError):
        build_pdfa([], metadata=META)
