"""
### Báo cáo tiến độ tuần (weekly progress report)

Builds the weekly progress report per agency (and rolled up under today's successor for
merged and dissolved agencies): an XLSX workbook and an HTML report with charts, stored
through the storage interface; the run's XCom and log carry their keys.

Runs on Mondays at 07:00 Asia/Ho_Chi_Minh and whenever `sohoa_integrated` is announced.

**Xem báo cáo**: the `build` task's **Báo cáo tuần** button (extra link) opens the report
this run built; every report is listed under **Tiến độ số hóa → Báo cáo tuần** (`/sohoa/reports`).
The live numbers are on the **Tiến độ số hóa** page of the Airflow navigation.
"""

from datetime import date, datetime

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, DEFAULT_ARGS, set_run_note
from sohoa.core.run_notes import report_note


@dag(
    dag_id="progress_report",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 7 * * 1", timezone="Asia/Ho_Chi_Minh"),
        assets=ASSETS["integrated"],
    ),
    start_date=datetime(2025, 8, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           title="Ngày báo cáo", description="Để trống: hôm nay.")},
    tags=["sohoa", "report", "phase-6"],
    doc_md=__doc__,
)
def progress_report():
    @task(outlets=[ASSETS["report"]])
    def build(params=None, dag_run=None) -> dict:
        pipeline.prepare_database()
        as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
        out = pipeline.run_report(as_of)
        set_run_note("progress_report", dag_run.run_id, report_note(out["totals"]))
        return {k: out[k] for k in ("xlsx_key", "html_key", "report_run_id")}

    build()


progress_report()
