"""One entry point per phase, used by the DAGs, the CLI and the tests alike.

Each runner opens its own transaction(s), takes an optional agency code and file
reference (operator reruns), returns a small JSON-able summary (ids and counts only,
fit for an XCom), and is idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from datetime import date

from sohoa.core import calendar


from sqlalchemy import select
from sqlalchemy.engine import Engine

from sohoa.arrangement import phase as arrangement

from sohoa.core import events
from sohoa.core.run_notes import fixity_outcome, outcome

from sohoa.description import phase as description
from sohoa.description import review

from sohoa.integration import phase as integration

from sohoa.intake import phase as intake

from sohoa.ocr import phase as ocr_phase

from sohoa.reporting import asof, weekly
from sohoa.reporting.numbers import WEEKS_SHOWN

from sohoa.scan import phase as scan_phase
from sohoa.core.config import get_settings
from sohoa.core.db.models import Agency, File
from sohoa.core.db.session import migrate, session_scope
from sohoa.core.progress import Progress
from sohoa.core.storage import get_storage

log = logging.getLogger(__name__)


def prepare_database() -> None:
    migrate(get_settings().db_url)


def agencies_with_work(statuses: tuple[str, ...] | None, agency: str | None = None) -> list[str]:
    """Agency codes that have files in the given statuses (all agencies when None)."""
    with session_scope() as s:
        q = select(Agency.code).order_by(Agency.code)
        if statuses is not None:
            q = q.where(Agency.id.in_(select(File.agency_id).where(File.status.in_(statuses))))
        if agency:
            q = q.where(Agency.code == agency.upper())
        return list(dict.fromkeys(s.scalars(q)))


def agencies_to_integrate(agency: str | None = None, shared_engine: Engine | None = None,
                          recheck: bool = False) -> list[str]:
    """Agency codes with files to integrate: new, changed since they were integrated, or
    integrated in another context (sohoa.integration.phase.agencies_with_changes); every
    agency with described files when ``recheck``."""
    engine = shared_engine or shared_engine_from_settings()
    with session_scope() as s:
        if recheck:
            ids = set(s.scalars(select(File.agency_id).where(File.described_hash.is_not(None))))
        else:
            ids = integration.agencies_with_changes(s, engine, get_storage())
        q = select(Agency.code).where(Agency.id.in_(ids)).order_by(Agency.code)
        if agency:
            q = q.where(Agency.code == agency.strip().upper())
        return list(s.scalars(q))


def agencies_to_force(listed: list[str], agency: str | None = None) -> list[str]:
    """The agencies a forced rerun works on: those with work (``listed``) and those whose
    files are already done (only the named one when ``agency`` is given)."""
    with session_scope() as s:
        q = select(Agency.code).where(Agency.id.in_(select(File.agency_id)))
        if agency:
            q = q.where(Agency.code == agency.strip().upper())
        return sorted(set(listed) | set(s.scalars(q)))


def run_intake(agency: str | None = None, force: bool = False) -> dict:
    """Load every list found in the intake folder (and under SOHOA_INTAKE_PREFIX in the
    object store); one bad list never stops the others. Idempotent: a list already
    loaded (same SHA-256) is skipped, so the scheduled scan needs no manual step
    (``force``: read again all the same)."""
    settings = get_settings()
    storage = get_storage(settings)
    found = [(code, path.name, path.read_bytes, "folder")
             for code, path in intake.find_lists(settings.intake_dir, agency)]
    if settings.intake_prefix:
        found += [(code, key.rsplit("/", 1)[-1], (lambda k=key: storage.get_bytes(k)), "s3")
                  for code, key in intake.find_lists_in_storage(storage, settings.intake_prefix,
                                                                agency)]
    results, failures = [], []
    with Progress("Nhận danh mục", len(found), unit="danh mục", log=log) as progress:
        for code, name, read, source in found:
            try:
                with session_scope() as s:
                    results.append(intake.intake_list(s, storage, code, read(), name,
                                                      source=source, force=force))
                r = results[-1]
                progress.advance(item=f"{code}/{name}: {r['status']}"
                                      + (f", {r['error_rows']} dòng lỗi" if r.get("error_rows") else ""))
            except Exception as exc:  # noqa: BLE001 - recorded, reported, batch goes on
                log.exception("intake failed for %s/%s", code, name)
                failures.append({"agency": code, "filename": name, "error": str(exc)})
                with session_scope() as s:
                    events.record(s, entity="inventory_submissions", entity_id=None,
                                  phase="inventory", action="rejected_list",
                                  details={"agency": code, "filename": name, "error": str(exc)})
                progress.advance(item=f"{code}/{name}: không nhận được")
    loaded = [r for r in results if r["status"] in ("loaded", "reloaded")]
    redone = sum(r["status"] == "reloaded" for r in results)
    return {"lists": len(results), "loaded": len(loaded), "failures": failures,
            "outcome": outcome(done=len(loaded), redone=redone,
                               unchanged=len(results) - len(loaded), rejected=len(failures)),
            "changed": bool(loaded), "submission_ids": [r["submission_id"] for r in loaded],
            "error_rows": sum(r.get("error_rows", 0) for r in loaded),
            "error_reports": [r["error_report_key"] for r in loaded if r.get("error_report_key")]}


def run_arrangement(agency: str | None = None, file_ref: str | None = None,
                    force: bool = False) -> dict:
    settings = get_settings()
    with session_scope() as s:
        h = arrangement.handover(s, agency=agency, file_ref=file_ref)
    slips = {"slips": 0, "updated": 0, "errors": [], "error_reports": []}
    slip_dir = settings.slips_dir
    for path in sorted(slip_dir.glob("*")) if slip_dir and slip_dir.is_dir() else []:
        if path.suffix.lower() in intake.LIST_SUFFIXES and not path.name.startswith("~$"):
            data = path.read_bytes()
            with session_scope() as s:  # idempotent: unchanged slips change nothing
                got = arrangement.import_record_slips(s, data, path.name, source_key=str(path))
            slips["slips"] += got["slips"]
            slips["updated"] += got["updated"]
            slips["errors"] += [{"sheet": path.name, **e} for e in got["errors"]]
            if got["errors"]:
                slips["error_reports"].append(_slip_error_report(path, data, got))
    with session_scope() as s:
        a = arrangement.arrange(s, agency=agency, file_ref=file_ref, force=force)
    return {"handed_over": h["files"], "boxes": h["boxes"], "discrepancies": h["discrepancies"],
            "arranged": a["arranged"], "codes_assigned": a["codes_assigned"],
            "check_failed": len(a["check_failed"]), "record_slips": slips["slips"] + slips["updated"],
            "record_slip_errors": slips["errors"][:50],
            "record_slip_error_reports": slips["error_reports"],
            "outcome": outcome(done=a["arranged"], redone=a["forced"],
                               rejected=len(a["check_failed"])),
            "changed": bool(h["files"] or a["arranged"] or slips["slips"] or slips["updated"])}


def _slip_error_report(path, data: bytes, got: dict) -> str:
    """The archivists' Excel list of slips that could not be used, stored once per
    version of their sheet (``data``: its bytes; same version, same key, no duplicate)."""
    from sohoa.intake.errors_xlsx import write_slip_error_workbook
    from sohoa.core.naming import safe_name
    from sohoa.core.storage import XLSX_CONTENT_TYPE, sha256_bytes

    sha = sha256_bytes(data)
    key = f"record-slips/errors/{safe_name(path.stem)}_{sha[:8]}_loi.xlsx"
    storage = get_storage()
    if not storage.exists(key):
        storage.put_bytes(key, write_slip_error_workbook(path.name, sha, got["rows"], got["errors"]),
                          content_type=XLSX_CONTENT_TYPE)
        with session_scope() as s:
            events.record(s, entity="record_slips", entity_id=None, phase="arrangement",
                          action="rejected_rows", after={"error_report_key": key},
                          details={"sheet": path.name, "sha256": sha, "rows": got["rows"],
                                   "errors": len(got["errors"])})
    log.warning("record slips %s: %d rows could not be used; list for the archivists: %s",
                path.name, len({e["row"] for e in got["errors"]}), key)
    return key


def run_scan_qc(agency: str | None = None, file_ref: str | None = None,
                force: bool = False) -> dict:
    settings = get_settings()
    with session_scope() as s:
        out = scan_phase.scan_qc(s, get_storage(settings), settings.delivery_dir,
                                 agency=agency, file_ref=file_ref, force=force)
    out["changed"] = bool(out["files"])
    out["outcome"] = outcome(done=out["files"], redone=out["forced"], unchanged=out["unchanged"],
                             rejected=out["rejected_files"])
    return out


def run_ocr(agency: str | None = None, file_ref: str | None = None,
            force: bool = False) -> dict:
    settings = get_settings()
    with session_scope() as s:
        out = ocr_phase.run_ocr(s, get_storage(settings), agency=agency, file_ref=file_ref,
                                lang=settings.ocr_lang, workers=settings.workers, force=force)
    out["changed"] = bool(out["files"])
    # a file whose pages met a crashed worker, a timeout or a tesseract failure is stored
    # but tried again next run: the note counts it as failed, not as done
    out["outcome"] = outcome(done=out["files"] - out["retry_files"], redone=out["forced"],
                             unchanged=out["skipped"],
                             failed=out["file_errors"] + out["retry_files"])
    return out


def run_description(agency: str | None = None, file_ref: str | None = None,
                    force: bool = False) -> dict:
    settings = get_settings()
    with session_scope() as s:
        out = description.describe(s, get_storage(settings), agency=agency, file_ref=file_ref,
                                   force=force)
    out["outcome"] = outcome(done=out["files"], redone=out["forced"], unchanged=out["unchanged"],
                             failed=out["file_errors"])
    out["changed"] = bool(out["files"])
    return out


def review_batches(agency: str | None = None) -> list[str]:
    """Agencies with fields or rejected pages waiting for a person."""
    with session_scope() as s:
        return review.agencies_with_review(s, agency)


def review_form(agency: str, base_url: str = "") -> dict | None:
    """The agency's review form (subject, Markdown body, Params specs), page images linked
    through the dashboard plugin."""
    base = base_url.rstrip("/")
    with session_scope() as s:
        return review.build_form(s, agency,
                                 page_url=lambda pid: base + review.default_page_url(pid))


def apply_review(agency: str, params_input: dict, user: str) -> dict:
    """Apply a reviewer's answer to the agency's form; bad values come back with reasons."""
    with session_scope() as s:
        out = review.apply_answers(s, get_storage(), review.answers_from_form(params_input, user),
                                   source="airflow")
    out["agency"] = agency
    out["changed"] = bool(out["confirmed"] or out["accepted_pages"])
    return out


def shared_engine_from_settings() -> Engine:
    from sohoa.integration.contract import open_shared

    return open_shared(get_settings().shared_db_url)


def migrate_shared(shared_engine: Engine | None = None) -> str:
    """The shared database's contract schema to its newest version (its own history)."""
    from sohoa.integration.contract import migrate_shared as upgrade

    return upgrade(shared_engine or shared_engine_from_settings())


