"""Benchmark: what the description phase adds per page, over the database (OCR excluded).

Builds a project database (SQLite in a temp folder, or ``--db-url``) with ``--files``
OCR'd files of ``--docs`` documents each (a 2-page quyết định, a 1-page công văn, a
1-page thông báo with a handwritten number: the shapes of tests/test_description_phase),
each file with a PDF/A whose pages hold a real ~200 KB A4 JPEG at 200 dpi (what the OCR
phase stores), then measures in the same process:

* baseline: reading the file PDFs and the pages' text from the database and storage
  (what any phase over these files must do);
* phase:    ``sohoa.description.phase.describe`` (segmentation + fields, documents rows
  and events, secret-document access rule, one PDF/A per document stored with SHA-256);
* rerun:    the same again (every file unchanged: skipped by its input hash).

and prints seconds per page, against the OCR phase's ~2.2 s of CPU per page
(docs/STATUS.md, issue 4) for the "adds at most 5 %" goal.

Usage:  .venv/bin/python benchmarks/bench_description_phase.py [--files 20] [--db-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT / "tests")]

OCR_CPU_S_PER_PAGE = 2.2  # docs/STATUS.md, issue 4 (sohoa x1, CPU s/page)


def _jpeg(seed: int) -> bytes:
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    img = np.full((2339, 1654, 3), 235, np.uint8)
    for y in range(150, 2200, 48):  # lines of "text": noisy dark strokes
        img[y:y + 18, 150:1500] = rng.integers(0, 120, (18, 1350, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return buf.tobytes()


def build(db_url: str, storage, files: int) -> None:
    from sqlalchemy import select

    from sohoa.core.db.models import Agency, File, Page
    from sohoa.core.db.session import make_engine, migrate, session_scope
    from sohoa.ocr.pdf import build_pdfa, page_with_image
    from test_description_phase import CV_SECRET, QD_P1, QD_P2, TB_LINES, TB_TEXT

    migrate(db_url)
    engine = make_engine(db_url)
    texts = [(QD_P1, None), (QD_P2, None), (CV_SECRET, None), (TB_TEXT, TB_LINES)]
    pages_pdf = [page_with_image(_jpeg(i), 1654, 2339, 200) for i in range(len(texts))]
    with session_scope(engine) as s:
        a = s.scalar(select(Agency).where(Agency.code == "G01"))
        if a is None:
            a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
            s.add(a)
            s.flush()
        for n in range(1, files + 1):
            code = f"TTLTHN.G01.2025.01.{n:03d}"
            f = File(agency_id=a.id, notation=f"{n:02d}", file_code=code, status="ocr_done",
                     title=f"Tập văn bản {n}", access_mode="public")
            s.add(f)
            s.flush()
            pdf = build_pdfa(pages_pdf, metadata={"file_code": code, "title": f.title,
                                                  "agency": a.name})
            f.pdf_key = f"pdf/G01/{code}.pdf"
            f.pdf_sha256 = storage.put_bytes(f.pdf_key, pdf)
            for i, (text, lines) in enumerate(texts, start=1):
                s.add(Page(file_id=f.id, page_no=i, image_key=f"scans/{n}/{i}.jpg",
                           sha256=f"{n:032x}{i:032x}", qc_verdict="pass", width_px=1654,
                           height_px=2339, ocr_text=text, ocr_lines=lines, ocr_confidence=90.0))
    engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--db-url")
    args = ap.parse_args()

    from sqlalchemy import select

    from sohoa.core.db.models import File, Page
    from sohoa.core.db.session import make_engine, session_scope
    from sohoa.core.storage import LocalStorage
    from sohoa.description import phase as dphase

    tmp = Path(tempfile.mkdtemp(prefix="bench-desc-"))
    db_url = args.db_url or f"sqlite:///{tmp / 'sohoa.db'}"
    storage = LocalStorage(tmp / "objects")
    build(db_url, storage, args.files)
    engine = make_engine(db_url)
    n_pages = args.files * 4

    t0, c0 = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        for f in s.scalars(select(File)):
            storage.get_bytes(f.pdf_key)
            [p.ocr_text for p in s.scalars(select(Page).where(Page.file_id == f.id))]
    base = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        out = dphase.describe(s, storage)
    phase = time.perf_counter() - t0, time.process_time() - c0
    assert out["files"] == args.files and out["file_errors"] == 0, out

    t0 = time.perf_counter()
    with session_scope(engine) as s:
        again = dphase.describe(s, storage)
    rerun = time.perf_counter() - t0
    assert again["unchanged"] == args.files

    print(f"{args.files} files, {n_pages} pages, {out['documents']} documents; "
          f"load {os.getloadavg()[0]:.1f}; {engine.dialect.name}")
    print(f"baseline read      wall {base[0] / n_pages * 1000:7.1f} ms/page  "
          f"CPU {base[1] / n_pages * 1000:7.1f} ms/page")
    print(f"description phase  wall {phase[0] / n_pages * 1000:7.1f} ms/page  "
          f"CPU {phase[1] / n_pages * 1000:7.1f} ms/page  "
          f"= {phase[1] / n_pages / OCR_CPU_S_PER_PAGE:.1%} of OCR CPU per page")
    print(f"rerun (unchanged)  wall {rerun / n_pages * 1000:7.1f} ms/page")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
