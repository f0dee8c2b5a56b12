"""Documents (văn bản) in the progress numbers: described, waiting for review and
confirmed, per agency, and the list of what waits on an agency's page.

Kept apart from ``weekly`` so the report's own numbers stay one concern; the dashboard
and the weekly report call these two functions.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sohoa.core import fields
from sohoa.core.db.models import Document, File

DOC_LABELS = {
    "described": "Văn bản đã mô tả",
    "waiting_review": "Văn bản chờ người kiểm tra",
    "confirmed": "Văn bản đã được xác nhận",
}
WAITING_SHOWN = 200


def document_counts(session: Session, agency_ids: list[int] | None = None) -> dict[int, dict]:
    """agency id -> {"described", "waiting_review", "confirmed"}; "confirmed" counts the
    documents a person has confirmed every flagged field of (review_state "confirmed")."""
    q = (select(File.agency_id, func.count(Document.id),
                func.sum(case((Document.review_state == "pending", 1), else_=0)),
                func.sum(case((Document.review_state == "confirmed", 1), else_=0)))
         .join(File, File.id == Document.file_id).group_by(File.agency_id))
    if agency_ids is not None:
        q = q.where(File.agency_id.in_(agency_ids))
    return {aid: {"described": int(n or 0), "waiting_review": int(w or 0),
                  "confirmed": int(c or 0)}
            for aid, n, w, c in session.execute(q)}


def totals(counts: dict[int, dict]) -> dict:
    out = dict.fromkeys(DOC_LABELS, 0)
    for row in counts.values():
        for k in out:
            out[k] += row.get(k, 0)
    return out


def waiting_documents(session: Session, agency_id: int, limit: int = WAITING_SHOWN) -> list[dict]:
    """An agency's documents waiting for a person: code, pages, which fields and why.
    A restricted file's document shows no subject (its code is enough)."""
    from sohoa.description.review import FIELD_LABELS

    rows = session.execute(
        select(Document, File.file_code, File.notation, File.access_mode)
        .join(File, File.id == Document.file_id)
        .where(File.agency_id == agency_id, Document.review_state == "pending")
        .order_by(File.id, Document.ordinal).limit(limit)).all()
    out = []
    for d, file_code, notation, access in rows:
        public = (access or fields.ACCESS_PUBLIC) == fields.ACCESS_PUBLIC
        out.append({"doc_code": d.doc_code or f"{file_code or notation} · {d.ordinal}",
                    "file": file_code or notation, "pages": f"{d.page_from}–{d.page_to}",
                    "type_name": d.type_name, "subject": d.subject if public else None,
                    "restricted": not public,
                    "fields": [FIELD_LABELS.get(k, k) for k in d.review or []],
                    "reasons": [(d.reasons or {}).get(k) for k in d.review or []]})
    return out


def attach(session: Session, numbers: dict) -> dict:
    """Add ``documents`` (per agency entry, roll-up entry and programme) to the numbers of
    ``weekly.progress_numbers``; returns ``numbers``."""
    counts = document_counts(session)
    empty = dict.fromkeys(DOC_LABELS, 0)
    for a in numbers.get("agencies", []):
        a["documents"] = counts.get(a["agency_id"], empty)
    ids = {a["code"]: a["agency_id"] for a in numbers.get("agencies", [])}
    for r in numbers.get("rollup", []):
        members = [ids[c] for c in r.get("member_codes") or [] if c in ids] or [r["agency_id"]]
        r["documents"] = totals({m: counts.get(m, empty) for m in members})
    numbers.setdefault("programme", {})["documents"] = totals(counts)
    return numbers
