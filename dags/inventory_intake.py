"""
### Tiếp nhận danh mục hồ sơ (inventory intake)

Picks up the inventory lists (XLSX/XLS/CSV) that agencies drop into the intake folder
(`SOHOA_INTAKE_DIR/<MÃ CƠ QUAN>/`), archives each raw list with its SHA-256, loads the good
rows and keeps every bad row with its reason; each agency gets back an Excel file of errors
in Vietnamese. Re-sending the same list changes nothing.

Lists dropped under `SOHOA_INTAKE_PREFIX/<MÃ CƠ QUAN>/` in the object store (S3) are picked
up the same way. Legacy-font lists (TCVN3/ABC, VNI, Windows-1258) are converted to Unicode
and the conversion is recorded on the submission.

Runs every 10 minutes (a cron scan, not a sensor: a sensor would hold a worker slot, and
the scan is idempotent by SHA-256, so a list already loaded costs one hash); trigger with
**agency** to load one agency's lists now.
Announces `sohoa_inventoried` when something new was loaded → `arrangement` runs.
"""

from airflow.sdk import CronTriggerTimetable

from sohoa.intake import phase as intake

from sohoa import pipeline
from sohoa.core import calendar
from sohoa.airflow_glue import ASSETS, phase_dag
from sohoa.core.config import get_settings


def _agencies(agency):
    settings = get_settings()
    codes = {code for code, _ in intake.find_lists(settings.intake_dir, agency)}
    if settings.intake_prefix:
        from sohoa.core.storage import get_storage

        codes |= {code for code, _ in intake.find_lists_in_storage(
            get_storage(settings), settings.intake_prefix, agency)}
    return sorted(codes)


def _run(agency, force=False):
    return pipeline.run_intake(agency, force=force)


dag = phase_dag(
    "inventory_intake",
    doc_md=__doc__,
    lister=_agencies,
    runner=_run,
    schedule=CronTriggerTimetable("*/10 * * * *", timezone=calendar.tz_name(), run_immediately=True),
    outlet=ASSETS["inventoried"],
    tags=["inventory", "phase-1"],
    takes_file=False,
    unit="danh mục",
)
