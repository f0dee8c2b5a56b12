"""OCR phase over the database: per file, recognise every accepted page and store one
two-layer PDF/A-2b named by the file code.

* **Both cores busy**: one process pool for the whole run; pages of the next files are
  queued while the oldest file is assembled and stored, so a file's last odd page never
  leaves a core idle.
* **Resumable**: a file whose inputs (page checksums, QC orientation, dpi, languages, the
  file's metadata and the OCR version) are unchanged and whose PDF exists is skipped.
  The PDF goes through ``storage.put_bytes`` (atomic: temp + rename, or one S3 PUT), and
  the database row is committed only after it, so a crash mid-file leaves neither a
  half-written object nor a file marked done; the next run redoes that file.
* **Nothing lost**: a page that cannot be decoded or that tesseract fails on gets
  ``ocr_error`` and a Vietnamese ``ocr_review_reason``; the file's other pages complete
  and its PDF keeps every page position. After a transient failure (timeout, crash) the
  file keeps no input hash, so the next run retries it. A file that fails as a whole (e.g. storage down) is rolled back,
  recorded as an event and the run goes on with the next file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core import events

from sohoa.ocr import recognition as ocr
from sohoa.ocr import postcorrect
from sohoa.ocr import prepare as ocr_prepare
from sohoa.core.db.models import Agency, File, Page
from sohoa.core.progress import Progress
from sohoa.core.selection import select_files

log = logging.getLogger(__name__)

OCR_VERSION = "3"  # bump when preparation/recognition changes so files are redone (3: post-correction)


def _orientation(p: Page) -> int | None:
    o = (p.qc_metrics or {}).get("orientation")
    return int(o) % 360 if o is not None else None


def ocr_input_hash(pages: list[Page], lang: str, metadata: dict | None = None,
                   min_conf: float = ocr.DEFAULT_MIN_CONF) -> str:
    """Everything the stored PDF and page texts depend on."""
    h = hashlib.sha256(f"{OCR_VERSION}|{lang}|{min_conf}|{ocr_prepare.JPEG_QUALITY}|{ocr.PDF_MAX_DPI}|"
                       f"{postcorrect.settings_key()}".encode())
    h.update(json.dumps(metadata or {}, sort_keys=True, ensure_ascii=False).encode())
    for p in pages:
        skew = (p.qc_metrics or {}).get("skew_deg")
        h.update(f"|{p.page_no}:{p.sha256}:{_orientation(p)}:{skew}:{p.dpi}".encode())
    return h.hexdigest()


def pdf_key(agency_code: str, file_code: str) -> str:
    return f"pdf/{agency_code}/{file_code}.pdf"


def file_metadata(f: File, agency: Agency) -> dict:
    """XMP/DocInfo of the file's PDF/A, from its record."""
    return {"file_code": f.file_code or "", "title": f.title, "agency": agency.name,
            "language": f.language or "vi",
            "start_date": f.start_date.isoformat() if f.start_date else None,
            "end_date": f.end_date.isoformat() if f.end_date else None,
            "subject": f.description or None, "keywords": f.keyword or None}


@dataclass
class _Job:
    file_id: int
    page_ids: list[int]
    key: str
    in_hash: str
    metadata: dict
    tmp: Path
    jobs: list[tuple]
    futures: list = field(default_factory=list)
    forced: bool = False  # redone on an operator's request although unchanged


