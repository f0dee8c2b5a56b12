"""Which files a phase works on: everything, one agency, or one file (operator reruns)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from sohoa.core.db.models import Agency, File


def select_files(session: Session, *, agency: str | None = None, file_ref: str | None = None,
                 statuses: Iterable[str] | None = None) -> list[File]:
    """Files filtered by agency code and/or a file reference, in a stable order.

    file_ref is a file code (e.g. TTLTHN.G01.2021.01.001), "AGENCY/notation", or a numeric id.
    When an operator names one file, the status filter still applies, so a rerun of a
    phase never drags a file backwards; phases reset what they own themselves.
    """
    return list(session.scalars(files_query(select(File), agency=agency, file_ref=file_ref,
                                            statuses=statuses)))


def files_query(q: Select, *, agency: str | None = None, file_ref: str | None = None,
                statuses: Iterable[str] | None = None) -> Select:
    """``q`` (a select of File or of some of its columns) with select_files' filters and
    order: a phase that only needs a few columns of many files reads just those."""
    q = q.join(Agency, Agency.id == File.agency_id)
    if agency:
        q = q.where(Agency.code == agency.strip().upper())
    if file_ref:
        ref = file_ref.strip()
        conds = [File.file_code == ref]
        if "/" in ref:
            code, notation = ref.split("/", 1)
            conds.append((Agency.code == code.upper()) & (File.notation == notation))
        if ref.isdigit():
            conds.append(File.id == int(ref))
        q = q.where(or_(*conds))
    if statuses is not None:
        q = q.where(File.status.in_(list(statuses)))
    return q.order_by(Agency.code, File.id)
