"""Scan deliveries + QC, per file: store the originals, measure every page, run the rescan loop.

Delivery layout (``SOHOA_DELIVERY_DIR``), one hồ sơ per entry:

* ``<AGENCY>/<safe notation>/`` — a folder of page images (JPEG, PNG, TIFF incl.
  multi-page and Group 4, JPEG 2000) and/or PDFs, in page order by file name
  (natural order: ``2.jpg`` before ``10.jpg``); a multi-page TIFF or PDF gives its
  pages in place;
* ``<AGENCY>/<safe notation>.pdf`` — one PDF straight from the scanner.

The scanning station (máy quét / trạm quét) and operator come from a ``manifest.json``
in the file's folder, else in the agency folder: ``{"station": "MQ-02", "operator":
"Nguyễn Văn An"}``; without one, the ``station`` argument (None → "chưa rõ").

Originals are stored content-addressed and never modified. A page inside a PDF or a
multi-page TIFF is also stored alone (``Page.image_key``; the container is
``source_key``/``source_page``) so OCR reads every page the same way. A ``fixable`` page
gets a derivative (upright, deskewed) at ``Page.derivative_key``.

Rescan loop: a rejected (or missing) page opens a ``RescanRequest`` for the agency and
the station with Vietnamese reasons; the team replaces that page file in the folder
(same name) and the next run checks the changed delivery again: pages that now pass
close their request (``closed_delivery_id``). Every step is an event. The same delivery
checked twice changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core import events

from sohoa.scan import qc

from sohoa.scan import inputs as scan_input
from sohoa.core.db.models import Agency, File, Page, RescanRequest, ScanDelivery
from sohoa.core.naming import safe_name
from sohoa.core.progress import Progress
from sohoa.scan.thresholds import Thresholds
from sohoa.core.selection import select_files
from sohoa.core.storage import sha256_bytes, sha256_file

log = logging.getLogger(__name__)

READY_STATUSES = ("arranged", "scanned", "qc_rejected")
MANIFEST = "manifest.json"
UNKNOWN_STATION = "chưa rõ"
MISSING_PAGE_REASON = "Trang chưa được quét (thiếu so với danh mục), cần quét bổ sung"


def delivery_folder(delivery_dir: Path, agency_code: str, notation: str) -> Path:
    return Path(delivery_dir) / agency_code / safe_name(notation)


def _natural_key(p: Path) -> list:
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", p.name)]


def delivered_images(folder: Path) -> list[Path]:
    """Page files of one hồ sơ: the folder's images/PDFs, or ``<folder>.pdf``."""
    folder = Path(folder)
    if folder.is_dir():
        return sorted((p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in scan_input.SUFFIXES),
                      key=_natural_key)
    for suffix in (".pdf", ".PDF"):
        single = folder.with_name(folder.name + suffix)
        if single.is_file():
            return [single]
    return []


def read_manifest(folder: Path) -> dict:
    """Station/operator of a delivery: manifest.json in the file's folder or the agency's."""
    folder = Path(folder)
    for candidate in (folder / MANIFEST, folder.parent / MANIFEST):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable %s: %s", candidate, exc)
                continue
            if isinstance(data, dict):
                return {k: str(data[k]).strip()[:limit] for k, limit in
                        (("station", 50), ("operator", 100)) if data.get(k)}
    return {}


def scan_qc(session: Session, storage, delivery_dir: Path, *, agency: str | None = None,
            file_ref: str | None = None, station: str | None = None,
            thresholds: Thresholds | None = None, force: bool = False) -> dict:
    """``force``: deliveries already checked are checked again (files that passed QC
    included, never a file OCR already took), one ``forced_rerun`` event per file."""
    t = thresholds or Thresholds.from_env()
    files = select_files(session, agency=agency, file_ref=file_ref,
                         statuses=READY_STATUSES + (("qc_passed",) if force else ()))
    codes = {a.id: a.code for a in session.scalars(select(Agency))}
    summary = {"files": 0, "unchanged": 0, "awaiting_delivery": 0, "pages": 0,
               "pass": 0, "fixable": 0, "reject": 0, "derivatives": 0,
               "rescans_opened": 0, "rescans_closed": 0, "rejected_files": 0, "forced": 0,
               "file_ids": []}
    # a live line on a terminal, a log line per file in the task log (core.progress)
    with Progress("Kiểm tra ảnh", len(files), unit="hồ sơ", log=log) as progress:
        for f in files:
            name = f"{codes[f.agency_id]}/{f.notation}"
            folder = delivery_folder(delivery_dir, codes[f.agency_id], f.notation)
            sources = delivered_images(folder)
            if not sources:
                summary["awaiting_delivery"] += 1
                progress.advance(item=f"{name}: chưa giao ảnh")
                continue
            info = read_manifest(folder)
            outcome = check_delivery(session, storage, f, codes[f.agency_id], sources,
                                     info.get("station") or station, thresholds=t,
                                     operator=info.get("operator"), force=force)
            if outcome is None:
                summary["unchanged"] += 1
                progress.advance(item=f"{name}: không đổi")
                continue
            summary["files"] += 1
            summary["forced"] += outcome.get("forced", 0)
            summary["rejected_files"] += f.status == "qc_rejected"
            summary["file_ids"].append(f.id)
            for k in ("pages", "pass", "fixable", "reject", "derivatives", "rescans_opened",
                      "rescans_closed"):
                summary[k] += outcome[k]
            progress.advance(item=f"{name}: {outcome['pages']} trang (đạt {outcome['pass']}, "
                                  f"sửa được {outcome['fixable']}, loại {outcome['reject']})")
    return summary