def run_ocr(session: Session, storage, *, agency: str | None = None, file_ref: str | None = None,
            lang: str = "vie", workers: int = 2, timeout: int = 120,
            min_conf: float = ocr.DEFAULT_MIN_CONF, force: bool = False) -> dict:
    # ocr_done files are looked at too: unchanged ones are skipped, ones with failed
    # pages or changed inputs (new OCR version, languages, metadata) are redone.
    files = select_files(session, agency=agency, file_ref=file_ref,
                         statuses=("qc_passed", "ocr_done"))
    summary = {"files": 0, "skipped": 0, "pages": 0, "page_errors": 0, "low_confidence": 0,
               "file_errors": 0, "retry_files": 0, "forced": 0, "file_ids": []}
    pool = _page_pool(workers) if workers > 1 else None
    pending: deque[_Job] = deque()
    # a live line on a terminal, a log line per file in the task log (core.progress)
    progress = Progress("Nhận dạng chữ", len(files), unit="hồ sơ", log=log)

    def finish_oldest() -> None:
        job = pending.popleft()
        try:
            out = _finish(session, storage, job, pool is not None)
            session.commit()  # one file at a time: a crash later keeps what is done
            progress.advance(item=f"hồ sơ {job.file_id}: {out['pages']} trang "
                                  f"({out['page_errors']} lỗi, {out['low_confidence']} cần xem lại)")
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
            session.rollback()
            log.exception("OCR of file %s failed", job.file_id)
            f = session.get(File, job.file_id)
            events.record(session, entity="files", entity_id=job.file_id, phase="ocr",
                          action="ocr_file_failed", agency_id=f.agency_id if f else None,
                          details={"error": f"{type(exc).__name__}: {exc}"[:1000],
                                   "reason": "Không lưu được PDF/A của hồ sơ; sẽ làm lại ở lần chạy sau"})
            session.commit()
            summary["file_errors"] += 1
            progress.advance(item=f"hồ sơ {job.file_id}: lỗi, làm lại ở lần chạy sau")
            return
        finally:
            shutil.rmtree(job.tmp, ignore_errors=True)
        summary["files"] += 1
        summary["file_ids"].append(job.file_id)
        for k in ("pages", "page_errors", "low_confidence", "retry_files"):
            summary[k] += out[k]

    try:
        progress.__enter__()
        for f in files:
            job = _start(session, storage, f, lang=lang, timeout=timeout, min_conf=min_conf,
                         force=force)
            if job is not None and job.forced:
                summary["forced"] += 1
            if job is None:
                session.commit()
                summary["skipped"] += 1
                progress.advance(item=f"hồ sơ {f.id}: không đổi")
                continue
            if pool is not None:
                pool = _submit(pool, job, workers)
            pending.append(job)
            # keep at least 2 pages per core queued behind the oldest file, then store it
            while len(pending) > 1 and sum(len(j.jobs) for j in list(pending)[1:]) >= 2 * workers:
                finish_oldest()
        while pending:
            finish_oldest()
    finally:
        progress.__exit__(None, None, None)
        for job in pending:
            shutil.rmtree(job.tmp, ignore_errors=True)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return summary


def _page_pool(workers: int):
    """The page pool. Under Celery, Airflow runs the task in a process forked from
    Celery's prefork pool worker (billiard), which leaves multiprocessing's view of the
    current process daemonic and with billiard's authkey; multiprocessing then refuses to
    start the pool ("daemonic processes are not allowed to have children", "Pickling an
    AuthenticationString object is disallowed"). The task process is no multiprocessing
    child of anyone, so both inherited settings are put back to a plain process's."""
    import multiprocessing as mp
    from multiprocessing.process import AuthenticationString

    config = mp.current_process()._config
    if config.get("daemon"):
        log.info("clearing the daemon flag inherited from the Celery pool worker")
        config["daemon"] = False
    key = config.get("authkey")
    if key is not None and type(key) is not AuthenticationString:
        config["authkey"] = AuthenticationString(bytes(key))
    return ocr.make_pool(workers)


