"""OCR benchmark: speed, accuracy (CER) and size of sohoa.ocr.recognition against two baselines,
on the same held-out pages in the same run.

    .venv/bin/python benchmarks/bench_ocr.py [--seeds 101 202 303] [--ordinary 12] [--no-ocrmypdf]

Pages: realistic scans from ``sohoa.sample.generate.generate`` (DejaVu/Liberation serif body text,
ND 30/2020 two-column header and signer block, tinted mottled paper, grain, optical blur,
JPEG q85, red seals, blue signatures, 200 and 300 dpi, colour and grey) with their typed
text as ground truth. The preparation was tuned on the demo sample (seed 7) only; the
default seeds here were never looked at while tuning. Kinds:

* ordinary    — no labelled defect: 0.5–1.5° skew, JPEG, some with a red seal;
* upside_down — turned 180° (plus the slight skew);
* skewed      — 5–8° either way.

Rows (one thread each unless said):
* raw         — ``tesseract IMG - -l vie`` per page (OMP_THREAD_LIMIT=1): text only.
* ocrmypdf    — ``ocrmypdf -l vie --rotate-pages --deskew --output-type pdfa -j 1`` on a
  PDF holding the same JPEGs at their dpi; text read back with pdftotext.
* sohoa x1    — ``ocr_pages(workers=1)`` in-process: CPU = this process + children.
* sohoa x2    — ``ocr_pages(workers=2)``: wall time on both cores (what a task does).
CER after NFC + whitespace normalisation (``sohoa.ocr.recognition.cer``); KB/page = one-page PDF/A
part (ours) or output PDF / pages (ocrmypdf), median. CPU/page is what the 1.3× goal is
about; with other work on the machine wall times move, so `uptime` is printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sohoa.ocr import recognition as ocr
from sohoa.ocr import prepare as ocr_prepare
from sohoa.ocr import text as ocr_text

from sohoa.sample import generate as sample
from sohoa.ocr.pdf import build_pdfa, check_pdf, page_with_image, pdf_text

KINDS = ("ordinary", "upside_down", "skewed")


def cpu_now() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def held_out_pages(seeds: list[int], n_ordinary: int, root: Path) -> list[dict]:
    pages: list[dict] = []
    for seed in seeds:
        out = root / f"s{seed}"
        man = sample.generate(out, "small", seed)
        for p in man["pages"]:
            kind = p["defect"] or "ordinary"
            if kind in KINDS and p["text"]:
                pages.append({**p, "kind": kind, "file": out / p["path"]})
    ordinary = [p for p in pages if p["kind"] == "ordinary"]
    # spread the ordinary pages over seeds/agencies; keep every defect page
    step = max(1, len(ordinary) // max(1, n_ordinary))
    keep = ordinary[::step][:n_ordinary] + [p for p in pages if p["kind"] != "ordinary"]
    return keep


def summarise(name: str, pages: list[dict], cers: list[float], wall: float | None,
              cpu: float | None, kb: list[float] | None) -> dict:
    n = len(pages)
    row = {"name": name, "wall_s_per_page": wall / n if wall is not None else None,
           "cpu_s_per_page": cpu / n if cpu is not None else None,
           "kb_per_page_median": statistics.median(kb) if kb else None}
    for kind in KINDS:
        ks = [c for c, p in zip(cers, pages) if p["kind"] == kind]
        row[f"cer_{kind}"] = statistics.mean(ks) if ks else None
    row["cer_all"] = statistics.mean(cers)
    return row


def fmt(v, scale=1.0, digits=2) -> str:
    return "n/a" if v is None else f"{v * scale:.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    ap.add_argument("--ordinary", type=int, default=12)
    ap.add_argument("--no-ocrmypdf", action="store_true")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    try:
        pages = held_out_pages(args.seeds, args.ordinary, tmp)
        n = len(pages)
        counts = {k: sum(p["kind"] == k for p in pages) for k in KINDS}
        print(f"{n} held-out pages (seeds {args.seeds}): {counts}; dpi "
              f"{sorted({p['dpi'] for p in pages})}; modes {sorted({p['mode'] for p in pages})}")
        ver = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split()[1]
        print(f"tesseract {ver}, {os.cpu_count()} cores; load before: {os.getloadavg()}")
        refs = [p["text"] for p in pages]
        rows = []

        t0, c0 = time.perf_counter(), cpu_now()
        raw = [subprocess.run(["tesseract", str(p["file"]), "-", "-l", "vie"], capture_output=True,
                              text=True).stdout for p in pages]
        rows.append(summarise("raw tesseract", pages, [ocr_text.cer(r, h) for r, h in zip(refs, raw)],
                              time.perf_counter() - t0, cpu_now() - c0, None))

        if not args.no_ocrmypdf and shutil.which("ocrmypdf"):
            parts = []
            for p in pages:  # the scanner's JPEG as is, at its dpi (what a scanner PDF holds)
                data = p["file"].read_bytes()
                img, _ = ocr_prepare.decode_image(data)
                parts.append(page_with_image(data, img.shape[1], img.shape[0], p["dpi"],
                                             grey=p["mode"] == "L"))
            src, dst = tmp / "in.pdf", tmp / "out.pdf"
            src.write_bytes(build_pdfa(parts, metadata={"file_code": "BENCH", "title": "Bench"}))
            t0, c0 = time.perf_counter(), cpu_now()
            proc = subprocess.run(["ocrmypdf", "-l", "vie", "--rotate-pages", "--deskew",
                                   "--output-type", "pdfa", "-j", "1", "-q", str(src), str(dst)],
                                  capture_output=True, text=True)
            wall, cpu = time.perf_counter() - t0, cpu_now() - c0
            if proc.returncode == 0:
                texts = pdf_text(dst.read_bytes())
                rows.append(summarise("ocrmypdf", pages, [ocr_text.cer(r, h) for r, h in zip(refs, texts)],
                                      wall, cpu, [dst.stat().st_size / 1024 / n]))
            else:
                print(f"ocrmypdf failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")

        t0, c0 = time.perf_counter(), cpu_now()
        res1 = ocr.ocr_pages([p["file"] for p in pages], workers=1)
        rows.append(summarise("sohoa x1", pages, [ocr_text.cer(r, x.text) for r, x in zip(refs, res1)],
                              time.perf_counter() - t0, cpu_now() - c0,
                              [len(x.pdf) / 1024 for x in res1 if x.pdf]))

        pool = ocr.make_pool(2)
        pool.submit(int).result()  # start-up outside the timing (one pool per task run)
        t0 = time.perf_counter()
        res2 = ocr.ocr_pages([p["file"] for p in pages], workers=2, pool=pool)
        wall2 = time.perf_counter() - t0
        pool.shutdown()
        rows.append(summarise("sohoa x2", pages, [ocr_text.cer(r, x.text) for r, x in zip(refs, res2)],
                              wall2, None, [len(x.pdf) / 1024 for x in res2 if x.pdf]))

        print(f"\n{'':<14} {'wall s/p':>8} {'cpu s/p':>8} {'KB/p':>6}   CER % "
              + " ".join(f"{k:>11}" for k in KINDS) + f" {'all':>7}")
        for r in rows:
            print(f"{r['name']:<14} {fmt(r['wall_s_per_page']):>8} {fmt(r['cpu_s_per_page']):>8} "
                  f"{fmt(r['kb_per_page_median'], 1, 0):>6}         "
                  + " ".join(f"{fmt(r[f'cer_{k}'], 100):>11}" for k in KINDS) + f" {fmt(r['cer_all'], 100):>7}")
        base, ours = rows[0], next(r for r in rows if r["name"] == "sohoa x1")
        print(f"\nCPU ours/raw = {ours['cpu_s_per_page'] / base['cpu_s_per_page']:.2f} (goal ≤ 1.3); "
              f"wall x2/raw = {rows[-1]['wall_s_per_page'] / base['wall_s_per_page']:.2f}; "
              f"CER ordinary ours/raw = {ours['cer_ordinary'] / base['cer_ordinary']:.2f} (goal ≤ 0.5)")
        by_dpi = {d: statistics.median(len(x.pdf) / 1024 for p, x in zip(pages, res2) if p["dpi"] == d and x.pdf)
                  for d in sorted({p["dpi"] for p in pages})}
        print("median KB/page by scan dpi (ours): " + ", ".join(f"{d} dpi {kb:.0f}" for d, kb in by_dpi.items())
              + f"; PDF shown at {'scan dpi' if not ocr.PDF_MAX_DPI else f'≤ {ocr.PDF_MAX_DPI} dpi'}")
        doc = ocr.build_document(res2, {"file_code": "BENCH", "title": "Bench", "language": "vie"})
        info = check_pdf(doc)
        layer = statistics.mean(ocr_text.cer(r, t) for r, t in zip(refs, pdf_text(doc)))
        print(f"merged PDF/A: {len(doc) / 1024 / n:.0f} KB/page, {info['pdfa']}, problems {info['problems']}; "
              f"text layer (pdftotext) CER {layer * 100:.2f} %")
        print("worst pages (sohoa x2): kind dpi mode rotation deskew conf CER% KB s")
        worst = sorted(zip(pages, res2), key=lambda t: -ocr_text.cer(t[0]["text"], t[1].text))[:5]
        for p, x in worst:
            print(f"  {p['kind']:<12} {p['dpi']} {p['mode']} {x.rotation:>4} {x.deskew_deg:>6.2f} "
                  f"{x.mean_conf or 0:>5.1f} {ocr_text.cer(p['text'], x.text) * 100:>6.2f} "
                  f"{len(x.pdf or b'') / 1024:>4.0f} {x.seconds:>5.2f} {x.error or ''}")
        print(f"load after: {os.getloadavg()}")
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
