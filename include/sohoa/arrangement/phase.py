"""Handover (bàn giao) and arrangement (chỉnh lý): boxes received, file codes assigned.

File codes follow TT 05/2025 by default ({archive}.{agency}.{year}.{submission}.{sequence});
SOHOA_FILE_CODE_STYLE=2019 selects TT 02/2019 ({agency}.{year}.{catalog}.{notation}).
A file keeps its code once assigned, so reruns change nothing.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.core import calendar, events
from sohoa.core import fields as F
from sohoa.core.db.models import ARRANGEMENT_STEPS, Agency, Box, File, RecordSlip
from sohoa.core.fields import (build_file_code_2019, build_file_code_2025, parse_file_code_2019,
                          parse_file_code_2025)
from sohoa.core.selection import select_files

UNBOXED = "CHUA-XEP-HOP"  # files listed without a box number


def archive_code() -> str:
    return os.environ.get("SOHOA_ARCHIVE_CODE", "TTLTHN")


def handover(session: Session, *, agency: str | None = None, file_ref: str | None = None) -> dict:
    """Record the listed boxes as received and reconcile counts with the list."""
    files = select_files(session, agency=agency, file_ref=file_ref, statuses=("inventoried",))
    per_box: dict[tuple[int, str], list[File]] = defaultdict(list)
    for f in files:
        per_box[(f.agency_id, f.box_no or UNBOXED)].append(f)
    now = datetime.now(timezone.utc)
    for (agency_id, box_no), box_files in sorted(per_box.items()):
        box = session.scalar(select(Box).where(Box.agency_id == agency_id, Box.box_no == box_no))
        if box is None:
            box = Box(agency_id=agency_id, box_no=box_no, expected_files=0)
            session.add(box)
            session.flush()
        listed = session.scalars(select(File).where(File.agency_id == agency_id,
                                                    func.coalesce(File.box_no, UNBOXED) == box_no)).all()
        box.expected_files = len(listed)
        box.expected_sheets = sum(f.sheet_count or 0 for f in listed)
        for f in box_files:
            f.box_id = box.id
            events.set_status(session, f, "status", "handed_over", phase="handover",
                              action="received", details={"box_no": box_no})
            f.arrangement_step = f.arrangement_step or "received"  # first step, same event
        box.received_files = sum(1 for f in listed if f.box_id == box.id)
        box.received_sheets = sum(f.sheet_count or 0 for f in listed if f.box_id == box.id)
        box.received_at = box.received_at or now
    session.flush()
    return {"files": len(files), "boxes": len(per_box), "discrepancies": reconcile(session, agency)}


def reconcile(session: Session, agency: str | None = None) -> list[dict]:
    """Boxes whose received counts differ from the list (Vietnamese message per box)."""
    q = select(Box, Agency.code).join(Agency, Agency.id == Box.agency_id)
    if agency:
        q = q.where(Agency.code == agency.upper())
    out = []
    for box, code in session.execute(q):
        if box.received_files is not None and box.received_files != box.expected_files:
            out.append({"agency": code, "box_no": box.box_no, "expected": box.expected_files,
                        "received": box.received_files,
                        "message": f"Hộp {box.box_no}: danh mục {box.expected_files} hồ sơ, "
                                   f"nhận {box.received_files} hồ sơ"})
    return out


def arrange(session: Session, *, agency: str | None = None, file_ref: str | None = None,
            style: str | None = None, force: bool = False) -> dict:
    """Walk each handed-over file through the arrangement steps (DOMAIN.md, TT 16/2023
    subset), one event per step: classified → files formed (file code, retention and
    access set) → record slip entered (the archivists' slip when imported, else one made
    from the list) → checked (code parses, retention and access valid) → boxed/labelled
    → status "arranged". A file that fails the check stays at its step with the reasons.
    ``force``: files already arranged (not yet scanned) are checked again, one
    ``forced_rerun`` event each; one that no longer passes goes back to "handed_over"."""
    style = style or os.environ.get("SOHOA_FILE_CODE_STYLE", "2025")
    files = select_files(session, agency=agency, file_ref=file_ref,
                         statuses=("handed_over", "arranged") if force else ("handed_over",))
    codes = {a.id: a.code for a in session.scalars(select(Agency))}
    slips = {sl.file_id: sl for sl in session.scalars(
        select(RecordSlip).where(RecordSlip.file_id.in_([f.id for f in files])))} if files else {}
    taken = set(session.scalars(select(File.file_code).where(File.file_code.is_not(None))))
    next_seq: dict[tuple[int, int], int] = {}
    assigned = arranged = forced = 0
    problems = []

    def step(f: File, name: str, **details) -> None:
        if ARRANGEMENT_STEPS.index(name) > ARRANGEMENT_STEPS.index(f.arrangement_step or "received"):
            events.set_status(session, f, "arrangement_step", name, phase="arrangement",
                              action=f"step_{name}", details=details or None)

    for f in sorted(files, key=lambda f: (f.agency_id, f.source_row or 0, f.id)):
        if f.status == "arranged":  # only when forced
            events.record_forced(session, entity="files", entity_id=f.id, phase="arrangement",
                                 agency_id=f.agency_id, details={"file_code": f.file_code})
            forced += 1
        step(f, "classified")
        if not f.file_code:
            code = _new_code(session, f, codes[f.agency_id], style, next_seq, taken)
            events.set_status(session, f, "file_code", code, phase="arrangement",
                              action="file_code_assigned", details={"style": style})
            taken.add(code)
            f.organ_id = codes[f.agency_id]
            assigned += 1
        step(f, "formed", retention_code=f.retention_code, access_mode=f.access_mode)
        if f.id not in slips:
            slips[f.id] = _slip_from_list(session, f)
        step(f, "slip_entered", slip_no=slips[f.id].slip_no)
        reasons = check_file(f, style)
        if reasons:
            problems.append({"agency": codes[f.agency_id], "notation": f.notation,
                             "reasons": reasons})
            if f.qc_issues != reasons:
                f.qc_issues = reasons
                events.record(session, entity="files", entity_id=f.id, phase="arrangement",
                              action="check_failed", agency_id=f.agency_id,
                              details={"reasons": reasons})
            events.set_status(session, f, "status", "handed_over", phase="arrangement",
                              action="check_failed_again")  # no-op unless it was arranged
            continue
        step(f, "checked")
        step(f, "boxed", box_no=f.box_no or UNBOXED)
        events.set_status(session, f, "status", "arranged", phase="arrangement", action="arranged")
        arranged += 1
    session.flush()
    return {"files": len(files), "codes_assigned": assigned, "arranged": arranged,
            "check_failed": problems, "forced": forced}


def _new_code(session: Session, f: File, agency_code: str, style: str,
              next_seq: dict, taken: set[str]) -> str:
    """A file code unique across the programme (the column is unique too)."""
    year = _file_year(f)
    if style == "2019":
        base = build_file_code_2019(agency_code, year, f.catalog or "01",
                                    _notation_token(f.notation))
        code, n = base, 1
        while code in taken:  # "01/VP" and "01-VP" share a token: keep both codes distinct
            n += 1
            token = _notation_token(f.notation)[: F.MAX_NOTATION - len(str(n)) - 1] + f"-{n}"
            code = build_file_code_2019(agency_code, year, f.catalog or "01", token)
        return code
    key = (f.agency_id, year)
    if key not in next_seq:
        next_seq[key] = _max_sequence(session, agency_code, year) + 1
    code = build_file_code_2025(archive_code(), agency_code, year, 1, next_seq[key])
    next_seq[key] += 1
    return code


def check_file(f: File, style: str) -> list[str]:
    """What the archivist's check finds wrong (Vietnamese); [] when the file passes."""
    reasons = []
    try:
        (parse_file_code_2019 if style == "2019" else parse_file_code_2025)(f.file_code or "")
    except ValueError:
        if not _parses_any(f.file_code):
            reasons.append(f"Mã hồ sơ «{f.file_code}» không đúng định dạng")
    if f.retention_code not in F.RETENTION:
        reasons.append("Chưa xác định thời hạn bảo quản")
    if f.access_mode not in F.ACCESS_MODES:
        reasons.append("Chưa xác định chế độ sử dụng")
    return reasons


