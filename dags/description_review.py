"""
### Kiểm tra mô tả văn bản (người xác nhận) — Required actions

One form per agency under **Browse → Required actions**: the documents whose fields the
machine is unsure of (a handwritten number or day, a smudged field, two readings that
disagree), each field pre-filled with the machine's reading, its reason and a link to the
page image; and the agency's rejected pages waiting for a rescan, which an archivist may
accept as they are with a reason (the paper itself is damaged), closing the rescan
request. **Xác nhận** saves the answers (validated like the machine's reading; a bad
value is refused with its reason and stays waiting), **Để sau** saves nothing. Every
change is an event with the reviewer's user name; a confirmed field is never overwritten
by the description phase. An unanswered form is withdrawn after 24 hours and asked again
by the next run. Bulk work: `sohoa review export --agency X` / `sohoa review import FILE`.

Runs when `sohoa_described` or `sohoa_qc_checked` is announced, or from the trigger form
(**agency**). Announces `sohoa_qc_accepted` when pages were accepted (OCR follows).
"""

from sohoa.airflow_glue import ASSETS, review_dag

dag = review_dag(
    "description_review",
    doc_md=__doc__,
    schedule=(ASSETS["described"] | ASSETS["scanned"]),
    tags=["description", "review", "hitl"],
)
