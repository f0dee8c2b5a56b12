"""
### Báo cáo tiến độ tuần (weekly progress report)

Builds the weekly progress report per agency (and rolled up under today's successor for
merged and dissolved agencies): an XLSX workbook (with native charts) and an HTML report
with charts, stored through the storage interface; the run's XCom and log carry their keys.

Runs on Mondays at 07:00 in the programme's time zone (`SOHOA_TZ`, default
Asia/Ho_Chi_Minh) and whenever `sohoa_integrated` is announced. **Which day**: every number
is the state at the end of the report's day in that zone. Left empty, the day comes from
the run, never from the machine's clock: the Monday run reports the week that has just
ended (up to Sunday 24:00); a run after an integration or a manual run reports its own
day so far (its logical date, or when it has none its `run_after`). Give **Ngày báo cáo**
to rebuild a past day: the numbers are the same however late it is rebuilt. Each run also
stores the counters at the end of its 8 weeks when they are missing (weekly snapshots,
taken 6 hours after a week ends), so that a rebuild walks back at most a week of events.

**Gửi thư**: with `SOHOA_REPORT_EMAIL_TO` set (addresses separated by commas), the `email`
task sends the workbook and a short Vietnamese summary through the Airflow SMTP
connection `smtp_default` (or `SOHOA_SMTP_CONN_ID`).

**Xem báo cáo**: the `build` task's **Báo cáo tuần** button (extra link) opens the report
this run built; every report is listed under **Tiến độ số hóa → Báo cáo tuần** (`/sohoa/reports`).
The live numbers are on the **Tiến độ số hóa** page of the Airflow navigation.
"""

from datetime import date, datetime

from airflow.sdk import (AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, get_current_context,
                         task)

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, DEFAULT_ARGS, email_report, report_day, set_run_note
from sohoa.core import calendar
from sohoa.core.run_notes import report_note


@dag(
    dag_id="progress_report",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 7 * * 1", timezone=calendar.tz_name()),
        assets=ASSETS["integrated"],
    ),
    start_date=datetime(2025, 8, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           title="Ngày báo cáo",
                           description="Để trống: theo lần chạy (lần chạy thứ Hai: hết tuần "
                                       "vừa qua; lần chạy khác: ngày chạy).")},
    tags=["sohoa", "report", "phase-6"],
    doc_md=__doc__,
)
def progress_report():
    @task(outlets=[ASSETS["report"]])
    def build(params=None, dag_run=None) -> dict:
        pipeline.prepare_database()
        as_of = (date.fromisoformat(params["as_of"]) if params.get("as_of")
                 else report_day(get_current_context()))
        out = pipeline.run_report(as_of)
        set_run_note("progress_report", dag_run.run_id, report_note(out["totals"]))
        return {k: out[k] for k in ("xlsx_key", "html_key", "report_run_id", "totals")}

    @task
    def email(report: dict) -> dict:
        return email_report(report)

    email(build())


progress_report()
