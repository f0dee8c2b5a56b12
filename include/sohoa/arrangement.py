"""Handover (bàn giao) and arrangement (chỉnh lý): boxes received, file codes assigned.

File codes follow TT 05/2025 by default ({archive}.{agency}.{year}.{submission}.{sequence});
SOHOA_FILE_CODE_STYLE=2019 selects TT 02/2019 ({agency}.{year}.{catalog}.{notation}).
A file keeps its code once assigned, so reruns change nothing.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa import events
from sohoa.db.models import ARRANGEMENT_STEPS, Agency, Box, File
from sohoa.fields import build_file_code_2019, build_file_code_2025
from sohoa.selection import select_files

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
            style: str | None = None) -> dict:
    """Assign file codes, walk the arrangement steps, mark files arranged."""
    style = style or os.environ.get("SOHOA_FILE_CODE_STYLE", "2025")
    files = select_files(session, agency=agency, file_ref=file_ref, statuses=("handed_over",))
    codes = {a.id: a.code for a in session.scalars(select(Agency))}
    next_seq: dict[tuple[int, int], int] = {}
    assigned = 0
    for f in sorted(files, key=lambda f: (f.agency_id, f.source_row or 0, f.id)):
        if not f.file_code:
            year = _file_year(f)
            if style == "2019":
                code = build_file_code_2019(codes[f.agency_id], year, f.catalog or "01",
                                            _notation_token(f.notation))
            else:
                key = (f.agency_id, year)
                if key not in next_seq:
                    next_seq[key] = _max_sequence(session, codes[f.agency_id], year) + 1
                code = build_file_code_2025(archive_code(), codes[f.agency_id], year, 1,
                                            next_seq[key])
                next_seq[key] += 1
            events.set_status(session, f, "file_code", code, phase="arrangement",
                              action="file_code_assigned")
            f.organ_id = codes[f.agency_id]
            assigned += 1
        events.set_status(session, f, "arrangement_step", ARRANGEMENT_STEPS[-1],
                          phase="arrangement", action="steps_completed",
                          details={"steps": list(ARRANGEMENT_STEPS)})
        events.set_status(session, f, "status", "arranged", phase="arrangement", action="arranged")
    session.flush()
    return {"files": len(files), "codes_assigned": assigned}


def _file_year(f: File) -> int:
    for d in (f.end_date, f.start_date):
        if d:
            return d.year
    return datetime.now().year


def _notation_token(notation: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", notation).upper() or "HS"


def _max_sequence(session: Session, agency_code: str, year: int) -> int:
    prefix = f"{archive_code()}.{agency_code}.{year}."
    existing = session.scalars(select(File.file_code).where(File.file_code.like(prefix + "%")))
    return max((int(c.rsplit(".", 1)[-1]) for c in existing if c.rsplit(".", 1)[-1].isdigit()),
               default=0)
