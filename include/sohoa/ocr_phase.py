"""OCR phase per file: recognise every accepted page, store one PDF/A per file.

Resumable: the PDF is keyed by the file code and written atomically; a file whose
inputs (page checksums, languages, OCR version) are unchanged and whose PDF exists
is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa import events, ocr
from sohoa.db.models import Agency, File, Page
from sohoa.selection import select_files

log = logging.getLogger(__name__)

OCR_VERSION = "1"  # bump when preparation/recognition changes so files are redone


def ocr_input_hash(pages: list[Page], lang: str) -> str:
    h = hashlib.sha256(f"{OCR_VERSION}|{lang}".encode())
    for p in pages:
        h.update(f"|{p.page_no}:{p.sha256}".encode())
    return h.hexdigest()


def pdf_key(agency_code: str, file_code: str) -> str:
    return f"pdf/{agency_code}/{file_code}.pdf"


def run_ocr(session: Session, storage, *, agency: str | None = None, file_ref: str | None = None,
            lang: str = "vie", workers: int = 2) -> dict:
    files = select_files(session, agency=agency, file_ref=file_ref, statuses=("qc_passed",))
    summary = {"files": 0, "skipped": 0, "pages": 0, "page_errors": 0, "low_confidence": 0,
               "file_ids": []}
    for f in files:
        out = ocr_file(session, storage, f, lang=lang, workers=workers)
        session.commit()  # one file at a time: a crash later keeps what is done
        if out is None:
            summary["skipped"] += 1
            continue
        summary["files"] += 1
        summary["file_ids"].append(f.id)
        for k in ("pages", "page_errors", "low_confidence"):
            summary[k] += out[k]
    return summary


def ocr_file(session: Session, storage, f: File, *, lang: str, workers: int) -> dict | None:
    agency = session.get(Agency, f.agency_id)
    pages = list(session.scalars(select(Page).where(Page.file_id == f.id,
                                                    Page.qc_verdict != "reject")
                                 .order_by(Page.page_no)))
    in_hash = ocr_input_hash(pages, lang)
    key = pdf_key(agency.code, f.file_code or f"{agency.code}-{f.id}")
    if f.ocr_input_hash == in_hash and f.pdf_key == key and storage.exists(key):
        events.set_status(session, f, "status", "ocr_done", phase="ocr", action="ocr_reused")
        return None

    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        paths, hints = [], {}
        for i, p in enumerate(pages, start=1):
            local = Path(tmp) / f"{p.page_no:05d}{Path(p.image_key).suffix}"
            storage.download(p.image_key, local)
            paths.append(local)
            # QC's orientation is the content's counter-clockwise turn, which is exactly
            # the clockwise turn OCR applies to set it upright; skew is re-measured by OCR.
            orientation = (p.qc_metrics or {}).get("orientation")
            hints[i] = {"rotate": int(orientation) % 360 if orientation is not None else None,
                        "dpi": int(p.dpi) if p.dpi else None}
        results = ocr.ocr_pages(paths, lang=lang, workers=workers, hints=hints)
    counts = {"pages": len(results), "page_errors": 0, "low_confidence": 0}
    for p, r in zip(pages, results):
        before = {"ocr": "done" if p.ocr_text is not None else None}
        p.ocr_text = r.text if r.ok else None
        p.ocr_confidence = r.mean_conf
        p.ocr_low_confidence = r.low_confidence if r.ok else None
        p.ocr_error = r.error
        counts["page_errors"] += 0 if r.ok else 1
        counts["low_confidence"] += 1 if (r.ok and r.low_confidence) else 0
        events.record(session, entity="pages", entity_id=p.id, phase="ocr",
                      action="ocr_failed" if r.error else "recognised", agency_id=f.agency_id,
                      before=before, after={"ocr": "error" if r.error else "done"},
                      details={"confidence": r.mean_conf, "rotation": r.rotation,
                               "deskew_deg": r.deskew_deg, "error": r.error})
    metadata = {"file_code": f.file_code or "", "title": f.title, "agency": agency.name,
                "language": f.language or "vi",
                "start_date": f.start_date.isoformat() if f.start_date else None,
                "end_date": f.end_date.isoformat() if f.end_date else None}
    data = ocr.build_document(results, metadata)
    sha = storage.put_bytes(key, data, content_type="application/pdf")
    before = {"pdf_sha256": f.pdf_sha256}
    f.pdf_key, f.pdf_sha256, f.ocr_input_hash = key, sha, in_hash
    events.record(session, entity="files", entity_id=f.id, phase="ocr", action="pdf_stored",
                  agency_id=f.agency_id, before=before, after={"pdf_sha256": sha},
                  details={"key": key, "bytes": len(data), **counts})
    events.set_status(session, f, "status", "ocr_done", phase="ocr", action="ocr_done")
    return counts
