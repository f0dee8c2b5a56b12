"""Fixity audit: re-hash every stored object and compare it with the database.

Objects and where their recorded SHA-256 comes from (:data:`SOURCES`, in audit order):
page originals, delivered containers and QC derivatives (``pages``), file PDF/As
(``files``), document PDFs when description stores them (``documents``), AIPs (``aips``),
inventory lists and their error workbooks (``submissions``), weekly reports (``reports``,
checksums from their ``generated`` events). An object the database keeps no checksum for
gets a baseline the first time the audit sees it (``fixity_baselines``).

The audit walks each source by id in bounded batches (``SOHOA_FIXITY_BATCH`` objects);
objects are read by ``SOHOA_FIXITY_THREADS`` threads (default 4); each batch is one
transaction that moves the run's cursor, so a crashed or interrupted
audit resumes where it stopped (same scope → same run). Per batch it writes one
``fixity_check`` event listing the objects checked; per bad copy a finding and an event on
the object's entity (``fixity_repaired`` / ``fixity_unrepaired`` / ``fixity_loss``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sohoa.core import events
from sohoa.core.db.models import (
    Agency,
    Aip,
    Document,
    Event,
    File,
    FixityBaseline,
    FixityFinding,
    FixityRun,
    InventorySubmission,
    Page,
    ReportRun,
)
from sohoa.core.db.session import session_scope
from sohoa.core.selection import select_files
from sohoa.core.storage import Storage
from sohoa.preservation.replica import check_and_repair, copies, read_sha

log = logging.getLogger(__name__)

SOURCES = ("pages", "files", "documents", "aips", "submissions", "reports")
DEFAULT_BATCH = 200
DEFAULT_THREADS = 4
PROGRAMME = "CHUNG"  # the DAG's label for programme-wide objects (weekly reports)
_HEX16 = re.compile(r"^[0-9a-f]{16}$")

PROBLEM_VI = {"missing": "thiếu", "mismatch": "sai mã kiểm tra"}
OUTCOME_VI = {"repaired": "đã sửa từ bản còn tốt", "unrepaired": "chưa sửa được",
              "lost": "MẤT (cả hai bản đều hỏng)"}
COPY_VI = {"primary": "bản chính", "replica": "bản sao thứ hai"}


def batch_size() -> int:
    return max(1, int(os.environ.get("SOHOA_FIXITY_BATCH", DEFAULT_BATCH)))


@dataclass(frozen=True)
class Expected:
    key: str
    sha256: str | None
    kind: str
    agency_id: int | None
    file_id: int | None
    entity: str
    entity_id: int | None


@dataclass(frozen=True)
class Scope:
    """Which objects: everything, one agency's, one file's, or the programme's reports."""

    name: str
    agency_id: int | None = None
    file_id: int | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        if self.name == "programme":
            return ("reports",)
        if self.file_id is not None:
            return ("pages", "files", "documents", "aips")
        if self.agency_id is not None:
            return SOURCES[:-1]
        return SOURCES


def resolve_scope(session: Session, agency: str | None = None,
                  file_ref: str | None = None) -> Scope:
    if agency and agency.strip().upper() == PROGRAMME:
        return Scope("programme")
    if file_ref:
        found = select_files(session, agency=agency, file_ref=file_ref)
        if not found:
            raise ValueError(f"không tìm thấy hồ sơ {file_ref!r}")
        f = found[0]
        return Scope(f"file:{f.file_code or f.id}", agency_id=f.agency_id, file_id=f.id)
    if agency:
        a = session.scalars(select(Agency).where(Agency.code == agency.strip().upper())).first()
        if a is None:
            raise ValueError(f"không có cơ quan mã {agency!r}")
        return Scope(f"agency:{a.code}", agency_id=a.id)
    return Scope("all")


def agencies_with_objects(session: Session, agency: str | None = None) -> list[str]:
    """Agency codes that have files or inventory lists, plus PROGRAMME (the reports)."""
    if agency:
        return [agency.strip().upper()]
    ids = select(File.agency_id).union(select(InventorySubmission.agency_id))
    codes = list(session.scalars(select(Agency.code).where(Agency.id.in_(ids))
                                 .order_by(Agency.code)))
    return codes + [PROGRAMME]


