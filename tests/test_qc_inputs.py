"""What scanning teams really deliver: PDFs (JPEG, CCITT, JBIG2, CMYK, palette, alpha,
/Rotate), multi-page Group 4 TIFF, JPEG 2000, and bad deliveries — each page decoded
without re-rendering, measured, or rejected with a reason; nothing crashes."""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image
from sohoa.ocr.recognition import render_text_page
from sohoa.scan import inputs as scan_input
from sohoa.scan.qc import check_file_pages, check_path, make_derivative, qc_cli
from sohoa.scan.thresholds import Thresholds

T = Thresholds(osd_fallback=False)
DPI = 200
_WORDS = ("Ủy ban nhân dân thành phố quyết định về việc phê duyệt kế hoạch số hóa hồ sơ lưu "
          "trữ của các cơ quan tổ chức Điều một danh mục tài liệu được chỉnh lý bảo quản vĩnh "
          "viễn theo quy định pháp luật Giám đốc Sở Nội vụ chịu trách nhiệm thực hiện").split()
# varied lines: repeated identical lines would stack letters into columns no real page has
LINES = [" ".join(random.Random(i).choices(_WORDS, k=11)) for i in range(26)]


@pytest.fixture(scope="module")
def page_rgb() -> np.ndarray:
    bgr = render_text_page(LINES, dpi=DPI, paper_rgb=(246, 242, 232))
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _pdf_bytes(pil: Image.Image, resolution: float = DPI) -> bytes:
    buf = io.BytesIO()
    pil.save(buf, "PDF", resolution=resolution)
    return buf.getvalue()


def _image_page(pdf: pikepdf.Pdf, stream: pikepdf.Stream, w_pt: float, h_pt: float,
                rotate: int = 0) -> None:
    page = pdf.add_blank_page(page_size=(w_pt, h_pt))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
    page.Contents = pikepdf.Stream(pdf, f"q {w_pt} 0 0 {h_pt} 0 0 cm /Im0 Do Q".encode())
    if rotate:
        page.Rotate = rotate


def _raw_image(pdf, data: bytes, w: int, h: int, cs: str, bpc: int = 8, filt: str | None = None):
    s = pikepdf.Stream(pdf, data)
    s.Type, s.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    s.Width, s.Height, s.BitsPerComponent = w, h, bpc
    s.ColorSpace = pikepdf.Name(cs)
    if filt:
        s.Filter = pikepdf.Name(filt)
    return s


def _jbig2_stream(bilevel_ink: np.ndarray) -> bytes:
    """An embedded JBIG2 stream (page info + immediate generic region, MMR coded).

    MMR is CCITT Group 4, which Pillow/libtiff can encode: no JBIG2 encoder needed."""
    h, w = bilevel_ink.shape
    buf = io.BytesIO()
    # JBIG2 and G4 both code "white" as 0: ink must be 1
    Image.fromarray(np.where(bilevel_ink, 255, 0).astype(np.uint8)).convert("1").save(
        buf, "TIFF", compression="group4", tiffinfo={278: h})
    tif = Image.open(io.BytesIO(buf.getvalue()))
    off, n = tif.tag_v2[273][0], tif.tag_v2[279][0]
    g4 = buf.getvalue()[off:off + n]

    def seg(num: int, typ: int, data: bytes) -> bytes:
        return struct.pack(">IBBBI", num, typ, 0, 1, len(data)) + data

    return (seg(0, 48, struct.pack(">IIIIBH", w, h, 0, 0, 0, 0))
            + seg(1, 38, struct.pack(">IIIIB", w, h, 0, 0, 0) + b"\x01" + g4))


