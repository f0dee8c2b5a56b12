"""Progress numbers and the weekly progress report (báo cáo tiến độ hằng tuần).

Every number is computed by SQL aggregation (GROUP BY / COUNT / SUM(CASE ...)) so the
cost grows with the number of agencies and weeks, not with the number of files or
pages. Python only reshapes the few aggregated rows (one per agency, or per agency and
status) and sums agencies into their current successor for the roll-up.

The report is written as an XLSX workbook and a self-contained HTML page (inline SVG
charts, no JavaScript) to object storage, and recorded as a ``ReportRun`` row plus an
event. Titles of restricted files (``access_mode != "public"``) never leave the
database: the only list of files in the report (open rescan requests) selects the title
with ``CASE WHEN access_mode = 'public'`` so restricted titles are not even read.

No Airflow import here.
"""

from __future__ import annotations

import html
import io
import math
import os
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, literal, or_, select, text, union_all
from sqlalchemy.orm import Session

from sohoa.core.db import counters

from sohoa.core import events
from sohoa.intake.agencies import current_successors
from sohoa.core.storage import XLSX_CONTENT_TYPE
from sohoa.reporting import documents
from sohoa.core.db.models import (
    FILE_STATUSES,
    Agency,
    Event,
    File,
    InventorySubmission,
    PlanTarget,
    ReportRun,
    RescanRequest,
)

__all__ = [
    "PHASES",
    "PHASE_LABELS",
    "RISK_RULES",
    "build_weekly_report",
    "current_successor_map",
    "progress_numbers",
    "render_html",
    "render_xlsx",
    "report_keys",
    "week_start_of",
]

# --------------------------------------------------------------------------- rules
# Everything a reviewer might want to change lives here, in one place.

#: Weeks are Vietnamese calendar weeks (Monday 00:00 in Hanoi time).
REPORT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKS_SHOWN = 8  # weekly history in the report
THROUGHPUT_WEEKS = 4  # forecast uses the average of the last 4 weeks (28 days up to as_of)
RESCAN_LIST_LIMIT = 200  # oldest open rescan requests listed in the report

RISK_RULES = {
    # open rescan requests / scanned pages above this ratio is a backlog
    "rescan_backlog_ratio": 0.05,
    # ... or any open request older than this many days
    "rescan_max_age_days": 14,
    # rejected pages / scanned pages above this ratio is a high reject rate
    "reject_rate": 0.10,
}
RISK_LATE = "Chậm so với kế hoạch"
RISK_RESCAN = "Tồn đọng quét lại"
RISK_REJECT = "Tỷ lệ trang bị loại cao"

#: Funnel phases, in report order (models.FILE_STATUSES).
PHASES = tuple(FILE_STATUSES)
PHASE_LABELS = {
    "inventoried": "Đã lập danh mục",
    "handed_over": "Đã bàn giao",
    "arranged": "Đã chỉnh lý",
    "scanned": "Đã số hóa (quét)",
    "qc_passed": "Đạt kiểm tra chất lượng",
    "qc_rejected": "Bị loại, chờ quét lại",
    "ocr_done": "Đã nhận dạng (OCR)",
    "integrated": "Đã tích hợp CSDL dùng chung",
}
PAGE_LABELS = {
    "scanned": "Trang đã quét",
    "qc_pass": "Trang đạt",
    "qc_fixable": "Trang sửa tự động",
    "qc_reject": "Trang bị loại",
    "awaiting_rescan": "Trang chờ quét lại",
    "ocr_done": "Trang đã OCR",
    "low_confidence": "Trang OCR độ tin cậy thấp",
}
LEVEL_LABELS = {
    "city": "Thành phố",
    "district": "Cấp huyện",
    "commune": "Cấp xã",
    "department": "Sở, ban, ngành",
}
STATUS_LABELS = {
    "active": "Đang hoạt động",
    "merged": "Đã sáp nhập",
    "dissolved": "Đã giải thể",
    "split": "Đã chia tách",
}
PAGE_KEYS = tuple(PAGE_LABELS)
#: Vietnamese names of the QC defect codes (sohoa.scan.qc.DEFECTS) for reject reasons.
DEFECT_LABELS = {
    "blank": "Trang trắng", "blurred": "Ảnh mờ", "blur": "Ảnh mờ", "low_dpi": "Độ phân giải thấp",
    "skewed": "Trang nghiêng", "skew": "Trang nghiêng", "upside_down": "Trang bị lộn ngược",
    "rotated": "Trang bị xoay", "cropped": "Mất mép, bị cắt", "corrupt": "Tệp ảnh hỏng",
    "duplicate": "Trang trùng", "low_contrast": "Độ tương phản thấp",
}


def _funnel_statuses() -> dict[str, tuple[str, ...]]:
    """For each phase, the file statuses that count in it (the funnel is cumulative).

    A file counts in every phase up to its status; ``qc_rejected`` is a side branch:
    it counts as scanned but not as qc_passed or beyond. Unknown statuses count only
    as inventoried (every file is).
    """
    rank = {s: i for i, s in enumerate(FILE_STATUSES)}
    eff = dict(rank, qc_rejected=rank["scanned"])
    out: dict[str, tuple[str, ...]] = {}
    for phase in PHASES:
        if phase == "qc_rejected":
            out[phase] = ("qc_rejected",)
        else:
            out[phase] = tuple(s for s in FILE_STATUSES if eff[s] >= rank[phase])
    return out


FUNNEL = _funnel_statuses()


# --------------------------------------------------------------------------- helpers


def week_start_of(d: date) -> date:
    """Monday of the ISO week containing ``d``."""
    return d - timedelta(days=d.weekday())