def _scan_key(agency_code: str, f: File, sha: str, suffix: str) -> str:
    return f"scans/{agency_code}/{safe_name(f.notation)}/{sha[:16]}{suffix.lower()}"


def check_delivery(session: Session, storage, f: File, agency_code: str, images: list[Path],
                   station: str | None, *, thresholds: Thresholds | None = None,
                   operator: str | None = None, force: bool = False) -> dict | None:
    t = thresholds or Thresholds.from_env()
    hashes = [sha256_file(p) for p in images]
    manifest = hashlib.sha256("\n".join(f"{qc.display_name(p.name)}:{h}"
                                        for p, h in zip(images, hashes)).encode()).hexdigest()
    delivery = session.scalar(select(ScanDelivery).where(ScanDelivery.file_id == f.id,
                                                         ScanDelivery.manifest_sha256 == manifest))
    forced = delivery is not None and f.status != "scanned"
    if forced and not force:
        return None  # this exact delivery was already checked
    if forced:
        events.record_forced(session, entity="files", entity_id=f.id, phase="scan_qc",
                             agency_id=f.agency_id, details={"delivery_id": delivery.id})
    if delivery is None:
        delivery = ScanDelivery(file_id=f.id, source=qc.display_name(images[0].parent),
                                station=station, operator=operator,
                                manifest_sha256=manifest, page_count=len(images))
        session.add(delivery)
        session.flush()
        events.record(session, entity="scan_deliveries", entity_id=delivery.id, phase="scan_qc",
                      action="delivered", agency_id=f.agency_id,
                      details={"file_id": f.id, "files": len(images), "manifest": manifest,
                               "station": station, "operator": operator})
    station = delivery.station
    events.set_status(session, f, "status", "scanned", phase="scan_qc", action="delivered")

    src_keys = []
    for p, h in zip(images, hashes):
        key = _scan_key(agency_code, f, h, p.suffix)
        if not storage.exists(key):
            storage.put_file(key, p)
        src_keys.append(key)
    containers = [scan_input.is_container(p) for p in images]

    indexed = [(i, c) for i, p in enumerate(images) for c in qc.check_path(p, t)]
    checks = [c for _, c in indexed]
    qc.mark_duplicates(checks, t)  # within the whole hồ sơ, across its files
    existing = {pg.page_no: pg for pg in session.scalars(select(Page).where(Page.file_id == f.id))}
    counts = {"pages": len(checks), "pass": 0, "fixable": 0, "reject": 0, "derivatives": 0,
              "rescans_opened": 0, "rescans_closed": 0}
    for page_no, (i, chk) in enumerate(indexed, start=1):
        src = images[i]
        image_key, sha, data = src_keys[i], hashes[i], None
        if containers[i]:
            try:
                data, suffix = scan_input.extract_page(src, chk.page, t)
                sha = sha256_bytes(data)
                image_key = _scan_key(agency_code, f, sha, suffix)
                if not storage.exists(image_key):
                    storage.put_bytes(image_key, data)
            except Exception as exc:  # noqa: BLE001 - recorded on the page, batch goes on
                data = None
                if chk.verdict != "reject":
                    chk = qc.corrupt_page(chk.source, chk.page, f"page cannot be extracted: {exc}")
        pg = existing.get(page_no)
        if pg is None:
            pg = Page(file_id=f.id, page_no=page_no, image_key=image_key, sha256=sha)
            session.add(pg)
        # the page's QC state before this check, whole (reports rebuild past days from it)
        before = ({"verdict": pg.qc_verdict, "sha256": pg.sha256,
                   "defects": list(pg.qc_defects or [])} if pg.qc_verdict else None)
        # an archivist accepted this very image as it is (description review): it stays accepted
        override = (pg.qc_metrics or {}).get("override")
        if override and override.get("sha256") == sha and chk.verdict == "reject":
            chk = dataclasses.replace(chk, verdict="pass")
        else:
            override = None
        m = chk.metrics or {}
        pg.delivery_id, pg.image_key, pg.sha256 = delivery.id, image_key, sha
        pg.source_name = qc.display_name(src.name)[:500]
        pg.source_key = src_keys[i] if containers[i] else None
        pg.source_page = chk.page if containers[i] else None
        pg.size_bytes = len(data) if data is not None else src.stat().st_size
        pg.width_px, pg.height_px = m.get("width_px"), m.get("height_px")
        pg.dpi = m.get("dpi_x")
        pg.qc_verdict, pg.qc_defects = chk.verdict, list(chk.defects)
        pg.qc_metrics = {**_plain(m), "fix": _plain(chk.fix or {})}
        if override:
            pg.qc_metrics["override"] = override
        pg.qc_reasons, pg.qc_error = list(chk.reasons_vi), chk.error
        session.flush()
        counts[chk.verdict] += 1
        after = {"verdict": chk.verdict, "sha256": pg.sha256, "defects": list(chk.defects)}
        if before != after:
            events.record(session, entity="pages", entity_id=pg.id, phase="scan_qc",
                          action="checked", agency_id=f.agency_id, before=before, after=after)
        if _sync_derivative(session, storage, f, agency_code, pg, chk, src, data):
            counts["derivatives"] += 1
        opened, closed = _sync_rescan(session, f, page_no,
                                      chk.reasons_vi if chk.verdict == "reject" else None,
                                      station, chk.defects, delivery.id)
        counts["rescans_opened"] += opened
        counts["rescans_closed"] += closed

    # a re-delivery with fewer pages: the pages that are gone are no longer part of the file
    for page_no, pg in sorted(existing.items()):
        if page_no > len(checks):
            events.record(session, entity="pages", entity_id=pg.id, phase="scan_qc",
                          action="page_removed", agency_id=f.agency_id,
                          before={"verdict": pg.qc_verdict, "sha256": pg.sha256,
                                  "defects": list(pg.qc_defects or []),
                                  "ocr": "done" if pg.ocr_text is not None else None,
                                  "low_confidence": bool(pg.ocr_low_confidence)}, after=None)
            session.delete(pg)

    issues = []
    listed = f.page_count
    if listed and len(checks) < listed:
        missing = listed - len(checks)
        issues.append(f"Thiếu {missing} trang so với danh mục ({len(checks)}/{listed})")
        for page_no in range(len(checks) + 1, listed + 1):
            o, _ = _sync_rescan(session, f, page_no, [MISSING_PAGE_REASON], station,
                                ["missing"], delivery.id)
            counts["rescans_opened"] += o
    elif listed and len(checks) > listed:
        issues.append(f"Thừa {len(checks) - listed} trang so với danh mục "
                      f"({len(checks)}/{listed}), cần kiểm tra lại danh mục")
    # requests for pages beyond a (now complete, shorter) list are settled too
    for req in session.scalars(select(RescanRequest).where(
            RescanRequest.file_id == f.id, RescanRequest.status == "open",
            RescanRequest.page_no > max(len(checks), listed or 0))):
        _close(session, f, req, delivery.id)
        counts["rescans_closed"] += 1
    f.qc_issues = issues or None
    blocked = counts["reject"] > 0 or bool(listed and len(checks) < listed)
    events.set_status(session, f, "status", "qc_rejected" if blocked else "qc_passed",
                      phase="scan_qc", action="qc_done",
                      details={k: counts[k] for k in ("pages", "pass", "fixable", "reject")}
                      | {"issues": issues, "delivery_id": delivery.id})
    counts["forced"] = int(forced)
    return counts


