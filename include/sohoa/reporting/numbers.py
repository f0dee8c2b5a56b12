"""Progress numbers of the weekly report and the dashboard (báo cáo tiến độ).

Every number is computed by SQL aggregation (GROUP BY / COUNT / SUM(CASE ...)) so the
cost grows with the number of agencies and weeks, not with the number of files or
pages. Python only reshapes the few aggregated rows (one per agency, or per agency and
status) and sums agencies into their current successor for the roll-up. Titles of
restricted files (``access_mode != "public"``) never leave the database: the only list
of files (open rescan requests) selects the title with ``CASE WHEN access_mode =
'public'`` so restricted titles are not even read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from sohoa.core.db import counters

from sohoa.intake.agencies import current_successors
from sohoa.core.db.models import (
    FILE_STATUSES,
    Agency,
    Event,
    File,
    InventorySubmission,
    PlanTarget,
    RescanRequest,
)


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