# --------------------------------------------------------------------------- sources


def _rows(session: Session, source: str, scope: Scope, after: int, limit: int
          ) -> list[tuple[int, list[Expected]]]:
    """(row id, objects) for up to ``limit`` rows of ``source`` with id > ``after``."""
    out: list[tuple[int, list[Expected]]] = []
    if source == "pages":
        q = (select(Page.id, Page.file_id, File.agency_id, Page.image_key, Page.sha256,
                    Page.source_key, Page.derivative_key, Page.derivative_sha256)
             .join(File, File.id == Page.file_id))
        q = _scoped(q, scope, File.agency_id, Page.file_id).where(Page.id > after)
        seen: set[str] = set()
        for pid, fid, aid, key, sha, src, dkey, dsha in session.execute(
                q.order_by(Page.id).limit(limit)):
            objs = []
            if src:
                if src not in seen:
                    seen.add(src)
                    objs.append(Expected(src, None, "container", aid, fid, "pages", pid))
                if key and key != src:
                    objs.append(Expected(key, sha, "original", aid, fid, "pages", pid))
            elif key:
                objs.append(Expected(key, sha, "original", aid, fid, "pages", pid))
            if dkey:
                objs.append(Expected(dkey, dsha, "derivative", aid, fid, "pages", pid))
            out.append((pid, objs))
    elif source == "files":
        q = select(File.id, File.agency_id, File.pdf_key, File.pdf_sha256)
        q = _scoped(q, scope, File.agency_id, File.id).where(File.id > after)
        for fid, aid, key, sha in session.execute(q.order_by(File.id).limit(limit)):
            out.append((fid, [Expected(key, sha, "pdf", aid, fid, "files", fid)] if key else []))
    elif source == "documents":
        if not hasattr(Document, "pdf_key"):  # description (issue 13b) may add them
            return []
        sha_col = getattr(Document, "pdf_sha256", None)
        q = (select(Document.id, Document.file_id, File.agency_id, Document.pdf_key,
                    sha_col if sha_col is not None else Document.pdf_key)
             .join(File, File.id == Document.file_id))
        q = _scoped(q, scope, File.agency_id, Document.file_id).where(Document.id > after)
        for did, fid, aid, key, sha in session.execute(q.order_by(Document.id).limit(limit)):
            sha = sha if sha_col is not None else None
            out.append((did, [Expected(key, sha, "document_pdf", aid, fid, "documents", did)]
                        if key else []))
    elif source == "aips":
        q = select(Aip.id, Aip.file_id, Aip.agency_id, Aip.object_key, Aip.sha256)
        q = _scoped(q, scope, Aip.agency_id, Aip.file_id).where(Aip.id > after)
        for aid_, fid, aid, key, sha in session.execute(q.order_by(Aip.id).limit(limit)):
            out.append((aid_, [Expected(key, sha, "aip", aid, fid, "files", fid)]))
    elif source == "submissions":
        q = select(InventorySubmission.id, InventorySubmission.agency_id,
                   InventorySubmission.object_key, InventorySubmission.sha256,
                   InventorySubmission.error_report_key)
        if scope.agency_id is not None:
            q = q.where(InventorySubmission.agency_id == scope.agency_id)
        q = q.where(InventorySubmission.id > after)
        for sid, aid, key, sha, err in session.execute(
                q.order_by(InventorySubmission.id).limit(limit)):
            objs = [Expected(key, sha, "inventory", aid, None, "inventory_submissions", sid)]
            if err:
                objs.append(Expected(err, None, "inventory_errors", aid, None,
                                     "inventory_submissions", sid))
            out.append((sid, objs))
    elif source == "reports":
        runs = list(session.execute(select(ReportRun.id, ReportRun.xlsx_key, ReportRun.html_key)
                                    .where(ReportRun.id > after).order_by(ReportRun.id)
                                    .limit(limit)))
        shas = _report_shas(session, [r[0] for r in runs])
        for rid, xkey, hkey in runs:
            got = shas.get(rid, {})
            out.append((rid, [
                Expected(xkey, got.get("xlsx_sha256"), "report", None, None, "report_runs", rid),
                Expected(hkey, got.get("html_sha256"), "report", None, None, "report_runs", rid),
            ]))
    return out


