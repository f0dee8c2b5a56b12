"""Synthetic sample programme: agencies, plans, inventory lists and scan deliveries.

`generate(out_dir, size, seed)` writes a complete, deterministic demo/test data set
and returns its manifest, which is also the ground truth later phases are checked
against:

    out_dir/agencies.csv, plans.csv
    out_dir/intake/<AGENCY>/danh_muc_<agency>.xlsx|.csv
    out_dir/deliveries/<AGENCY>/<safe_name(notation)>/0001.jpg ...
    out_dir/manifest.json       everything below
    out_dir/ground_truth.json   pages (text, dpi, defect), documents, bad rows, short deliveries

Manifest page records: agency, notation, page, path (relative, POSIX), dpi, mode
("RGB"/"L"), defect (None or one of DEFECTS), rotation_deg (counter-clockwise, 180 added
for upside_down), doc_type, seal, sha256 and text. `text` is the typed text in reading
order (left header column, right header column, then top to bottom; "Nơi nhận" before
the signer block), NFC, lines joined with "\n"; seal and signature are graphics, not
text; a blank page has "".

Manifest document records (issue 13: what description must read), one per document in
file order: agency, notation, ordinal, page_from, page_to, type_name, code_number,
code_notation, issued_date (ISO or None), issued_year, issued_month, organ_name, subject,
signer, signer_title, secrecy, urgency, handwritten (fields written by hand: their value
is None, as a person confirming the print reads it), appendix. A file may open with a
site map without header (type "Khác"); a blank back page belongs to the document before it.

The work is split by concern: `programme` plans everything but the pixels (agencies,
lists, files, page specs), `documents` lays out each document on `typeset` pages (in
points, so the ground-truth line breaks do not depend on the dpi), `render` draws the
pixels in a spawn process pool, and this module writes the lists, the pages and the
manifest. No Airflow import here.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from sohoa.core.naming import safe_name  # noqa: F401 - re-exported: one rule for folder names
from sohoa.sample.programme import (AGENCY_COLUMNS, BAD_ROW_PROBLEMS, DEFECTS, INVENTORY_HEADER,  # noqa: F401 - re-exported
                                    PLAN_COLUMNS, plan_programme)
from sohoa.sample.render import render_to_disk, worker_init


# --------------------------------------------------------------------------- writing

def _write_lists(out: Path, plan: dict) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    ag_by = plan["ag_by"]
    for inv in plan["manifest"]["inventory"]:
        code = inv["agency"]
        target = out / inv["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = [[r["stt"], r["box"], r["notation"], r["title"], r["start"], r["end"],
                 r["retention"], r["access"], r["sheets"], r["pages"], "Tiếng Việt", r["note"]]
                for r in plan["lists"][code]]
        if inv["format"] == "csv":
            with open(target, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(INVENTORY_HEADER)
                w.writerows(rows)
            continue
        wb = Workbook()
        ws = wb.active
        ws.title = "Danh mục"
        ws.append([f"DANH MỤC HỒ SƠ PHÔNG {ag_by[code]['name'].upper()}"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(INVENTORY_HEADER))
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append(INVENTORY_HEADER)
        for c in ws[2]:
            c.font = Font(bold=True)
        for r in rows:
            ws.append(r)
        for col, width in zip("ABCDEFGHIJKL", (6, 8, 14, 70, 14, 14, 14, 14, 10, 10, 12, 18)):
            ws.column_dimensions[col].width = width
        fixed = datetime(2025, 8, 1, 8, 0, 0)
        wb.properties.created = wb.properties.modified = fixed
        wb.properties.creator = ag_by[code]["name"]
        wb.save(target)
        _freeze_zip_times(target)


def _freeze_zip_times(path: Path) -> None:
    """Rewrite an XLSX (zip) with fixed entry times so the same seed gives the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-08-01T08:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 8, 1, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in columns})


def _clear_previous_sample(out: Path) -> None:
    """Remove the trees of an earlier sample in out (only if its manifest says so),
    so a rerun with another size or seed leaves no stale pages behind."""
    import shutil

    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(old, dict) and old.get("generator") == "sohoa.sample":
        for sub in ("deliveries", "intake"):
            shutil.rmtree(out / sub, ignore_errors=True)


def generate(out_dir: Path, size: str = "small", seed: int = 7, *, workers: int | None = None) -> dict:
    """Write the sample programme under out_dir and return its manifest.

    Deterministic for a given (size, seed): same lists, same JPEG bytes.
    `workers` = rendering processes (default: CPU count; 1 renders in-process).
    """
    out = Path(out_dir)
    plan = plan_programme(size, seed)  # validates size before touching the disk
    _clear_previous_sample(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = plan["manifest"]

    _write_csv(out / "agencies.csv", AGENCY_COLUMNS, manifest["agencies"])
    _write_csv(out / "plans.csv", PLAN_COLUMNS, manifest["plans"])
    _write_lists(out, plan)

    jobs = plan["jobs"]
    workers = workers or os.cpu_count() or 1
    args = [(j, str(out)) for j in sorted(jobs, key=lambda j: -j["dpi"])]  # big pages first
    if workers <= 1 or len(jobs) < 4:
        digests = dict(map(render_to_disk, args))
    else:
        # spawn, not fork: generate() may run inside a threaded Airflow worker
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx,
                                 initializer=worker_init) as pool:
            digests = dict(pool.map(render_to_disk, args, chunksize=1))
    for p in manifest["pages"]:
        p["sha256"] = digests[p["path"]]

    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    truth = {k: manifest[k] for k in ("size", "seed", "pages", "documents", "bad_rows",
                                      "short_deliveries")}
    (out / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
    return manifest
