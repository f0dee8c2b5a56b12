"""Inventory intake: archive each submitted list, load its good rows, keep every bad row.

Parsing and validation live in sohoa.inventory; this module writes the outcome to the
database and the object store. Re-sending the same file changes nothing (same SHA-256);
a corrected re-submission of the same list updates only the rows that changed, each
with an event. A row naming a file that another, earlier list of the agency already
gave is a duplicate against that submission: kept as an error row, never loaded twice.

Speed: rows are compared against the agency's files fetched as plain tuples, and new
files, their events and the error rows are written with bulk INSERTs (one statement
per batch, not one per row), so a 50,000-row list loads in seconds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from sohoa import events
from sohoa.db.models import Agency, Event, File, InventoryRowError, InventorySubmission
from sohoa.errors_xlsx import write_error_workbook
from sohoa.fields import fold
from sohoa.inventory import RowError, parse_inventory

log = logging.getLogger(__name__)

LIST_SUFFIXES = {".xlsx", ".xls", ".csv"}
# Row fields copied onto the file record (InventoryRow attribute → File column).
ROW_TO_FILE = {
    "title": "title", "start_date": "start_date", "end_date": "end_date",
    "retention_code": "retention_code", "access_mode": "access_mode", "language": "language",
    "sheet_count": "sheet_count", "page_count": "page_count", "catalog": "catalog",
    "notes": "notes", "box_no": "box_no",
}
_FILE_COLS = list(dict.fromkeys(ROW_TO_FILE.values()))
BATCH = 5000  # rows per bulk INSERT statement group

# "danh_muc (1).xlsx", "danh muc - Copy", "danh_muc_sua", "danh_muc_v2", "lần 2"...
_COPY_SUFFIX_RE = re.compile(
    r"(?:\s*\(\d+\)|[\s_-]*(?:copy|ban sao|sua|sua doi|ban sua|da sua|moi|v\d+|lan \d+|final|"
    r"cuoi|bo sung|dieu chinh))+$")


class IntakeError(ValueError):
    pass


def list_key(filename: str) -> str:
    """Identity of a list across re-submissions: the file name's stem, folded, without
    copy/correction suffixes. ``list_key("Danh_mục (1).xlsx") == list_key("danh muc_sua.csv")``."""
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    key = fold(re.sub(r"(\s*\(\d+\))+$", "", stem))  # "danh muc (1)": a browser's copy
    prev = None
    while prev != key:
        prev, key = key, _COPY_SUFFIX_RE.sub("", key).strip()
    return (key or fold(stem))[:200]


def intake_list(session: Session, storage, agency_code: str, data: bytes, filename: str,
                *, source: str = "cli") -> dict:
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        raise IntakeError(f"Không có cơ quan mã '{agency_code}' trong danh mục cơ quan")
    sha = hashlib.sha256(data).hexdigest()
    old = session.scalar(select(InventorySubmission).where(
        InventorySubmission.agency_id == agency.id, InventorySubmission.sha256 == sha))
    if old is not None:
        return {"submission_id": old.id, "status": "unchanged", "agency": agency.code,
                "filename": filename}

    name = Path(filename).name
    raw_key = f"intake/{agency.code}/{sha[:16]}/{name}"
    storage.put_bytes(raw_key, data)
    parsed = parse_inventory(data, filename)
    key = list_key(name)
    sub = InventorySubmission(
        agency_id=agency.id, filename=name, object_key=raw_key, sha256=sha,
        encoding=(parsed.conversion or {}).get("source") or parsed.encoding or None,
        total_rows=parsed.total_rows, status="loaded", list_key=key, source=source,
        conversion=parsed.conversion, duplicate_rows=0,
    )
    session.add(sub)
    session.flush()

    # the agency's files as tuples (id, notation, list key of the list that gave it, cols...)
    q = (select(File.id, File.notation, InventorySubmission.list_key, InventorySubmission.filename,
                File.source_row, *[getattr(File, c) for c in _FILE_COLS])
         .outerjoin(InventorySubmission, InventorySubmission.id == File.submission_id)
         .where(File.agency_id == agency.id))
    existing = {r[1]: r for r in session.execute(q)}
    now = datetime.now(timezone.utc)
    actor = events.current_actor()
    new_files: list[dict] = []
    updates: list[tuple[int, dict, dict, int]] = []
    for row in parsed.rows:
        values = {col: getattr(row, attr) for attr, col in ROW_TO_FILE.items()}
        have = existing.get(row.notation)
        if have is None:
            new_files.append(dict(agency_id=agency.id, notation=row.notation, submission_id=sub.id,
                                  source_row=row.row_number, status="inventoried",
                                  arrangement_step=None,
                                  created_at=now, updated_at=now, **values))
            existing[row.notation] = (None, row.notation, key)
            continue
        if have[0] is None:  # listed twice in this list: the parser already caught it
            continue
        if have[2] is not None and have[2] != key:
            parsed.errors.append(_duplicate_earlier(row, have))
            sub.duplicate_rows += 1
            continue
        current = dict(zip(_FILE_COLS, have[5:]))
        changed = {c: (current[c], v) for c, v in values.items() if current[c] != v}
        if changed:
            updates.append((have[0], changed, {"submission_id": sub.id, "row": row.row_number},
                            row.row_number))

    created = _bulk_create(session, new_files, agency.id, sub.id, actor, now)
    for file_id, changed, details, rn in updates:
        session.execute(update(File).where(File.id == file_id).values(
            **{c: v for c, (_, v) in changed.items()}, submission_id=sub.id, source_row=rn,
            updated_at=now))
        events.record(session, entity="files", entity_id=file_id, phase="inventory",
                      action="updated", agency_id=agency.id, actor=actor,
                      before={c: _j(o) for c, (o, _) in changed.items()},
                      after={c: _j(n) for c, (_, n) in changed.items()}, details=details)

    loaded = {r.row_number for r in parsed.rows} - {
        e.row_number for e in parsed.errors if e.code == "duplicate_earlier"}
    sub.valid_rows = len(loaded)
    sub.error_rows = len({e.row_number for e in parsed.errors})
    _bulk_errors(session, sub.id, parsed.errors)
    if parsed.errors:
        sub.error_report_key = f"intake-errors/{agency.code}/{sub.id}_loi_{Path(name).stem}.xlsx"
        storage.put_bytes(sub.error_report_key, write_error_workbook(agency.name, name, parsed))
    events.record(session, entity="inventory_submissions", entity_id=sub.id, phase="inventory",
                  action="received", agency_id=agency.id, actor=actor,
                  after={"valid_rows": sub.valid_rows, "error_rows": sub.error_rows,
                         "duplicate_rows": sub.duplicate_rows},
                  details={"filename": sub.filename, "sha256": sha, "object_key": raw_key,
                           "list_key": key, "source": source, "encoding": sub.encoding,
                           "conversion": parsed.conversion,
                           "error_report_key": sub.error_report_key,
                           "skipped": len(parsed.skipped)})
    session.flush()
    return {"submission_id": sub.id, "status": "loaded", "agency": agency.code,
            "filename": sub.filename, "total_rows": parsed.total_rows,
            "valid_rows": sub.valid_rows, "error_rows": sub.error_rows,
            "duplicate_rows": sub.duplicate_rows, "created": created, "updated": len(updates),
            "encoding": sub.encoding, "converted_cells": (parsed.conversion or {}).get("cells", 0),
            "error_report_key": sub.error_report_key}


def _duplicate_earlier(row, have) -> RowError:
    return RowError(
        row.row_number, "Số và ký hiệu hồ sơ", row.notation,
        f"Hồ sơ «{row.notation}» đã có trong danh mục «{have[3]}» (dòng {have[4]}) gửi trước đó.",
        "Nếu là cùng một hồ sơ: xóa dòng này. Nếu là hồ sơ khác: đặt số và ký hiệu khác. "
        f"Nếu muốn sửa hồ sơ đã gửi: sửa trong danh mục «{have[3]}» rồi gửi lại tệp đó.",
        "duplicate_earlier")


def _bulk_create(session: Session, rows: list[dict], agency_id: int, sub_id: int, actor: str,
                 now: datetime) -> int:
    """INSERT new files, then one 'inventoried' event per file. PostgreSQL: COPY (the
    fastest way in); elsewhere: batched executemany."""
    if not rows:
        return 0
    event_of = lambda fid, r: {  # noqa: E731
        "occurred_at": now, "entity": "files", "entity_id": fid, "agency_id": agency_id,
        "phase": "inventory", "action": "inventoried", "actor": actor, "before": None,
        "after": {"status": "inventoried", "notation": r["notation"]},
        "details": {"submission_id": sub_id, "row": r["source_row"]}}
    if session.get_bind().dialect.name == "postgresql":
        cols = list(rows[0])
        _copy(session, File.__table__, cols, ([r[c] for c in cols] for r in rows))
        ids = dict(session.execute(select(File.notation, File.id).where(
            File.submission_id == sub_id, File.agency_id == agency_id)).all())
        ev_cols = ["occurred_at", "entity", "entity_id", "agency_id", "phase", "action", "actor",
                   "before", "after", "details"]
        _copy(session, Event.__table__, ev_cols,
              ([ev[c] for c in ev_cols] for ev in (event_of(ids[r["notation"]], r) for r in rows)))
        return len(rows)
    for i in range(0, len(rows), BATCH):
        chunk = rows[i:i + BATCH]
        ids = session.execute(insert(File).returning(File.id, sort_by_parameter_order=True),
                              chunk).scalars().all()
        session.execute(insert(Event), [event_of(fid, r) for fid, r in zip(ids, chunk)])
    return len(rows)


def _copy(session: Session, table, cols: list[str], records) -> None:
    """COPY records into a PostgreSQL table inside the session's transaction (CSV format;
    dicts/lists go in as JSON, None as an unquoted empty field = NULL)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for rec in records:
        w.writerow([_copy_value(v) for v in rec])
    buf.seek(0)
    raw = session.connection().connection.driver_connection
    sql = (f'COPY {table.name} ({", ".join(cols)}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')')
    with raw.cursor() as cur:
        if hasattr(cur, "copy_expert"):  # psycopg2
            cur.copy_expert(sql, buf)
        else:  # psycopg 3
            with cur.copy(sql) as cp:
                cp.write(buf.getvalue())


def _copy_value(v):
    if v is None:
        return "\\N"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def _bulk_errors(session: Session, sub_id: int, errors: list[RowError]) -> None:
    for i in range(0, len(errors), BATCH):
        session.execute(insert(InventoryRowError), [
            {"submission_id": sub_id, "row_number": e.row_number, "field": e.field[:100],
             "value": e.value, "code": e.code, "problem": e.problem, "fix": e.fix}
            for e in errors[i:i + BATCH]])


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


def find_lists_in_storage(storage, prefix: str, agency: str | None = None) -> list[tuple[str, str]]:
    """Lists dropped under an object-store prefix: <prefix>/<AGENCY_CODE>/<file>."""
    prefix = prefix.strip("/") + "/"
    out = []
    for key in sorted(storage.list(prefix)):
        rest = key[len(prefix):].split("/")
        if len(rest) != 2 or not rest[1] or rest[1].startswith("~$"):
            continue
        if Path(rest[1]).suffix.lower() not in LIST_SUFFIXES:
            continue
        code = rest[0].upper()
        if agency and code != agency.upper():
            continue
        out.append((code, key))
    return out
