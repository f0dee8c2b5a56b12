"""sohoa.ocr with the real tesseract (vie, osd), OpenCV and pikepdf."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata

import cv2
import numpy as np
import pikepdf
import pytest
from pikepdf import PdfImage

from sohoa import ocr
from sohoa.pdf import check_pdf, pdf_text

PARA = [
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3",
    "năm 2020 của Chính phủ về công tác văn thư; theo đề",
    "nghị của Chánh Văn phòng Ủy ban nhân dân quận,",
    "Ủy ban nhân dân quận quyết định phê duyệt kế hoạch",
    "số hóa tài liệu lưu trữ của các cơ quan, tổ chức",
    "thuộc nguồn nộp lưu vào Lưu trữ lịch sử thành phố.",
    "Điều 1. Giao Sở Nội vụ chủ trì, phối hợp với các",
    "đơn vị liên quan tổ chức chỉnh lý, số hóa hồ sơ.",
]
REF = "\n".join(PARA)
OTHER = [
    "Biên bản bàn giao hồ sơ, tài liệu lưu trữ năm 2010",
    "Hôm nay, tại trụ sở Ủy ban nhân dân phường Hàng Bạc,",
    "chúng tôi gồm đại diện bên giao và bên nhận đã kiểm",
    "đếm đủ mười hai hộp với tổng số một trăm hồ sơ.",
]


@pytest.fixture(scope="module")
def page200() -> np.ndarray:
    return ocr.render_text_page(PARA, dpi=200)


def _write_png(path, img, dpi=200):
    from PIL import Image

    Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(path, dpi=(dpi, dpi))
    return path


# ------------------------------------------------------------------ CER helper


def test_cer_normalises_nfc_and_whitespace():
    nfd = unicodedata.normalize("NFD", "Nghị  định\nsố 30")
    assert ocr.cer("Nghị định số 30", nfd) == 0.0
    assert ocr.cer("abcd", "abxd") == pytest.approx(0.25)
    assert ocr.cer("abcd", "abcdef") == pytest.approx(0.5)  # insertions count
    assert ocr.cer("kitten", "sitting") == pytest.approx(3 / 6)
    assert ocr.levenshtein("đ", "d") == 1  # a dropped stroke is an error
    assert ocr.cer("", "") == 0.0


# ------------------------------------------------------------------ recognition


@pytest.fixture(scope="module")
def upright(page200):
    return ocr.ocr_page(page200, dpi=200)


def test_upright_paragraph_200dpi(upright):
    r = upright
    assert r.error is None
    assert r.rotation == 0 and r.deskew_deg == 0.0
    c = ocr.cer(REF, r.text)
    assert c <= 0.10, (c, r.text)
    assert r.text == unicodedata.normalize("NFC", r.text)
    assert "Nghị định" in r.text
    assert r.mean_conf is not None and r.mean_conf > 80 and not r.low_confidence
    assert r.word_count >= 60


def test_pdf_page_is_prepared_image_at_right_size(upright, page200):
    with pikepdf.open(io.BytesIO(upright.pdf)) as pdf:
        page = pdf.pages[0]
        w_pt, h_pt = float(page.mediabox[2]), float(page.mediabox[3])
        assert abs(w_pt - 595) < 2 and abs(h_pt - 842) < 2  # A4 at the given 200 dpi
        images = list(page.images.values())
        assert len(images) == 1
        im = PdfImage(images[0])
        assert (im.width, im.height) == (1654, 2339)
        assert images[0].Filter == pikepdf.Name.DCTDecode  # JPEG passed through
        jpeg = images[0].read_raw_bytes()
    shown = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(shown.astype(int) - page200.astype(int)).mean() < 3
    assert len(upright.pdf) < 250_000
    # the invisible text layer sits where the text is drawn (first word at 25 mm, 25 mm)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=upright.pdf, capture_output=True, check=True
    ).stdout.decode()
    m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', html)
    assert m and unicodedata.normalize("NFC", m.group(3)) == "Căn"
    assert abs(float(m.group(1)) - 70.9) < 8 and abs(float(m.group(2)) - 70.9) < 12
    assert "quyết định" in pdf_text(upright.pdf)[0]


def test_upside_down_page_detected_and_read(page200):
    r = ocr.ocr_page(cv2.rotate(page200, cv2.ROTATE_180), dpi=200)
    assert r.error is None
    assert r.rotation == 180
    assert ocr.cer(REF, r.text) <= 0.10, r.text
    # the PDF shows the page upright: its image equals the upright page
    with pikepdf.open(io.BytesIO(r.pdf)) as pdf:
        raw = list(pdf.pages[0].images.values())[0].read_raw_bytes()
    shown = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(shown.astype(int) - page200.astype(int)).mean() < 3


def test_rotation_hint_is_used_without_osd(page200):
    # hint says 90 (wrong for this page): it must be applied as given, not re-detected
    prepared, rot, skew = ocr.prepare_page(page200, rotate=90, deskew_deg=0)
    assert rot == 90 and skew == 0.0
    assert prepared.shape == (1654, 2339)


def test_skewed_page_is_deskewed(page200):
    h, w = page200.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.5, 1.0)
    skewed = cv2.warpAffine(page200, m, (w, h), borderValue=(255, 255, 255))
    _, rot, skew = ocr.prepare_page(skewed, rotate=0)
    assert rot == 0
    assert abs(skew + 2.5) < 0.3  # undoes the 2.5° counter-clockwise skew


def _with_seal(page: np.ndarray) -> np.ndarray:
    """Red seal printed over the text (ink overlay: darker colour wins)."""
    seal = np.full_like(page, 255)
    center = (620, 330)
    cv2.circle(seal, center, 230, (40, 40, 215), 14)
    cv2.circle(seal, center, 180, (40, 40, 215), 5)
    cv2.putText(seal, "UBND QUAN", (430, 345), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (40, 40, 215), 9)
    return np.minimum(page, seal)


def test_red_seal_over_text_still_reads(page200):
    sealed = _with_seal(page200)
    r = ocr.ocr_page(sealed, dpi=200, rotate=0)
    assert r.error is None
    assert ocr.cer(REF, r.text) <= 0.10, r.text
    # the recognition view drops the seal ...
    prepared, _, _ = ocr.prepare_page(sealed, rotate=0, deskew_deg=0)
    assert prepared[330, 620 - 230] > 200  # on the ring
    # ... but the archival image in the PDF still shows it (a seal is evidence)
    with pikepdf.open(io.BytesIO(r.pdf)) as pdf:
        raw = list(pdf.pages[0].images.values())[0].read_raw_bytes()
    shown = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    b, g, rr = shown[330, 620 - 230].astype(int)
    assert rr > 150 and rr - max(g, b) > 60


def test_corrupt_image_gives_error_not_exception(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50)
    r = ocr.ocr_page(bad)
    assert r.error and r.error.startswith("decode")
    assert r.pdf is None and r.text == ""


def test_tesseract_failure_and_timeout_are_reported(page200):
    crash = ocr.ocr_page(page200, dpi=200, rotate=0, lang="xx_nope")
    assert crash.error and "tesseract failed" in crash.error
    slow = ocr.ocr_page(page200, dpi=200, rotate=0, deskew_deg=0, timeout=0.05)
    assert slow.error and "timeout" in slow.error
    # the page image is still delivered (without a text layer) so no page is lost
    assert slow.pdf is not None
    assert check_pdf(slow.pdf)["pages"] == 1
    assert pdf_text(slow.pdf)[0].strip() == ""


def test_ocr_pages_parallel_keeps_order_and_isolates_failures(tmp_path, page200):
    p1 = _write_png(tmp_path / "p1.png", page200)
    p2 = _write_png(tmp_path / "p2.png", ocr.render_text_page(OTHER, dpi=200))
    bad = tmp_path / "p3.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    p4 = _write_png(tmp_path / "p4.png", cv2.rotate(ocr.render_text_page(OTHER, dpi=200), cv2.ROTATE_180))
    res = ocr.ocr_pages([p1, p2, bad, p4], workers=2, hints={4: {"rotate": 180}})
    assert [r.page for r in res] == [1, 2, 3, 4]
    assert res[2].error and res[2].error.startswith("decode") and res[2].pdf is None
    assert ocr.cer(REF, res[0].text) <= 0.10
    assert ocr.cer("\n".join(OTHER), res[1].text) <= 0.10
    assert res[3].rotation == 180 and ocr.cer("\n".join(OTHER), res[3].text) <= 0.10
    assert all(r.dpi == 200 for r in (res[0], res[1], res[3]))  # read from the PNG pHYs
    doc = ocr.build_document(res, {"file_code": "G09.2010.01.TH", "title": "Hồ sơ thử"})
    info = check_pdf(doc)
    assert info["pages"] == 4 and info["problems"] == []  # failed page kept as placeholder
    texts = pdf_text(doc)
    assert "Biên bản" in texts[1]
    assert texts[2].strip() == ""  # placeholder note is an image, not fake OCR text


def test_ocr_cli_writes_txt_and_pdf(tmp_path, page200):
    from PIL import Image

    img = _write_png(tmp_path / "don.png", page200)
    # a scanner-delivered PDF of two pages at 200 dpi
    pages = [
        Image.fromarray(cv2.cvtColor(ocr.render_text_page(t, dpi=200), cv2.COLOR_BGR2RGB))
        for t in (OTHER, PARA[:4])
    ]
    scan = tmp_path / "hop01.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=200)
    out = tmp_path / "out"
    code = ocr.ocr_cli([str(img), str(scan)], str(out))
    assert code == 0
    txt = (out / "don.txt").read_text("utf-8")
    assert txt == unicodedata.normalize("NFC", txt) and ocr.cer(REF, txt) <= 0.10
    scan_txt = (out / "hop01.txt").read_text("utf-8").split("\f")
    assert len(scan_txt) == 2 and "Biên bản" in scan_txt[0] and "Chính phủ" in scan_txt[1]
    for stem, n in (("don", 1), ("hop01", 2)):
        info = check_pdf((out / f"{stem}.pdf").read_bytes())
        assert info["pages"] == n and info["pdfa"] == "2B" and info["problems"] == []
    with pikepdf.open(out / "hop01.pdf") as pdf:
        assert abs(float(pdf.pages[0].mediabox[2]) - 595) < 2  # dpi recovered from the PDF
    (tmp_path / "broken.png").write_bytes(b"nope")
    assert ocr.ocr_cli([str(tmp_path / "broken.png")], str(out)) == 1
    assert (out / "broken.pdf").exists()