def test_pdf_embedded_images_of_every_kind(page_rgb, tmp_path):
    """One scanner PDF, six pages: JPEG, grey JPEG, CCITT G4, palette, CMYK, JBIG2."""
    pil = Image.fromarray(page_rgb)
    pdf = pikepdf.new()
    bilevel = pil.convert("L").point(lambda v: 255 if v > 140 else 0).convert("1")  # thresholded
    for mode in ("RGB", "L", "1", "P", "CMYK"):
        src = pikepdf.open(io.BytesIO(_pdf_bytes(bilevel if mode == "1" else pil.convert(mode))))
        pdf.pages.extend(src.pages)
    ink = cv2.cvtColor(page_rgb, cv2.COLOR_RGB2GRAY) < 128
    h, w = ink.shape
    _image_page(pdf, _raw_image(pdf, _jbig2_stream(ink), w, h, "/DeviceGray", 1, "/JBIG2Decode"),
                w / DPI * 72, h / DPI * 72)
    path = tmp_path / "hồ sơ 01.pdf"
    pdf.save(path)

    with pikepdf.open(path) as check:
        embedded = [pikepdf.PdfImage(next(iter(p.get_images().values()))) for p in check.pages]
        assert [str(i.filters[0]) for i in embedded] == [
            "/DCTDecode", "/DCTDecode", "/CCITTFaxDecode", "/FlateDecode", "/DCTDecode",
            "/JBIG2Decode"]
        assert embedded[3].indexed and embedded[4].mode == "CMYK"
    res = check_path(path, T)  # the same page six times: not looking for duplicates here
    assert [r.page for r in res] == [1, 2, 3, 4, 5, 6]
    assert [r.verdict for r in res] == ["pass"] * 6, [(r.defects, r.error) for r in res]
    for r in res:
        assert r.metrics["dpi_source"] == "pdf_page_size"
        assert r.metrics["dpi_x"] == pytest.approx(DPI, rel=0.01)
        assert r.metrics["pdf_extraction"] == "embedded"
        assert 0.01 < r.metrics["ink_ratio"] < 0.3  # a wrong polarity would read as blank/black
    assert [r.metrics["colour_mode"] for r in res] == ["RGB", "L", "1", "P", "CMYK", "1"]
    assert [r.metrics["colour_compliant"] for r in res] == [True, False, False, False, True, False]
    # the embedded JPEG is handed on byte for byte, not re-encoded
    data, suffix = scan_input.extract_page(path, 1)
    with pikepdf.open(path) as check:
        raw = bytes(next(iter(check.pages[0].get_images().values())).read_raw_bytes())
    assert suffix == ".jpg" and data == raw
    for n in (3, 5, 6):  # the others become lossless PNGs cv2 can read (OCR's decoder)
        data, suffix = scan_input.extract_page(path, n)
        assert suffix == ".png"
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        assert img.shape == (h, w) and 200 < img.mean() < 250


def test_pdf_rotate_alpha_and_resolution_from_page_size(page_rgb, tmp_path):
    pdf = pikepdf.new()
    h, w = page_rgb.shape[:2]
    a4 = (w / DPI * 72, h / DPI * 72)
    # 1: image stored turned 90° counter-clockwise; /Rotate 90 shows it upright
    turned = np.ascontiguousarray(np.rot90(page_rgb, 1))
    _image_page(pdf, _raw_image(pdf, turned.tobytes(), w=h, h=w, cs="/DeviceRGB"), a4[1], a4[0],
                rotate=90)
    # 2: upright image, /Rotate 180: a reader sees it upside down
    _image_page(pdf, _raw_image(pdf, page_rgb.tobytes(), w, h, "/DeviceRGB"), *a4, rotate=180)
    # 3: black RGB + soft mask carrying the text: transparent areas must read as paper
    alpha = 255 - cv2.cvtColor(page_rgb, cv2.COLOR_RGB2GRAY)
    img = _raw_image(pdf, np.zeros_like(page_rgb).tobytes(), w, h, "/DeviceRGB")
    img.SMask = _raw_image(pdf, alpha.tobytes(), w, h, "/DeviceGray")
    _image_page(pdf, img, *a4)
    # 4: the same 200 dpi image on a page twice as large → really 100 dpi
    _image_page(pdf, _raw_image(pdf, page_rgb.tobytes(), w, h, "/DeviceRGB"), 2 * a4[0], 2 * a4[1])
    path = tmp_path / "rotate.pdf"
    pdf.save(path)

    r1, r2, r3, r4 = check_path(path, T)
    assert r1.verdict == "pass" and r1.metrics["pdf_rotate"] == 90
    assert r1.metrics["orientation_displayed"] == 0
    assert r1.metrics["orientation"] == 90  # what OCR must turn the stored image by
    assert (r1.metrics["width_px"], r1.metrics["height_px"]) == (w, h)  # as displayed
    assert r2.defects == ["upside_down"] and r2.metrics["orientation_displayed"] == 180
    assert r2.metrics["orientation"] == 0 and "rotate" not in r2.fix
    assert r3.verdict == "pass" and r3.metrics["ink_ratio"] > 0.01
    assert r4.defects == ["low_dpi"] and r4.metrics["dpi_x"] == pytest.approx(DPI / 2, rel=0.01)
    assert "khổ trang PDF" in r4.reasons_vi[0]


