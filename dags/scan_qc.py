"""
### Quét và kiểm tra chất lượng ảnh (scanning + image QC)

For every arranged file whose scan delivery has arrived (`SOHOA_DELIVERY_DIR/<MÃ CƠ QUAN>/
<số ký hiệu>/` with page images or PDFs, or `<MÃ CƠ QUAN>/<số ký hiệu>.pdf`), stores the
originals with their SHA-256, measures every page with OpenCV (resolution, skew,
orientation, blur, blank, cropping, contrast, duplicates, page count) and gives a verdict:
pass / fixable (an upright, deskewed copy is stored; the original stays untouched) /
reject. Rejected and missing pages go to the rescan queue of the agency and of the
scanning station named in `manifest.json` (`{"station": "MQ-02"}`), with Vietnamese
reasons (`sohoa rescan --station MQ-02`); a re-delivery is checked again and closes
what now passes.

Runs when `sohoa_arranged` is announced and every 15 minutes (new deliveries);
trigger with **agency** / **file** to rerun. Announces `sohoa_qc_checked`.
"""

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

from sohoa import pipeline
from sohoa.core import calendar
from sohoa.airflow_glue import ASSETS, phase_dag
from sohoa.scan.phase import READY_STATUSES

dag = phase_dag(
    "scan_qc",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(READY_STATUSES, agency),
    runner=pipeline.run_scan_qc,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/15 * * * *", timezone=calendar.tz_name()),
        assets=ASSETS["arranged"],
    ),
    outlet=ASSETS["scanned"],
    tags=["scan", "qc", "phase-3"],
)
