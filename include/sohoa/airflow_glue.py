"""The only Airflow-aware module: assets, the shared DAG shape, the Postgres hook.

Every phase DAG has the same shape: find the agencies with work → one mapped task per
agency (or the one agency/file an operator named in the trigger form) → announce the
phase's Asset only when something changed, so downstream phases run when there is
something for them and not otherwise.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
from datetime import date, datetime, timedelta
from typing import Callable

from airflow.sdk import Asset, Param, dag, get_current_context, task

from sohoa.core import events
from sohoa.core.config import get_settings
from sohoa.core.run_notes import run_note

log = logging.getLogger(__name__)

ASSETS = {
    "inventoried": Asset(name="sohoa_inventoried", uri="sohoa://phase/inventoried"),
    "arranged": Asset(name="sohoa_arranged", uri="sohoa://phase/arranged"),
    "scanned": Asset(name="sohoa_qc_checked", uri="sohoa://phase/qc_checked"),
    "ocr_done": Asset(name="sohoa_ocr_done", uri="sohoa://phase/ocr_done"),
    "described": Asset(name="sohoa_described", uri="sohoa://phase/described"),
    # a reviewer accepted rejected pages as they are: their files go on to OCR
    "qc_accepted": Asset(name="sohoa_qc_accepted", uri="sohoa://review/qc_accepted"),
    "integrated": Asset(name="sohoa_integrated", uri="sohoa://phase/integrated"),
    "report": Asset(name="sohoa_weekly_report", uri="sohoa://report/weekly"),
    "aip": Asset(name="sohoa_aip_built", uri="sohoa://preservation/aip"),
    "fixity": Asset(name="sohoa_fixity_checked", uri="sohoa://preservation/fixity"),
}

DEFAULT_ARGS = {
    "owner": "sohoa",
    "retries": 2,
    # SOHOA_TASK_RETRY_DELAY (seconds) shortens it for fault drills (scripts/celery_check.py)
    "retry_delay": timedelta(seconds=int(os.environ.get("SOHOA_TASK_RETRY_DELAY") or 60)),
}

RERUN_PARAMS = {
    "agency": Param(None, type=["null", "string"], title="Mã cơ quan",
                    description="Chỉ chạy cho một cơ quan (ví dụ G01). Để trống: tất cả."),
    "file": Param(None, type=["null", "string"], title="Hồ sơ",
                  description="Chỉ chạy cho một hồ sơ: mã hồ sơ, hoặc MÃ_CƠ_QUAN/số ký hiệu."),
    "force": Param(False, type="boolean", title="Làm lại (force)",
                   description="Làm lại cơ quan / hồ sơ đã chọn dù dữ liệu vào không đổi "
                               "(ghi sự kiện kèm tên người chạy)."),
}

# Heavy work (OCR) gets its own Celery queue and Airflow pool, so intake, arrangement
# and reporting never wait behind it. Under LocalExecutor / `airflow standalone` the
# queue is ignored; the pool must exist (scripts/run_local.sh and celery_check create it).
HEAVY_QUEUE_ENV, HEAVY_POOL_ENV = "SOHOA_OCR_QUEUE", "SOHOA_OCR_POOL"
DEFAULT_HEAVY_QUEUE, DEFAULT_HEAVY_POOL = "sohoa_ocr", "sohoa_ocr"
API_CONN_ENV, DEFAULT_API_CONN = "SOHOA_AIRFLOW_API_CONN_ID", "sohoa_airflow_api"


def heavy_queue() -> str:
    return os.environ.get(HEAVY_QUEUE_ENV) or DEFAULT_HEAVY_QUEUE


def heavy_pool() -> str:
    return os.environ.get(HEAVY_POOL_ENV) or DEFAULT_HEAVY_POOL


def worker_hostname() -> str:
    """``[core] hostname_callable`` for workers: SOHOA_WORKER_HOSTNAME when set (two
    Celery workers on one machine tell their task instances apart), else the FQDN."""
    return os.environ.get("SOHOA_WORKER_HOSTNAME") or socket.getfqdn()


def set_run_note(dag_id: str, run_id: str, note: str) -> bool:
    """Write ``note`` on the DAG run through Airflow's REST API (PATCH .../dagRuns/{run_id},
    the documented way: a task cannot set its run's note through the Task SDK). Needs the
    HTTP connection SOHOA_AIRFLOW_API_CONN_ID (default ``sohoa_airflow_api``, e.g.
    ``AIRFLOW_CONN_SOHOA_AIRFLOW_API=http://user:password@127.0.0.1:8080``); without it
    the note is only logged and returned. Never fails the run."""
    import httpx
    from airflow.sdk import BaseHook

    conn_id = os.environ.get(API_CONN_ENV) or DEFAULT_API_CONN
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - not configured: the note stays in the log and XCom
        log.info("no connection %s: run note not written: %s", conn_id, note)
        return False
    base = f"{conn.schema or 'http'}://{conn.host}:{conn.port or 8080}"
    if conn.schema and conn.schema not in ("http", "https"):
        base = f"http://{conn.host}:{conn.port or 8080}"
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            tok = http.post("/auth/token", json={"username": conn.login,
                                                 "password": conn.password})
            tok.raise_for_status()
            r = http.patch(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}",
                           params={"update_mask": "note"}, json={"note": note},
                           headers={"Authorization": f"Bearer {tok.json()['access_token']}"})
            r.raise_for_status()
    except Exception as exc:  # noqa: BLE001 - a missing note never fails the phase
        log.warning("run note not written through %s: %s", base, exc)
        return False
    return True


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def shared_engine():
    """The shared database: through the Postgres provider's hook when a connection is set."""
    settings = get_settings()
    if settings.shared_conn_id:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from sohoa.integration.contract import prepare

        return prepare(PostgresHook(postgres_conn_id=settings.shared_conn_id)
                       .get_sqlalchemy_engine())
    return None


def phase_dag(
    dag_id: str,
    *,
    doc_md: str,
    lister: Callable[[str | None], list[str]],
    runner: Callable[..., dict],
    schedule,
    outlet: Asset,
    tags: list[str],
    takes_file: bool = True,
    max_parallel: int = 2,
    prepare: Callable[[], object] | None = None,
    heavy: bool = False,
    unit: str = "hồ sơ",
    extra_params: dict[str, Param] | None = None,
):
    """``prepare``: run by the first task after the project database's migrations
    (integration: the shared database's contract migrations). ``heavy``: the per-agency
    task runs in the heavy queue and pool (OCR). ``unit``: what the run note counts
    ("hồ sơ", "danh mục"). ``extra_params``: the phase's own switches on the trigger
    form, passed by name to ``runner`` and to ``lister`` (when it takes them)."""
    params = dict(RERUN_PARAMS) if takes_file else {
        k: v for k, v in RERUN_PARAMS.items() if k != "file"}
    extra = dict(extra_params or {})
    params.update(extra)
    takes_force = _accepts(runner, "force")
    placement = {"queue": heavy_queue(), "pool": heavy_pool()} if heavy else {}

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=datetime(2025, 8, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params=params,
        tags=["sohoa", *tags],
        doc_md=doc_md,
    )
    def phase():
        @task
        def find_agencies() -> list[str]:
            from sohoa.pipeline import agencies_to_force, prepare_database

            prepare_database()
            if prepare is not None:
                prepare()
            p = get_current_context()["params"]
            listed = lister(p.get("agency"), **{k: p.get(k) for k in extra if _accepts(lister, k)})
            if p.get("force") and takes_force and takes_file:
                # work already done is what force redoes: its agencies count too
                return agencies_to_force(listed, p.get("agency"))
            return listed

        @task(max_active_tis_per_dag=max_parallel, map_index_template="{{ agency_code }}",
              **placement)
        def process(agency: str) -> dict:
            ctx = get_current_context()
            ctx["agency_code"] = agency  # label of the mapped task in the UI
            kwargs = {"file_ref": ctx["params"].get("file")} if takes_file else {}
            if takes_force:
                kwargs["force"] = bool(ctx["params"].get("force"))
            kwargs.update({k: ctx["params"].get(k) for k in extra})
            with events.operator(_operator(ctx)):
                return runner(agency, **kwargs)

        @task.short_circuit(ignore_downstream_trigger_rules=False)
        def anything_changed(results: list[dict]) -> bool:
            return any(r.get("changed") for r in results)

        @task(outlets=[outlet])
        def announce(results: list[dict]) -> dict:
            keys = ("files", "loaded", "arranged", "pages", "reject", "page_errors", "built",
                    "checked", "repaired", "unrepaired", "lost")
            return {k: sum(r.get(k, 0) or 0 for r in results) for k in keys}

        @task(trigger_rule="all_done")
        def write_note(agencies: list[str] | None, results: list[dict] | None) -> str:
            """The run's Vietnamese note (also this task's XCom), even when some agency
            failed: done, redone, unchanged, rejected, failed."""
            ctx = get_current_context()
            agencies = list(agencies or [])
            got = [r for r in (results or []) if r]
            failed = _failed_map_labels(ctx, agencies)
            p = ctx["params"]
            target = " / ".join(x for x in (p.get("agency"), p.get("file")) if x) or None
            note = run_note([r.get("outcome") for r in got], unit=unit, agencies=agencies,
                            failed_agencies=failed, force=bool(p.get("force")),
                            operator=_operator(ctx), target=target)
            log.info("run note: %s", note)
            set_run_note(ctx["dag"].dag_id, ctx["run_id"], note)
            return note

        agencies = find_agencies()
        results = process.expand(agency=agencies)
        anything_changed(results) >> announce(results)
        write_note(agencies, results)

    return phase()


# --------------------------------------------------------------------------- weekly report


def report_day(context) -> date:
    """The day a progress_report run reports on, from the run (sohoa.core.calendar.report_day):
    its data interval's end / logical date, or its run_after when (an Airflow 3 manual run)
    it has no logical date; a scheduled run reports the week that has just ended."""
    from sohoa.core import calendar

    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", None)
    return calendar.report_day(
        logical_date=context.get("logical_date"),
        data_interval_end=context.get("data_interval_end"),
        run_after=getattr(dag_run, "run_after", None),
        scheduled=getattr(run_type, "value", run_type) == "scheduled",
    )


def email_report(report: dict, storage=None) -> dict:
    """Send the report's workbook and its Vietnamese summary (sohoa.reporting.mail) to
    SOHOA_REPORT_EMAIL_TO through Airflow's SMTP connection (SOHOA_SMTP_CONN_ID, default
    ``smtp_default``; sender SOHOA_REPORT_EMAIL_FROM or the connection's ``from_email``).
    Nothing is sent, and nothing fails, when no recipient is configured."""
    import os
    import tempfile
    from pathlib import Path

    from sohoa.core.storage import get_storage
    from sohoa.reporting import mail

    to = mail.recipients()
    if not to:
        return {"sent": False, "recipients": 0}
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    subject, body = mail.summary(report["totals"], report_url=os.environ.get("SOHOA_REPORT_URL"))
    data = (storage or get_storage()).get_bytes(report["xlsx_key"])
    with tempfile.TemporaryDirectory(prefix="sohoa-mail-") as tmp:
        path = Path(tmp) / mail.attachment_name(date.fromisoformat(str(report["totals"]["as_of"])))
        path.write_bytes(data)
        with SmtpHook(smtp_conn_id=os.environ.get("SOHOA_SMTP_CONN_ID") or "smtp_default") as hook:
            hook.send_email_smtp(to=to, subject=subject, html_content=body, files=[str(path)],
                                 from_email=os.environ.get("SOHOA_REPORT_EMAIL_FROM") or None)
    return {"sent": True, "recipients": len(to), "attachment": path.name}


# --------------------------------------------------------------------------- human review

REVIEW_CONFIRM = "Xác nhận"
REVIEW_LATER = "Để sau"
REVIEW_TIMEOUT = timedelta(hours=24)  # an unanswered form is withdrawn, the next run asks again


def _review_operator():
    """The Required-actions task of one agency's review (Airflow 3 human-in-the-loop).

    The form is built when the task runs (the machine's current reading, pre-filled), so
    its Params come from sohoa.description.review, not from the DAG file. Answers are
    validated and applied there, with the responding user's name on every event."""
    from airflow.providers.standard.operators.hitl import HITLOperator
    from airflow.sdk.definitions.param import ParamsDict

    try:
        from airflow.sdk.exceptions import AirflowSkipException
    except ImportError:  # pragma: no cover - older SDK
        from airflow.exceptions import AirflowSkipException

    class DocumentReviewOperator(HITLOperator):
        template_fields = ()  # subject and body come from the database at run time

        def __init__(self, *, agency_code: str, **kwargs) -> None:
            kwargs.setdefault("response_timeout", REVIEW_TIMEOUT)
            super().__init__(subject="Kiểm tra mô tả văn bản",
                             options=[REVIEW_CONFIRM, REVIEW_LATER], multiple=False, **kwargs)
            self.agency_code = agency_code

        def execute(self, context):
            from airflow.configuration import conf

            from sohoa.pipeline import review_form

            form = review_form(self.agency_code, conf.get("api", "base_url", fallback="") or "")
            if form is None:
                raise AirflowSkipException("Không còn gì chờ kiểm tra")
            self.subject, self.body = form["subject"], form["body"]
            specs = {k: dict(v) for k, v in form["params"].items()}
            self.params = ParamsDict({
                k: Param(spec.pop("value"), description=spec.pop("description", None), **spec)
                for k, spec in specs.items()})
            return super().execute(context)

        def validate_params_input(self, params_input) -> None:
            # the form was built at run time: sohoa.description.review validates the answer
            return None

        def execute_complete(self, context, event):
            from sohoa.pipeline import apply_review

            if event.get("error_type") == "timeout":
                raise AirflowSkipException("Hết hạn trả lời; lượt kiểm tra sau sẽ hỏi lại")
            ret = super().execute_complete(context, event)
            user = (ret.get("responded_by_user") or {}).get("name") or "unknown"
            if REVIEW_CONFIRM not in ret["chosen_options"]:
                return {"agency": self.agency_code, "confirmed": 0, "accepted_pages": 0,
                        "rejected": [], "by": user, "changed": False}
            out = apply_review(self.agency_code, ret.get("params_input") or {}, user)
            out["by"] = user
            if out["rejected"]:
                self.log.warning("Giá trị không hợp lệ (vẫn chờ kiểm tra): %s", out["rejected"])
            return out

    return DocumentReviewOperator


def review_dag(dag_id: str, *, doc_md: str, schedule, tags: list[str]):
    """One Required-actions form per agency with something to confirm."""
    operator = _review_operator()

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=datetime(2025, 8, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params={"agency": RERUN_PARAMS["agency"]},
        tags=["sohoa", *tags],
        doc_md=doc_md,
    )
    def review():
        @task
        def find_batches() -> list[str]:
            from sohoa.pipeline import prepare_database, review_batches

            prepare_database()
            return review_batches(get_current_context()["params"].get("agency"))

        @task.short_circuit(ignore_downstream_trigger_rules=False, trigger_rule="all_done")
        def pages_accepted(results: list) -> bool:
            return any((r or {}).get("accepted_pages") for r in results)

        @task(outlets=[ASSETS["qc_accepted"]])
        def announce(results: list) -> dict:
            return {"accepted_pages": sum((r or {}).get("accepted_pages", 0) for r in results)}

        answers = operator.partial(task_id="review",
                                   map_index_template="{{ task.agency_code }}").expand(
            agency_code=find_batches())
        pages_accepted(answers.output) >> announce(answers.output)

    return review()


def _operator(ctx) -> str | None:
    """The user who triggered this run (None for scheduled and asset-triggered runs)."""
    run = ctx.get("dag_run")
    return getattr(run, "triggering_user_name", None) if run is not None else None


def _failed_map_labels(ctx, agencies: list[str]) -> list[str]:
    """Agencies whose mapped ``process`` task did not succeed in this run."""
    ti = ctx["ti"]
    states = {}
    try:
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id],
                                    task_ids=["process"]) or {}
    except Exception as exc:  # noqa: BLE001 - the note then counts only what it has
        log.warning("task states not available: %s", exc)
        return []
    run_states = states.get(ti.run_id, {})
    out = []
    for i, code in enumerate(agencies):
        st = run_states.get(f"process_{i}")
        if st is not None and str(st) != "success":
            out.append(code)
    return out
