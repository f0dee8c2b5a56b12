"""Decompression bombs in scanner PDFs (sohoa.scan.inputs): every embedded image stream is
decoded only up to the size its dictionary declares; past it the page is refused
(``corrupt``, a Vietnamese reason) and the other pages are still checked."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from sohoa.scan import bounds
from sohoa.scan import inputs as scan_input
from sohoa.scan.qc import check_path
from sohoa.scan.thresholds import Thresholds

T = Thresholds(osd_fallback=False)
W, H = 1654, 2339  # A4 at 200 dpi, as the scanner declared it
DECLARED_RGB = W * 3 * H  # 11.6 MB
BOMB = 200 * 2**20  # what the bomb page really inflates to (the bound is the mechanism)


def _zeros_flate(n: int) -> bytes:
    c = zlib.compressobj(9)
    chunk = b"\0" * 2**20
    out = [c.compress(chunk[:min(2**20, n - i)]) for i in range(0, n, 2**20)]
    return b"".join(out) + c.flush()


def _page(pdf, stream) -> None:
    page = pdf.add_blank_page(page_size=(W / 200 * 72, H / 200 * 72))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
    page.Contents = pikepdf.Stream(pdf, f"q {W / 200 * 72} 0 0 {H / 200 * 72} 0 0 cm /Im0 Do Q"
                                   .encode())


def _image(pdf, data: bytes, w: int, h: int, cs: str, bpc: int, filt, parms=None):
    s = pikepdf.Stream(pdf, data)
    s.Type, s.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    s.Width, s.Height, s.BitsPerComponent = w, h, bpc
    s.ColorSpace = pikepdf.Name(cs)
    s.Filter = pikepdf.Name(filt)
    if parms is not None:
        s.DecodeParms = parms
    return s


def _text_page() -> Image.Image:
    im = Image.new("L", (W, H), 248)
    d = ImageDraw.Draw(im)
    for i, y in enumerate(range(220, H - 260, 52)):
        d.rectangle((160, y, W - 160 - (i * 37) % 400, y + 22), fill=25)
    return im


def _save(pdf, path: Path) -> Path:
    # keep the streams exactly as written (no re-compression by qpdf)
    pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return path


@pytest.fixture(scope="module")
def bomb_pdf(tmp_path_factory) -> Path:
    """Three pages: a good grey page, the bomb (declared 1654×2339 RGB, inflates to 200 MB),
    another good page (different, so not a duplicate)."""
    pdf = pikepdf.new()
    good = _text_page()
    _page(pdf, _image(pdf, zlib.compress(good.tobytes()), W, H, "/DeviceGray", 8, "/FlateDecode"))
    _page(pdf, _image(pdf, _zeros_flate(BOMB), W, H, "/DeviceRGB", 8, "/FlateDecode"))
    other = good.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    _page(pdf, _image(pdf, zlib.compress(other.tobytes()), W, H, "/DeviceGray", 8, "/FlateDecode"))
    return _save(pdf, tmp_path_factory.mktemp("bomb") / "bom giải nén.pdf")


def test_flate_bomb_page_is_refused_and_the_other_pages_are_checked(bomb_pdf):
    assert bomb_pdf.stat().st_size < 1_000_000  # a small file...
    res = check_path(bomb_pdf, T)
    assert [r.page for r in res] == [1, 2, 3]
    bomb = res[1]
    assert bomb.verdict == "reject" and bomb.defects == ["corrupt"]
    assert "declared image size" in bomb.error
    assert "bom giải nén" in bomb.reasons_vi[0] and "Error" not in bomb.reasons_vi[0]
    for r in (res[0], res[2]):
        assert r.error is None and "corrupt" not in r.defects
        assert r.metrics["pdf_extraction"] == "embedded" and r.metrics["ink_ratio"] > 0.05
    # the scan phase's extraction refuses it the same way
    with pytest.raises(bounds.DeclaredSizeExceeded):
        scan_input.extract_page(bomb_pdf, 2)
    assert scan_input.extract_page(bomb_pdf, 1)[1] == ".png"


CHILD = r"""
import json, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
from sohoa.scan.qc import check_path
from sohoa.scan.thresholds import Thresholds
import pikepdf, zlib
open("/proc/self/clear_refs", "w").write("5")  # peak from here on (ru_maxrss survives exec)
base = hwm()
res = check_path(sys.argv[1], Thresholds(osd_fallback=False))
print(json.dumps({"added": hwm() - base, "verdicts": [r.verdict for r in res]}))
"""


def test_flate_bomb_peak_memory_stays_near_the_declared_size(bomb_pdf):
    """Whole inflation would need the 200 MB (qpdf's buffer, then a copy); bounded, QC adds
    little more than the declared 11.6 MB image and its working copies."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(bomb_pdf)], capture_output=True,
                         text=True, check=True, timeout=300)
    got = json.loads(out.stdout)
    assert got["verdicts"][1] == "reject"
    assert got["added"] < 120 * 2**20, got  # unbounded: > 200 MB


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300_000), st.integers(1, 300_000), st.binary(max_size=64))
def test_inflate_stops_at_the_bound(n, bound, salt):
    data = (salt * (n // max(len(salt), 1) + 1))[:n] if salt else b"\0" * n
    z = zlib.compress(data)
    if n <= bound:
        assert bounds.inflate_bounded(z, bound) == data
    else:
        with pytest.raises(bounds.DeclaredSizeExceeded):
            bounds.inflate_bounded(z, bound)


def test_declared_size_counts_components_and_bits(tmp_path):
    pdf = pikepdf.new()
    cases = [("/DeviceRGB", 8, W * 3 * H), ("/DeviceGray", 1, (W + 7) // 8 * H),
             ("/DeviceCMYK", 8, W * 4 * H), ("/DeviceGray", 16, W * 2 * H)]
    for cs, bpc, want in cases:
        img = _image(pdf, b"", W, H, cs, bpc, "/FlateDecode")
        assert bounds.declared_bytes(img, W, H) == want
    icc = pikepdf.Array([pikepdf.Name.ICCBased, pikepdf.Stream(pdf, b"", N=3)])
    img = _image(pdf, b"", W, H, "/DeviceRGB", 8, "/FlateDecode")
    img.ColorSpace = icc
    assert bounds.declared_bytes(img, W, H) == DECLARED_RGB


def test_flate_within_the_declared_size_with_png_predictor_passes(tmp_path):
    """An honest stream (PNG predictor: one extra byte per row) is not refused."""
    good = _text_page()
    raw = good.tobytes()
    rows = b"".join(b"\x00" + raw[y * W:(y + 1) * W] for y in range(H))  # predictor "None"
    pdf = pikepdf.new()
    parms = pikepdf.Dictionary(Predictor=15, Colors=1, BitsPerComponent=8, Columns=W)
    _page(pdf, _image(pdf, zlib.compress(rows), W, H, "/DeviceGray", 8, "/FlateDecode", parms))
    (r,) = check_path(_save(pdf, tmp_path / "ok.pdf"), T)
    assert r.error is None and r.metrics["ink_ratio"] > 0.05


def _jpeg(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h), 200).save(buf, "JPEG", quality=50)
    return buf.getvalue()


def _jbig2_claiming(w: int, h: int) -> bytes:
    def seg(num: int, typ: int, data: bytes) -> bytes:
        return struct.pack(">IBBBI", num, typ, 0, 1, len(data)) + data
    return (seg(0, 48, struct.pack(">IIIIBH", w, h, 0, 0, 0, 0))
            + seg(1, 38, struct.pack(">IIIIB", w, h, 0, 0, 0) + b"\x01" + b"\0" * 64))


def test_codecs_are_held_to_the_declared_size_by_their_headers(tmp_path):
    """JPEG SOF, JPEG 2000 SIZ, JBIG2 page/region info and CCITT /Columns × /Rows larger than
    the image dictionary says are refused before the codec allocates anything."""
    small_w, small_h = 400, 560
    jp2 = io.BytesIO()
    Image.new("L", (4000, 5600), 200).save(jp2, "JPEG2000", irreversible=True,
                                           quality_mode="rates", quality_layers=[200])
    pdf = pikepdf.new()
    _page(pdf, _image(pdf, _jpeg(4000, 5600), small_w, small_h, "/DeviceGray", 8, "/DCTDecode"))
    _page(pdf, _image(pdf, jp2.getvalue(), small_w, small_h, "/DeviceGray", 8, "/JPXDecode"))
    _page(pdf, _image(pdf, _jbig2_claiming(100_000, 100_000), W, H, "/DeviceGray", 1,
                      "/JBIG2Decode"))
    _page(pdf, _image(pdf, b"\0" * 100, W, H, "/DeviceGray", 1, "/CCITTFaxDecode",
                      pikepdf.Dictionary(K=-1, Columns=200_000, Rows=H)))
    # the same JPEG declared at its true size is fine (control)
    _page(pdf, _image(pdf, _jpeg(small_w, small_h), small_w, small_h, "/DeviceGray", 8,
                      "/DCTDecode"))
    res = check_path(_save(pdf, tmp_path / "codecs.pdf"), T)
    assert [r.defects == ["corrupt"] for r in res] == [True, True, True, True, False], [
        r.error for r in res]
    for r in res[:4]:
        assert "declared image size" in r.error and "bom giải nén" in r.reasons_vi[0]
    assert res[4].error is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_jbig2_header_reader_never_fails_on_garbage(data):
    """A damaged stream must reach the decoder (which reports it), not crash the bound."""
    for w, h in bounds.jbig2_sizes(data):
        assert 0 <= w < 2**32 and 0 <= h < 2**32
