"""The only Airflow-aware module: assets, the shared DAG shape, the Postgres hook.

Every phase DAG has the same shape: find the agencies with work → one mapped task per
agency (or the one agency/file an operator named in the trigger form) → announce the
phase's Asset only when something changed, so downstream phases run when there is
something for them and not otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from airflow.sdk import Asset, Param, dag, get_current_context, task

from sohoa.core.config import get_settings

ASSETS = {
    "inventoried": Asset(name="sohoa_inventoried", uri="sohoa://phase/inventoried"),
    "arranged": Asset(name="sohoa_arranged", uri="sohoa://phase/arranged"),
    "scanned": Asset(name="sohoa_qc_checked", uri="sohoa://phase/qc_checked"),
    "ocr_done": Asset(name="sohoa_ocr_done", uri="sohoa://phase/ocr_done"),
    "integrated": Asset(name="sohoa_integrated", uri="sohoa://phase/integrated"),
    "report": Asset(name="sohoa_weekly_report", uri="sohoa://report/weekly"),
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
            keys = ("files", "loaded", "arranged", "pages", "reject", "page_errors")
            return {k: sum(r.get(k, 0) or 0 for r in results) for k in keys}

        results = process.expand(agency=find_agencies())
        anything_changed(results) >> announce(results)

    return phase()
