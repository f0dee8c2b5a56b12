"""Benchmark: peak memory of QC per page, whatever the input size.

Each case runs in a fresh child process: resident memory after importing sohoa.scan.qc (the
baseline, same process) and the peak (VmHWM, reset after the imports) while checking. Cases: A4 300 dpi colour JPEG,
A1 300 dpi colour JPEG (70 Mpx), A1 300 dpi grey LZW TIFF, a 20-page PDF of A4 300 dpi
JPEGs (memory must not grow with the page count), a PNG declaring 100000 x 100000 px
(refused before decoding), a 2 MB PDF whose page image (declared 1654 x 2339 RGB) is a Flate
stream inflating to 2 GiB (refused at the declared size; issue 11), between two good pages.

Usage:  .venv/bin/python benchmarks/qc_memory.py [case substring ...]
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
CHILD = r"""
import sys, time
from sohoa.scan.qc import check_file_pages
from sohoa.scan.thresholds import Thresholds
import pikepdf  # imported lazily by PDF decoding: part of the baseline, not of a page

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])  # kB

# ru_maxrss survives exec (it would show the parent's peak): reset the high-water mark
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS:")
t0 = time.perf_counter()
res = check_file_pages([sys.argv[1]], Thresholds(osd_fallback=False))
dt = time.perf_counter() - t0
peak = status("VmHWM:")
print(base, peak, len(res), dt, res[0].verdict, (res[0].error or "")[:60])
if len(res) > 1:
    print(" ".join(f"p{r.page}={r.verdict}{'/' + ','.join(r.defects) if r.defects else ''}" for r in res))
"""


def page(w: int, h: int, mode: str) -> Image.Image:
    im = Image.new(mode, (w, h), (245, 242, 235) if mode == "RGB" else 244)
    d = ImageDraw.Draw(im)
    px = max(12, round(13 * (w / 8.27) / 72))
    f = ImageFont.truetype(FONT, px)
    y = h // 10
    while y < h * 0.8:
        d.text((w // 10, y), "Ủy ban nhân dân thành phố quyết định phê duyệt kế hoạch số hóa hồ sơ",
               font=f, fill=(25, 25, 25) if mode == "RGB" else 25)
        y += round(px * 1.6)
    return im


def bomb_png(path: Path, w: int, h: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def flate_bomb_pdf(path: Path, inflated: int, w: int = 1654, h: int = 2339) -> None:
    """Good grey page, a page whose RGB image inflates to ``inflated`` bytes, good page."""
    import pikepdf

    c = zlib.compressobj(9)
    zeros = b"\0" * 2**24
    bomb = b"".join(c.compress(zeros[:min(2**24, inflated - i)])
                    for i in range(0, inflated, 2**24)) + c.flush()
    good = zlib.compress(page(w, h, "L").tobytes())
    pdf = pikepdf.new()
    for data, cs in ((good, "/DeviceGray"), (bomb, "/DeviceRGB"), (good, "/DeviceGray")):
        img = pikepdf.Stream(pdf, data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                             Width=w, Height=h, ColorSpace=pikepdf.Name(cs), BitsPerComponent=8,
                             Filter=pikepdf.Name.FlateDecode)
        pg = pdf.add_blank_page(page_size=(w / 200 * 72, h / 200 * 72))
        pg.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img))
        pg.Contents = pikepdf.Stream(pdf, f"q {w / 200 * 72} 0 0 {h / 200 * 72} 0 0 cm /Im0 Do Q"
                                     .encode())
    pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def main() -> int:
    only = [o.lower() for o in sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a4 = page(2481, 3508, "RGB")

        def a1(p: Path, grey: bool) -> None:
            big = page(7016, 9933, "RGB")
            if grey:
                big.convert("L").save(p, compression="tiff_lzw", dpi=(300, 300))
            else:
                big.save(p, quality=85, dpi=(300, 300))

        makers = {
            "A4 300 dpi colour JPEG (8.7 Mpx)": ("a4.jpg", lambda p: a4.save(p, quality=85, dpi=(300, 300))),
            "A1 300 dpi colour JPEG (70 Mpx)": ("a1.jpg", lambda p: a1(p, False)),
            "A1 300 dpi grey LZW TIFF (70 Mpx)": ("a1.tif", lambda p: a1(p, True)),
            "PDF, 20 pages A4 300 dpi JPEG": ("p20.pdf", lambda p: a4.save(
                p, "PDF", resolution=300, save_all=True, append_images=[a4] * 19)),
            "PNG declaring 100000x100000 px": ("bomb.png", lambda p: bomb_png(p, 100_000, 100_000)),
            "PDF, Flate bomb: 2 GiB in 1654x2339 RGB": (
                "flate_bomb.pdf", lambda p: flate_bomb_pdf(p, 2 * 2**30)),
        }
        print(f"{'case':<42}{'file MB':>8}{'peak MB':>9}{'QC adds MB':>11}{'pages':>6}{'s':>7}  verdict")
        for name, (fname, make) in makers.items():
            if only and not any(o in name.lower() for o in only):
                continue
            path = tmp / fname
            make(path)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                                 text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            first, *more = out.stdout.splitlines()
            base, peak, n, dt, verdict, *err = first.split(maxsplit=5)
            print(f"{name:<42}{path.stat().st_size / 1e6:>8.1f}{int(peak) / 1024:>9.0f}"
                  f"{(int(peak) - int(base)) / 1024:>11.0f}{n:>6}{float(dt):>7.2f}  "
                  f"{more[0] if more else verdict + ' ' + ' '.join(err)}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
