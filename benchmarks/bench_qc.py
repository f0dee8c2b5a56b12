"""Benchmark: per-page scan QC throughput on 200 and 300 dpi A4 colour JPEG pages (one core).

Generates its own pages (DejaVu Serif 13 pt Vietnamese text, some skewed / upside
down / blank), writes them as JPEG, then measures in the same process:

* baseline: ``cv2.imread(path)`` of every page (plain full colour decode);
* qc:       ``sohoa.scan.qc.check_path(path)`` (decode + all measurements + verdict).

and, for scale, sohoa.ocr.recognition.ocr_page (tesseract, vie) on a couple of the same pages.

Usage:  .venv/bin/python benchmarks/bench_qc.py [--pages 60] [--repeat 2] [--dpi 200 300]
                                               [--ocr-pages 2]
Target: >= 20 pages/s per core including decoding; QC a small fraction of OCR time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from sohoa.scan.qc import check_path  # noqa: E402
from sohoa.scan.thresholds import Thresholds  # noqa: E402

cv2.setNumThreads(1)  # per-core figure

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
WORDS = ("Ủy ban nhân dân thành phố quyết định về việc phê duyệt kế hoạch số hóa hồ sơ lưu trữ "
         "của các cơ quan tổ chức Điều một danh mục tài liệu được chỉnh lý bảo quản vĩnh viễn "
         "theo quy định pháp luật Giám đốc Sở Nội vụ chịu trách nhiệm thực hiện").split()


def make_page(seed: int, dpi: int = 200) -> Image.Image:
    rng = random.Random(seed)
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    im = Image.new("RGB", (w, h), (246, 244, 236))
    d = ImageDraw.Draw(im)
    f = ImageFont.truetype(FONT, round(13 * dpi / 72))
    kind = seed % 6
    if kind != 5:  # every 6th page blank
        y = dpi
        while y < h - dpi:
            words: list[str] = []
            while True:
                word = rng.choice(WORDS)
                if d.textlength(" ".join(words + [word]), font=f) > w - 2 * dpi:
                    break
                words.append(word)
            d.text((dpi, y), " ".join(words), font=f, fill=(20, 20, 30))
            y += int(13 * dpi / 72 * 1.5)
    if kind == 3:
        im = im.rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, fillcolor=(246, 244, 236))
    elif kind == 4:
        im = im.rotate(180)
    return im


def run(dpi: int, a, t: Thresholds) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(min(a.pages, 12)):  # 12 distinct pages, reused to fill --pages
            p = Path(tmp) / f"page_{i:03d}.jpg"
            make_page(i, dpi).save(p, "JPEG", quality=85, dpi=(dpi, dpi))
            paths.append(p)
        paths = [paths[i % len(paths)] for i in range(a.pages)]
        size_kb = sum(p.stat().st_size for p in set(paths)) / len(set(paths)) / 1024

        check_path(paths[0], t)  # warm-up
        cv2.imread(str(paths[0]))

        base_best = qc_best = base_cpu = qc_cpu = float("inf")
        verdicts: dict[str, int] = {}
        for _ in range(a.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            for p in paths:
                img = cv2.imread(str(p))
                assert img is not None
            base_best = min(base_best, time.perf_counter() - t0)
            base_cpu = min(base_cpu, time.process_time() - c0)

            t0, c0 = time.perf_counter(), time.process_time()
            verdicts = {}
            for p in paths:
                for c in check_path(p, t):
                    verdicts[c.verdict] = verdicts.get(c.verdict, 0) + 1
            qc_best = min(qc_best, time.perf_counter() - t0)
            qc_cpu = min(qc_cpu, time.process_time() - c0)

        ocr_ms = None
        if a.ocr_pages:
            from sohoa.ocr.recognition import ocr_page

            t0 = time.perf_counter()
            for p in paths[: a.ocr_pages]:
                ocr_page(p, dpi=dpi)  # tesseract runs as a child: wall time is the honest figure
            ocr_ms = 1000 * (time.perf_counter() - t0) / a.ocr_pages

    n = len(paths)
    print(f"== {n} x A4 {dpi} dpi colour JPEG q85 (~{size_kb:.0f} KB each), 1 thread, best of {a.repeat}")
    print(f"baseline cv2.imread (full colour decode): {n / base_best:7.1f} pages/s "
          f"({1000 * base_best / n:.1f} ms/page)")
    print(f"sohoa.scan.qc.check_path (decode + QC):        {n / qc_best:7.1f} pages/s "
          f"({1000 * qc_best / n:.1f} ms/page)")
    print(f"CPU time (robust on a busy machine): baseline {n / base_cpu:.1f} pages/s, "
          f"qc {n / qc_cpu:.1f} pages/s per core")
    print(f"qc / baseline speed ratio: {base_best / qc_best:.2f}; verdicts: {verdicts}")
    if ocr_ms:
        print(f"OCR (sohoa.ocr.recognition.ocr_page, vie): {ocr_ms:.0f} ms/page wall -> QC is "
              f"{100 * (qc_best / n * 1000) / ocr_ms:.1f} % of OCR time")
    return n / qc_cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    ap.add_argument("--ocr-pages", type=int, default=2)
    a = ap.parse_args()
    t = Thresholds(osd_fallback=False)
    rates = [run(dpi, a, t) for dpi in a.dpi]
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    print("target >= 20 pages/s per core (CPU time):", "MET" if min(rates) >= 20 else "NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
