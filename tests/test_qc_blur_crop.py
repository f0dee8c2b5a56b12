"""QC on noisy scans: blur measured on text edges (sohoa.scan.sharpness) and cut pages of no
standard paper size (sohoa.scan.qc.check_image, thresholds.paper_size)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sohoa.ocr.recognition import render_text_page
from sohoa.scan.qc import check_image
from sohoa.scan.thresholds import Thresholds, paper_size

LINES = ["Ủy ban nhân dân thành phố quyết định về việc phê duyệt kế hoạch số hóa hồ sơ",
         "lưu trữ của các cơ quan tổ chức thuộc nguồn nộp lưu giai đoạn năm 2025",
         "Điều một danh mục tài liệu được chỉnh lý và bảo quản vĩnh viễn theo quy định"] * 10
T = Thresholds(osd_fallback=False)


def scan(dpi: int, blur_px300: float = 0.0, seed: int = 1, quality: int = 60,
         lines: list[str] = LINES) -> np.ndarray:
    """An A4 page as an office scanner in colour mode gives it: tinted paper, the given
    Gaussian blur (px at 300 dpi), paper grain of 7 grey levels, JPEG at ``quality``."""
    img = render_text_page(lines, dpi=dpi, font_pt=12, paper_rgb=(236, 240, 245)).astype(np.float32)
    if blur_px300:
        img = cv2.GaussianBlur(img, (0, 0), blur_px300 * dpi / 300)
    img += np.random.default_rng(seed).normal(0, 7, img.shape[:2])[..., None]
    ok, buf = cv2.imencode(".jpg", img.clip(0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


@pytest.mark.parametrize("dpi", [200, 300])
def test_blur_hidden_by_grain_and_jpeg_is_caught_and_sharp_pages_pass(dpi):
    sharp = check_image(scan(dpi), dpi=(dpi, dpi), thresholds=T)
    blurred = check_image(scan(dpi, blur_px300=3.0), dpi=(dpi, dpi), thresholds=T)
    assert sharp.verdict == "pass", sharp.reasons_vi
    assert "blurred" in blurred.defects and blurred.verdict == "reject"
    # the noise keeps the high-pass measure above its limit: the edge width decides
    assert blurred.metrics["sharpness"] >= T.min_sharpness
    assert blurred.metrics["edge_blur_mm"] > T.max_edge_blur_mm > sharp.metrics["edge_blur_mm"]
    assert any("nét chữ nhòe" in r for r in blurred.reasons_vi)


def test_edge_blur_grows_with_blur_and_means_the_same_at_200_and_300_dpi():
    got = {dpi: [check_image(scan(dpi, b), dpi=(dpi, dpi), thresholds=T).metrics["edge_blur_mm"]
                 for b in (0.0, 2.0, 3.0, 4.0)] for dpi in (200, 300)}
    for dpi, v in got.items():
        assert v == sorted(v) and v[-1] - v[0] > 0.12, (dpi, v)
    for a, b in zip(got[200][1:], got[300][1:]):  # millimetres, not pixels
        assert abs(a - b) < 0.04, got


def _cut_under_last_line(img: np.ndarray, keep_lines: int, gap_px: int) -> np.ndarray:
    rows = (img.min(axis=2) < 128).any(axis=1)
    ends = [y for y in range(len(rows) - 1) if rows[y] and not rows[y + 1]]
    return img[: ends[keep_lines - 1] + gap_px]


@pytest.mark.parametrize("dpi, tagged", [(200, True), (300, True), (200, False)])
def test_page_cut_across_its_last_lines_is_cropped(dpi, tagged):
    # 1.5 mm of paper under the 22nd line: no letter touches the edge, the text runs to it
    page = _cut_under_last_line(scan(dpi), keep_lines=22, gap_px=round(0.06 * dpi))
    c = check_image(page, dpi=(dpi, dpi) if tagged else None, thresholds=T)
    assert "cropped" in c.defects and c.verdict == "reject", c.metrics
    assert c.metrics["paper_size"] is None
    assert any("không phải khổ giấy chuẩn" in r and "mép dưới" in r for r in c.reasons_vi)


def test_short_page_with_margins_and_a_full_a4_page_are_not_cropped():
    dpi = 200
    full = check_image(scan(dpi), dpi=(dpi, dpi), thresholds=T)
    assert "cropped" not in full.defects and full.metrics["paper_size"] == "A4"
    # a short sheet (e.g. a slip trimmed by hand) whose text ends well above its edge
    short = _cut_under_last_line(scan(dpi, lines=LINES[:10]), keep_lines=10, gap_px=round(0.8 * dpi))
    c = check_image(short, dpi=(dpi, dpi), thresholds=T)
    assert c.metrics["paper_size"] is None and "cropped" not in c.defects, c.reasons_vi


@pytest.mark.parametrize("w, h, name", [(210, 297, "A4"), (297, 210, "A4"), (213, 300, "A4"),
                                        (148, 210, "A5"), (215, 330, "F4"), (216, 279, "Letter"),
                                        (210, 250, None), (190, 297, None), (120, 80, None)])
def test_paper_sizes(w, h, name):
    assert paper_size(w, h, T.page_size_tolerance_mm) == name


@pytest.mark.parametrize("dpi", [200, 300])
def test_production_path_reduced_decode_still_sees_the_blur(dpi, tmp_path):
    """check_path decodes JPEGs reduced for speed, but never below blur_min_dpi."""
    from sohoa.scan.qc import check_path

    out = {}
    for name, b in (("sharp", 0.0), ("soft", 2.5)):
        p = tmp_path / f"{name}.jpg"
        cv2.imwrite(str(p), scan(dpi, blur_px300=b))
        c = check_path(p, T)[0]  # no dpi tag in cv2's JPEG: estimated from the A4 size
        out[name] = c
    assert out["sharp"].verdict == "pass", out["sharp"].reasons_vi
    assert "blurred" in out["soft"].defects
    assert out["soft"].metrics["sharpness"] >= T.min_sharpness  # the old measure alone passes it
