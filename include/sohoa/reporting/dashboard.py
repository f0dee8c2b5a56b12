"""The live progress dashboard ("Tiến độ số hóa"): a FastAPI app, mounted by the Airflow
plugin (plugins/sohoa_dashboard.py) under /sohoa and shown in the Airflow navigation.

Pages (Vietnamese): ``/`` the agencies with progress bars (at-risk first, sortable,
filterable by level, status and risk, by creating agency or rolled up under today's
successor); ``/agency/{code}`` one agency's funnel, weekly chart, burn-up, rescan list,
rejected inventory rows and its DAG runs; ``/api/progress`` and ``/api/agency/{code}``
the same numbers as JSON; ``/agency/{code}/errors/{submission_id}`` the agency's
error workbook from object storage.

Numbers come from sohoa.reporting.weekly (the weekly report's own functions). Restricted files'
titles are never selected (report_numbers.open_rescan_items). The app takes its access check
as a FastAPI dependency (the plugin passes Airflow's), so this module imports no Airflow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from sohoa.core.db import counters
from sohoa.core.db.models import Agency, Event, InventoryRowError, InventorySubmission, ReportRun
from sohoa.core.db.session import get_engine, session_scope
from sohoa.core.storage import XLSX_CONTENT_TYPE
from sohoa.reporting import charts as svg
from sohoa.reporting import formatting, html, numbers as report_numbers, weekly

PHASE_DAGS = {  # the phase DAG that moves files into each status
    "inventoried": "inventory_intake", "handed_over": "arrangement", "arranged": "arrangement",
    "scanned": "scan_qc", "qc_passed": "scan_qc", "qc_rejected": "scan_qc", "ocr_done": "ocr",
    "integrated": "integration",
}
DAG_LABELS = {
    "inventory_intake": "Tiếp nhận danh mục", "arrangement": "Bàn giao, chỉnh lý",
    "scan_qc": "Số hóa, kiểm tra chất lượng", "ocr": "Nhận dạng (OCR)",
    "integration": "Tích hợp CSDL dùng chung", "progress_report": "Báo cáo tuần",
}
SORTS = {  # ?sort= key -> (label, value)
    "risk": ("Cảnh báo", lambda r: (not r["at_risk"], r["code"])),
    "code": ("Mã", lambda r: r["code"]),
    "name": ("Cơ quan", lambda r: r["name"]),
    "pct": ("% kế hoạch", lambda r: r["plan"]["pct_of_plan"] if r["plan"]["pct_of_plan"] is not None else -1),
    "files": ("Hồ sơ", lambda r: r["files"]["inventoried"]),
    "integrated": ("Đã tích hợp", lambda r: r["files"]["integrated"]),
    "rescan": ("Chờ quét lại", lambda r: r["pages"]["awaiting_rescan"]),
    "forecast": ("Dự báo", lambda r: r["forecast_date"] or date.max),
    "deadline": ("Hạn", lambda r: r["plan"]["deadline"] or date.max),
}
ERROR_ROWS_SHOWN = 200
# Fields whose value may quote a file's content: never shown, the row number is enough.
_CONTENT_FIELDS = {"title", "description", "keyword", "notes", "tiêu đề", "chú giải"}


def today() -> date:
    return datetime.now(report_numbers.REPORT_TZ).date()


def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(html.TEMPLATE_DIR)),
                      autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=formatting.fmt_num, d=formatting.fmt_date, pct=formatting.fmt_pct)
    env.globals.update(phases=report_numbers.PHASES, phase_labels=report_numbers.PHASE_LABELS,
                       page_keys=report_numbers.PAGE_KEYS, page_labels=report_numbers.PAGE_LABELS,
                       level_labels=report_numbers.LEVEL_LABELS, status_labels=report_numbers.STATUS_LABELS,
                       dag_labels=DAG_LABELS, risk_rules=report_numbers.RISK_RULES)
    return env


def _refresh_counters(engine) -> None:
    """Fold pending counter changes (a short transaction of its own). Reads are exact
    without it, so a fold that would wait (a report folding in its long transaction)
    is skipped rather than making the page wait."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with engine.begin() as conn:
        counters.ensure(conn)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            counters.fold(conn)
    except OperationalError:
        pass


