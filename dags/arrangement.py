"""
### Bàn giao và chỉnh lý (handover and arrangement)

Records the listed boxes as received, reconciles expected and received counts per box,
imports the archivists' record slips (phiếu tin) dropped in `SOHOA_SLIPS_DIR`, then walks
each file through the arrangement steps — phân loại → lập hồ sơ, mã hồ sơ (TT 05/2025 by
default, `SOHOA_FILE_CODE_STYLE=2019` for TT 02/2019), thời hạn bảo quản, chế độ sử dụng →
phiếu tin → kiểm tra → đóng hộp — one event per step, and marks files arranged. A file
that fails the check stays with its reasons. A file keeps its code on reruns.
Slips that cannot be used come back to the archivists as an Excel list (row, column,
value, problem, how to fix) under `record-slips/errors/` in the object store; the run's
XCom `record_slip_error_reports` names it.

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