def _submit(pool, job: _Job, workers: int):
    """Queue a file's pages; a pool broken by a crashed worker is replaced (its pages
    already queued report 'worker failed')."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        job.futures = [pool.submit(ocr._ocr_job, j) for j in job.jobs]
    except BrokenProcessPool:
        pool.shutdown(cancel_futures=True)
        pool = _page_pool(workers)
        job.futures = [pool.submit(ocr._ocr_job, j) for j in job.jobs]
    return pool


def _start(session: Session, storage, f: File, *, lang: str, timeout: int,
           min_conf: float, force: bool = False) -> _Job | None:
    """Skip an unchanged file (unless ``force``), or download its pages and prepare the
    page jobs."""
    agency = session.get(Agency, f.agency_id)
    pages = list(session.scalars(select(Page).where(Page.file_id == f.id,
                                                    Page.qc_verdict != "reject")
                                 .order_by(Page.page_no)))
    metadata = file_metadata(f, agency)
    in_hash = ocr_input_hash(pages, lang, metadata, min_conf)
    key = pdf_key(agency.code, f.file_code or f"{agency.code}-{f.id}")
    unchanged = f.ocr_input_hash == in_hash and f.pdf_key == key and storage.exists(key)
    if unchanged and not force:
        events.set_status(session, f, "status", "ocr_done", phase="ocr", action="ocr_reused")
        return None
    if unchanged:
        events.record_forced(session, entity="files", entity_id=f.id, phase="ocr",
                             agency_id=f.agency_id, details={"ocr_input_hash": in_hash})
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-ocr-"))
    paths, hints = [], {}
    for i, p in enumerate(pages, start=1):
        local = tmp / f"{p.page_no:05d}{Path(p.image_key).suffix}"
        try:
            storage.download(p.image_key, local)
        except Exception as exc:  # noqa: BLE001 - the page gets a decode error, not the file
            log.warning("page image %s not readable: %s", p.image_key, exc)
        paths.append(local)
        # QC's orientation is the content's counter-clockwise turn, which is exactly
        # the clockwise turn OCR applies to set it upright; QC's skew (counter-clockwise
        # tilt of the lines) negated is the deskew angle, so OCR measures neither again.
        skew = (p.qc_metrics or {}).get("skew_deg")
        hints[i] = {"rotate": _orientation(p), "dpi": int(p.dpi) if p.dpi else None,
                    "deskew_deg": -float(skew) if skew is not None else None}
    jobs = ocr.page_jobs(paths, lang=lang, hints=hints, timeout=timeout, min_conf=min_conf)
    return _Job(f.id, [p.id for p in pages], key, in_hash, metadata, tmp, jobs,
                forced=unchanged)


def _finish(session: Session, storage, job: _Job, pooled: bool) -> dict:
    """Collect a file's page results, store its PDF/A, then update the rows."""
    if pooled:
        results = [ocr.job_result(fut, j[1]) for j, fut in zip(job.jobs, job.futures)]
    else:
        results = [ocr._ocr_job(j) for j in job.jobs]
    f = session.get(File, job.file_id)
    pages = [session.get(Page, pid) for pid in job.page_ids]
    if not results:
        raise ValueError("hồ sơ không có trang nào được chấp nhận để nhận dạng")
    # the object first: if this fails or the process dies, no row says "done"
    data = ocr.build_document(results, job.metadata)
    sha = storage.put_bytes(job.key, data, content_type="application/pdf")
    counts = {"pages": len(results), "page_errors": 0, "low_confidence": 0}
    for p, r in zip(pages, results):
        before = {"ocr": "done" if p.ocr_text is not None else ("error" if p.ocr_error else None),
                  "low_confidence": bool(p.ocr_low_confidence)}
        p.ocr_text = r.text if r.ok else None
        p.ocr_confidence = r.mean_conf
        p.ocr_low_confidence = r.low_confidence if r.ok else None
        p.ocr_error = r.error
        p.ocr_lines = r.lines if r.ok else None
        p.ocr_corrections = r.corrections if r.ok else None
        p.ocr_review_reason = ocr.error_reason_vi(r.error) if r.error else r.review_reason
        counts["page_errors"] += 0 if r.ok else 1
        counts["low_confidence"] += 1 if (r.ok and r.low_confidence) else 0
        events.record(session, entity="pages", entity_id=p.id, phase="ocr",
                      action="ocr_failed" if r.error else "recognised", agency_id=f.agency_id,
                      before=before, after={"ocr": "error" if r.error else "done",
                                            "low_confidence": bool(r.ok and r.low_confidence)},
                      details={"confidence": r.mean_conf, "rotation": r.rotation,
                               "deskew_deg": r.deskew_deg, "error": r.error,
                               "review": p.ocr_review_reason, "seconds": r.seconds,
                               "corrections": len(r.corrections or [])})
    before = {"pdf_sha256": f.pdf_sha256}
    # a transient failure (timeout, crashed worker or tesseract) leaves no input hash, so
    # the next run tries the file again; an undecodable image stays as it is until rescanned
    transient = any(r.error and not r.error.startswith("decode") for r in results)
    counts["retry_files"] = int(transient)
    f.pdf_key, f.pdf_sha256 = job.key, sha
    f.ocr_input_hash = None if transient else job.in_hash
    events.record(session, entity="files", entity_id=f.id, phase="ocr", action="pdf_stored",
                  agency_id=f.agency_id, before=before, after={"pdf_sha256": sha},
                  details={"key": job.key, "bytes": len(data), **counts})
    events.set_status(session, f, "status", "ocr_done", phase="ocr", action="ocr_done")
    return counts
