"""sohoa.ocr.recognition with the real tesseract (vie, osd), OpenCV and pikepdf."""

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
from sohoa.ocr import recognition as ocr
from sohoa.ocr import prepare as ocr_prepare
from sohoa.ocr import text as ocr_text
from sohoa.ocr import words as ocr_words
from sohoa.ocr.pdf import check_pdf, pdf_text

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
    assert ocr_text.cer("Nghị định số 30", nfd) == 0.0
    assert ocr_text.cer("abcd", "abxd") == pytest.approx(0.25)
    assert ocr_text.cer("abcd", "abcdef") == pytest.approx(0.5)  # insertions count
    assert ocr_text.cer("kitten", "sitting") == pytest.approx(3 / 6)
    assert ocr_text.levenshtein("đ", "d") == 1  # a dropped stroke is an error
    assert ocr_text.cer("", "") == 0.0


# ------------------------------------------------------------------ recognition


@pytest.fixture(scope="module")
def upright(page200):
    return ocr.ocr_page(page200, dpi=200)


def test_upright_paragraph_200dpi(upright):
    r = upright
    assert r.error is None
    assert r.rotation == 0 and r.deskew_deg == 0.0
    c = ocr_text.cer(REF, r.text)
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
    assert ocr_text.cer(REF, r.text) <= 0.10, r.text
    # the PDF shows the page upright: its image equals the upright page
    with pikepdf.open(io.BytesIO(r.pdf)) as pdf:
        raw = list(pdf.pages[0].images.values())[0].read_raw_bytes()
    shown = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(shown.astype(int) - page200.astype(int)).mean() < 3


def test_rotation_hint_is_used_without_osd(page200):
    # hint says 90 (wrong for this page): it must be applied as given, not re-detected
    prepared, rot, skew = ocr_prepare.prepare_page(page200, rotate=90, deskew_deg=0)
    assert rot == 90 and skew == 0.0
    assert prepared.shape == (1654, 2339)


def test_skewed_page_is_deskewed(page200):
    h, w = page200.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.5, 1.0)
    skewed = cv2.warpAffine(page200, m, (w, h), borderValue=(255, 255, 255))
    _, rot, skew = ocr_prepare.prepare_page(skewed, rotate=0)
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
    assert ocr_text.cer(REF, r.text) <= 0.10, r.text
    # the recognition view drops the seal ...
    prepared, _, _ = ocr_prepare.prepare_page(sealed, rotate=0, deskew_deg=0)
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
    assert ocr_text.cer(REF, res[0].text) <= 0.10
    assert ocr_text.cer("\n".join(OTHER), res[1].text) <= 0.10
    assert res[3].rotation == 180 and ocr_text.cer("\n".join(OTHER), res[3].text) <= 0.10
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
    assert txt == unicodedata.normalize("NFC", txt) and ocr_text.cer(REF, txt) <= 0.10
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


# ------------------------------------------------------------------ layout and noise


def _w(line, x0, x1, y=100, conf=95.0, text="chữ", h=30):
    return ocr_words.Word(line, x0, y, x1, y + h, conf, text)


def test_reading_order_unfolds_side_by_side_columns():
    # ND 30/2020 header: agency | motto on the same visual lines, then a left-only line,
    # then a full-width body line; tesseract gives them line by line across the gutter
    words = [
        _w((1, 1, 1), 100, 400, 100, text="ỦY BAN"), _w((1, 1, 1), 800, 1400, 100, text="CỘNG HÒA"),
        _w((1, 1, 2), 120, 380, 140, text="PHƯỜNG"), _w((1, 1, 2), 850, 1350, 140, text="Độc lập"),
        _w((1, 1, 3), 100, 500, 180, text="V/v"),
        _w((2, 1, 1), 100, 1500, 260, text="Thân bài"),
        _w((3, 1, 1), 100, 300, 900, text="Nơi nhận:"), _w((3, 1, 1), 900, 1300, 900, text="CHỦ TỊCH"),
    ]
    text = [" ".join(w.text for w in ln) for ln in ocr_words.reading_order(words)]
    assert text == ["ỦY BAN", "PHƯỜNG", "V/v", "CỘNG HÒA", "Độc lập", "Thân bài", "Nơi nhận:", "CHỦ TỊCH"]
    # justified body text (gaps of a few letters) is never split
    body = [_w((1, 1, 1), x, x + 80, text=t) for x, t in zip((100, 230, 360), ("Điều", "1.", "Giao"))]
    assert [len(ln) for ln in ocr_words.reading_order(body)] == [3]
    recs = ocr_words.line_records(ocr_words.reading_order(words[:2] + [_w((1, 1, 1), 1420, 1500, 100, conf=40)]))
    assert recs[1]["min_conf"] == 40.0 and recs[1]["conf"] == 67.5 and recs[1]["bbox"] == [800, 100, 700, 30]