def _scoped(q, scope: Scope, agency_col, file_col):
    if scope.file_id is not None:
        return q.where(file_col == scope.file_id)
    if scope.agency_id is not None:
        return q.where(agency_col == scope.agency_id)
    return q


def _report_shas(session: Session, run_ids: list[int]) -> dict[int, dict]:
    """The checksums of each report run's latest generation (its reruns overwrite keys)."""
    if not run_ids:
        return {}
    out: dict[int, dict] = {}
    for rid, details in session.execute(
            select(Event.entity_id, Event.details)
            .where(Event.entity == "report_runs", Event.action == "generated",
                   Event.entity_id.in_(run_ids)).order_by(Event.id)):
        out[rid] = details or {}
    return out


# --------------------------------------------------------------------------- the audit


def _expected_sha(session: Session, obj: Expected, primary: Storage,
                  replica: Storage | None, shas: tuple[str | None, str | None]) -> str | None:
    """The recorded checksum, else the baseline, else (first sighting) the stored one."""
    if obj.sha256:
        return obj.sha256
    base = session.get(FixityBaseline, obj.key)
    if base is not None:
        return base.sha256
    p_sha, r_sha = shas
    stem = obj.key.rsplit("/", 1)[-1].split(".", 1)[0]
    prefix = stem if obj.kind == "container" and _HEX16.match(stem) else ""
    # the store's write-time checksum when it has one (xattr / S3 metadata), else the bytes
    recorded = None
    try:
        recorded = primary.stat(obj.key).sha256
    except Exception:  # noqa: BLE001 - missing primary: fall back to the second copy
        recorded = None
    for cand in (recorded, p_sha, r_sha):
        if cand and cand.startswith(prefix):
            session.add(FixityBaseline(object_key=obj.key, sha256=cand))
            session.flush()
            return cand
    return None


def threads() -> int:
    return max(1, int(os.environ.get("SOHOA_FIXITY_THREADS", DEFAULT_THREADS)))


def _hash_all(primary: Storage, replica: Storage | None, objs: list[Expected]) -> list:
    """((sha, size) of the first copy, of the second) per object, read by a few threads:
    an S3 GET waits on the network and hashlib releases the GIL, so reads overlap."""
    def both(obj: Expected):
        return (read_sha(primary, obj.key),
                read_sha(replica, obj.key) if replica is not None else (None, 0))

    n = min(threads(), len(objs))
    if n <= 1:
        return [both(o) for o in objs]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="fixity") as pool:
        return list(pool.map(both, objs))


def _open_or_resume(session: Session, scope: Scope) -> FixityRun:
    run = session.scalars(select(FixityRun).where(FixityRun.scope == scope.name,
                                                  FixityRun.status == "running")
                          .order_by(FixityRun.id.desc())).first()
    if run is None:
        run = FixityRun(scope=scope.name, status="running", cursor={"source": 0, "after": 0},
                        batches=0, checked=0, bytes_checked=0, ok=0, repaired=0, unrepaired=0,
                        lost=0)
        session.add(run)
        session.flush()
    return run


