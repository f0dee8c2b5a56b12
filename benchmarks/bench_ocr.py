"""OCR benchmark: speed, accuracy (CER) and size of sohoa.ocr against baselines.

    .venv/bin/python benchmarks/bench_ocr.py [--pages 10] [--no-ocrmypdf]

Pages are rendered with known text (Vietnamese administrative sentences,
DejaVu Serif 13.5 pt, slightly yellow paper, mild noise): plain 200 dpi pages,
300 dpi pages, one upside down, one skewed 2°, two with a red seal over text.

Rows:
* baseline  — raw ``tesseract IMG - -l vie`` (OMP_THREAD_LIMIT=1), one page at a
  time; text only, so no KB/page (the PNG input size is shown for reference).
* sohoa x1  — ``ocr_pages(workers=1)``: CPU seconds/page measured exactly (this
  process + its tesseract children).
* sohoa x2  — ``ocr_pages(workers=2)``: wall seconds/page on two cores.
* ocrmypdf  — ``ocrmypdf -l vie --rotate-pages --deskew --output-type pdfa -j 1``
  on a PDF of the same pages (when installed).
CER is after NFC + whitespace normalisation; KB/page is the final PDF size / pages.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from sohoa import ocr
from sohoa.pdf import build_pdfa, pdf_text

SENTENCES = [
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3",
    "năm 2020 của Chính phủ về công tác văn thư; theo",
    "đề nghị của Chánh Văn phòng Ủy ban nhân dân quận,",
    "Ủy ban nhân dân quận quyết định phê duyệt kế hoạch",
    "số hóa tài liệu lưu trữ của các cơ quan, tổ chức",
    "thuộc nguồn nộp lưu vào Lưu trữ lịch sử thành phố.",
    "Điều 1. Giao Sở Nội vụ chủ trì, phối hợp với các",
    "đơn vị liên quan tổ chức chỉnh lý, số hóa hồ sơ.",
    "Biên bản bàn giao hồ sơ, tài liệu lưu trữ năm 2010",
    "Hôm nay, tại trụ sở Ủy ban nhân dân phường Hàng Bạc,",
    "chúng tôi gồm đại diện bên giao và bên nhận đã kiểm",
    "đếm đủ mười hai hộp với tổng số một trăm hồ sơ.",
    "Thời hạn bảo quản: vĩnh viễn; chế độ sử dụng: hạn chế.",
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    "Chánh Văn phòng, Giám đốc Sở Tài chính, Thủ trưởng",
    "các cơ quan, đơn vị có liên quan chịu trách nhiệm thi",
    "hành Quyết định này. Nơi nhận: như Điều 2; lưu: VT.",
    "Tờ trình về việc đề nghị phê duyệt danh mục hồ sơ",
    "có thời hạn bảo quản vĩnh viễn nộp lưu năm 2016.",
    "Mục lục hồ sơ gồm bốn mươi hai hồ sơ, đóng trong",
]


def make_page(i: int, rng: random.Random) -> tuple[np.ndarray, str, int, str]:
    kind = ["plain", "plain", "plain", "plain", "300dpi", "300dpi", "upside-down", "skew2", "seal", "seal"][i % 10]
    dpi = 300 if kind == "300dpi" else 200
    lines = [rng.choice(SENTENCES) for _ in range(24)]
    img = ocr.render_text_page(lines, dpi=dpi, paper_rgb=(246, 240, 224))
    noise = np.random.default_rng(i).normal(0, 4, img.shape)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if kind == "upside-down":
        img = cv2.rotate(img, cv2.ROTATE_180)
    elif kind == "skew2":
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0)
        img = cv2.warpAffine(img, m, (w, h), borderValue=(224, 240, 246))
    elif kind == "seal":
        seal = np.full_like(img, 255)
        c = (int(img.shape[1] * 0.6), int(img.shape[0] * 0.2))
        r = int(dpi * 0.8)
        cv2.circle(seal, c, r, (40, 40, 215), max(6, dpi // 14))
        cv2.circle(seal, c, int(r * 0.78), (40, 40, 215), 4)
        cv2.putText(seal, "UBND QUAN", (c[0] - r + 40, c[1] + 15), cv2.FONT_HERSHEY_SIMPLEX, dpi / 90, (40, 40, 215), 8)
        img = np.minimum(img, seal)
    return img, "\n".join(lines), dpi, kind


def cpu_now() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def row(name, n, wall, cpu, cers, kb):
    kb_s = f"{statistics.median(kb):8.0f}" if kb else "     n/a"
    cpu_s = f"{cpu / n:8.2f}" if cpu is not None else "     n/a"
    print(f"{name:<12} {wall / n:8.2f} {cpu_s} {statistics.mean(cers) * 100:7.2f} {max(cers) * 100:7.2f} {kb_s}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--no-ocrmypdf", action="store_true")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    from PIL import Image

    pages, refs, kinds = [], [], []
    for i in range(args.pages):
        img, ref, dpi, kind = make_page(i, rng)
        p = tmp / f"p{i:02d}.png"
        Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(p, dpi=(dpi, dpi))
        pages.append(p)
        refs.append(ref)
        kinds.append(kind)
    n = len(pages)
    png_kb = [p.stat().st_size / 1024 for p in pages]
    print(f"{n} pages in {tmp}; kinds: {', '.join(kinds)}; PNG input median {statistics.median(png_kb):.0f} KB")
    print(f"tesseract {ocr.subprocess.run(['tesseract', '--version'], capture_output=True, text=True).stdout.split()[1]}, "
          f"{os.cpu_count()} cores")
    print(f"{'':<12} {'wall s/p':>8} {'cpu s/p':>8} {'CER %':>7} {'max %':>7} {'KB/page':>8}  (KB = median)")

    # baseline: raw tesseract, text only
    t0, c0 = time.perf_counter(), cpu_now()
    base_cer = []
    for p, ref in zip(pages, refs):
        out = subprocess.run(["tesseract", str(p), "-", "-l", "vie"], capture_output=True, text=True)
        base_cer.append(ocr.cer(ref, out.stdout))
    row("baseline", n, time.perf_counter() - t0, cpu_now() - c0, base_cer, None)

    # sohoa, one worker in-process: exact CPU
    t0, c0 = time.perf_counter(), cpu_now()
    res1 = ocr.ocr_pages(pages, workers=1)
    wall1, cpu1 = time.perf_counter() - t0, cpu_now() - c0
    row("sohoa x1", n, wall1, cpu1, [ocr.cer(r, p.text) for r, p in zip(refs, res1)],
        [len(p.pdf) / 1024 for p in res1 if p.pdf])

    # sohoa, two workers: wall time (CPU of pool workers is not visible here)
    t0 = time.perf_counter()
    res2 = ocr.ocr_pages(pages, workers=2)
    wall2 = time.perf_counter() - t0
    doc = build_pdfa(ocr.page_pdfs(res2), metadata={"file_code": "BENCH", "title": "Bench", "language": "vie"})
    row("sohoa x2", n, wall2, None, [ocr.cer(r, p.text) for r, p in zip(refs, res2)],
        [len(p.pdf) / 1024 for p in res2 if p.pdf])
    print(f"{'':<12} merged PDF/A: {len(doc) / 1024 / n:.0f} KB/page; text layer CER via pdftotext "
          f"{statistics.mean(ocr.cer(r, t) for r, t in zip(refs, pdf_text(doc))) * 100:.2f} %")
    print("per page (sohoa x2): kind, rotation, deskew, conf, CER%, KB, s")
    for k, r, ref in zip(kinds, res2, refs):
        print(f"  {k:<12} {r.rotation:>4} {r.deskew_deg:>6.2f} {r.mean_conf or 0:>6.1f} "
              f"{ocr.cer(ref, r.text) * 100:>6.2f} {len(r.pdf or b'') / 1024:>5.0f} {r.seconds:>5.2f}"
              + (f"  ERROR {r.error}" if r.error else ""))

    if not args.no_ocrmypdf and shutil.which("ocrmypdf"):
        src = tmp / "in.pdf"
        ims = [Image.open(p).convert("RGB") for p in pages]
        # one resolution per PDF in Pillow: use 200 dpi pages' own size is lost for 300 dpi
        # pages, which does not matter for OCR (pixels are the same)
        ims[0].save(src, save_all=True, append_images=ims[1:], resolution=200)
        dst = tmp / "out.pdf"
        t0, c0 = time.perf_counter(), cpu_now()
        proc = subprocess.run(
            ["ocrmypdf", "-l", "vie", "--rotate-pages", "--deskew", "--output-type", "pdfa",
             "-j", "1", "-q", str(src), str(dst)], capture_output=True, text=True,
        )
        wall, cpu = time.perf_counter() - t0, cpu_now() - c0
        if proc.returncode == 0:
            texts = pdf_text(dst.read_bytes())
            row("ocrmypdf", n, wall, cpu, [ocr.cer(r, t) for r, t in zip(refs, texts)],
                [dst.stat().st_size / 1024 / n])
        else:
            print(f"ocrmypdf failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