def _sync_derivative(session: Session, storage, f: File, agency_code: str, pg: Page,
                     chk: qc.PageCheck, src: Path, data: bytes | None) -> bool:
    """Store the auto-fixed copy of a fixable page; drop the reference otherwise."""
    fix = chk.fix or {}
    if chk.verdict != "fixable" or not (fix.get("rotate") or fix.get("deskew_deg")):
        if pg.derivative_key is not None:
            pg.derivative_key = pg.derivative_sha256 = None
        return False
    tag = hashlib.sha256(json.dumps({k: fix.get(k) for k in ("rotate", "deskew_deg")},
                                    sort_keys=True).encode()).hexdigest()[:8]
    try:
        made = qc.make_derivative(data if data is not None else src.read_bytes(), fix)
    except Exception as exc:  # noqa: BLE001 - OCR still straightens the original itself
        log.warning("derivative of %s page %s failed: %s", src, chk.page, exc)
        made = None
    if made is None:
        return False
    blob, suffix = made
    key = f"derivatives/{agency_code}/{safe_name(f.notation)}/{pg.sha256[:16]}-{tag}{suffix}"
    if pg.derivative_key == key and storage.exists(key):
        return False
    sha = storage.put_bytes(key, blob)
    pg.derivative_key, pg.derivative_sha256 = key, sha
    events.record(session, entity="pages", entity_id=pg.id, phase="scan_qc",
                  action="derivative_stored", agency_id=f.agency_id,
                  after={"derivative_key": key, "derivative_sha256": sha},
                  details={"fix": _plain(fix), "original_sha256": pg.sha256})
    return True


