"""
### Kiểm tra toàn vẹn dữ liệu (fixity audit)

Re-hashes every stored object — page originals, delivered PDFs/TIFFs, QC derivatives, file
and document PDF/As, AIPs, inventory lists and error workbooks, weekly reports (task
**CHUNG**) — in bounded, resumable batches (`SOHOA_FIXITY_BATCH`), compares each with the
SHA-256 the database recorded, and checks the second copy (`SOHOA_REPLICA*`) the same way.
A bad copy is repaired from the good one and the repair recorded; both copies bad is a
**loss**: the task fails and names the objects. Every batch writes a PREMIS "fixity check"
event; findings show on the **Tiến độ số hóa** dashboard and in the weekly report.

Runs weekly (Sunday 02:00 Asia/Ho_Chi_Minh); trigger with **agency** / **file** for one
agency or one file. Outside Airflow: `sohoa fixity [--agency X] [--file CODE] [--json]`.
"""

from airflow.sdk import CronTriggerTimetable

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag
from sohoa.preservation.fixity import agencies_with_objects


def _agencies(agency):
    from sohoa.core.db.session import session_scope

    with session_scope() as s:
        return agencies_with_objects(s, agency)


def _run(agency, file_ref=None):
    return pipeline.run_fixity(agency, file_ref, raise_on_loss=True)


dag = phase_dag(
    "fixity_audit",
    doc_md=__doc__,
    lister=_agencies,
    runner=_run,
    schedule=CronTriggerTimetable("0 2 * * 0", timezone="Asia/Ho_Chi_Minh"),
    outlet=ASSETS["fixity"],
    tags=["preservation", "fixity"],
    max_parallel=1,
)
