"""Benchmark: peak memory of QC per page, whatever the input size.

Each case runs in a fresh child process: resident memory after importing sohoa.scan.qc (the
baseline, same process) and the peak (VmHWM, reset after the imports) while checking. Cases: A4 300 dpi colour JPEG,
A1 300 dpi colour JPEG (70 Mpx), A1 300 dpi grey LZW TIFF, a 20-page PDF of A4 300 dpi
JPEGs (memory must not grow with the page count), a PNG declaring 100000 x 100000 px
(refused before decoding).

Usage:  .venv/bin/python benchmarks/qc_memory.py
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


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = {}
        a4 = page(2481, 3508, "RGB")
        a4.save(tmp / "a4.jpg", quality=85, dpi=(300, 300))
        cases["A4 300 dpi colour JPEG (8.7 Mpx)"] = tmp / "a4.jpg"
        big = page(7016, 9933, "RGB")
        big.save(tmp / "a1.jpg", quality=85, dpi=(300, 300))
        cases["A1 300 dpi colour JPEG (70 Mpx)"] = tmp / "a1.jpg"
        big.convert("L").save(tmp / "a1.tif", compression="tiff_lzw", dpi=(300, 300))
        del big
        cases["A1 300 dpi grey LZW TIFF (70 Mpx)"] = tmp / "a1.tif"
        a4.save(tmp / "p20.pdf", "PDF", resolution=300, save_all=True, append_images=[a4] * 19)
        cases["PDF, 20 pages A4 300 dpi JPEG"] = tmp / "p20.pdf"
        bomb_png(tmp / "bomb.png", 100_000, 100_000)
        cases["PNG declaring 100000x100000 px"] = tmp / "bomb.png"
        print(f"{'case':<36}{'file MB':>8}{'peak MB':>9}{'QC adds MB':>11}{'pages':>6}{'s':>7}  verdict")
        for name, path in cases.items():
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                                 text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            base, peak, n, dt, verdict, *err = out.stdout.split(maxsplit=5)
            print(f"{name:<36}{path.stat().st_size / 1e6:>8.1f}{int(peak) / 1024:>9.0f}"
                  f"{(int(peak) - int(base)) / 1024:>11.0f}{n:>6}{float(dt):>7.2f}  {verdict} "
                  f"{' '.join(err)}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