def _iso_label(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _utc_bound(d: date) -> datetime:
    """Local midnight at the start of ``d`` (Hanoi time) as an aware UTC datetime."""
    return datetime.combine(d, time(0), tzinfo=REPORT_TZ).astimezone(timezone.utc)


def report_keys(as_of: date) -> tuple[str, str]:
    ws = week_start_of(as_of)
    base = f"reports/{ws.isoformat()}/bao_cao_tien_do_{as_of.isoformat()}"
    return f"{base}.xlsx", f"{base}.html"


# The roll-up rule lives with the registry; kept under this name for report callers.
current_successor_map = current_successors


def _empty_files() -> dict[str, int]:
    return {p: 0 for p in PHASES}


def _empty_pages() -> dict[str, int]:
    return {k: 0 for k in PAGE_KEYS} | {"awaiting_rescan_overdue": 0}


def _empty_weekly(weeks: list[date]) -> list[dict[str, Any]]:
    return [
        {"week": _iso_label(w), "week_start": w, **{p: 0 for p in PHASES}} for w in weeks
    ]


# --------------------------------------------------------------------------- SQL parts


def _in(col, agency_ids: list[int] | None):
    return [] if agency_ids is None else [col.in_(agency_ids)]


def _status_counts(session: Session, agency_ids: list[int] | None):
    """Files per phase, pages per state and reject reasons per agency, from the trigger-kept counters
    (sohoa.core.db.counters): a few hundred rows whatever the number of files and pages."""
    conn = session.connection()
    counters.ensure(conn)
    files: dict[int, dict[str, int]] = {}
    pages: dict[int, dict[str, int]] = {}
    reasons: dict[int, dict[str, int]] = {}
    for aid, m in counters.read(conn, agency_ids).items():
        by_status = {k[5:]: v for k, v in m.items() if k.startswith("file:")}
        f = _empty_files()
        f["inventoried"] = sum(by_status.values())  # every file, whatever its status
        for phase in PHASES[1:]:
            f[phase] = sum(by_status.get(s, 0) for s in FUNNEL[phase])
        files[aid] = f
        pages[aid] = {k: m.get(f"page:{k}", 0) for k in counters.PAGE_METRICS}
        # QC reject reasons: rejected pages per defect listed on them
        reasons[aid] = {k[7:]: v for k, v in m.items() if k.startswith("defect:") and v}
    return files, pages, reasons


def _rescans_by_agency(session: Session, overdue_before: datetime,
                       agency_ids: list[int] | None) -> dict[int, tuple[int, int]]:
    rq = (
        select(
            RescanRequest.agency_id,
            func.count().label("open"),
            func.sum(case((RescanRequest.opened_at < overdue_before, 1), else_=0)).label(
                "overdue"
            ),
        )
        .where(RescanRequest.status == "open", *_in(RescanRequest.agency_id, agency_ids))
        .group_by(RescanRequest.agency_id)
    )
    return {r.agency_id: (int(r.open or 0), int(r.overdue or 0)) for r in session.execute(rq)}


def _inventory_errors(session: Session, agency_ids: list[int] | None) -> dict[int, int]:
    q = (select(InventorySubmission.agency_id,
                func.coalesce(func.sum(InventorySubmission.error_rows), 0))
         .where(*_in(InventorySubmission.agency_id, agency_ids))
         .group_by(InventorySubmission.agency_id))
    return {a: int(n or 0) for a, n in session.execute(q)}


def _defect_name(item: Any) -> str | None:
    if isinstance(item, dict):
        item = item.get("code") or item.get("defect")
    return None if item is None else str(item)


def _file_status_events(start: datetime, end: datetime, agency_ids: list[int] | None,
                        statuses: tuple[str, ...] | None = None):
    """File status changes in [start, end) as (agency_id, status, file_id, t).

    Events carry their agency (events.set_status fills it); the rare one without is
    attributed through its file. Both halves are served by the partial indexes of
    migration 0002_progress, so only the window's events are read.
    """
    status = Event.after["status"].as_string()
    if not statuses:
        which = status.is_not(None)
    elif len(statuses) == 1:  # "=" lets PostgreSQL match the partial index's predicate
        which = status == statuses[0]
    else:
        which = status.in_(statuses)
    conds = [Event.entity == "files", Event.occurred_at >= start, Event.occurred_at < end, which]
    direct = select(Event.agency_id.label("agency_id"), status.label("status"),
                    Event.entity_id.label("file_id"), Event.occurred_at.label("t")).where(
        *conds, Event.agency_id.is_not(None), *_in(Event.agency_id, agency_ids))
    via_file = (select(File.agency_id, status, Event.entity_id, Event.occurred_at)
                .join(File, File.id == Event.entity_id)
                .where(*conds, Event.agency_id.is_(None), *_in(File.agency_id, agency_ids)))
    return union_all(direct, via_file).subquery("fe")


def _weekly_by_agency(session: Session, weeks: list[date], as_of: date,
                      agency_ids: list[int] | None = None, full: bool = True):
    """Files reaching each phase per week (distinct files per week), from the events.

    Returns ({agency_id: {status: [n per week]}}, {agency_id: {"integrated": n in the
    last THROUGHPUT_WEEKS weeks up to as_of}}). With ``full=False`` only ``integrated``
    in the current week is counted (the dashboard's list), besides the throughput.
    """
    bounds = [_utc_bound(w) for w in weeks] + [_utc_bound(as_of + timedelta(days=1))]
    end = bounds[-1]
    tp_start = _utc_bound(as_of + timedelta(days=1) - timedelta(days=7 * THROUGHPUT_WEEKS))
    weekly: dict[int, dict[str, list[int]]] = defaultdict(dict)
    last4: dict[int, dict[str, int]] = defaultdict(dict)

    def series(aid: int, status: str) -> list[int]:
        return weekly[aid].setdefault(status, [0] * len(weeks))

    if full:
        # One pass: each (file, status, week) once, then counted per agency/status/week.
        if agency_ids is None and session.get_bind().dialect.name == "postgresql":
            # a city's 8 weeks are ~1 M status changes: hash them in memory, not on disk
            session.execute(text("SET LOCAL work_mem = '64MB'"))
        ev = _file_status_events(bounds[0], end, agency_ids)
        wk = case(*[(ev.c.t < bounds[i + 1], i) for i in range(len(weeks) - 1)],
                  else_=len(weeks) - 1)
        d = (select(ev.c.agency_id, ev.c.status, ev.c.file_id, wk.label("wk"))
             .distinct().subquery("d"))
        q = (select(d.c.agency_id, d.c.status, d.c.wk, func.count())
             .group_by(d.c.agency_id, d.c.status, d.c.wk))
        for aid, status, i, n in session.execute(q):
            if aid is not None and status in PHASES:
                series(aid, status)[int(i)] = int(n)
    # Throughput (and this week's integrated files when not full): integrated only.
    start = min(tp_start, bounds[-2])
    ev = _file_status_events(start, end, agency_ids, ("integrated",))
    q = (select(ev.c.agency_id,
                func.count(distinct(case((ev.c.t >= tp_start, ev.c.file_id), else_=None))),
                func.count(distinct(case((ev.c.t >= bounds[-2], ev.c.file_id), else_=None))))
         .group_by(ev.c.agency_id))
    for aid, n4, this_week in session.execute(q):
        if aid is None:
            continue
        last4[aid]["integrated"] = int(n4 or 0)
        if not full:
            series(aid, "integrated")[-1] = int(this_week or 0)
    return weekly, last4


# --------------------------------------------------------------------------- derived


def _derive(entry: dict[str, Any], as_of: date, integrated_last4: int) -> None:
    """pct_of_plan, throughput, forecast and risk from an entry's aggregated numbers."""
    files, pages, plan = entry["files"], entry["pages"], entry["plan"]
    integrated = files["integrated"]
    target = plan.get("target_files") or 0
    plan["pct_of_plan"] = round(100.0 * integrated / target, 1) if target else None
    throughput = integrated_last4 / THROUGHPUT_WEEKS
    entry["throughput_per_week"] = round(throughput, 2)
    remaining = (target if target else files["inventoried"]) - integrated
    entry["remaining_files"] = max(remaining, 0)
    if remaining <= 0 and (target or files["inventoried"]):
        forecast = as_of
    elif throughput > 0:
        forecast = as_of + timedelta(days=math.ceil(remaining / throughput * 7))
    else:
        forecast = None
    entry["forecast_date"] = forecast

    reasons: list[str] = []
    deadline = plan.get("deadline")
    if deadline and remaining > 0 and (forecast is None or forecast > deadline):
        reasons.append(RISK_LATE)
    scanned_pages = pages["scanned"]
    if pages["awaiting_rescan_overdue"] > 0 or (
        scanned_pages and pages["awaiting_rescan"] / scanned_pages > RISK_RULES["rescan_backlog_ratio"]
    ):
        reasons.append(RISK_RESCAN)
    if scanned_pages and pages["qc_reject"] / scanned_pages > RISK_RULES["reject_rate"]:
        reasons.append(RISK_REJECT)
    entry["risk_reasons"] = reasons
    entry["at_risk"] = bool(reasons)


def _sum_into(dst: dict[str, Any], src: dict[str, Any]) -> None:
    for k in dst["files"]:
        dst["files"][k] += src["files"][k]
    for k in dst["pages"]:
        dst["pages"][k] += src["pages"][k]
    dst["rejected_inventory_rows"] += src["rejected_inventory_rows"]
    for k, n in src["qc_reject_by_reason"].items():
        dst["qc_reject_by_reason"][k] = dst["qc_reject_by_reason"].get(k, 0) + n
    for dw, sw in zip(dst["weekly"], src["weekly"]):
        for p in PHASES:
            dw[p] += sw[p]
    for p in PHASES:
        dst["done_this_week"][p] += src["done_this_week"][p]
    dst["integrated_before_window"] += src["integrated_before_window"]
    dst["_last4"] += src["_last4"]
    sp, dp = src["plan"], dst["plan"]
    if sp.get("target_files") is not None:
        dp["target_files"] = (dp.get("target_files") or 0) + sp["target_files"]
        dp["target_pages"] = (dp.get("target_pages") or 0) + (sp.get("target_pages") or 0)
        if sp.get("deadline") and (not dp.get("deadline") or sp["deadline"] > dp["deadline"]):
            dp["deadline"] = sp["deadline"]


def _blank_entry(weeks: list[date]) -> dict[str, Any]:
    return {
        "files": _empty_files(),
        "pages": _empty_pages(),
        "rejected_inventory_rows": 0,
        "qc_reject_by_reason": {},
        "plan": {"target_files": None, "target_pages": None, "deadline": None,
                 "pct_of_plan": None},
        "weekly": _empty_weekly(weeks),
        "done_this_week": {p: 0 for p in PHASES},
        "integrated_before_window": 0,
        "_last4": 0,
    }


def _sorted_reasons(d: dict[str, int]) -> dict[str, int]:
    return dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------- API


def progress_numbers(session: Session, as_of: date, *, agency_ids: list[int] | None = None,
                     weekly: bool = True) -> dict[str, Any]:
    """Progress of the programme on ``as_of``: per creating agency, per current
    successor (roll-up) and for the whole programme. See the module docstring.

    ``agency_ids`` limits the numbers to those agencies (an agency page: the agency and
    the agencies rolled up under it); ``programme`` is then their sum. ``weekly=False``
    leaves out the weekly series (the dashboard's list), keeping
    this week's and the throughput window's integrated files for forecast and risk.
    """
    week_start = week_start_of(as_of)
    weeks = [week_start - timedelta(weeks=i) for i in range(WEEKS_SHOWN - 1, -1, -1)]
    if not weekly:
        weeks = weeks[-1:]  # the list needs this week only
    overdue_before = _utc_bound(as_of - timedelta(days=RISK_RULES["rescan_max_age_days"]))

    all_agencies = session.execute(
        select(Agency.id, Agency.code, Agency.name, Agency.level, Agency.status,
               Agency.effective_date).order_by(Agency.code)
    ).all()
    by_id = {a.id: a for a in all_agencies}
    wanted = None if agency_ids is None else set(agency_ids)
    agencies = [a for a in all_agencies if wanted is None or a.id in wanted]
    ids = None if wanted is None else sorted(wanted)
    succ = current_successor_map(session, as_of)
    files, pages, reasons = _status_counts(session, ids)
    rescans = _rescans_by_agency(session, overdue_before, ids)
    inv_err = _inventory_errors(session, ids)
    weekly_counts, last4 = _weekly_by_agency(session, weeks, as_of, ids, full=weekly)
    plans = {
        p.agency_id: p
        for p in session.execute(
            select(PlanTarget.agency_id, PlanTarget.target_files, PlanTarget.target_pages,
                   PlanTarget.deadline).where(*_in(PlanTarget.agency_id, ids))
        )
    }

    def base_entry(aid: int) -> dict[str, Any]:
        e = _blank_entry(weeks)
        e["files"].update(files.get(aid, {}))
        if aid in pages:
            e["pages"].update(pages[aid])
        e["pages"]["awaiting_rescan"], e["pages"]["awaiting_rescan_overdue"] = rescans.get(aid, (0, 0))
        e["rejected_inventory_rows"] = inv_err.get(aid, 0)
        e["qc_reject_by_reason"] = _sorted_reasons(dict(reasons.get(aid, {})))
        if aid in plans:
            p = plans[aid]
            e["plan"].update(target_files=p.target_files, target_pages=p.target_pages,
                             deadline=p.deadline)
        for status, counts in weekly_counts.get(aid, {}).items():
            for row, n in zip(e["weekly"], counts):
                row[status] = n
        e["done_this_week"] = {p: e["weekly"][-1][p] for p in PHASES}
        # The burn-up ends at today's integrated count; what the window's events do not
        # explain was integrated before it.
        in_window = sum(w["integrated"] for w in e["weekly"])
        e["integrated_before_window"] = max(e["files"]["integrated"] - in_window, 0) if weekly else 0
        e["_last4"] = last4.get(aid, {}).get("integrated", 0)
        return e

    agency_rows: list[dict[str, Any]] = []
    entries: dict[int, dict[str, Any]] = {}
    for a in agencies:
        e = base_entry(a.id)
        entries[a.id] = e
        s = succ.get(a.id, a.id)
        row = {
            "agency_id": a.id,
            "code": a.code,
            "name": a.name,
            "level": a.level,
            "status": a.status,
            "effective_date": a.effective_date,
            "successor_code": by_id[s].code if s != a.id else None,
            **e,
        }
        _derive(row, as_of, row.pop("_last4"))
        agency_rows.append(row)

    # Roll-up under the current successor.
    groups: dict[int, list[int]] = defaultdict(list)
    for a in agencies:
        groups[succ.get(a.id, a.id)].append(a.id)
    rollup: list[dict[str, Any]] = []
    risk_by_id = {r["agency_id"]: r for r in agency_rows}
    for sid in sorted(groups, key=lambda i: by_id[i].code):
        s = by_id[sid]
        e = _blank_entry(weeks)
        for aid in groups[sid]:
            _sum_into(e, entries[aid])
        e["qc_reject_by_reason"] = _sorted_reasons(e["qc_reject_by_reason"])
        row = {
            "agency_id": sid,
            "code": s.code,
            "name": s.name,
            "level": s.level,
            "status": s.status,
            "member_codes": sorted(by_id[a].code for a in groups[sid]),
            **e,
        }
        _derive(row, as_of, row.pop("_last4"))
        member_reasons = [r for a in groups[sid] for r in risk_by_id[a]["risk_reasons"]]
        row["risk_reasons"] = [
            r for r in (RISK_LATE, RISK_RESCAN, RISK_REJECT)
            if r in row["risk_reasons"] or r in member_reasons
        ]
        row["at_risk"] = bool(row["risk_reasons"])
        rollup.append(row)

    prog = _blank_entry(weeks)
    for aid in entries:
        _sum_into(prog, entries[aid])
    prog["qc_reject_by_reason"] = _sorted_reasons(prog["qc_reject_by_reason"])
    _derive(prog, as_of, prog.pop("_last4"))
    prog["agencies"] = len(agency_rows)
    prog["agencies_at_risk"] = sum(1 for r in agency_rows if r["at_risk"])
    prog["rollup_units"] = len(rollup)
    return {
        "as_of": as_of,
        "week_start": week_start,
        "weeks": [_iso_label(w) for w in weeks],
        "agencies": agency_rows,
        "rollup": rollup,
        "programme": prog,
        "partial": ids is not None,
    }


def rollup_member_ids(session: Session, agency_id: int, as_of: date | None = None) -> list[int]:
    """The agency and every agency whose records it holds today (its roll-up group)."""
    succ = current_successor_map(session, as_of)
    return sorted({agency_id} | {a for a, s in succ.items() if s == agency_id})


def open_rescan_items(session: Session, limit: int = RESCAN_LIST_LIMIT,
                      agency_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The oldest open rescan requests, for the report. The title is selected only for
    public files: a restricted file shows its code/notation and never its title."""
    title = case((File.access_mode == "public", File.title), else_=literal(None))
    q = (
        select(
            Agency.code.label("agency_code"),
            File.notation,
            File.file_code,
            File.access_mode,
            title.label("title"),
            RescanRequest.page_no,
            RescanRequest.reasons,
            RescanRequest.opened_at,
        )
        .join(File, File.id == RescanRequest.file_id)
        .join(Agency, Agency.id == RescanRequest.agency_id)
        .where(RescanRequest.status == "open", *_in(RescanRequest.agency_id, agency_ids))
        .order_by(RescanRequest.opened_at, RescanRequest.id)
        .limit(limit)
    )
    out = []
    for r in session.execute(q):
        reasons = r.reasons if isinstance(r.reasons, list) else ([r.reasons] if r.reasons else [])
        out.append({
            "agency_code": r.agency_code,
            "file": r.file_code or r.notation,
            "restricted": r.access_mode != "public",
            "title": r.title if r.access_mode == "public" else None,
            "page_no": r.page_no,
            "reasons": "; ".join(DEFECT_LABELS.get(n, n)
                                 for n in filter(None, (_defect_name(x) for x in reasons))),
            "opened_at": r.opened_at,
        })
    return out


# --------------------------------------------------------------------------- formatting


def _num(n: Any) -> str:
    if n is None:
        return "—"
    if isinstance(n, float):
        return f"{n:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{n:,}".replace(",", ".")


def _d(d: date | datetime | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = d.astimezone(REPORT_TZ).date() if d.tzinfo else d.date()
    return d.strftime("%d/%m/%Y")


def _pct(p: float | None) -> str:
    return "—" if p is None else f"{_num(float(p))} %"


# --------------------------------------------------------------------------- XLSX

SUMMARY_COLUMNS: list[tuple[str, Any, str | None, int]] = [
    ("Mã cơ quan", lambda r: r["code"], None, 14),
    ("Tên cơ quan", lambda r: r["name"], None, 36),
    ("Cấp", lambda r: LEVEL_LABELS.get(r["level"], r["level"]), None, 14),
    ("Tình trạng", lambda r: STATUS_LABELS.get(r["status"], r["status"]), None, 16),
    ("Đơn vị kế thừa hiện nay", lambda r: r.get("successor_code") or "", None, 14),
    *[(f"Hồ sơ: {PHASE_LABELS[p]}", (lambda p: lambda r: r["files"][p])(p), "#,##0", 14)  # noqa: B023 - bound by the outer lambda
      for p in PHASES],
    *[(PAGE_LABELS[k], (lambda k: lambda r: r["pages"][k])(k), "#,##0", 13) for k in PAGE_KEYS],  # noqa: B023
    ("Dòng danh mục bị trả lại", lambda r: r["rejected_inventory_rows"], "#,##0", 13),
    ("Chỉ tiêu hồ sơ", lambda r: r["plan"]["target_files"], "#,##0", 12),
    ("Chỉ tiêu trang", lambda r: r["plan"]["target_pages"], "#,##0", 12),
    ("Hạn hoàn thành", lambda r: r["plan"]["deadline"], "dd/mm/yyyy", 13),
    ("Tỷ lệ hoàn thành kế hoạch",
     lambda r: (r["files"]["integrated"] / r["plan"]["target_files"])
     if r["plan"]["target_files"] else None, "0.0%", 13),
    ("Tích hợp trong tuần", lambda r: r["done_this_week"]["integrated"], "#,##0", 12),
    ("Bình quân tích hợp/tuần (4 tuần)", lambda r: r["throughput_per_week"], "#,##0.0", 13),
    ("Dự báo hoàn thành", lambda r: r["forecast_date"], "dd/mm/yyyy", 13),
    ("Cảnh báo", lambda r: "; ".join(r["risk_reasons"]), None, 30),
]
SUMMARY_HEADER_ROW = 4

# XlsxWriter writes the workbook as a stream of rows: the city's ~600 sheets (~150 000
# cells) take about a second, against 8-12 s for openpyxl's object model. Rows and
# columns below are 0-based (XlsxWriter's convention); SUMMARY_HEADER_ROW is the
# 1-based row a reader sees.
_XLSX_STYLES = {
    "title": {"bold": True, "font_size": 14, "font_color": "#1F3864"},
    "sub": {"italic": True, "font_size": 10, "font_color": "#555555"},
    "section": {"bold": True, "font_size": 12, "font_color": "#1F4E78"},
    "head": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
             "valign": "vcenter", "align": "center", "border": 1, "border_color": "#999999"},
    "body": {"border": 1, "border_color": "#999999"},
    "total": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "border_color": "#999999"},
    "risk": {"bg_color": "#FCE4D6", "border": 1, "border_color": "#999999"},
}


class _Xlsx:
    """One report workbook: formats made once per (kind, number format), sheet names
    made safe and unique (Excel compares them case-insensitively), column widths kept
    as the widest any table on the sheet asked for."""

    def __init__(self, buf: io.BytesIO):
        import xlsxwriter

        # Cell text is data, never a formula or link (a title starting with "=" stays text).
        self.wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "default_date_format": "dd/mm/yyyy"})
        self._formats: dict[tuple[str, str | None], Any] = {}
        self._names: set[str] = set()
        self._widths: dict[Any, dict[int, float]] = {}

    def fmt(self, kind: str, num_format: str | None = None):
        key = (kind, num_format)
        if key not in self._formats:
            props = dict(_XLSX_STYLES.get(kind, {}))
            if num_format:
                props["num_format"] = num_format
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, title: str):
        for ch in '[]:*?/\\':
            title = title.replace(ch, "_")
        title = title.strip("'")[:31] or "CQ"
        base, i = title, 1
        while title.lower() in self._names:
            i += 1
            title = f"{base[:28]}_{i}"
        self._names.add(title.lower())
        ws = self.wb.add_worksheet(title)
        self._widths[ws] = {}
        return ws

    def width(self, ws, col: int, width: float) -> None:
        w = self._widths[ws]
        w[col] = max(w.get(col, 0), width)

    def close(self) -> None:
        for ws, widths in self._widths.items():
            for col, w in widths.items():
                ws.set_column(col, col, w)
        self.wb.close()


def _print_setup(ws, repeat_rows: tuple[int, int] | None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.center_horizontally()
    if repeat_rows:
        ws.repeat_rows(*repeat_rows)


def _table(x: _Xlsx, ws, top: int, columns, rows, total_row=None, risk_key=True) -> int:
    """Write a header at 0-based row ``top``, then the rows and an optional total;
    returns the next free row. A column's number format may depend on the row
    (a callable), for key/value tables mixing numbers and dates."""
    head = x.fmt("head")
    for c, (label, _g, _f, width) in enumerate(columns):
        ws.write_string(top, c, label, head)
        x.width(ws, c, width)
    ws.set_row(top, 48)
    r = top
    for item in rows + ([total_row] if total_row is not None else []):
        r += 1
        kind = ("total" if item is total_row
                else "risk" if risk_key and item.get("at_risk") else "body")
        for c, (_l, getter, num_format, _w) in enumerate(columns):
            nf = num_format(item) if callable(num_format) else num_format
            ws.write(r, c, getter(item), x.fmt(kind, nf))
    return r + 1


def render_xlsx(numbers: dict[str, Any], rescans: list[dict[str, Any]] | None = None) -> bytes:
    buf = io.BytesIO()
    x = _Xlsx(buf)
    ws = x.sheet("Tổng hợp")
    as_of, week_start = numbers["as_of"], numbers["week_start"]
    ws.write_string(0, 0, "BÁO CÁO TIẾN ĐỘ SỐ HÓA HỒ SƠ, TÀI LIỆU", x.fmt("title"))
    ws.write_string(1, 0, f"Số liệu đến ngày {_d(as_of)} — tuần {numbers['weeks'][-1]} "
                          f"(từ {_d(week_start)}); theo cơ quan lập hồ sơ", x.fmt("sub"))
    prog = dict(numbers["programme"], code="TỔNG", name="Toàn chương trình", level="",
                status="", successor_code="")
    hr = SUMMARY_HEADER_ROW - 1
    _table(x, ws, hr, SUMMARY_COLUMNS, numbers["agencies"], total_row=prog)
    ws.freeze_panes(hr + 1, 2)
    _print_setup(ws, (hr, hr))

    # Roll-up under today's successor.
    wr = x.sheet("Theo đơn vị kế thừa")
    wr.write_string(0, 0, "TIẾN ĐỘ GỘP THEO ĐƠN VỊ KẾ THỪA HIỆN NAY", x.fmt("title"))
    wr.write_string(1, 0, f"Số liệu đến ngày {_d(as_of)}; hồ sơ của cơ quan đã sáp nhập/giải thể "
                          "gộp vào đơn vị kế thừa", x.fmt("sub"))
    cols = [SUMMARY_COLUMNS[0], SUMMARY_COLUMNS[1], SUMMARY_COLUMNS[2],
            ("Gồm các cơ quan", lambda r: ", ".join(r["member_codes"]), None, 24),
            *SUMMARY_COLUMNS[5:]]
    _table(x, wr, 3, cols, numbers["rollup"], total_row=dict(prog, member_codes=[]))
    wr.freeze_panes(4, 2)
    _print_setup(wr, (3, 3))

    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in rescans or []:
        by_agency[item["agency_code"]].append(item)
    for a in numbers["agencies"]:
        _agency_sheet(x, numbers, a, by_agency.get(a["code"], []))
    x.close()
    return buf.getvalue()


def _agency_sheet(x: _Xlsx, numbers, a, rescans) -> None:
    ws = x.sheet(a["code"])
    ws.write_string(0, 0, f"{a['code']} — {a['name']}", x.fmt("title"))
    extra = f"; hồ sơ do {a['successor_code']} tiếp nhận" if a.get("successor_code") else ""
    ws.write_string(1, 0, f"{LEVEL_LABELS.get(a['level'], a['level'])}; "
                          f"{STATUS_LABELS.get(a['status'], a['status'])}{extra}; "
                          f"số liệu đến ngày {_d(numbers['as_of'])}", x.fmt("sub"))
    section = x.fmt("section")
    kv = [("Chỉ tiêu", lambda r: r[0], None, 34), ("Số lượng", lambda r: r[1], "#,##0", 16)]
    row = 3
    ws.write_string(row, 0, "Tiến độ hồ sơ (lũy kế)", section)
    row = _table(x, ws, row + 1, kv, [(PHASE_LABELS[p], a["files"][p]) for p in PHASES],
                 risk_key=False) + 1
    ws.write_string(row, 0, "Trang tài liệu", section)
    page_rows = [(PAGE_LABELS[k], a["pages"][k]) for k in PAGE_KEYS]
    page_rows.append(("Dòng danh mục bị trả lại", a["rejected_inventory_rows"]))
    row = _table(x, ws, row + 1, kv, page_rows, risk_key=False) + 1
    ws.write_string(row, 0, "Lý do loại trang", section)
    reasons = list(a["qc_reject_by_reason"].items()) or [("(không có)", 0)]
    row = _table(x, ws, row + 1, kv, reasons, risk_key=False) + 1
    ws.write_string(row, 0, "Kế hoạch và dự báo", section)
    plan = a["plan"]
    plan_rows = [  # (label, value, number format)
        ("Chỉ tiêu hồ sơ", plan["target_files"], "#,##0"),
        ("Chỉ tiêu trang", plan["target_pages"], "#,##0"),
        ("Hạn hoàn thành", plan["deadline"], "dd/mm/yyyy"),
        ("Tỷ lệ hoàn thành kế hoạch (%)", plan["pct_of_plan"], "0.0"),
        ("Bình quân tích hợp/tuần (4 tuần)", a["throughput_per_week"], "0.0"),
        ("Dự báo hoàn thành", a["forecast_date"] or "Chưa đủ số liệu", "dd/mm/yyyy"),
        ("Cảnh báo", "; ".join(a["risk_reasons"]) or "Không", "#,##0"),
    ]
    kv_plan = [("Nội dung", lambda r: r[0], None, 34),
               ("Giá trị", lambda r: r[1], lambda r: r[2], 16)]
    row = _table(x, ws, row + 1, kv_plan, plan_rows, risk_key=False) + 1
    ws.write_string(row, 0, "Hồ sơ đạt từng khâu theo tuần", section)
    wcols = [("Tuần", lambda r: r["week"], None, 34),
             *[(PHASE_LABELS[p], (lambda p: lambda r: r[p])(p), "#,##0", 14) for p in PHASES]]  # noqa: B023
    row = _table(x, ws, row + 1, wcols, a["weekly"], risk_key=False) + 1
    if rescans:
        ws.write_string(row, 0, "Trang chờ quét lại (cũ nhất trước)", section)
        rcols = [
            ("Hồ sơ (mã/ký hiệu)", lambda r: r["file"], None, 34),
            ("Tiêu đề", lambda r: "(hạn chế)" if r["restricted"] else (r["title"] or ""), None, 40),
            ("Trang", lambda r: r["page_no"], "0", 8),
            ("Lý do", lambda r: r["reasons"], None, 30),
            ("Mở từ ngày", lambda r: _d(r["opened_at"]), None, 14),
        ]
        _table(x, ws, row + 1, rcols, rescans, risk_key=False)
    for col in range(2, 9):
        x.width(ws, col, 14)
    ws.freeze_panes(3, 0)
    _print_setup(ws, (0, 1))


# --------------------------------------------------------------------------- SVG charts

_COLORS = {
    "inventoried": "#9dc3e6", "handed_over": "#8faadc", "arranged": "#7f9fd0",
    "scanned": "#5b9bd5", "qc_passed": "#70ad47", "qc_rejected": "#e46c0a",
    "ocr_done": "#4472c4", "integrated": "#2e75b6",
}


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def svg_funnel(files: dict[str, int], width: int = 560) -> str:
    """Horizontal bars, one per phase (cumulative funnel)."""
    label_w, bar_h, gap = 190, 16, 5
    maxv = max([files.get(p, 0) for p in PHASES] + [1])
    h = len(PHASES) * (bar_h + gap) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
             f'viewBox="0 0 {width} {h}" role="img" aria-label="Phễu tiến độ hồ sơ">']
    avail = width - label_w - 70
    for i, p in enumerate(PHASES):
        y = 3 + i * (bar_h + gap)
        v = files.get(p, 0)
        w = round(avail * v / maxv, 1)
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" '
                     f'font-size="11">{_e(PHASE_LABELS[p])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" '
                     f'fill="{_COLORS[p]}"/>')
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="11">{_num(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_weekly_bars(weekly: list[dict[str, Any]], phases=("scanned", "integrated"),
                    width: int = 560, height: int = 200) -> str:
    """Grouped bars: files reaching each of ``phases`` per week."""
    left, bottom, top = 36, 34, 18
    maxv = max([w[p] for w in weekly for p in phases] + [1])
    n = max(len(weekly), 1)
    slot = (width - left - 8) / n
    bw = max(slot * 0.8 / len(phases), 2)
    ph = height - bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Số hồ sơ theo tuần">']
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{width - 4}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{_num(maxv)}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" font-size="10">0</text>')
    for i, w in enumerate(weekly):
        x0 = left + i * slot + slot * 0.1
        for j, p in enumerate(phases):
            v = w[p]
            bh = round(ph * v / maxv, 1)
            x = round(x0 + j * bw, 1)
            parts.append(f'<rect x="{x}" y="{round(top + ph - bh, 1)}" width="{round(bw - 1, 1)}" '
                         f'height="{bh}" fill="{_COLORS[p]}"><title>{_e(PHASE_LABELS[p])} '
                         f'{_e(w["week"])}: {v}</title></rect>')
            if v:
                parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + ph - bh - 2:.1f}" '
                             f'text-anchor="middle" font-size="9">{v}</text>')
        parts.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 14}" '
                     f'text-anchor="middle" font-size="9">{_e(w["week"][5:])}</text>')
    lx = left
    for p in phases:
        parts.append(f'<rect x="{lx}" y="{height - 12}" width="10" height="10" fill="{_COLORS[p]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 3}" font-size="10">{_e(PHASE_LABELS[p])}</text>')
        lx += 200
    parts.append("</svg>")
    return "".join(parts)


def burnup_points(entry: dict[str, Any], as_of: date) -> list[tuple[date, int]]:
    """(last day of each week, at most as_of; cumulative files integrated) from events."""
    cum = entry.get("integrated_before_window", 0)
    pts = []
    for w in entry["weekly"]:
        cum += w["integrated"]
        pts.append((min(w["week_start"] + timedelta(days=6), as_of), cum))
    return pts


def svg_burnup(entry: dict[str, Any], as_of: date, width: int = 560, height: int = 220) -> str:
    """Cumulative integrated files vs the plan target, with deadline and forecast."""
    left, right, top, bottom = 44, 12, 16, 40
    pts = burnup_points(entry, as_of)
    target = entry["plan"].get("target_files")
    deadline = entry["plan"].get("deadline")
    forecast = entry.get("forecast_date")
    x_start = entry["weekly"][0]["week_start"]
    x_end = max([pts[-1][0], as_of] + [d for d in (deadline, forecast) if d])
    x_end = min(x_end, x_start + timedelta(days=3 * 365))
    span = max((x_end - x_start).days, 1)
    ymax = max([target or 0] + [v for _, v in pts] + [1])
    pw, ph = width - left - right, height - top - bottom

    def X(d: date) -> float:
        return round(left + pw * min(max((d - x_start).days, 0), span) / span, 1)

    def Y(v: float) -> float:
        return round(top + ph - ph * v / ymax, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Lũy kế so với kế hoạch">']
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{_num(ymax)}</text>')
    parts.append(f'<text x="{left}" y="{top + ph + 14}" font-size="10">{_d(x_start)}</text>')
    parts.append(f'<text x="{left + pw}" y="{top + ph + 14}" text-anchor="end" font-size="10">{_d(x_end)}</text>')
    if target:
        parts.append(f'<line x1="{left}" y1="{Y(target)}" x2="{left + pw}" y2="{Y(target)}" '
                     f'stroke="#c00000" stroke-dasharray="6 3"/>')
        parts.append(f'<text x="{left + 4}" y="{Y(target) - 3}" font-size="10" fill="#c00000">'
                     f'Chỉ tiêu {_num(target)} hồ sơ</text>')
    if deadline:
        parts.append(f'<line x1="{X(deadline)}" y1="{top}" x2="{X(deadline)}" y2="{top + ph}" '
                     f'stroke="#c00000"/>')
        # The label goes on the side of the line that has room (a past deadline sits at the left edge).
        right_side = X(deadline) < left + 90
        parts.append(f'<text x="{X(deadline) + (3 if right_side else -3)}" y="{top + 22}" '
                     f'text-anchor="{"start" if right_side else "end"}" font-size="10" '
                     f'fill="#c00000">Hạn {_d(deadline)}</text>')
    path = " ".join(f"{X(d)},{Y(v)}" for d, v in pts)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#2e75b6" stroke-width="2"/>')
    for d, v in pts:
        parts.append(f'<circle cx="{X(d)}" cy="{Y(v)}" r="2.5" fill="#2e75b6"><title>{_d(d)}: {v}</title></circle>')
    if forecast and target and forecast > pts[-1][0]:
        parts.append(f'<line x1="{X(pts[-1][0])}" y1="{Y(pts[-1][1])}" x2="{X(forecast)}" '
                     f'y2="{Y(target)}" stroke="#2e75b6" stroke-dasharray="3 3"/>')
    ly = height - 10
    parts.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 16}" y2="{ly - 4}" stroke="#2e75b6" stroke-width="2"/>')
    parts.append(f'<text x="{left + 20}" y="{ly}" font-size="10">Lũy kế hồ sơ đã tích hợp</text>')
    parts.append(f'<line x1="{left + 180}" y1="{ly - 4}" x2="{left + 196}" y2="{ly - 4}" stroke="#2e75b6" stroke-dasharray="3 3"/>')
    parts.append(f'<text x="{left + 200}" y="{ly}" font-size="10">Dự báo ({_d(forecast)})</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- HTML

TEMPLATE_DIR = Path(__file__).parent / "templates"


def render_html(numbers: dict[str, Any], rescans: list[dict[str, Any]] | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                      autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=_num, d=_d, pct=_pct)
    prog = numbers["programme"]
    charts = {
        "prog_funnel": Markup(svg_funnel(prog["files"])),
        "prog_weekly": Markup(svg_weekly_bars(prog["weekly"])),
        "prog_burnup": Markup(svg_burnup(prog, numbers["as_of"])),
        "agency_funnel": {a["code"]: Markup(svg_funnel(a["files"], width=480))
                          for a in numbers["agencies"]},
        "agency_burnup": {a["code"]: Markup(svg_burnup(a, numbers["as_of"], width=480, height=200))
                          for a in numbers["agencies"]},
        "agency_weekly": {a["code"]: Markup(svg_weekly_bars(a["weekly"], width=480, height=170))
                          for a in numbers["agencies"]},
        "rollup_burnup": {r["code"]: Markup(svg_burnup(r, numbers["as_of"], width=480, height=200))
                          for r in numbers["rollup"]},
    }
    return env.get_template("report.html.j2").render(
        n=numbers, prog=prog, charts=charts, rescans=rescans or [],
        phases=PHASES, phase_labels=PHASE_LABELS, page_keys=PAGE_KEYS,
        page_labels=PAGE_LABELS, level_labels=LEVEL_LABELS, status_labels=STATUS_LABELS,
        rescan_limit=RESCAN_LIST_LIMIT, risk_rules=RISK_RULES, generated_at=datetime.now(REPORT_TZ),
    )


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
    documents.attach(session, numbers)  # documents described / waiting / confirmed
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