def test_noise_words_from_marks_are_dropped():
    words = [_w((1, 1, 1), 100 * i, 100 * i + 80, text=f"w{i}") for i in range(10)]
    words += [_w((1, 1, 2), 0, 50, conf=12.0, text="—¬⁄"),  # very low confidence
              _w((1, 1, 2), 60, 120, conf=55.0, text="2A", h=95),  # low and far too tall
              _w((1, 1, 2), 130, 200, conf=55.0, text="Ngô")]  # low but printed-size: kept
    kept = [w.text for w in ocr_words.drop_noise(words)]
    assert "—¬⁄" not in kept and "2A" not in kept and "Ngô" in kept and len(kept) == 11


def test_blue_signature_removed_from_recognition_view(page200):
    signed = page200.copy()
    cv2.line(signed, (200, 220), (900, 260), (140, 45, 30), 6)  # blue pen stroke over line 2
    view = ocr_prepare.recognition_view(signed)
    assert view[240, 550] > 200  # gone from what tesseract reads
    assert (view[:, :] < 100).sum() > 10_000  # black print kept


def test_strongly_skewed_page_reads(page200):
    h, w = page200.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -7.0, 1.0)  # 7° clockwise
    skewed = cv2.warpAffine(page200, m, (w, h), borderValue=(255, 255, 255))
    r = ocr.ocr_page(skewed, dpi=200, rotate=0)
    assert abs(r.deskew_deg - 7.0) < 0.3
    assert ocr_text.cer(REF, r.text) <= 0.02, r.text


def test_text_layer_is_the_stored_text_in_reading_order(tmp_path):
    # two-column header + body + a blue signature: the PDF's invisible text must give the
    # stored text (columns unfolded, no signature garbage) so search and copy-paste match
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1654, 2339), (246, 240, 226))
    d = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 36)
    left = ["ỦY BAN NHÂN DÂN", "PHƯỜNG HÀNG BẠC", "Số: 42/KH-UBND"]
    right = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "Độc lập - Tự do - Hạnh phúc", "Hà Nội, ngày 5 tháng 3"]
    for i, (a, b) in enumerate(zip(left, right)):
        d.text((170, 150 + 55 * i), a, font=font, fill=(20, 20, 20))
        d.text((820, 150 + 55 * i), b, font=font, fill=(20, 20, 20))
    for i, line in enumerate(PARA):
        d.text((170, 450 + 60 * i), line, font=font, fill=(20, 20, 20))
    d.line([(1000, 1100), (1150, 1020), (1250, 1120), (1400, 1040)], fill=(30, 45, 140), width=7)
    img = cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)
    r = ocr.ocr_page(img, dpi=200, rotate=0)
    ref = "\n".join(left + right + PARA)
    assert ocr_text.cer(ref, r.text) <= 0.02, r.text
    layer = pdf_text(r.pdf)[0]
    words = set(ocr_text.normalize_text(layer).split())
    assert {"ỦY", "Hạnh", "phúc", "Nghị", "định"} <= words
    assert words <= set(ocr_text.normalize_text(r.text).split())  # nothing the stored text lacks
    assert r.lines[0]["bbox"][0] == pytest.approx(170, abs=12)  # in PDF image pixels


def test_pdf_resolution_cap_for_document_pages(page200, monkeypatch):
    page300 = cv2.resize(page200, (2480, 3508), interpolation=cv2.INTER_CUBIC)
    monkeypatch.setattr(ocr, "PDF_MAX_DPI", 0)  # 0: every page at its scanned resolution
    full = ocr.ocr_page(page300, dpi=300, rotate=0, deskew_deg=0)
    assert (full.width_px, full.dpi) == (2480, 300)
    monkeypatch.setattr(ocr, "PDF_MAX_DPI", 200)  # the default: A4 documents at 200 dpi
    capped = ocr.ocr_page(page300, dpi=300, rotate=0, deskew_deg=0)
    assert capped.width_px == 1653 and len(capped.pdf) < 0.7 * len(full.pdf)
    with pikepdf.open(io.BytesIO(capped.pdf)) as pdf:  # same A4 page, text still fits
        assert abs(float(pdf.pages[0].mediabox[2]) - 595) < 2
    # a map-sized page (A3 at 300 dpi) keeps its resolution: the ≥ 300 dpi rule for drawings
    a3 = cv2.copyMakeBorder(page300, 0, 4961 - 3508, 0, 3508 - 2480, cv2.BORDER_CONSTANT,
                            value=(255, 255, 255))
    big = ocr.ocr_page(a3, dpi=300, rotate=0, deskew_deg=0)
    assert big.width_px == 3508
    assert ocr_text.cer(REF, capped.text) <= 0.02 and "quyết định" in pdf_text(capped.pdf)[0]
