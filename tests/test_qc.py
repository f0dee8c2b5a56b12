"""Tests for sohoa.scan.qc on real rendered Vietnamese text pages and real OpenCV."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sohoa.scan.qc import (
    PageCheck,
    check_file_pages,
    check_image,
    check_path,
    load_pages,
    qc_cli,
)
from sohoa.scan.thresholds import Thresholds

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
WORDS = (
    "Ủy ban nhân dân thành phố quyết định về việc phê duyệt kế hoạch số hóa hồ sơ lưu trữ "
    "của các cơ quan tổ chức thuộc nguồn nộp lưu giai đoạn năm hai nghìn hai mươi lăm Điều "
    "một Phê duyệt danh mục tài liệu được chỉnh lý và bảo quản vĩnh viễn theo quy định của "
    "pháp luật về lưu trữ Giám đốc Sở Nội vụ chịu trách nhiệm tổ chức thực hiện kiểm tra giấy "
    "chứng nhận quyền sử dụng đất văn bản hành chính công văn tờ trình biên bản"
).split()
DPI = 200
PAPER = 248
# no OSD in unit tests: the profile heuristic alone must decide
T = Thresholds(osd_fallback=False)


def render_page(seed: int = 0, dpi: int = DPI, pt: float = 13, lines: int | None = None) -> Image.Image:
    """A4 page of Vietnamese text, DejaVu Serif 13 pt at ``dpi``, 1 inch margins."""
    rng = random.Random(seed)
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    im = Image.new("L", (w, h), PAPER)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, round(pt * dpi / 72))
    x0, y = dpi, int(0.9 * dpi)
    step = int(pt * dpi / 72 * 1.5)
    n = 0
    while y < h - dpi and (lines is None or n < lines):
        words: list[str] = []
        while True:
            word = rng.choice(WORDS)
            if draw.textlength(" ".join(words + [word]), font=font) > w - 2 * x0:
                break
            words.append(word)
        draw.text((x0, y), " ".join(words), font=font, fill=25)
        y += step
        n += 1
    return im


def jpeg_bytes(im: Image.Image, dpi: int | None = DPI, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    kw = {"dpi": (dpi, dpi)} if dpi else {}
    im.save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def rotate(im: Image.Image, deg: float) -> Image.Image:
    return im.rotate(deg, resample=Image.BICUBIC, fillcolor=PAPER)


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_page(1)


@pytest.fixture()
def write(tmp_path: Path):
    def _write(name: str, data: bytes) -> Path:
        p = tmp_path / name
        p.write_bytes(data)
        return p

    return _write


def only(results: list[PageCheck]) -> PageCheck:
    assert len(results) == 1, results
    return results[0]


# --------------------------------------------------------------------------- verdicts


def test_clean_page_passes_with_metrics(page, write):
    c = only(check_path(write("clean.jpg", jpeg_bytes(page)), T))
    assert c.verdict == "pass", (c.defects, c.reasons_vi)
    assert c.defects == [] and c.reasons_vi == [] and c.error is None
    m = c.metrics
    assert m["dpi_x"] == pytest.approx(200) and m["dpi_source"] == "metadata"
    assert (m["width_px"], m["height_px"]) == page.size  # original size, not the reduced decode
    assert abs(m["skew_deg"]) < 0.3 and m["orientation"] == 0
    assert m["sharpness"] > T.min_sharpness and m["contrast"] > T.min_contrast
    assert 0.02 < m["ink_ratio"] < 0.4
    assert len(m["phash"]) == 16 and int(m["phash"], 16) >= 0


def test_strongly_blurred_page_is_rejected(page):
    blurred = np.asarray(page.filter(ImageFilter.GaussianBlur(6)))
    c = check_image(blurred, dpi=(DPI, DPI), thresholds=T)
    assert "blurred" in c.defects and c.verdict == "reject"
    assert any("mờ" in r for r in c.reasons_vi)
    sharp = check_image(np.asarray(page), dpi=(DPI, DPI), thresholds=T)
    assert sharp.metrics["sharpness"] > 10 * c.metrics["sharpness"]


def test_noise_texture_with_bleed_through_is_blank(page):
    rng = np.random.default_rng(3)
    h, w = page.size[1], page.size[0]
    # paper grain + fibre stripes + a darker stain over the lower half
    texture = 236 + rng.normal(0, 6, (h, w)) + 5 * np.sin(np.arange(w) / 9.0)[None, :]
    texture[h // 2 :, :] -= 40
    # show-through of the verso: mirrored, diffused by the paper, ~20 grey levels deep
    verso = page.transpose(Image.FLIP_LEFT_RIGHT).filter(ImageFilter.GaussianBlur(1.5))
    bleed = texture - (PAPER - np.asarray(verso, dtype=np.float64)) * 0.1
    img = np.clip(bleed, 0, 255).astype(np.uint8)
    assert img.mean() < 240 and img.std() > 5  # a naive mean/std test would call this content
    c = check_image(img, dpi=(DPI, DPI), thresholds=T)
    assert c.defects == ["blank"] and c.verdict == "reject"
    # while a page with just four lines of real text is not blank
    short = check_image(np.asarray(render_page(2, lines=4)), dpi=(DPI, DPI), thresholds=T)
    assert "blank" not in short.defects and short.verdict == "pass"


def test_upside_down_page_is_fixable(page, write):
    c = only(check_path(write("flip.jpg", jpeg_bytes(page.rotate(180))), T))
    assert c.defects == ["upside_down"]
    assert c.verdict == "fixable"
    assert c.metrics["orientation"] == 180 and c.fix == {"rotate": 180}
    assert c.metrics["orientation_method"] == "profile"


@pytest.mark.parametrize("k", [1, 3])
def test_page_turned_90_is_rotated(page, k):
    img = np.rot90(np.asarray(page), k)  # content rotated 90*k degrees counter-clockwise
    c = check_image(img, dpi=(DPI, DPI), thresholds=T)
    assert c.defects == ["rotated"] and c.verdict == "fixable"
    assert c.metrics["orientation"] == 90 * k
    assert c.fix["rotate"] == (360 - 90 * k) % 360
    # applying the fix (counter-clockwise rotation) gives back an upright page
    fixed = np.rot90(img, c.fix["rotate"] // 90)
    assert check_image(fixed, dpi=(DPI, DPI), thresholds=T).verdict == "pass"


@pytest.mark.parametrize("angle", [6.0, -6.0])
def test_skew_6_degrees_measured_and_fixable(page, write, angle):
    # skew_deg sign = PIL.Image.rotate angle (counter-clockwise positive on screen)
    c = only(check_path(write("skew.jpg", jpeg_bytes(rotate(page, angle))), T))
    assert c.metrics["skew_deg"] == pytest.approx(angle, abs=0.5)
    assert c.defects == ["skewed"] and c.verdict == "fixable"
    assert c.fix["deskew_deg"] == pytest.approx(-angle, abs=0.5)
    assert c.metrics["orientation"] == 0


def test_skew_beyond_limit_is_rejected(page):
    c = check_image(np.asarray(rotate(page, 13)), dpi=(DPI, DPI), thresholds=T)
    assert "skewed" in c.defects and c.verdict == "reject" and c.fix == {}
    assert c.metrics["skew_deg"] == pytest.approx(13, abs=0.5)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(angle=st.floats(min_value=-8, max_value=8, allow_nan=False))
def test_skew_estimate_property(angle):
    img = _small_page()
    c = check_image(np.asarray(rotate(img, angle)), dpi=(DPI, DPI), thresholds=T)
    assert c.metrics["skew_deg"] == pytest.approx(angle, abs=0.25)
    assert ("skewed" in c.defects) == (abs(c.metrics["skew_deg"]) >= T.max_skew_pass_deg)


_SMALL: list[Image.Image] = []


def _small_page() -> Image.Image:
    if not _SMALL:
        _SMALL.append(render_page(5))
    return _SMALL[0]


def test_low_dpi_page(page, write):
    small = page.resize((page.size[0] // 2, page.size[1] // 2), Image.LANCZOS)
    c = only(check_path(write("low.jpg", jpeg_bytes(small, dpi=100)), T))
    assert "low_dpi" in c.defects and c.verdict == "reject"
    assert c.metrics["dpi_x"] == pytest.approx(100)
    assert any("100 dpi < 200 dpi" in r for r in c.reasons_vi)
    # a map at 200 dpi is also too low (maps need 300)
    assert "low_dpi" in check_image(np.asarray(page), dpi=(200, 200), kind="map", thresholds=T).defects


def test_dpi_estimated_from_a4_when_missing(page, write):
    buf = io.BytesIO()
    page.save(buf, "PNG")  # no pHYs chunk
    c = only(check_path(write("nodpi.png", buf.getvalue()), T))
    assert c.metrics["dpi_source"] == "estimated_a4"
    assert c.metrics["dpi_x"] == pytest.approx(200, rel=0.01)
    assert c.verdict == "pass"


def test_low_contrast_page(page):
    faint = (PAPER - (PAPER - np.asarray(page).astype(np.float64)) * 0.2).astype(np.uint8)
    c = check_image(faint, dpi=(DPI, DPI), thresholds=T)
    assert "low_contrast" in c.defects and "blank" not in c.defects and c.verdict == "reject"


def test_cropped_page(page):
    w, h = page.size
    cut = np.asarray(page.crop((0, 0, w - int(1.4 * DPI), h)))  # text runs off the right edge
    c = check_image(cut, dpi=(DPI, DPI), thresholds=T)
    assert "cropped" in c.defects and c.verdict == "reject"
    assert "cropped" not in check_image(np.asarray(page), dpi=(DPI, DPI), thresholds=T).defects


# --------------------------------------------------------------------------- bad input


def test_zero_byte_and_truncated_jpeg_are_corrupt(page, write):
    good = jpeg_bytes(page)
    empty = write("empty.jpg", b"")
    trunc = write("trunc.jpg", good[: len(good) // 2])
    junk = write("junk.tif", b"II*\x00garbage" * 10)
    for p in (empty, trunc, junk):
        c = only(check_path(p, T))
        assert c.verdict == "reject" and c.defects == ["corrupt"]
        assert c.error and c.reasons_vi and c.page == 1
    assert "0 bytes" in only(check_path(empty, T)).error
    assert "truncated" in only(check_path(trunc, T)).error
    # a batch with bad files still checks the good one
    res = check_file_pages([empty, write("ok.jpg", good), trunc], T)
    assert [r.verdict for r in res] == ["reject", "pass", "reject"]
    # load_pages also reports instead of raising
    (no, img, dpi, err), = list(load_pages(trunc))
    assert no == 1 and img is None and "truncated" in err
    assert only(check_path(Path(write("x", b"")).parent / "missing.jpg", T)).defects == ["corrupt"]


def test_decompression_bomb_guard(page, write):
    p = write("big.jpg", jpeg_bytes(page))
    c = only(check_path(p, Thresholds(osd_fallback=False, max_image_pixels=1_000_000)))
    assert c.defects == ["corrupt"] and "decompression bomb" in c.error


def test_two_page_tiff(page, write, tmp_path):
    p = tmp_path / "two.tif"
    colour = page.convert("RGB")
    page.save(p, save_all=True, append_images=[colour.rotate(180)], compression="tiff_lzw",
              dpi=(DPI, DPI))
    pages = list(load_pages(p))
    assert [pg[0] for pg in pages] == [1, 2]
    assert pages[1][1].ndim == 3 and pages[1][1].shape[2] == 3  # colour page comes back BGR
    assert pages[0][2] == pytest.approx((DPI, DPI))
    res = check_path(p, T)
    assert [r.page for r in res] == [1, 2]
    assert res[0].verdict == "pass" and res[0].metrics["colour_mode"] == "L"
    assert res[1].defects == ["upside_down"] and res[1].metrics["colour_mode"] == "RGB"


def test_duplicate_page_in_file(page, write):
    a = write("001.jpg", jpeg_bytes(page))
    b = write("002.jpg", jpeg_bytes(render_page(7)))
    # a rescan of page 1: slightly shifted, different JPEG quality
    shifted = Image.new("L", page.size, PAPER)
    shifted.paste(page, (4, 6))
    c = write("003.jpg", jpeg_bytes(shifted, quality=70))
    res = check_file_pages([a, b, c], T)
    assert [r.defects for r in res[:2]] == [[], []]  # different text, same layout: not duplicates
    assert res[2].defects == ["duplicate"] and res[2].verdict == "fixable"
    assert res[2].metrics["duplicate_of"] == f"{a}#1"
    assert res[2].fix == {"drop_duplicate_of": f"{a}#1"}


# --------------------------------------------------------------------------- CLI, config


def test_cli_prints_json_lines(page, write, tmp_path, capsys):
    write("p001.jpg", jpeg_bytes(page))
    write("p002.jpg", b"")
    (tmp_path / "notes.txt").write_text("not an image")
    rc = qc_cli([str(tmp_path)], as_json=True)
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    objs = [json.loads(line) for line in lines]
    for o in objs:
        assert set(o) >= {"file", "page", "verdict", "defects", "metrics", "reasons", "error"}
    assert [Path(o["file"]).name for o in objs] == ["p001.jpg", "p002.jpg"]
    assert objs[0]["verdict"] == "pass" and objs[1]["verdict"] == "reject"
    assert objs[1]["defects"] == ["corrupt"] and objs[1]["error"]
    assert "Không đọc được" in lines[1]  # ensure_ascii=False keeps Vietnamese readable


def test_thresholds_from_env(monkeypatch):
    monkeypatch.setenv("SOHOA_QC_MIN_DPI_TEXT", "300")
    monkeypatch.setenv("SOHOA_QC_OSD_FALLBACK", "0")
    monkeypatch.setenv("SOHOA_QC_CROPPED_MIN_EDGE_BLOBS", "9")
    t = Thresholds.from_env()
    assert t.min_dpi_text == 300.0 and t.osd_fallback is False and t.cropped_min_edge_blobs == 9
    assert Thresholds.from_env({}) == Thresholds()
    with pytest.raises(ValueError, match="SOHOA_QC_MIN_SHARPNESS"):
        Thresholds.from_env({"SOHOA_QC_MIN_SHARPNESS": "sharp"})


def test_env_threshold_changes_verdict(page, monkeypatch):
    monkeypatch.setenv("SOHOA_QC_MIN_DPI_TEXT", "300")
    c = check_image(np.asarray(page), dpi=(DPI, DPI), thresholds=Thresholds.from_env())
    assert "low_dpi" in c.defects


def test_to_json_contract(page):
    c = check_image(np.asarray(rotate(page, 4)), dpi=(DPI, DPI), source="x.jpg", page=3, thresholds=T)
    j = c.to_json()
    assert j["file"] == "x.jpg" and j["page"] == 3 and j["verdict"] == "fixable"
    assert j["reasons"] == c.reasons_vi and j["defects"] == ["skewed"]
    json.dumps(j, ensure_ascii=False)  # everything serialisable (no numpy scalars)


@pytest.mark.skipif(__import__("shutil").which("tesseract") is None, reason="tesseract not installed")
def test_osd_fallback_when_profile_unsure():
    # two lines are too few for the profile heuristic; tesseract OSD decides
    img = np.rot90(np.asarray(render_page(3, lines=2)), 2)
    c = check_image(img, dpi=(DPI, DPI), thresholds=Thresholds(osd_fallback=True))
    assert c.metrics["orientation_method"] == "osd"
    assert c.metrics["orientation"] == 180 and "upside_down" in c.defects
    off = check_image(img, dpi=(DPI, DPI), thresholds=T)
    assert off.metrics["orientation_method"] == "unsure" and off.verdict == "pass"