def _parses_any(code: str | None) -> bool:
    for parse in (parse_file_code_2025, parse_file_code_2019):
        try:
            parse(code or "")
            return True
        except ValueError:
            pass
    return False


def _slip_from_list(session: Session, f: File) -> RecordSlip:
    """No archivist slip imported: the slip is made from the inventory list's row."""
    slip = RecordSlip(file_id=f.id, slip_no=None, archivist=None, entered_on=None,
                      values={k: _j(getattr(f, k)) for k in SLIP_TO_FILE.values()},
                      source_key="danh_muc", source_row=f.source_row)
    session.add(slip)
    session.flush()
    return slip


# ----------------------------------------------------------------- record slips (phiếu tin)

# Archivists' sheet column (folded) → slip field; the file columns it updates.
SLIP_HEADERS = {
    "ma co quan": "agency", "ma phong": "agency", "so va ky hieu ho so": "notation",
    "so ky hieu ho so": "notation", "so ky hieu": "notation", "ma ho so": "file_code",
    "so phieu": "slip_no", "so phieu tin": "slip_no", "nguoi lap phieu": "archivist",
    "nguoi nhap": "archivist", "ngay lap phieu": "entered_on", "ngay lap": "entered_on",
    "tieu de ho so": "title", "thoi han bao quan": "retention_code",
    "che do su dung": "access_mode", "tong so van ban": "total_docs",
    "so luong to": "sheet_count", "so luong trang": "page_count",
    "ky hieu thong tin": "infor_sign", "tu khoa": "keyword", "tinh trang vat ly": "physical_format",
    "chu giai": "description", "ngon ngu": "language",
}
SLIP_TO_FILE = {"title": "title", "retention_code": "retention_code",
                "access_mode": "access_mode", "total_docs": "total_docs",
                "sheet_count": "sheet_count", "page_count": "page_count",
                "infor_sign": "infor_sign", "keyword": "keyword",
                "physical_format": "physical_format", "description": "description"}
