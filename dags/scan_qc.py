"""
### Quét và kiểm tra chất lượng ảnh (scanning + image QC)

For every arranged file whose scan delivery has arrived (`SOHOA_DELIVERY_DIR/<MÃ CƠ QUAN>/
<số ký hiệu>/`), stores the original page images with their SHA-256, measures every page
with OpenCV (resolution, skew, orientation, blur, blank, ...) and gives a verdict:
pass / fixable / reject. Rejected and missing pages go to the rescan queue with
Vietnamese reasons; a re-delivery is checked again and closes what now passes.

Runs when `sohoa_arranged` is announced and every 15 minutes (new deliveries);
trigger with **agency** / **file** to rerun. Announces `sohoa_qc_checked`.
"""

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag
from sohoa.scan_phase import READY_STATUSES

dag = phase_dag(
    "scan_qc",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(READY_STATUSES, agency),
    runner=pipeline.run_scan_qc,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/15 * * * *", timezone="Asia/Ho_Chi_Minh"),
        assets=ASSETS["arranged"],
    ),
    outlet=ASSETS["scanned"],
    tags=["scan", "qc", "phase-3"],
)