def test_pdf_page_of_strips_is_rendered(page_rgb, tmp_path):
    """A page assembled from image strips has no single scan to extract: rendered."""
    pdf = pikepdf.new()
    h, w = page_rgb.shape[:2]
    w_pt, h_pt = w / DPI * 72, h / DPI * 72
    page = pdf.add_blank_page(page_size=(w_pt, h_pt))
    xobj, ops, half = pikepdf.Dictionary(), [], h // 2
    for k, part in enumerate((page_rgb[:half], page_rgb[half:])):
        ph = part.shape[0]
        xobj[f"/S{k}"] = _raw_image(pdf, np.ascontiguousarray(part).tobytes(), w, ph, "/DeviceRGB")
        y = 0 if k == 1 else (h - half) / DPI * 72
        ops.append(f"q {w_pt} 0 0 {ph / DPI * 72} 0 {y} cm /S{k} Do Q")
    page.Resources = pikepdf.Dictionary(XObject=xobj)
    page.Contents = pikepdf.Stream(pdf, " ".join(ops).encode())
    path = tmp_path / "strips.pdf"
    pdf.save(path)
    (r,) = check_path(path, T)
    assert r.metrics["pdf_extraction"] == "rendered"
    assert r.verdict == "pass", (r.defects, r.error)
    assert r.metrics["dpi_x"] == pytest.approx(DPI, rel=0.02)


def test_multipage_group4_tiff_and_jpeg2000(page_rgb, tmp_path):
    grey = cv2.cvtColor(page_rgb, cv2.COLOR_RGB2GRAY)
    bilevel = Image.fromarray(grey).point(lambda v: 255 if v > 140 else 0).convert("1")
    tif = tmp_path / "g4.tif"
    bilevel.save(tif, save_all=True, append_images=[bilevel.rotate(180), bilevel],
                 compression="group4", dpi=(DPI, DPI))
    assert Image.open(tif).info["compression"] == "group4"
    res = check_path(tif, T)
    assert [(r.page, r.verdict) for r in res] == [(1, "pass"), (2, "fixable"), (3, "pass")]
    assert res[1].defects == ["upside_down"] and res[0].metrics["colour_bits"] == 1
    # page 3 repeats page 1 within the same file
    assert check_file_pages([tif], T)[2].defects == ["duplicate"]
    assert scan_input.is_container(tif)
    data, suffix = scan_input.extract_page(tif, 2)
    assert suffix == ".png" and Image.open(io.BytesIO(data)).size == bilevel.size

    jp2 = tmp_path / "page.jp2"
    Image.fromarray(page_rgb).save(jp2, "JPEG2000", quality_mode="rates", quality_layers=[20],
                                   num_resolutions=4)
    (r,) = check_path(jp2, T)
    # no dpi in the file: judged as A4 from its full size, though decoded at a reduced level
    assert r.verdict == "pass" and r.metrics["width_px"] == page_rgb.shape[1]
    assert r.metrics["dpi_x"] == pytest.approx(DPI, rel=0.02)