def run_integration(agency: str | None = None, file_ref: str | None = None,
                    shared_engine: Engine | None = None, force: bool = False,
                    recheck: bool = False) -> dict:
    """``recheck``: compare every file's record with the shared database, not only the
    files that changed (after the shared database was restored from a backup)."""
    settings = get_settings()
    engine = shared_engine or shared_engine_from_settings()
    with session_scope() as s:
        out = integration.integrate(s, engine, get_storage(settings), agency=agency,
                                    file_ref=file_ref, force=force, recheck=recheck)
    out["changed"] = bool(out["files"])
    out["outcome"] = outcome(done=out["files"], redone=out["forced"], unchanged=out["unchanged"])
    return out


def run_report(as_of: date | None = None) -> dict:
    """The report for ``as_of`` (default: the programme's today), then the missing weekly
    snapshots of the counters (reporting.asof.take_due), so that rebuilding any of the
    report's weeks later walks back at most a week of events."""
    with session_scope() as s:
        out = weekly.build_weekly_report(s, get_storage(), as_of or calendar.today())
    with session_scope() as s:
        taken = asof.take_due(s, WEEKS_SHOWN)
    if taken:
        log.info("ảnh chụp tiến độ cuối tuần đã lưu: %s", ", ".join(t.isoformat() for t in taken))
    return out | {"snapshots_taken": [t.isoformat() for t in taken]}