_INT_FIELDS = {"total_docs", "sheet_count", "page_count"}


def import_record_slips(session: Session, data: bytes, filename: str, *,
                        source_key: str | None = None) -> dict:
    """Import the archivists' record-slip sheet (XLSX/CSV, one row per file). Each slip is
    matched to its file by file code or by agency code + notation, validated, stored, and
    its values copied onto the file (each change an event). Unchanged slips change
    nothing; rows that cannot be used come back with Vietnamese reasons."""
    from sohoa.intake.inventory import UnreadableSheet, read_sheet_records

    try:
        header, rows = read_sheet_records(data, filename, SLIP_HEADERS)
    except UnreadableSheet as exc:
        return {"rows": 0, "slips": 0, "updated": 0,
                "errors": [{"row": 0, "problem": exc.problem, "fix": exc.fix}]}
    if header is None:
        return {"rows": 0, "slips": 0, "updated": 0, "errors": [
            {"row": 0, "problem": "Không tìm thấy dòng tiêu đề cột của phiếu tin "
                                  "(cần «Mã cơ quan», «Số và ký hiệu hồ sơ» hoặc «Mã hồ sơ»).",
             "fix": "Giữ nguyên dòng tiêu đề cột của mẫu phiếu tin."}]}
    agencies = {a.code: a.id for a in session.scalars(select(Agency))}
    created = updated = 0
    errors = []
    for rn, rec in rows:
        f = None
        if rec.get("file_code"):
            f = session.scalar(select(File).where(File.file_code == rec["file_code"]))
        elif rec.get("agency") and rec.get("notation"):
            aid = agencies.get(rec["agency"].upper())
            f = aid and session.scalar(select(File).where(File.agency_id == aid,
                                                          File.notation == rec["notation"]))
        if not f:
            ref = rec.get("file_code") or f"{rec.get('agency', '')}/{rec.get('notation', '')}"
            errors.append({"row": rn, "field": "Hồ sơ", "value": ref,
                           "problem": f"Không tìm thấy hồ sơ của phiếu tin ({ref}).",
                           "fix": "Ghi đúng mã hồ sơ, hoặc mã cơ quan và số, ký hiệu hồ sơ "
                                  "như trong danh mục đã nộp."})
            continue
        values, bad = _slip_values(rec)
        if bad:
            errors += [{"row": rn, "field": label, "value": str(v), "problem": problem,
                        "fix": "Sửa ô này trên phiếu tin rồi gửi lại tệp; các phiếu khác "
                               "đã được nhập."} for label, v, problem in bad]
            continue
        slip = session.scalar(select(RecordSlip).where(RecordSlip.file_id == f.id))
        meta = {"slip_no": rec.get("slip_no") or None, "archivist": rec.get("archivist") or None,
                "entered_on": _slip_date(rec.get("entered_on"))}
        if slip is None:
            slip = RecordSlip(file_id=f.id, values={}, source_key=source_key, source_row=rn, **meta)
            session.add(slip)
            created += 1
        elif slip.values == values and all(getattr(slip, k) == v for k, v in meta.items()):
            continue
        else:
            updated += 1
        slip.values, slip.source_key, slip.source_row = values, source_key, rn
        for k, v in meta.items():
            setattr(slip, k, v)
        session.flush()
        changed = {c: (getattr(f, c), values[k]) for k, c in SLIP_TO_FILE.items()
                   if k in values and getattr(f, c) != values[k]}
        for c, (_, v) in changed.items():
            setattr(f, c, v)
        events.record(session, entity="files", entity_id=f.id, phase="arrangement",
                      action="record_slip_entered", agency_id=f.agency_id,
                      before={c: _j(o) for c, (o, _) in changed.items()} or None,
                      after={c: _j(n) for c, (_, n) in changed.items()} or None,
                      details={"slip_no": slip.slip_no, "archivist": slip.archivist,
                               "source": source_key or filename, "row": rn})
        if f.arrangement_step in (None, "received", "classified", "formed"):
            events.set_status(session, f, "arrangement_step", "slip_entered", phase="arrangement",
                              action="step_slip_entered", details={"slip_no": slip.slip_no})
    session.flush()
    return {"rows": len(rows), "slips": created, "updated": updated, "errors": errors}


