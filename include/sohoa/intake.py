"""Inventory intake: archive each submitted list, load its good rows, keep every bad row.

Parsing and validation live in sohoa.inventory; this module writes the outcome to the
database and the object store. Re-sending the same file changes nothing (same SHA-256);
a corrected re-submission updates only the rows that changed, each with an event.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa import events
from sohoa.db.models import Agency, File, InventoryRowError, InventorySubmission
from sohoa.errors_xlsx import write_error_workbook
from sohoa.inventory import parse_inventory

log = logging.getLogger(__name__)

LIST_SUFFIXES = {".xlsx", ".xls", ".csv"}
# Row fields copied onto the file record (InventoryRow attribute → File column).
ROW_TO_FILE = {
    "title": "title", "start_date": "start_date", "end_date": "end_date",
    "retention_code": "retention_code", "access_mode": "access_mode", "language": "language",
    "sheet_count": "sheet_count", "page_count": "page_count", "catalog": "catalog",
    "notes": "notes", "box_no": "box_no",
}


class IntakeError(ValueError):
    pass


def intake_list(session: Session, storage, agency_code: str, data: bytes, filename: str) -> dict:
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        raise IntakeError(f"Không có cơ quan mã '{agency_code}' trong danh mục cơ quan")
    sha = hashlib.sha256(data).hexdigest()
    old = session.scalar(select(InventorySubmission).where(
        InventorySubmission.agency_id == agency.id, InventorySubmission.sha256 == sha))
    if old is not None:
        return {"submission_id": old.id, "status": "unchanged", "agency": agency.code,
                "filename": filename}

    raw_key = f"intake/{agency.code}/{sha[:16]}/{Path(filename).name}"
    storage.put_bytes(raw_key, data)
    parsed = parse_inventory(data, filename)
    sub = InventorySubmission(
        agency_id=agency.id, filename=Path(filename).name, object_key=raw_key, sha256=sha,
        encoding=parsed.encoding, total_rows=parsed.total_rows, valid_rows=len(parsed.rows),
        error_rows=len({e.row_number for e in parsed.errors}), status="loaded",
    )
    session.add(sub)
    session.flush()
    for e in parsed.errors:
        session.add(InventoryRowError(submission_id=sub.id, row_number=e.row_number,
                                      field=e.field, value=e.value, code=e.code,
                                      problem=e.problem, fix=e.fix))
    if parsed.errors:
        sub.error_report_key = f"intake-errors/{agency.code}/{sub.id}_loi_{Path(filename).stem}.xlsx"
        storage.put_bytes(sub.error_report_key, write_error_workbook(agency.name, filename, parsed))

    existing = {f.notation: f for f in session.scalars(select(File).where(File.agency_id == agency.id))}
    created = updated = 0
    for row in parsed.rows:
        values = {col: getattr(row, attr) for attr, col in ROW_TO_FILE.items()}
        f = existing.get(row.notation)
        if f is None:
            f = File(agency_id=agency.id, notation=row.notation, submission_id=sub.id,
                     source_row=row.row_number, status="inventoried", **values)
            session.add(f)
            session.flush()
            existing[row.notation] = f
            created += 1
            events.record(session, entity="files", entity_id=f.id, phase="inventory",
                          action="inventoried", agency_id=agency.id,
                          after={"status": "inventoried", "notation": row.notation},
                          details={"submission_id": sub.id, "row": row.row_number})
        else:
            changed = {c: (getattr(f, c), v) for c, v in values.items() if getattr(f, c) != v}
            if changed:
                for c, (_, v) in changed.items():
                    setattr(f, c, v)
                f.submission_id, f.source_row = sub.id, row.row_number
                updated += 1
                events.record(session, entity="files", entity_id=f.id, phase="inventory",
                              action="updated", agency_id=agency.id,
                              before={c: _j(o) for c, (o, _) in changed.items()},
                              after={c: _j(n) for c, (_, n) in changed.items()},
                              details={"submission_id": sub.id, "row": row.row_number})
    events.record(session, entity="inventory_submissions", entity_id=sub.id, phase="inventory",
                  action="received", agency_id=agency.id,
                  after={"valid_rows": sub.valid_rows, "error_rows": sub.error_rows},
                  details={"filename": sub.filename, "sha256": sha, "object_key": raw_key,
                           "encoding": parsed.encoding, "skipped": parsed.skipped})
    session.flush()
    return {"submission_id": sub.id, "status": "loaded", "agency": agency.code,
            "filename": sub.filename, "total_rows": parsed.total_rows,
            "valid_rows": sub.valid_rows, "error_rows": sub.error_rows,
            "created": created, "updated": updated, "error_report_key": sub.error_report_key}


def _j(v):
    return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)


def find_lists(intake_dir: Path, agency: str | None = None) -> list[tuple[str, Path]]:
    """Lists dropped as <intake_dir>/<AGENCY_CODE>/<file>; sorted for a stable order."""
    out = []
    if not intake_dir.exists():
        return out
    for agency_dir in sorted(p for p in intake_dir.iterdir() if p.is_dir()):
        if agency and agency_dir.name.upper() != agency.upper():
            continue
        for p in sorted(agency_dir.iterdir()):
            if p.is_file() and p.suffix.lower() in LIST_SUFFIXES and not p.name.startswith("~$"):
                out.append((agency_dir.name.upper(), p))
    return out