def list_numbers(session, as_of: date) -> dict[str, Any]:
    return report_numbers.progress_numbers(session, as_of, weekly=False)


def filter_rows(rows: list[dict], *, level: str | None, status: str | None, risk: str | None,
                q: str | None, sort: str, desc: bool) -> list[dict]:
    out = [r for r in rows
           if (not level or r["level"] == level) and (not status or r["status"] == status)
           and (risk != "1" or r["at_risk"]) and (risk != "0" or not r["at_risk"])
           and (not q or q.lower() in f"{r['code']} {r['name']}".lower())]
    key = SORTS.get(sort, SORTS["risk"])[1]
    out.sort(key=key, reverse=desc)
    if sort == "risk":  # at-risk agencies first, then by code
        out.sort(key=lambda r: not r["at_risk"])
    return out


def agency_detail(session, agency: Agency, as_of: date) -> dict[str, Any]:
    """One agency's numbers, its roll-up (when it holds other agencies' records), its open
    rescan requests and its rejected inventory rows."""
    ids = report_numbers.rollup_member_ids(session, agency.id, as_of)
    numbers = report_numbers.progress_numbers(session, as_of, agency_ids=ids)
    entry = next(r for r in numbers["agencies"] if r["agency_id"] == agency.id)
    rollup = next((r for r in numbers["rollup"] if r["agency_id"] == agency.id and len(ids) > 1), None)
    subs = session.execute(
        select(InventorySubmission.id, InventorySubmission.filename, InventorySubmission.received_at,
               InventorySubmission.total_rows, InventorySubmission.error_rows,
               InventorySubmission.error_report_key)
        .where(InventorySubmission.agency_id == agency.id, InventorySubmission.error_rows > 0)
        .order_by(InventorySubmission.received_at.desc(), InventorySubmission.id.desc())
    ).all()
    errors = session.execute(
        select(InventoryRowError.submission_id, InventoryRowError.row_number,
               InventoryRowError.field, InventoryRowError.value, InventoryRowError.problem,
               InventoryRowError.fix)
        .join(InventorySubmission, InventorySubmission.id == InventoryRowError.submission_id)
        .where(InventorySubmission.agency_id == agency.id)
        .order_by(InventoryRowError.submission_id.desc(), InventoryRowError.row_number)
        .limit(ERROR_ROWS_SHOWN)
    ).all()
    return {
        "as_of": as_of,
        "weeks": numbers["weeks"],
        "agency": entry,
        "rollup": rollup,
        "rescans": report_numbers.open_rescan_items(session, agency_ids=[agency.id]),
        "submissions": [dict(r._mapping) for r in subs],
        "error_rows": [
            {**dict(r._mapping),
             "value": None if (r.field or "").lower() in _CONTENT_FIELDS else r.value}
            for r in errors
        ],
    }