def test_bad_deliveries_each_get_a_reason(page_rgb, tmp_path):
    good = _pdf_bytes(Image.fromarray(page_rgb))
    files = {}

    def put(name: str, data: bytes) -> Path:
        p = tmp_path / name
        p.write_bytes(data)
        files[name] = p
        return p

    enc = tmp_path / "enc.pdf"
    pikepdf.open(io.BytesIO(good)).save(enc, encryption=pikepdf.Encryption(user="mk", owner="mk2"))
    put("invalid.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    put("empty.pdf", b"")
    put("truncated.pdf", good[: len(good) // 3])
    # a page that declares 60000 x 60000 px in a few bytes: refused before decoding
    pdf = pikepdf.new()
    _image_page(pdf, _raw_image(pdf, b"x\x9c\x03\x00\x00\x00\x00\x01", 60000, 60000,
                                "/DeviceGray", 8, "/FlateDecode"), 595, 842)
    pdf.pages.extend(pikepdf.open(io.BytesIO(good)).pages)
    pdf.save(tmp_path / "bomb.pdf")
    odd = tmp_path / "trang (1) đặc biệt #%&.jpg"
    Image.fromarray(page_rgb).save(odd, quality=85, dpi=(DPI, DPI))
    bad_name = Path(os.fsdecode(bytes(tmp_path) + b"/trang-\xe0\xf5.jpg"))  # not UTF-8
    bad_name.write_bytes(odd.read_bytes())

    assert check_path(enc, T)[0].error.startswith("PDF is encrypted")
    for name in ("invalid.pdf", "empty.pdf", "truncated.pdf"):
        (r,) = check_path(files[name], T)
        assert r.verdict == "reject" and r.defects == ["corrupt"] and r.error and r.reasons_vi
    bomb = check_path(tmp_path / "bomb.pdf", T)
    assert [r.verdict for r in bomb] == ["reject", "pass"]
    assert "too large" in bomb[0].error
    assert check_path(odd, T)[0].verdict == "pass"
    r = check_path(bad_name, T)[0]
    assert r.verdict == "pass" and "\ufffd" in r.source
    json.dumps(r.to_json(), ensure_ascii=False).encode("utf-8")  # printable, storable


def test_derivative_rotates_and_deskews_the_stored_image(page_rgb):
    bgr = cv2.cvtColor(page_rgb, cv2.COLOR_RGB2BGR)
    h, w = bgr.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 5, 1.0)
    tilted = cv2.warpAffine(bgr, m, (w, h), borderValue=(232, 242, 246))
    turned = np.ascontiguousarray(np.rot90(tilted, 1))  # and turned sideways
    ok, enc = cv2.imencode(".jpg", turned, [cv2.IMWRITE_JPEG_QUALITY, 90])
    data = enc.tobytes()
    (c,) = check_file_pages([_tmp_file(data)], T)
    assert set(c.defects) == {"rotated", "skewed"} and c.verdict == "fixable"
    out, suffix = make_derivative(data, c.fix)
    assert suffix == ".jpg"
    fixed = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR)
    assert fixed.shape[0] > fixed.shape[1]  # portrait again
    again = check_file_pages([_tmp_file(out)], T)[0]
    assert again.verdict == "pass" and abs(again.metrics["skew_deg"]) < 0.5
    assert make_derivative(data, {}) is None


def _tmp_file(data: bytes) -> Path:
    import tempfile

    fd = tempfile.NamedTemporaryFile(suffix=".jpg", delete=False)
    fd.write(data)
    fd.close()
    return Path(fd.name)


def test_cli_json_contract(page_rgb, tmp_path):
    """`sohoa qc PATH... --json`: one object per page, corrupt input included, exit 0."""
    d = tmp_path / "G01" / "01_VP"
    d.mkdir(parents=True)
    Image.fromarray(page_rgb).save(d / "0001.jpg", quality=85, dpi=(DPI, DPI))
    (d / "0002.pdf").write_bytes(_pdf_bytes(Image.fromarray(page_rgb).rotate(180)))
    (tmp_path / "broken.tif").write_bytes(b"II*\x00" + b"\x00" * 20)
    exe = Path(sys.executable).with_name("sohoa")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sohoa.cli"]
    out = subprocess.run([*cmd, "qc", str(tmp_path / "G01"), str(tmp_path / "broken.tif"),
                          str(tmp_path / "missing.jpg"), "--json"],
                         capture_output=True, text=True, timeout=120,
                         env={"SOHOA_QC_OSD_FALLBACK": "0", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    objs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(Path(o["file"]).name, o["page"]) for o in objs] == [
        ("0001.jpg", 1), ("0002.pdf", 1), ("broken.tif", 1), ("missing.jpg", 1)]
    for o in objs:
        assert set(o) >= {"file", "page", "verdict", "defects", "metrics"}
        assert o["verdict"] in ("pass", "fixable", "reject")
        assert set(o["defects"]) <= {"blank", "blurred", "low_dpi", "skewed", "upside_down",
                                     "rotated", "cropped", "corrupt", "duplicate", "low_contrast"}
    assert objs[0]["verdict"] == "pass" and objs[1]["defects"] == ["upside_down"]
    for o in objs[2:]:
        assert o["verdict"] == "reject" and o["defects"] == ["corrupt"] and o["error"]


def test_cli_in_process_single_pdf_is_one_file(page_rgb, tmp_path, capsys):
    pil = Image.fromarray(page_rgb)
    path = tmp_path / "two.pdf"
    pil.save(path, "PDF", resolution=DPI, save_all=True, append_images=[pil])
    assert qc_cli([str(path)], as_json=True, thresholds=T) == 0
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["defects"] for o in objs] == [[], ["duplicate"]]