# Slip field → its TT 02/2019 field (fields.FILE_FIELDS): the column label shown to the
# archivists and the maximum length both come from there.
_SLIP_FIELD_TAGS = {
    "title": "Title", "retention_code": "Maintenance", "access_mode": "Rights",
    "total_docs": "TotalDoc", "sheet_count": "SheetTotal", "page_count": "PageTotal",
    "infor_sign": "InforSign", "keyword": "Keyword", "physical_format": "Format",
    "description": "Description",
}


def _slip_values(rec: dict) -> tuple[dict, list[tuple[str, object, str]]]:
    """The slip's file values, and its bad cells as (column label, value, problem)."""
    values: dict = {}
    problems: list[tuple[str, object, str]] = []
    for k in SLIP_TO_FILE:
        v = rec.get(k)
        if v in (None, ""):
            continue
        if k == "retention_code":
            code = F.parse_retention(v)
            if code is None:
                problems.append((k, v, f"Thời hạn bảo quản «{v}» không hợp lệ"))
            values[k] = code
        elif k == "access_mode":
            mode = F.parse_access_mode(v)
            if mode is None:
                problems.append((k, v, f"Chế độ sử dụng «{v}» không hợp lệ (Công khai, Hạn chế, Mật)"))
            values[k] = mode
        elif k in _INT_FIELDS:
            try:
                values[k] = int(str(v).replace(".", "").split()[0])
            except (ValueError, IndexError):
                problems.append((k, v, f"«{v}» không phải số"))
        else:
            spec = F.FILE_FIELD_BY_TAG[_SLIP_FIELD_TAGS[k]].max_length
            if len(v) > spec:
                problems.append((k, v, f"Dài {len(v)} ký tự, tối đa {spec}"))
            values[k] = v
    return values, [(F.FILE_FIELD_BY_TAG[_SLIP_FIELD_TAGS[k]].name_vi, v, p)
                    for k, v, p in problems]


def _slip_date(v):
    if not v:
        return None
    if isinstance(v, date):
        return v
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", str(v).strip())
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _j(v):
    return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)


def _file_year(f: File) -> int:
    for d in (f.end_date, f.start_date):
        if d:
            return d.year
    return calendar.today().year


def _notation_token(notation: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", notation).upper() or "HS"


def _max_sequence(session: Session, agency_code: str, year: int) -> int:
    prefix = f"{archive_code()}.{agency_code}.{year}."
    existing = session.scalars(select(File.file_code).where(File.file_code.like(prefix + "%")))
    return max((int(c.rsplit(".", 1)[-1]) for c in existing if c.rsplit(".", 1)[-1].isdigit()),
               default=0)
