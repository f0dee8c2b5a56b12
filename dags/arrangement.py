"""
### Bàn giao và chỉnh lý (handover and arrangement)

Records the listed boxes as received, reconciles expected and received counts per box,
then assigns archival file codes (TT 05/2025 by default), walks the arrangement steps and
marks files arranged. A file keeps its code on reruns.

Runs when `sohoa_inventoried` is announced; trigger with **agency** / **file** to rerun.
Announces `sohoa_arranged`.
"""

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag

dag = phase_dag(
    "arrangement",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(("inventoried", "handed_over"), agency),
    runner=pipeline.run_arrangement,
    schedule=[ASSETS["inventoried"]],
    outlet=ASSETS["arranged"],
    tags=["arrangement", "phase-2"],
)