def run_aips(agency: str | None = None, file_ref: str | None = None) -> dict:
    """E-ARK AIPs for the integrated files (rebuilt only when a file changed)."""
    from sohoa.preservation import aip

    with session_scope() as s:
        out = aip.build_aips(s, get_storage(), agency=agency, file_ref=file_ref)
    out["changed"] = bool(out["built"])
    # the run note: packages built, unchanged, failed (a run that built 6 must not say 0)
    out["outcome"] = outcome(done=out["built"], unchanged=out["unchanged"],
                             failed=len(out["failed"]))
    return out


class FixityLoss(RuntimeError):
    """Raised by the DAG's audit task so a loss or an unrepaired copy turns the task red."""


def run_fixity(agency: str | None = None, file_ref: str | None = None, *,
               raise_on_loss: bool = False) -> dict:
    """Fixity audit of one agency's objects (or one file's, or fixity.PROGRAMME's reports,
    or everything), in bounded resumable batches, repairing from the second copy."""
    from sohoa.preservation import fixity

    out = fixity.audit(get_storage(), agency=agency, file_ref=file_ref)
    out["outcome"] = fixity_outcome(out)  # the run note counts objects, not files
    if raise_on_loss and (out["lost"] or out["unrepaired"]):
        raise FixityLoss(
            f"kiểm tra toàn vẹn {out['scope']}: {out['lost']} đối tượng MẤT, "
            f"{out['unrepaired']} chưa sửa được: "
            + "; ".join(f"{f['key']} ({f['reason']})" for f in out["open_findings"][:20]))
    return out


def run_all(agency: str | None = None, file_ref: str | None = None,
            force: bool = False) -> dict:
    """Every phase in order, without Airflow (CLI `sohoa pipeline [--force]`); on a terminal, a
    progress line for the phases and one for the files of the long ones."""
    prepare_database()
    steps = (("inventory_intake", lambda: run_intake(agency, force=force)),
             ("arrangement", lambda: run_arrangement(agency, file_ref, force=force)),
             ("scan_qc", lambda: run_scan_qc(agency, file_ref, force=force)),
             ("ocr", lambda: run_ocr(agency, file_ref, force=force)),
             ("description", lambda: run_description(agency, file_ref, force=force)),
             ("integration", lambda: run_integration(agency, file_ref, force=force)),
             ("progress_report", run_report))
    out = {}
    with Progress("Các khâu", len(steps), unit="khâu", log=log) as progress:
        for name, step in steps:
            out[name] = step()
            progress.advance(item=name)
    return out


