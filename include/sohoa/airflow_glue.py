"""The only Airflow-aware module: assets, the shared DAG shape, the Postgres hook.

Every phase DAG has the same shape: find the agencies with work → one mapped task per
agency (or the one agency/file an operator named in the trigger form) → announce the
phase's Asset only when something changed, so downstream phases run when there is
something for them and not otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Callable

from airflow.sdk import Asset, Param, dag, get_current_context, task

from sohoa.core.config import get_settings

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
    "retry_delay": timedelta(minutes=1),
}

RERUN_PARAMS = {
    "agency": Param(None, type=["null", "string"], title="Mã cơ quan",
                    description="Chỉ chạy cho một cơ quan (ví dụ G01). Để trống: tất cả."),
    "file": Param(None, type=["null", "string"], title="Hồ sơ",
                  description="Chỉ chạy cho một hồ sơ: mã hồ sơ, hoặc MÃ_CƠ_QUAN/số ký hiệu."),
}


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
):
    """``prepare``: run by the first task after the project database's migrations
    (integration: the shared database's contract migrations)."""
    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=datetime(2025, 8, 1),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params=RERUN_PARAMS if takes_file else {"agency": RERUN_PARAMS["agency"]},
        tags=["sohoa", *tags],
        doc_md=doc_md,
    )
    def phase():
        @task
        def find_agencies() -> list[str]:
            from sohoa.pipeline import prepare_database

            prepare_database()
            if prepare is not None:
                prepare()
            return lister(get_current_context()["params"].get("agency"))

        @task(max_active_tis_per_dag=max_parallel, map_index_template="{{ agency_code }}")
        def process(agency: str) -> dict:
            ctx = get_current_context()
            ctx["agency_code"] = agency  # label of the mapped task in the UI
            kwargs = {"file_ref": ctx["params"].get("file")} if takes_file else {}
            return runner(agency, **kwargs)

        @task.short_circuit(ignore_downstream_trigger_rules=False)
        def anything_changed(results: list[dict]) -> bool:
            return any(r.get("changed") for r in results)

        @task(outlets=[outlet])
        def announce(results: list[dict]) -> dict:
            keys = ("files", "loaded", "arranged", "pages", "reject", "page_errors", "built",
                    "checked", "repaired", "unrepaired", "lost")
            return {k: sum(r.get(k, 0) or 0 for r in results) for k in keys}

        results = process.expand(agency=find_agencies())
        anything_changed(results) >> announce(results)

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