def _close(session: Session, f: File, req: RescanRequest, delivery_id: int | None) -> None:
    req.status, req.closed_at = "closed", datetime.now(timezone.utc)
    req.closed_delivery_id = delivery_id
    events.record(session, entity="rescan_requests", entity_id=req.id, phase="scan_qc",
                  action="rescan_closed", agency_id=f.agency_id,
                  before={"status": "open"}, after={"status": "closed"},
                  details={"page_no": req.page_no, "delivery_id": delivery_id})


def _sync_rescan(session: Session, f: File, page_no: int, reasons: list[str] | None,
                 station: str | None, defects: list[str], delivery_id: int) -> tuple[int, int]:
    """Open a rescan request for a rejected page, close it once the page passes.

    Returns (opened, closed)."""
    open_req = session.scalar(select(RescanRequest).where(
        RescanRequest.file_id == f.id, RescanRequest.page_no == page_no,
        RescanRequest.status == "open"))
    if reasons and open_req is None:
        req = RescanRequest(agency_id=f.agency_id, file_id=f.id, page_no=page_no,
                            station=station, reasons=reasons, defects=list(defects),
                            delivery_id=delivery_id)
        session.add(req)
        session.flush()
        events.record(session, entity="rescan_requests", entity_id=req.id, phase="scan_qc",
                      action="rescan_opened", agency_id=f.agency_id,
                      after={"status": "open", "page_no": page_no},
                      details={"reasons": reasons, "defects": list(defects), "station": station})
        return 1, 0
    if reasons and open_req is not None and list(open_req.reasons or []) != list(reasons):
        before = {"reasons": open_req.reasons, "defects": open_req.defects}
        open_req.reasons, open_req.defects = list(reasons), list(defects)
        open_req.delivery_id = delivery_id
        events.record(session, entity="rescan_requests", entity_id=open_req.id, phase="scan_qc",
                      action="rescan_still_rejected", agency_id=f.agency_id, before=before,
                      after={"reasons": reasons, "defects": list(defects)})
    elif not reasons and open_req is not None:
        _close(session, f, open_req, delivery_id)
        return 0, 1
    return 0, 0


# --------------------------------------------------------------------------- rescan queue


def rescan_queue(session: Session, *, agency: str | None = None, station: str | None = None,
                 status: str = "open") -> list[dict]:
    """The rescan queue, per agency and station: what to rescan and why (Vietnamese)."""
    q = (select(RescanRequest, File, Agency)
         .join(File, RescanRequest.file_id == File.id)
         .join(Agency, RescanRequest.agency_id == Agency.id)
         .where(RescanRequest.status == status))
    if agency:
        q = q.where(Agency.code == agency.upper())
    if station:
        q = q.where(RescanRequest.station == station)
    rows = []
    for req, f, a in session.execute(q):
        pg = session.scalar(select(Page).where(Page.file_id == f.id, Page.page_no == req.page_no))
        rows.append({
            "agency": a.code, "station": req.station or UNKNOWN_STATION,
            "file_code": f.file_code, "notation": f.notation, "title": f.title,
            "page": req.page_no, "source_name": pg.source_name if pg else None,
            "source_page": pg.source_page if pg else None,
            "defects": list(req.defects or []), "reasons": list(req.reasons or []),
            "opened_at": req.opened_at.isoformat() if req.opened_at else None,
            "request_id": req.id,
        })
    rows.sort(key=lambda r: (r["agency"], r["station"], r["file_code"] or r["notation"], r["page"]))
    return rows


def format_queue(rows: list[dict]) -> str:
    """The queue as a sheet a scanner operator reads, grouped by agency and station."""
    if not rows:
        return "Không có trang nào chờ quét lại.\n"
    out, group = [], None
    for r in rows:
        if (r["agency"], r["station"]) != group:
            group = (r["agency"], r["station"])
            n = sum(1 for x in rows if (x["agency"], x["station"]) == group)
            out.append(f"\n== Cơ quan {r['agency']} — máy quét {r['station']}: {n} trang cần quét lại ==")
        where = r["source_name"] or "(chưa có tệp)"
        if r["source_page"]:
            where += f", trang {r['source_page']} trong tệp"
        out.append(f"- Hồ sơ {r['file_code'] or r['notation']}, trang {r['page']} ({where}):")
        out.extend(f"    • {reason}" for reason in r["reasons"])
    return "\n".join(out).lstrip("\n") + "\n"


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