def run_batch(session: Session, storage: Storage, run: FixityRun, scope: Scope,
              limit: int) -> bool:
    """Check the next batch of ``run``; False when the run has nothing left (then done)."""
    primary, replica = copies(storage)
    cursor = dict(run.cursor or {"source": 0, "after": 0})
    sources = scope.sources
    rows: list = []
    while cursor["source"] < len(sources):
        rows = _rows(session, sources[cursor["source"]], scope, cursor["after"], limit)
        if rows:
            break
        cursor = {"source": cursor["source"] + 1, "after": 0}
    if not rows:
        run.status, run.cursor = "done", cursor
        run.finished_at = datetime.now(timezone.utc)
        return False
    objs = [o for _, batch in rows for o in batch]
    open_keys = set(session.scalars(select(FixityFinding.object_key).where(
        FixityFinding.object_key.in_([o.key for o in objs]),
        FixityFinding.resolved_at.is_(None))))
    now = datetime.now(timezone.utc)
    checked, nbytes, ok, problems = [], 0, 0, []
    for obj, ((p_sha, p_size), (r_sha, r_size)) in zip(objs, _hash_all(primary, replica, objs)):
        nbytes += p_size + r_size
        expected = _expected_sha(session, obj, primary, replica, (p_sha, r_sha))
        if expected is None:  # never seen and no copy at all
            expected = "0" * 64
        chk = check_and_repair(primary, replica, obj.key, expected, shas=(p_sha, r_sha))
        checked.append(obj.key)
        if chk.ok:
            ok += 1
            if obj.key in open_keys:
                session.execute(update(FixityFinding).where(
                    FixityFinding.object_key == obj.key, FixityFinding.resolved_at.is_(None))
                    .values(resolved_at=now))
            continue
        for p in chk.problems:
            session.add(FixityFinding(
                run_id=run.id, object_key=obj.key, kind=obj.kind, agency_id=obj.agency_id,
                file_id=obj.file_id, copy=p.copy, problem=p.problem, expected_sha256=expected,
                actual_sha256=p.actual, outcome=p.outcome, found_at=now,
                resolved_at=now if p.outcome == "repaired" else None))
            action = {"repaired": "fixity_repaired", "unrepaired": "fixity_unrepaired",
                      "lost": "fixity_loss"}[p.outcome]
            detail = {"key": obj.key, "kind": obj.kind, "copy": p.copy, "problem": p.problem,
                      "expected_sha256": expected, "actual_sha256": p.actual,
                      "run_id": run.id,
                      "reason": f"{COPY_VI[p.copy]} {PROBLEM_VI[p.problem]}: "
                                f"{OUTCOME_VI[p.outcome]}"}
            events.record(session, entity=obj.entity, entity_id=obj.entity_id,
                          phase="preservation", action=action, agency_id=obj.agency_id,
                          details=detail)
            problems.append(detail)
            run.repaired += p.outcome == "repaired"
            run.unrepaired += p.outcome == "unrepaired"
            run.lost += p.outcome == "lost"
        if all(p.outcome == "repaired" for p in chk.problems) and obj.key in open_keys:
            session.execute(update(FixityFinding).where(
                FixityFinding.object_key == obj.key, FixityFinding.resolved_at.is_(None),
                FixityFinding.run_id != run.id).values(resolved_at=now))
    run.batches += 1
    run.checked += len(checked)
    run.bytes_checked += nbytes
    run.ok += ok
    run.cursor = {"source": cursor["source"], "after": rows[-1][0]}
    events.record(session, entity="fixity_runs", entity_id=run.id, phase="preservation",
                  action="fixity_check",
                  details={"scope": scope.name, "batch": run.batches,
                           "source": sources[cursor["source"]], "objects": len(checked),
                           "bytes": nbytes, "ok": ok, "problems": problems, "keys": checked,
                           "algorithm": "SHA-256",
                           "copies": 2 if replica is not None else 1})
    return True


def audit(storage: Storage, *, agency: str | None = None, file_ref: str | None = None,
          engine: Engine | None = None, limit: int | None = None,
          max_batches: int | None = None) -> dict:
    """Run (or resume) the audit of a scope to its end, or for ``max_batches`` batches.
    Each batch commits on its own. Returns the run's figures and its open findings."""
    limit = limit or batch_size()
    started = time.perf_counter()
    with session_scope(engine) as s:
        scope = resolve_scope(s, agency, file_ref)
        run_id = _open_or_resume(s, scope).id
    done_batches = 0
    while max_batches is None or done_batches < max_batches:
        with session_scope(engine) as s:
            run = s.get(FixityRun, run_id)
            more = run_batch(s, storage, run, scope, limit)
        if not more:
            break
        done_batches += 1
    with session_scope(engine) as s:
        run = s.get(FixityRun, run_id)
        out = run_summary(run)
        out["open_findings"] = open_findings(s, scope=scope, limit=100)
    out["seconds"] = round(time.perf_counter() - started, 3)
    if out["lost"]:
        log.error("kiểm tra toàn vẹn %s: %d đối tượng MẤT (cả hai bản đều hỏng)",
                  scope.name, out["lost"])
    return out


