"""The weekly progress report (báo cáo tiến độ hằng tuần): numbers → XLSX + HTML in storage.

Writes both files through the storage interface and records a ``ReportRun`` row plus an
event. Numbers: sohoa.reporting.numbers; files: sohoa.reporting.xlsx and .html.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session


from sohoa.core import events
from sohoa.core.storage import XLSX_CONTENT_TYPE
from sohoa.core.db.models import (
    ReportRun,
)
from sohoa.reporting.html import render_html
from sohoa.reporting.numbers import open_rescan_items, progress_numbers, report_keys
from sohoa.reporting.xlsx import render_xlsx


# --------------------------------------------------------------------------- build


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def build_weekly_report(session: Session, storage, as_of: date) -> dict[str, Any]:
    """Compute the numbers, write the XLSX and HTML report to ``storage``, record a
    ReportRun (one per as_of: a rerun updates it and overwrites the same keys)."""
    numbers = progress_numbers(session, as_of)
    rescans = open_rescan_items(session)
    xlsx_key, html_key = report_keys(as_of)
    xlsx_sha = storage.put_bytes(
        xlsx_key, render_xlsx(numbers, rescans),
        content_type=XLSX_CONTENT_TYPE,
    )
    html_sha = storage.put_bytes(
        html_key, render_html(numbers, rescans).encode("utf-8"),
        content_type="text/html; charset=utf-8",
    )
    prog = numbers["programme"]
    totals = _jsonable({
        "as_of": as_of,
        "week_start": numbers["week_start"],
        "agencies": prog["agencies"],
        "agencies_at_risk": prog["agencies_at_risk"],
        "files": prog["files"],
        "pages": prog["pages"],
        "rejected_inventory_rows": prog["rejected_inventory_rows"],
        "qc_reject_by_reason": prog["qc_reject_by_reason"],
        "plan": prog["plan"],
        "done_this_week": prog["done_this_week"],
        "forecast_date": prog["forecast_date"],
        "risk_reasons": prog["risk_reasons"],
    })
    week_start = numbers["week_start"]
    run = session.scalars(
        select(ReportRun)
        .where(ReportRun.week_start == week_start,
               or_(ReportRun.xlsx_key == xlsx_key, ReportRun.html_key == html_key))
        .order_by(ReportRun.id)
        .limit(1)
    ).first()
    rerun = run is not None
    now = datetime.now(timezone.utc)
    if run is None:
        run = ReportRun(week_start=week_start, xlsx_key=xlsx_key, html_key=html_key,
                        totals=totals, generated_at=now)
        session.add(run)
    else:
        run.xlsx_key, run.html_key, run.totals, run.generated_at = xlsx_key, html_key, totals, now
    session.flush()
    events.record(
        session, entity="report_runs", entity_id=run.id, phase="progress_report",
        action="generated", after={"xlsx_key": xlsx_key, "html_key": html_key},
        details={"as_of": as_of.isoformat(), "rerun": rerun, "xlsx_sha256": xlsx_sha,
                 # the Airflow run that built it (its "Báo cáo tuần" link finds it by this)
                 "airflow_run_id": os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"),
                 "html_sha256": html_sha, "agencies": prog["agencies"]},
    )
    session.flush()
    return {"xlsx_key": xlsx_key, "html_key": html_key, "report_run_id": run.id,
            "totals": totals}