def create_app(auth: Any = None, *, engine_factory: Callable = get_engine,
               dag_runs: Callable[[str | None], list[dict]] | None = None,
               storage_factory: Callable | None = None) -> FastAPI:
    """``auth``: a FastAPI dependency every route requires (Airflow's, in the plugin).
    ``dag_runs(agency_code)``: recent runs of the phase DAGs (for an agency: the runs
    whose mapped task processed it), each {dag_id, run_id, state, start, url}."""
    app = FastAPI(title="Tiến độ số hóa", dependencies=[auth] if auth is not None else [],
                  docs_url=None, redoc_url=None, openapi_url=None)
    # The city's list is ~400 kB of HTML and a weekly report several MB: compressed, they
    # reach a district office's link 5-10x smaller.
    app.add_middleware(GZipMiddleware, minimum_size=2000)
    env = _env()

    def base(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    def as_of_param(as_of: str | None) -> date:
        if not as_of:
            return today()
        try:
            return date.fromisoformat(as_of)
        except ValueError:
            raise HTTPException(400, "as_of phải có dạng YYYY-MM-DD") from None

    def load_list(as_of: date) -> dict[str, Any]:
        engine = engine_factory()
        _refresh_counters(engine)
        with session_scope(engine) as s:
            return list_numbers(s, as_of)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, level: str | None = None, status: str | None = None,
              risk: str | None = None, q: str | None = None, sort: str = "risk",
              order: str = "asc", view: str = "agency", as_of: str | None = None):
        day = as_of_param(as_of)
        numbers = load_list(day)
        source = numbers["rollup"] if view == "rollup" else numbers["agencies"]
        rows = filter_rows(source, level=level, status=status, risk=risk, q=q, sort=sort,
                           desc=order == "desc")
        params = {k: v for k, v in dict(level=level, status=status, risk=risk, q=q, view=view,
                                        as_of=as_of).items() if v}

        def sort_url(key: str) -> str:
            flip = "desc" if sort == key and order == "asc" else "asc"
            return "?" + urlencode({**params, "sort": key, "order": flip})

        html = env.get_template("dashboard.html.j2").render(
            n=numbers, prog=numbers["programme"], rows=rows, view=view, base=base(request),
            f=dict(level=level or "", status=status or "", risk=risk or "", q=q or ""),
            sort=sort, order=order, sorts={k: v[0] for k, v in SORTS.items()},
            sort_url=sort_url, json_url="api/progress?" + urlencode(params),
            runs=dag_runs(None) if dag_runs else [],
        )
        return HTMLResponse(html)

    @app.get("/api/progress")
    def api_progress(level: str | None = None, status: str | None = None,
                     risk: str | None = None, q: str | None = None, sort: str = "risk",
                     order: str = "asc", view: str = "agency", as_of: str | None = None):
        numbers = load_list(as_of_param(as_of))
        rows = filter_rows(numbers["rollup"] if view == "rollup" else numbers["agencies"],
                           level=level, status=status, risk=risk, q=q, sort=sort,
                           desc=order == "desc")
        return JSONResponse(weekly._jsonable({
            "as_of": numbers["as_of"], "week_start": numbers["week_start"],
            "view": view, "programme": _public(numbers["programme"], list_view=True),
            "agencies": [_public(r, list_view=True) for r in rows],
        }))

    def load_agency(code: str, as_of: date) -> dict[str, Any]:
        engine = engine_factory()
        _refresh_counters(engine)
        with session_scope(engine) as s:
            agency = s.scalars(select(Agency).where(Agency.code == code.upper())).first()
            if agency is None:
                raise HTTPException(404, f"Không có cơ quan mã {code}")
            return agency_detail(s, agency, as_of)

    @app.get("/agency/{code}", response_class=HTMLResponse)
    def agency_page(request: Request, code: str, as_of: str | None = None):
        day = as_of_param(as_of)
        d = load_agency(code, day)
        a = d["agency"]
        charts = {
            "funnel": Markup(svg.svg_funnel(a["files"])),
            "weekly": Markup(svg.svg_weekly_bars(a["weekly"])),
            "burnup": Markup(svg.svg_burnup(a, day)),
            "rollup_funnel": Markup(svg.svg_funnel(d["rollup"]["files"])) if d["rollup"] else None,
        }
        html = env.get_template("dashboard_agency.html.j2").render(
            d=d, a=a, charts=charts, base=base(request), phase_dags=PHASE_DAGS,
            runs=dag_runs(a["code"]) if dag_runs else [],
            reasons=_reason_labels(a["qc_reject_by_reason"]),
        )
        return HTMLResponse(html)

    @app.get("/api/agency/{code}")
    def api_agency(code: str, as_of: str | None = None):
        d = load_agency(code, as_of_param(as_of))
        return JSONResponse(weekly._jsonable({
            "as_of": d["as_of"], "agency": _public(d["agency"]),
            "rollup": _public(d["rollup"]) if d["rollup"] else None,
            "open_rescans": d["rescans"], "inventory_submissions_with_errors": d["submissions"],
            "rejected_inventory_rows": d["error_rows"],
        }))

    @app.get("/agency/{code}/errors/{submission_id}")
    def error_workbook(code: str, submission_id: int):
        engine = engine_factory()
        with session_scope(engine) as s:
            sub = s.execute(
                select(InventorySubmission.error_report_key, InventorySubmission.filename)
                .join(Agency, Agency.id == InventorySubmission.agency_id)
                .where(InventorySubmission.id == submission_id, Agency.code == code.upper())
            ).first()
        if sub is None or not sub.error_report_key:
            raise HTTPException(404, "Không có tệp lỗi cho danh mục này")
        try:
            data = storage().get_bytes(sub.error_report_key)
        except Exception:  # noqa: BLE001 - a missing object is a 404 for the clerk
            raise HTTPException(404, "Tệp lỗi không còn trong kho lưu trữ") from None
        name = sub.error_report_key.rsplit("/", 1)[-1]
        return Response(data, media_type=XLSX_CONTENT_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # ---------------------------------------------------------------- weekly reports

    def storage():
        from sohoa.core.storage import get_storage

        return (storage_factory or get_storage)()

    @app.get("/reports", response_class=HTMLResponse)
    def report_list(request: Request):
        with session_scope(engine_factory()) as s:
            runs = s.execute(select(ReportRun.id, ReportRun.week_start, ReportRun.generated_at,
                                    ReportRun.xlsx_key, ReportRun.html_key)
                             .order_by(ReportRun.generated_at.desc()).limit(52)).all()
        return HTMLResponse(env.get_template("dashboard_reports.html.j2").render(
            runs=runs, base=base(request)))

    def report_object(run_id: int, kind: str) -> Response:
        with session_scope(engine_factory()) as s:
            run = s.get(ReportRun, run_id)
            key = None if run is None else (run.html_key if kind == "html" else run.xlsx_key)
        if key is None:
            raise HTTPException(404, "Không có báo cáo này")
        try:
            data = storage().get_bytes(key)
        except Exception:  # noqa: BLE001
            raise HTTPException(404, "Báo cáo không còn trong kho lưu trữ") from None
        if kind == "html":
            return HTMLResponse(data.decode("utf-8"))
        return Response(data, media_type=XLSX_CONTENT_TYPE, headers={
                            "Content-Disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'})

    @app.get("/reports/{run_id}.html")
    def report_html(run_id: int):
        return report_object(run_id, "html")

    @app.get("/reports/{run_id}.xlsx")
    def report_xlsx(run_id: int):
        return report_object(run_id, "xlsx")

    @app.get("/reports/airflow-run/{airflow_run_id:path}")
    def report_for_airflow_run(request: Request, airflow_run_id: str):
        """The report built by a progress_report DAG run (its task's extra link)."""
        with session_scope(engine_factory()) as s:
            evs = s.execute(select(Event.entity_id, Event.details)
                            .where(Event.entity == "report_runs", Event.action == "generated")
                            .order_by(Event.id.desc()).limit(500)).all()
        for run_id, details in evs:
            if (details or {}).get("airflow_run_id") == airflow_run_id:
                return RedirectResponse(f"{base(request)}/reports/{run_id}.html", status_code=307)
        raise HTTPException(404, "Lần chạy này chưa tạo báo cáo")

    return app


def _public(entry: dict[str, Any], list_view: bool = False) -> dict[str, Any]:
    """An entry without its internal keys (and, in the list, without the weekly series,
    which only the agency page computes; done_this_week stays)."""
    drop = {"weekly", "integrated_before_window"} if list_view else set()
    return {k: v for k, v in entry.items() if not k.startswith("_") and k not in drop}


def _reason_labels(reasons: dict[str, int]) -> list[tuple[str, str, int]]:
    """(code, Vietnamese label, pages) for the reject reasons."""
    return [(k, report_numbers.DEFECT_LABELS.get(k, k), n) for k, n in reasons.items()]
