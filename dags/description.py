"""
### Mô tả văn bản (description): tách hồ sơ thành văn bản, đọc thông tin từng văn bản

For every OCR'd file: splits its pages into documents (văn bản) — a new document at each
first page (organ, national motto, "Số: …", type title, place and date), continuation
pages and appendices with the document they belong to, a file without a recognisable
header as one document "Khác" flagged for review — and reads each document's type,
number and notation, date, issuing organ, subject, signer and page range from its pages'
text, each with a confidence; what the machine is unsure of is left empty and flagged,
never invented. Writes the `documents` table (fields a person confirmed are never
overwritten), one PDF/A per document named by its document code beside the file's PDF,
and raises a file's access mode when a document is stamped MẬT / TỐI MẬT / TUYỆT MẬT.
Every change is an event. Unchanged files are skipped; a page whose OCR changed
re-derives its file's documents.

Runs when `sohoa_ocr_done` is announced; trigger with **agency** / **file** to rerun.
Announces `sohoa_described` (integration and the review `description_review` follow).
"""

from sohoa import pipeline
from sohoa.airflow_glue import ASSETS, phase_dag

dag = phase_dag(
    "description",
    doc_md=__doc__,
    lister=lambda agency: pipeline.agencies_with_work(("ocr_done",), agency),
    runner=pipeline.run_description,
    schedule=[ASSETS["ocr_done"]],
    outlet=ASSETS["described"],
    tags=["description", "documents", "phase-5"],
)
