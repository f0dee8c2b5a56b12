"""Inventory intake: archive each submitted list, load its good rows, keep every bad row.

Parsing and validation live in sohoa.intake.inventory; this module writes the outcome to the
database and the object store. Re-sending the same file changes nothing (same SHA-256);
a corrected re-submission of the same list updates only the rows that changed, each
with an event. A row naming a file that another, earlier list of the agency already
gave is a duplicate against that submission: kept as an error row, never loaded twice.

Speed (issue 5: 50,000 rows ≤ 10 s, benchmarks/bench_intake.py): rows are compared
against the agency's files fetched once as plain tuples; on PostgreSQL the new files are
COPYed while the list is still being parsed (_FileStream), their 'inventoried' events
(one per file) are written by one INSERT ... SELECT on the server, and error rows by
COPY; elsewhere bulk INSERTs (one statement per batch, not one per row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import queue
import re
import threading
from datetime import date, datetime, timezone
from operator import attrgetter
from pathlib import Path, PurePosixPath

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from sohoa.core import events
from sohoa.core.db.models import Agency, Event, File, InventoryRowError, InventorySubmission
from sohoa.core.fields import fold
from sohoa.intake.errors_xlsx import write_error_workbook
from sohoa.intake.inventory import RowError, parse_inventory

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
                *, source: str = "cli", force: bool = False) -> dict:
    """Load one list. The same bytes again are ``unchanged`` unless ``force``: then the
    list is read again into its existing submission (its row errors rebuilt, files put
    back to what the list says) and a ``forced_rerun`` event names the operator."""
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        raise IntakeError(f"Không có cơ quan mã '{agency_code}' trong danh mục cơ quan")
    sha = hashlib.sha256(data).hexdigest()
    old = session.scalar(select(InventorySubmission).where(
        InventorySubmission.agency_id == agency.id, InventorySubmission.sha256 == sha))
    if old is not None and not force:
        return {"submission_id": old.id, "status": "unchanged", "agency": agency.code,
                "filename": filename}

    name = Path(filename).name if old is None else old.filename
    raw_key = f"intake/{agency.code}/{sha[:16]}/{name}"
    key = list_key(name)
    if old is not None:  # forced: the same submission, read again
        sub = old
        session.execute(delete(InventoryRowError).where(InventoryRowError.submission_id == sub.id))
        events.record_forced(session, entity="inventory_submissions", entity_id=sub.id,
                             phase="inventory", agency_id=agency.id,
                             details={"filename": name, "sha256": sha})
    else:
        storage.put_bytes(raw_key, data)
        # the submission first: its id goes on every new file, and new files are written
        # to PostgreSQL while the rest of the list is still being parsed (see _FileStream)
        sub = InventorySubmission(
            agency_id=agency.id, filename=name, object_key=raw_key, sha256=sha, total_rows=0,
            status="loaded", list_key=key, source=source, duplicate_rows=0,
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
    new_rows: list = []  # InventoryRow objects: no per-row dict for the bulk path
    updates: list[tuple[int, dict, dict, int]] = []
    duplicates: list[RowError] = []
    stream = _FileStream.start(session, agency.id, sub.id, now)

    def take(rows: list) -> None:  # called with each batch of valid rows as it is parsed
        fresh = []
        for row in rows:
            have = existing.get(row.notation)
            if have is None:
                fresh.append(row)
                existing[row.notation] = (None, row.notation, key)
                continue
            if have[0] is None:  # listed twice in this list: the parser already caught it
                continue
            if have[2] is not None and have[2] != key:
                duplicates.append(_duplicate_earlier(row, have))
                continue
            current = dict(zip(_FILE_COLS, have[5:]))
            values = {col: getattr(row, attr) for attr, col in ROW_TO_FILE.items()}
            changed = {c: (current[c], v) for c, v in values.items() if current[c] != v}
            if changed:
                updates.append((have[0], changed, {"submission_id": sub.id,
                                                   "row": row.row_number}, row.row_number))
        new_rows.extend(fresh)
        if stream is not None and fresh:
            stream.send(fresh)

    try:
        parsed = parse_inventory(data, filename, on_rows=take)
    except BaseException:
        if stream is not None:
            stream.close(raise_error=False)
        raise
    if stream is not None:
        stream.close()  # waits for the server to finish the COPY; raises its error if any
    parsed.errors.extend(duplicates)
    sub.duplicate_rows = len(duplicates)
    sub.encoding = (parsed.conversion or {}).get("source") or parsed.encoding or None
    sub.total_rows = parsed.total_rows
    sub.conversion = parsed.conversion

    created = _bulk_create(session, new_rows, agency.id, sub.id, actor, now,
                           copied=stream is not None)
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
    return {"submission_id": sub.id, "status": "loaded" if old is None else "reloaded",
            "agency": agency.code,
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


# New files on PostgreSQL: these columns, constants first, then the row's attributes.
_NEW_FILE_COLS = ["agency_id", "submission_id", "status", "created_at", "updated_at",
                  "notation", "source_row", *ROW_TO_FILE.values()]
_NEW_FILE_GET = attrgetter("notation", "row_number", *ROW_TO_FILE)


def _bulk_create(session: Session, rows: list, agency_id: int, sub_id: int, actor: str,
                 now: datetime, *, copied: bool = False) -> int:
    """INSERT new files (InventoryRow objects), then one 'inventoried' event per file.
    PostgreSQL: COPY the files (already done by _FileStream when ``copied``), then write
    their events with one INSERT ... SELECT on the server (no ids fetched back, no JSON
    built row by row here); elsewhere: batched executemany."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        if not copied:
            const = (agency_id, sub_id, "inventoried", now, now)
            _copy(session, File.__table__, _NEW_FILE_COLS,
                  (const + _NEW_FILE_GET(r) for r in rows))
        # same event as the other path builds: after {status, notation}, details
        # {submission_id, row}; files of this submission are exactly the new ones here
        # (updates of earlier files are written after this)
        session.execute(text(
            "INSERT INTO events (occurred_at, entity, entity_id, agency_id, phase, action, "
            "actor, after, details) "
            "SELECT :now, 'files', id, agency_id, 'inventory', 'inventoried', :actor, "
            "json_build_object('status', status, 'notation', notation), "
            "json_build_object('submission_id', submission_id, 'row', source_row) "
            "FROM files WHERE submission_id = :sub AND agency_id = :agency ORDER BY id"),
            {"now": now, "actor": actor, "sub": sub_id, "agency": agency_id})
        return len(rows)
    for i in range(0, len(rows), BATCH):
        chunk = [dict(agency_id=agency_id, notation=r.notation, submission_id=sub_id,
                      source_row=r.row_number, status="inventoried", arrangement_step=None,
                      created_at=now, updated_at=now,
                      **{col: getattr(r, attr) for attr, col in ROW_TO_FILE.items()})
                 for r in rows[i:i + BATCH]]
        ids = session.execute(insert(File).returning(File.id, sort_by_parameter_order=True),
                              chunk).scalars().all()
        session.execute(insert(Event), [{
            "occurred_at": now, "entity": "files", "entity_id": fid, "agency_id": agency_id,
            "phase": "inventory", "action": "inventoried", "actor": actor, "before": None,
            "after": {"status": "inventoried", "notation": r["notation"]},
            "details": {"submission_id": sub_id, "row": r["source_row"]}}
            for fid, r in zip(ids, chunk)])
    return len(rows)


