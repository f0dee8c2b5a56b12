"""
### Nhận dạng ký tự (OCR) → PDF/A hai lớp

For every file whose pages passed QC: prepares each page (orientation from QC, deskew,
red seals and blue signatures suppressed, background flattened), recognises it with
tesseract (`SOHOA_OCR_LANG`, default `vie`), stores the NFC text in reading order with
per-line confidences (pages to check are flagged with a reason in Vietnamese) and
writes one two-layer PDF/A-2b per file, named by its file code, through the storage
interface with its SHA-256. Both cores work on the pages of consecutive files.
A file already done with the same inputs is skipped; a failing page is marked with its
reason and the rest of the file completes; a crash leaves no half-written PDF.

Runs when `sohoa_qc_checked` (or `sohoa_qc_accepted`, pages a reviewer accepted) is
announced; trigger with **agency** / **file** to rerun.
One agency at a time: each task already keeps both cores busy; the task runs in its own
Celery queue and pool (`SOHOA_OCR_QUEUE` / `SOHOA_OCR_POOL`, default `sohoa_ocr`), so the
other phases never wait behind it. **Làm lại (force)** redoes a file even when its inputs
are unchanged. Announces `sohoa_ocr_done`.
"""

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag

dag = phase_dag(
    "ocr",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(("qc_passed",), agency),
    runner=pipeline.run_ocr,
    schedule=(ASSETS["scanned"] | ASSETS["qc_accepted"]),
    outlet=ASSETS["ocr_done"],
    tags=["ocr", "pdfa", "phase-4"],
    max_parallel=1,
    heavy=True,  # own Celery queue and pool: intake and reports never wait behind OCR
)
