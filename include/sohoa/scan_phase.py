"""Scan deliveries + QC, per file: store the originals, measure every page, open rescans.

A delivery is the folder <delivery_dir>/<AGENCY>/<safe notation>/ of page images, in
page order by file name. Originals are stored content-addressed (never overwritten);
the same delivery checked twice changes nothing; a re-delivery closes the rescan
requests of pages that now pass.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa import events, qc
from sohoa.db.models import Agency, File, Page, RescanRequest, ScanDelivery
from sohoa.naming import IMAGE_SUFFIXES, safe_name
from sohoa.selection import select_files
from sohoa.storage import sha256_file

log = logging.getLogger(__name__)

READY_STATUSES = ("arranged", "scanned", "qc_rejected")


def delivery_folder(delivery_dir: Path, agency_code: str, notation: str) -> Path:
    return Path(delivery_dir) / agency_code / safe_name(notation)


def delivered_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def scan_qc(session: Session, storage, delivery_dir: Path, *, agency: str | None = None,
            file_ref: str | None = None, station: str | None = None) -> dict:
    files = select_files(session, agency=agency, file_ref=file_ref, statuses=READY_STATUSES)
    codes = {a.id: a.code for a in session.scalars(select(Agency))}
    summary = {"files": 0, "unchanged": 0, "awaiting_delivery": 0, "pages": 0,
               "pass": 0, "fixable": 0, "reject": 0, "file_ids": []}
    for f in files:
        images = delivered_images(delivery_folder(delivery_dir, codes[f.agency_id], f.notation))
        if not images:
            summary["awaiting_delivery"] += 1
            continue
        outcome = check_delivery(session, storage, f, codes[f.agency_id], images, station)
        if outcome is None:
            summary["unchanged"] += 1
            continue
        summary["files"] += 1
        summary["file_ids"].append(f.id)
        for k in ("pages", "pass", "fixable", "reject"):
            summary[k] += outcome[k]
    return summary


def check_delivery(session: Session, storage, f: File, agency_code: str, images: list[Path],
                   station: str | None) -> dict | None:
    hashes = [sha256_file(p) for p in images]
    manifest = hashlib.sha256("\n".join(f"{p.name}:{h}" for p, h in zip(images, hashes))
                              .encode()).hexdigest()
    delivery = session.scalar(select(ScanDelivery).where(ScanDelivery.file_id == f.id,
                                                         ScanDelivery.manifest_sha256 == manifest))
    if delivery is not None and f.status != "scanned":
        return None  # this exact delivery was already checked
    if delivery is None:
        delivery = ScanDelivery(file_id=f.id, source=str(images[0].parent), station=station,
                                manifest_sha256=manifest, page_count=len(images))
        session.add(delivery)
        session.flush()
        events.record(session, entity="scan_deliveries", entity_id=delivery.id, phase="scan_qc",
                      action="delivered", agency_id=f.agency_id,
                      details={"file_id": f.id, "pages": len(images), "manifest": manifest})
    events.set_status(session, f, "status", "scanned", phase="scan_qc", action="delivered")

    keys = []
    for p, h in zip(images, hashes):
        key = f"scans/{agency_code}/{safe_name(f.notation)}/{h[:16]}{p.suffix.lower()}"
        if not storage.exists(key):
            storage.put_file(key, p)
        keys.append(key)

    checks = qc.check_file_pages(images)
    existing = {pg.page_no: pg for pg in session.scalars(select(Page).where(Page.file_id == f.id))}
    counts = {"pages": len(checks), "pass": 0, "fixable": 0, "reject": 0}
    # check_file_pages yields pages in input order; a multi-page TIFF yields several.
    src_index = {str(p): i for i, p in enumerate(images)}
    for page_no, chk in enumerate(checks, start=1):
        i = src_index.get(str(chk.source), min(page_no, len(images)) - 1)
        pg = existing.get(page_no)
        if pg is None:
            pg = Page(file_id=f.id, page_no=page_no, image_key=keys[i], sha256=hashes[i])
            session.add(pg)
        before = {"verdict": pg.qc_verdict, "sha256": pg.sha256} if pg.qc_verdict else None
        m = chk.metrics or {}
        pg.delivery_id, pg.image_key, pg.sha256 = delivery.id, keys[i], hashes[i]
        pg.source_name = images[i].name
        pg.size_bytes = images[i].stat().st_size
        pg.width_px, pg.height_px = m.get("width_px"), m.get("height_px")
        pg.dpi = m.get("dpi_x")
        pg.qc_verdict, pg.qc_defects = chk.verdict, list(chk.defects)
        pg.qc_metrics = {**_plain(m), "fix": _plain(chk.fix or {})}
        pg.qc_reasons, pg.qc_error = list(chk.reasons_vi), chk.error
        session.flush()
        counts[chk.verdict] += 1
        after = {"verdict": chk.verdict, "sha256": pg.sha256, "defects": list(chk.defects)}
        if before != {k: after[k] for k in ("verdict", "sha256")}:
            events.record(session, entity="pages", entity_id=pg.id, phase="scan_qc",
                          action="checked", agency_id=f.agency_id, before=before, after=after)
        _sync_rescan(session, f, page_no, chk.reasons_vi if chk.verdict == "reject" else None,
                     station)

    issues = []
    if f.page_count and len(checks) < f.page_count:
        missing = f.page_count - len(checks)
        issues.append(f"Thiếu {missing} trang so với danh mục ({len(checks)}/{f.page_count})")
        for page_no in range(len(checks) + 1, f.page_count + 1):
            _sync_rescan(session, f, page_no, ["Trang chưa được quét (thiếu so với danh mục)"],
                         station)
    elif f.page_count and len(checks) > f.page_count:
        issues.append(f"Thừa {len(checks) - f.page_count} trang so với danh mục "
                      f"({len(checks)}/{f.page_count}), cần kiểm tra lại danh mục")
    f.qc_issues = issues or None
    blocked = counts["reject"] > 0 or (f.page_count and len(checks) < f.page_count)
    events.set_status(session, f, "status", "qc_rejected" if blocked else "qc_passed",
                      phase="scan_qc", action="qc_done",
                      details={**counts, "issues": issues})
    return counts


def _sync_rescan(session: Session, f: File, page_no: int, reasons: list[str] | None,
                 station: str | None) -> None:
    """Open a rescan request for a rejected page, close it once the page passes."""
    open_req = session.scalar(select(RescanRequest).where(
        RescanRequest.file_id == f.id, RescanRequest.page_no == page_no,
        RescanRequest.status == "open"))
    if reasons and open_req is None:
        req = RescanRequest(agency_id=f.agency_id, file_id=f.id, page_no=page_no,
                            station=station, reasons=reasons)
        session.add(req)
        session.flush()
        events.record(session, entity="rescan_requests", entity_id=req.id, phase="scan_qc",
                      action="rescan_opened", agency_id=f.agency_id,
                      after={"status": "open", "page_no": page_no}, details={"reasons": reasons})
    elif not reasons and open_req is not None:
        open_req.status, open_req.closed_at = "closed", datetime.now(timezone.utc)
        events.record(session, entity="rescan_requests", entity_id=open_req.id, phase="scan_qc",
                      action="rescan_closed", agency_id=f.agency_id,
                      before={"status": "open"}, after={"status": "closed"})


def _plain(d: dict) -> dict:
    """JSON-safe copy (numpy scalars → Python)."""
    out = {}
    for k, v in d.items():
        if hasattr(v, "item"):
            v = v.item()
        elif isinstance(v, (tuple, list)):
            v = [x.item() if hasattr(x, "item") else x for x in v]
        out[k] = v
    return out