def run_summary(run: FixityRun) -> dict:
    return {"run_id": run.id, "scope": run.scope, "status": run.status,
            "batches": run.batches, "checked": run.checked, "bytes": run.bytes_checked,
            "ok": run.ok, "repaired": run.repaired, "unrepaired": run.unrepaired,
            "lost": run.lost, "changed": bool(run.repaired or run.unrepaired or run.lost)}


def open_findings(session: Session, *, scope: Scope | None = None,
                  agency_id: int | None = None, limit: int = 200) -> list[dict]:
    """Copies still missing or wrong (unrepaired or lost), newest first."""
    q = select(FixityFinding).where(FixityFinding.resolved_at.is_(None))
    if scope is not None and scope.file_id is not None:
        q = q.where(FixityFinding.file_id == scope.file_id)
    elif scope is not None and scope.agency_id is not None:
        q = q.where(FixityFinding.agency_id == scope.agency_id)
    elif scope is not None and scope.name == "programme":
        q = q.where(FixityFinding.kind == "report")
    if agency_id is not None:
        q = q.where(FixityFinding.agency_id == agency_id)
    rows = session.scalars(q.order_by(FixityFinding.id.desc()).limit(limit))
    return [{"key": r.object_key, "kind": r.kind, "copy": r.copy, "problem": r.problem,
             "outcome": r.outcome, "found_at": r.found_at.isoformat(),
             "agency_id": r.agency_id, "file_id": r.file_id,
             "reason": f"{COPY_VI.get(r.copy, r.copy)} {PROBLEM_VI.get(r.problem, r.problem)}: "
                       f"{OUTCOME_VI.get(r.outcome, r.outcome)}"} for r in rows]


def fixity_figures(session: Session, since: datetime | None = None) -> dict:
    """Figures for the dashboard and the weekly report: the last finished audit, copies
    repaired since ``since``, and what is still open (unrepaired / lost), per agency."""
    last = session.scalars(select(FixityRun).where(FixityRun.status == "done")
                           .order_by(FixityRun.finished_at.desc())).first()
    open_rows = session.execute(
        select(FixityFinding.agency_id, FixityFinding.outcome, func.count())
        .where(FixityFinding.resolved_at.is_(None))
        .group_by(FixityFinding.agency_id, FixityFinding.outcome)).all()
    repaired_q = select(func.count()).select_from(FixityFinding).where(
        FixityFinding.outcome == "repaired")
    if since is not None:
        repaired_q = repaired_q.where(FixityFinding.found_at >= since)
    by_agency: dict[int | None, dict[str, int]] = {}
    for aid, outcome, n in open_rows:
        by_agency.setdefault(aid, {"unrepaired": 0, "lost": 0})[outcome] = n
    return {
        "last_run": run_summary(last) | {"finished_at": last.finished_at.isoformat()}
        if last else None,
        "repaired": session.scalar(repaired_q) or 0,
        "unrepaired": sum(v["unrepaired"] for v in by_agency.values()),
        "lost": sum(v["lost"] for v in by_agency.values()),
        "open_by_agency": by_agency,
    }


def report_figures(session: Session, since: datetime | None = None,
                   agency_id: int | None = None, limit: int = 50) -> dict:
    """What the dashboard and the weekly report show (template ``_fixity.html.j2``):
    :func:`fixity_figures` plus the open findings (newest first, at most ``limit``)."""
    figures = fixity_figures(session, since)
    figures["open"] = open_findings(session, agency_id=agency_id, limit=limit)
    if agency_id is not None:
        mine = figures["open_by_agency"].get(agency_id, {"unrepaired": 0, "lost": 0})
        figures["unrepaired"], figures["lost"] = mine["unrepaired"], mine["lost"]
    figures["open_by_agency"] = {str(k): v for k, v in figures["open_by_agency"].items()}
    return figures
