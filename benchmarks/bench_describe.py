"""Description benchmark: document boundaries, per-field exact match and speed of
``sohoa.description.extract`` on OCR output, on generated files and on real scans.

    .venv/bin/python benchmarks/bench_describe.py [--seeds 41 42] [--size small]
        [--realscans ../shared/realscans] [--cache DIR] [--workers 2]

Data sets:

* generated — ``sohoa.sample.generate`` at seeds no test uses and the extractor was not
  tuned on (tuning used seed 7 only), every page OCRed by ``sohoa.ocr.recognition.ocr_pages``
  (the pipeline's preparation), then described file by file and compared with the
  manifest's per-document ground truth. Labelled defect pages (blurred, low dpi, …) are
  kept: QC would send them back, but the boundary figure should show what they cost.
* realscans — the 2019 letter (expected JSON in ../shared/realscans/README.md) and the
  2020 pages (expected values typed from the images below: the number 1906 and day 26
  are typed into the gaps, not handwritten).

Figures:

* boundaries: a predicted document start (file, page_from) is right when the ground truth
  has a document starting there; precision, recall, F1.
* fields: for documents whose start is right, exact match after NFC + whitespace
  normalisation, per field; "typed" = fields whose true value is printed (not null, not
  handwritten). Handwritten values must come out null: "invented" counts those that did not.
* speed: ``describe_pages`` over all OCRed files repeated on one core (OCR excluded), in
  documents/s and pages/s, beside a baseline in the same process (folding every OCR line
  once, the least any reader of the text does); the phase's share of OCR time per page =
  extraction seconds per page / OCR seconds per page (OCR's own ``seconds`` per page).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sohoa.core.fields import fold, nfc
from sohoa.description.extract import PageText, describe_pages
from sohoa.ocr import recognition as R
from sohoa.sample import generate as sample

FIELDS = ("type_name", "code_number", "code_notation", "issued_date", "issued_year",
          "issued_month", "organ_name", "subject", "signer", "signer_title")

REAL_2019 = {"ordinal": 1, "page_from": 1, "page_to": 2, "type_name": "Công văn",
             "code_number": None, "code_notation": "SGDĐT-CTrTT",
             "issued_date": None, "issued_year": 2019, "issued_month": 5,
             "organ_name": "Sở Giáo dục và Đào tạo thành phố Đà Nẵng",
             "subject": "V/v bảo đảm TTATGT cho HS, SV trong dịp nghỉ hè và kỳ thi THPT quốc gia năm 2019",
             "signer": "Trần Nguyễn Minh Thành", "signer_title": "KT. Giám đốc, Phó Giám đốc",
             "review": ["code_number", "issued_date"], "handwritten": ["code_number", "issued_date"]}
REAL_2020 = {"ordinal": 1, "page_from": 1, "page_to": 2, "type_name": "Công văn",
             "code_number": "1906", "code_notation": "SGDĐT-CTrTT",
             "issued_date": "2020-07-26", "issued_year": 2020, "issued_month": 7,
             "organ_name": "Sở Giáo dục và Đào tạo thành phố Đà Nẵng",
             "subject": "V/v khẩn trương thực hiện các biện pháp phòng, chống dịch COVID-19",
             "signer": "Lê Thị Bích Thuận", "signer_title": "Giám đốc", "handwritten": []}


def norm(v):
    return None if v is None else nfc(str(v))


def ocr_file(paths: list[Path], pool, hints=None) -> list[R.PageOcr]:
    return R.ocr_pages([str(p) for p in paths], hints=hints or {}, pool=pool, workers=1)


def cached_pages(cache: Path | None, key: str, make) -> list[dict]:
    """OCR results as plain dicts (number, text, lines, width, height, seconds), cached."""
    f = cache / f"{key}.json" if cache else None
    if f and f.exists():
        return json.loads(f.read_text(encoding="utf-8"))
    rows = [{"number": r.page, "text": r.text, "lines": r.lines, "width": r.width_px,
             "height": r.height_px, "seconds": r.seconds, "error": r.error} for r in make()]
    if f:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return rows


def as_pages(rows: list[dict]) -> list[PageText]:
    return [PageText(r["number"], r["text"] or "", r["lines"] or None, r["width"], r["height"]) for r in rows]


class Score:
    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.ok: dict[str, int] = defaultdict(int)
        self.n: dict[str, int] = defaultdict(int)
        self.typed_ok = self.typed_n = 0
        self.hand_n = self.invented = 0
        self.misses: list[str] = []

    def add(self, label: str, docs, truths: list[dict]) -> None:
        pred = {d.page_from: d for d in docs}
        true = {t["page_from"]: t for t in truths}
        self.tp += len(pred.keys() & true.keys())
        self.fp += len(pred.keys() - true.keys())
        self.fn += len(true.keys() - pred.keys())
        for start in sorted(pred.keys() - true.keys()):
            self.misses.append(f"{label}: extra start at page {start}")
        for start in sorted(true.keys() - pred.keys()):
            self.misses.append(f"{label}: missed start at page {start} ({true[start]['type_name']})")
        for start in sorted(pred.keys() & true.keys()):
            j, t = pred[start].to_json(), true[start]
            for f in FIELDS:
                a, b = norm(j[f]), norm(t[f])
                self.n[f] += 1
                self.ok[f] += a == b
                hand = f in t.get("handwritten", ())
                if b is not None and not hand:
                    self.typed_n += 1
                    self.typed_ok += a == b
                if hand:
                    self.hand_n += 1
                    self.invented += a is not None
                    if a is not None:
                        self.misses.append(f"{label} p{start}: INVENTED {f}={a!r}")
                if a != b:
                    self.misses.append(f"{label} p{start}: {f} {a!r} != {b!r}")

    def report(self, name: str) -> dict:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out = {"set": name, "documents_true": self.tp + self.fn, "boundary_precision": round(p, 3),
               "boundary_recall": round(r, 3), "boundary_f1": round(f1, 3),
               "typed_fields_exact": round(self.typed_ok / self.typed_n, 3) if self.typed_n else None,
               "typed_fields_n": self.typed_n,
               "handwritten_values": self.hand_n, "handwritten_invented": self.invented,
               "fields_exact": {f: f"{self.ok[f]}/{self.n[f]}" for f in FIELDS}}
        return out


def generated(seeds: list[int], size: str, root: Path, cache: Path | None, pool):
    score = Score()
    files: list[list[PageText]] = []
    ocr_seconds: list[float] = []
    for seed in seeds:
        out = root / f"s{seed}"
        man = sample.generate(out, size, seed)
        by_file: dict[tuple, list[dict]] = defaultdict(list)
        for p in man["pages"]:
            by_file[(p["agency"], p["notation"])].append(p)
        truth: dict[tuple, list[dict]] = defaultdict(list)
        for d in man["documents"]:
            truth[(d["agency"], d["notation"])].append(d)
        for key, pages in by_file.items():
            pages.sort(key=lambda p: p["page"])
            label = f"s{seed}/{key[0]}/{key[1]}"
            rows = cached_pages(cache, f"{size}-{seed}-{key[0]}-{key[1].replace('/', '_')}",
                                lambda paths=[out / p["path"] for p in pages]: ocr_file(paths, pool))
            ocr_seconds += [r["seconds"] or 0.0 for r in rows]
            pts = as_pages(rows)
            files.append(pts)
            score.add(label, describe_pages(pts), truth[key])
    return score, files, ocr_seconds


def realscans(folder: Path, tmp: Path, cache: Path | None, pool):
    score = Score()
    files, secs, outputs = [], [], {}
    pdf = folder / "congvan_sgddt_danang_2019_2p_200dpi_bitonal.pdf"
    imgs = [folder / f"congvan_sgddt_danang_2020_p{i}_lowres.jpg" for i in (1, 2)]
    if pdf.exists():
        def make19():
            pages = R.pdf_page_images(pdf.read_bytes(), tmp, "real2019")
            return ocr_file([p for p, _ in pages], pool, {i: {"dpi": d} for i, (_, d) in enumerate(pages, 1) if d})
        rows = cached_pages(cache, "real-2019", make19)
        pts = as_pages(rows)
        docs = describe_pages(pts)
        score.add("real2019", docs, [REAL_2019])
        outputs["2019"] = [d.to_json() for d in docs]
        files.append(pts)
        secs += [r["seconds"] or 0.0 for r in rows]
    if all(p.exists() for p in imgs):
        rows = cached_pages(cache, "real-2020", lambda: ocr_file(imgs, pool))
        pts = as_pages(rows)
        docs = describe_pages(pts)
        score.add("real2020", docs, [REAL_2020])
        outputs["2020"] = [d.to_json() for d in docs]
        files.append(pts)
        secs += [r["seconds"] or 0.0 for r in rows]
    return score, files, secs, outputs


def speed(files: list[list[PageText]], min_seconds: float = 3.0) -> dict:
    n_pages = sum(len(f) for f in files)
    n_docs = sum(len(describe_pages(f)) for f in files)
    # baseline: fold every OCR line once (the least any reader of the text does)
    lines = [ln["text"] for f in files for p in f for ln in (p.lines or [])]
    fold.cache_clear()
    t0, k = time.process_time(), 0
    while time.process_time() - t0 < min_seconds / 3:
        for t in lines:
            fold(t + str(k))  # defeat the cache: each pass is new text
        k += 1
    base = (time.process_time() - t0) / k
    t0, k = time.process_time(), 0
    while time.process_time() - t0 < min_seconds:
        for f in files:
            describe_pages(f)
        k += 1
    per_pass = (time.process_time() - t0) / k
    return {"documents": n_docs, "pages": n_pages, "passes": k,
            "documents_per_s": round(n_docs / per_pass, 1), "pages_per_s": round(n_pages / per_pass, 1),
            "ms_per_page": round(per_pass / n_pages * 1000, 3),
            "baseline_fold_ms_per_page": round(base / n_pages * 1000, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[41, 42])
    ap.add_argument("--size", default="small", choices=["small", "full"])
    repo = Path(__file__).resolve().parents[1]
    found = [p for p in (repo.parent / "shared" / "realscans", repo.parents[1] / "shared" / "realscans")
             if p.is_dir()]  # ../shared from /work/main, ../../shared from a worktree
    ap.add_argument("--realscans", default=str(found[0] if found else repo.parent / "shared" / "realscans"))
    ap.add_argument("--cache", default=None, help="keep OCR results here (reruns skip OCR)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--misses", action="store_true", help="list every boundary/field miss")
    a = ap.parse_args(argv)
    cache = Path(a.cache) if a.cache else None
    print("load:", os.getloadavg())
    pool = R.make_pool(a.workers)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-describe-") as tmp:
            g, gfiles, gsecs = generated(a.seeds, a.size, Path(tmp), cache, pool)
            real = Path(a.realscans)
            r, rfiles, rsecs, outputs = (realscans(real, Path(tmp), cache, pool) if real.is_dir()
                                         else (Score(), [], [], {}))
    finally:
        pool.shutdown()
    results = {"generated": g.report(f"generated seeds {a.seeds} ({a.size})")}
    if rfiles:
        results["realscans"] = r.report("realscans")
        results["realscans_output"] = outputs
    sp = speed(gfiles + rfiles)
    ocr_mean = statistics.mean(gsecs + rsecs) if gsecs + rsecs else None
    sp["ocr_s_per_page_mean"] = round(ocr_mean, 3) if ocr_mean else None
    sp["share_of_ocr_time"] = round(sp["ms_per_page"] / 1000 / ocr_mean, 5) if ocr_mean else None
    results["speed_one_core"] = sp
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if a.misses:
        for m in g.misses + r.misses:
            print(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