def _copy(session: Session, table, cols: list[str], records) -> None:
    """COPY records into a PostgreSQL table inside the session's transaction (CSV format;
    None → \\N = NULL, dicts/lists as JSON; dates and numbers as str() writes them)."""
    text_ = _copy_csv(records)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur:
        if hasattr(cur, "copy_expert"):  # psycopg2
            cur.copy_expert(_copy_sql(table.name, cols), io.StringIO(text_))
        else:  # psycopg 3
            with cur.copy(_copy_sql(table.name, cols)) as cp:
                cp.write(text_)


def _copy_sql(table: str, cols: list[str]) -> str:
    return f'COPY {table} ({", ".join(cols)}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'


def _copy_csv(records) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # most values need no conversion: test the cheap cases inline, call only for the rest
    w.writerows([v if v.__class__ in _PLAIN else _copy_value(v) for v in rec]
                for rec in records)
    return buf.getvalue()


class _FileStream:
    """COPY of the new files running while the list is still being parsed: a thread hands
    psycopg2 the CSV of each batch of rows as the parser delivers it, so the server's
    share of the load (indexes, foreign keys, WAL) overlaps the parsing instead of
    following it. Only this thread uses the connection until :meth:`close`."""

    def __init__(self, cur, sql: str, const: tuple):
        self.const = const
        self.error: BaseException | None = None
        self._q: queue.Queue = queue.Queue(maxsize=4)  # bounded: parsing waits if far ahead
        self._buf, self._pos, self._eof = "", 0, False
        self._thread = threading.Thread(target=self._run, args=(cur, sql), daemon=True,
                                        name="sohoa-intake-copy")
        self._thread.start()

    @classmethod
    def start(cls, session: Session, agency_id: int, sub_id: int, now: datetime):
        """A running stream, or None where it does not apply (SQLite, psycopg 3)."""
        if session.get_bind().dialect.name != "postgresql":
            return None
        cur = session.connection().connection.driver_connection.cursor()
        if not hasattr(cur, "copy_expert"):
            cur.close()
            return None
        return cls(cur, _copy_sql("files", _NEW_FILE_COLS),
                   (agency_id, sub_id, "inventoried", now, now))

    def send(self, rows: list) -> None:
        self._q.put(_copy_csv(self.const + _NEW_FILE_GET(r) for r in rows))

    def read(self, size: int = -1) -> str:  # psycopg2 pulls the data from the thread
        while self._pos >= len(self._buf):
            if self._eof:
                return ""
            chunk = self._q.get()
            if chunk is None:
                self._eof = True
                return ""
            self._buf, self._pos = chunk, 0
        end = len(self._buf) if size is None or size < 0 else self._pos + size
        out = self._buf[self._pos:end]
        self._pos += len(out)
        return out

    def _run(self, cur, sql: str) -> None:
        try:
            with cur:
                cur.copy_expert(sql, self)
        except BaseException as exc:  # noqa: BLE001 - handed to close()
            self.error = exc
            while not self._eof:  # keep taking batches so the parser never blocks
                self._eof = self._q.get() is None

    def close(self, raise_error: bool = True) -> None:
        self._q.put(None)
        self._thread.join()
        if self.error is not None and raise_error:
            raise self.error


_PLAIN = frozenset({str, int, float, date})


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
    if not errors:
        return
    if session.get_bind().dialect.name == "postgresql":  # a list full of errors: COPY too
        _copy(session, InventoryRowError.__table__,
              ["submission_id", "row_number", "field", "value", "code", "problem", "fix"],
              ((sub_id, e.row_number, e.field[:100], e.value, e.code, e.problem, e.fix)
               for e in errors))
        return
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
