"""OCR on real scans: CER and time of raw tesseract, OCRmyPDF and sohoa in the same run.

    .venv/bin/python benchmarks/bench_realscans.py [--root ../shared/realscans] [--lang vie]
                                                   [--no-ocrmypdf] [--show] [--repeat 3]

Pages (benchmark only, never tests: the folder may be missing, the script then says so):

* ``congvan_sgddt_danang_2019_2p_200dpi_bitonal.pdf`` — 2 A4 pages, 200 dpi, 1-bit CCITT.
  Ground truth: ``benchmarks/data/realscans/*_2019_p{1,2}.gt.txt``, the printed text typed by
  hand from the page images (handwritten number and day left out; two-column header and
  signer block read left column first, one line per printed line). The document is a
  public administrative letter (not an object of copyright, IP law Art. 15).
* ``congvan_sgddt_danang_2020_p{1,2}_lowres.jpg`` — ~70 dpi photographs, with the folder's
  model-made ``.gt.txt`` (rough: a trend, not a fine comparison).

Rows: raw ``tesseract IMG - -l vie`` (its own default page segmentation), ``ocrmypdf -l vie
--rotate-pages --deskew`` on a PDF of the same images, and sohoa's ``ocr_pages(workers=1)``
(preparation, reading order, post-correction) — with ``--lang`` for sohoa's model(s), e.g.
``vie+Vietnamese``. CPU seconds per page = this process + its children, one thread each; raw
tesseract and sohoa: the best of ``--repeat`` runs (default 3), OCRmyPDF: one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sohoa.ocr import recognition as ocr
from sohoa.ocr import text as ocr_text
from sohoa.ocr.pdf import build_pdfa, page_with_image, pdf_text
from sohoa.ocr.prepare import decode_image

HERE = Path(__file__).resolve().parent
GT_DIR = HERE / "data" / "realscans"
DEFAULT_ROOT = HERE.parent.parent / "shared" / "realscans"  # ../shared/realscans beside the repo


def cpu_now() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def real_pages(root: Path, tmp: Path) -> list[dict]:
    """[{name, file, dpi, gt, rough}] for the real pages found under ``root``."""
    pages = []
    pdf = root / "congvan_sgddt_danang_2019_2p_200dpi_bitonal.pdf"
    if pdf.exists():
        for n, (path, dpi) in enumerate(ocr.pdf_page_images(pdf.read_bytes(), tmp, "cv2019"), 1):
            gt = GT_DIR / f"congvan_sgddt_danang_2019_p{n}.gt.txt"
            if gt.exists() and path.exists():
                # as PNG with its dpi, so every engine reads the same pixels
                img, _ = decode_image(path.read_bytes())
                png = tmp / f"cv2019_p{n}.png"
                from PIL import Image
                Image.fromarray(img[:, :, ::-1]).save(png, dpi=(dpi or 200, dpi or 200))
                pages.append({"name": f"2019 p{n} (200 dpi bitonal, typed GT)", "file": png,
                              "dpi": dpi or 200, "gt": gt.read_text("utf-8"), "rough": False})
    for n in (1, 2):
        jpg = root / f"congvan_sgddt_danang_2020_p{n}_lowres.jpg"
        gt = jpg.with_suffix(".gt.txt")
        if jpg.exists() and gt.exists():
            pages.append({"name": f"2020 p{n} (~70 dpi photo, model GT)", "file": jpg, "dpi": None,
                          "gt": gt.read_text("utf-8"), "rough": True})
    return pages


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--lang", default=os.environ.get("SOHOA_OCR_LANG", "vie"))
    ap.add_argument("--no-ocrmypdf", action="store_true")
    ap.add_argument("--show", action="store_true", help="print sohoa's corrections per page")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per engine; the best CPU and wall are kept (the first sohoa run "
                         "also loads the lexicon, which a worker does once)")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if not args.root.is_dir():
        print(f"no real scans at {args.root}: nothing to measure")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench-real-"))
    try:
        pages = real_pages(args.root, tmp)
        print(f"{len(pages)} real pages; load before: {os.getloadavg()}")
        rows: dict[str, dict] = {}

        def best_of(run) -> dict:
            best = None
            for _ in range(max(1, args.repeat)):
                t0, c0 = time.perf_counter(), cpu_now()
                texts = run()
                got = {"texts": texts, "wall": time.perf_counter() - t0, "cpu": cpu_now() - c0}
                best = got if best is None else {"texts": texts, "wall": min(best["wall"], got["wall"]),
                                                 "cpu": min(best["cpu"], got["cpu"])}
            return best

        rows["raw tesseract"] = best_of(lambda: [
            subprocess.run(["tesseract", str(p["file"]), "-", "-l", "vie"], capture_output=True,
                           text=True).stdout for p in pages])

        if not args.no_ocrmypdf and shutil.which("ocrmypdf"):
            texts, wall, cpu = [], 0.0, 0.0
            for i, p in enumerate(pages):
                data = p["file"].read_bytes()
                img, fdpi = decode_image(data)
                jpeg = data if p["file"].suffix.lower() == ".jpg" else None
                if jpeg is None:
                    import cv2
                    jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
                dpi = p["dpi"] or fdpi or 72
                src, dst = tmp / f"in{i}.pdf", tmp / f"out{i}.pdf"
                src.write_bytes(build_pdfa([page_with_image(jpeg, img.shape[1], img.shape[0], dpi)],
                                           metadata={"file_code": "BENCH", "title": "Bench"}))
                t0, c0 = time.perf_counter(), cpu_now()
                proc = subprocess.run(["ocrmypdf", "-l", "vie", "--rotate-pages", "--deskew",
                                       "--output-type", "pdf", "-j", "1", "-q", str(src), str(dst)],
                                      capture_output=True, text=True)
                wall += time.perf_counter() - t0
                cpu += cpu_now() - c0
                texts.append(pdf_text(dst.read_bytes())[0] if proc.returncode == 0 else "")
                if proc.returncode:
                    print(f"ocrmypdf failed on {p['name']}: {proc.stderr.strip()[-200:]}")
            rows["ocrmypdf"] = {"texts": texts, "wall": wall, "cpu": cpu}

        got: list = []

        def sohoa_run() -> list[str]:
            got[:] = ocr.ocr_pages([p["file"] for p in pages], workers=1, lang=args.lang,
                                   hints={i: {"dpi": p["dpi"]} for i, p in enumerate(pages, 1) if p["dpi"]})
            return [r.text for r in got]

        rows[f"sohoa ({args.lang})"] = best_of(sohoa_run)
        res = got

        n = len(pages)
        names = list(rows)
        print(f"\n{'page':<38} " + " ".join(f"{k:>22}" for k in names))
        for i, p in enumerate(pages):
            print(f"{p['name']:<38} " + " ".join(f"{ocr_text.cer(p['gt'], rows[k]['texts'][i]) * 100:>21.2f}%"
                                                 for k in names))
        for label, sel in (("typed GT (2019)", [i for i, p in enumerate(pages) if not p["rough"]]),
                           ("model GT (2020)", [i for i, p in enumerate(pages) if p["rough"]]),
                           ("all", list(range(n)))):
            if not sel:
                continue
            print(f"{'mean CER ' + label:<38} " + " ".join(
                f"{sum(ocr_text.cer(pages[i]['gt'], rows[k]['texts'][i]) for i in sel) / len(sel) * 100:>21.2f}%"
                for k in names))
        print(f"{'CPU s/page':<38} " + " ".join(f"{rows[k]['cpu'] / n:>22.2f}" for k in names))
        print(f"{'wall s/page':<38} " + " ".join(f"{rows[k]['wall'] / n:>22.2f}" for k in names))
        base = rows["raw tesseract"]
        ours = rows[names[-1]]
        typed = [i for i, p in enumerate(pages) if not p["rough"]] or list(range(n))

        def mean_cer(k: str) -> float:
            return sum(ocr_text.cer(pages[i]["gt"], rows[k]["texts"][i]) for i in typed) / len(typed)

        ratio = mean_cer(names[-1]) / max(1e-9, mean_cer("raw tesseract"))
        print(f"\nsohoa/raw CER (typed GT) = {ratio:.2f} (goal ≤ 0.6); CPU sohoa/raw = "
              f"{ours['cpu'] / max(1e-9, base['cpu']):.2f} (goal ≤ 1.3)")
        corr = sum(len(getattr(r, "corrections", None) or []) for r in res)
        print(f"post-corrections made by sohoa: {corr}")
        if args.show:
            for p, r in zip(pages, res):
                for c in getattr(r, "corrections", None) or []:
                    print(f"  {p['name'][:8]}: {c['original']!r} → {c['corrected']!r} ({c['reason']})")
        print(f"load after: {os.getloadavg()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
