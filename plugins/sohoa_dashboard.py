"""Airflow plugin: the live progress dashboard "Tiến độ số hóa" inside the Airflow UI.

A FastAPI app (sohoa.reporting.dashboard) mounted at /sohoa, shown through an external view in
the navigation. Every route requires an authenticated Airflow user: Airflow does not
protect plugin apps by itself, so the app carries Airflow's own access dependency
(the session cookie or a bearer token; none gives 401). Restart the API server after
changing this file.
"""

from __future__ import annotations

import gc
import logging
from urllib.parse import quote

from fastapi import Depends

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

from sohoa.reporting.dashboard import DAG_LABELS, create_app

log = logging.getLogger(__name__)
URL_PREFIX = "/sohoa"


def _run_url(dag_id: str, run_id: str, map_index: int | None = None) -> str:
    url = f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    if map_index is not None:
        url += f"/tasks/process/mapped/{map_index}"
    return url


def dag_runs(agency_code: str | None) -> list[dict]:
    """Latest run of each phase DAG, or the latest runs whose mapped task processed the
    agency (the per-agency task is labelled with its code: rendered_map_index)."""
    try:
        from sqlalchemy import select

        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        out = []
        with create_session() as s:
            if agency_code is None:
                for dag_id in DAG_LABELS:
                    r = s.execute(select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.start_date)
                                  .where(DagRun.dag_id == dag_id)
                                  .order_by(DagRun.run_after.desc()).limit(1)).first()
                    if r:
                        out.append({"dag_id": r.dag_id, "run_id": r.run_id, "state": str(r.state),
                                    "start": r.start_date, "url": _run_url(r.dag_id, r.run_id)})
                return out
            rows = s.execute(
                select(TaskInstance.dag_id, TaskInstance.run_id, TaskInstance.state,
                       TaskInstance.start_date, TaskInstance.map_index)
                .where(TaskInstance.task_id == "process",
                       TaskInstance._rendered_map_index == agency_code,
                       TaskInstance.dag_id.in_(list(DAG_LABELS)))
                .order_by(TaskInstance.start_date.desc()).limit(20)).all()
            return [{"dag_id": r.dag_id, "run_id": r.run_id, "state": str(r.state),
                     "start": r.start_date, "url": _run_url(r.dag_id, r.run_id, r.map_index)}
                    for r in rows]
    except Exception:  # noqa: BLE001 - the numbers matter more than the run links
        log.exception("could not list DAG runs for the dashboard")
        return []


class WeeklyReportLink(BaseOperatorLink):
    """"Báo cáo tuần" button on the progress_report task: opens the report that run built."""

    name = "Báo cáo tuần"

    def get_link(self, operator, *, ti_key) -> str:
        if ti_key.dag_id != "progress_report" or ti_key.task_id != "build":
            return ""
        return f"{URL_PREFIX}/reports/airflow-run/{quote(ti_key.run_id, safe='')}"


app = create_app(auth=Depends(requires_authenticated()), dag_runs=dag_runs)
_heap_frozen = False


@app.middleware("http")
async def _freeze_startup_heap(request, call_next):
    """On the first dashboard request, move the API server's start-up objects (Airflow's
    app, its modules: hundreds of thousands) out of the garbage collector's reach, as
    Airflow does for its DAG processor. Without it, every few requests a full collection
    walks them all and stalls a page ~350 ms (bench_report.py --airflow: p95 530 ms)."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()
    return await call_next(request)


class SohoaDashboardPlugin(AirflowPlugin):
    name = "sohoa_dashboard"
    global_operator_extra_links = [WeeklyReportLink()]
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Tiến độ số hóa"}]
    external_views = [{
        "name": "Tiến độ số hóa",
        "href": f"{URL_PREFIX}/",
        "url_route": "tien-do-so-hoa",
        "destination": "nav",
        "nav_top_level": True,
    }]
