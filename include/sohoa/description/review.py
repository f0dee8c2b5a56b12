"""People confirm what the machine is unsure of: the review of one agency's batch.

The same logic serves the Airflow Required-actions form (``sohoa.airflow_glue`` builds a
human-in-the-loop task from :func:`build_form` and hands the answer to
:func:`apply_answers`) and the Excel sheet for bulk work (:func:`export_xlsx`,
:func:`import_xlsx`). It knows nothing about Airflow.

A batch holds, for one agency:

* every flagged field of its documents (``documents.review``), pre-filled with the
  machine's reading, with the reason and a link to the page image;
* its rejected pages waiting for a rescan (QC override): an archivist may accept a page
  as it is, with a reason (e.g. the paper itself is damaged), which closes its rescan
  request and lets the file go on to OCR.

Answer keys: ``vb<document id>__<field>`` and ``qc<rescan request id>__accept`` /
``qc<rescan request id>__reason``. A value is validated as the machine's own reading is
(lengths, date, number, notation, marks); a bad value is rejected with a Vietnamese reason
and the field stays waiting. A confirmed field is never overwritten by a rerun of the
description phase. Every change is an event with the reviewer's name.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core import events, fields
from sohoa.core.db.models import Agency, Document, File, Page, RescanRequest
from sohoa.description import extract
from sohoa.description import phase as dphase

#: Vietnamese labels of the document fields (forms, sheets, reports).
FIELD_LABELS = {**extract.FIELD_LABELS_VI, "issued_year": "Năm ban hành",
                "issued_month": "Tháng ban hành", "language": "Ngôn ngữ"}
INT_FIELDS = {"issued_year", "issued_month"}
MAX_DOCS_PER_FORM = 25  # a form stays readable; the rest comes in the next batch
EMPTY_MARK = "(trống)"  # in the Excel sheet: "confirm that this field is empty"
PHASE = "description_review"


class _Empty:
    """An answer saying the field is really empty (not "no answer")."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


class _Blank:
    """A form field left blank: "empty" if the machine had read something, else no answer."""

    def __repr__(self) -> str:
        return "BLANK"


BLANK = _Blank()


@dataclass
class Answer:
    key: str
    value: object
    user: str


# ----------------------------------------------------------------------------- validation

_NUMBER_RE = re.compile(r"^[0-9]{1,11}$")
_NOTATION_RE = re.compile(r"^[0-9A-Za-zĐđ]+(?:[-/.][0-9A-Za-zĐđ]+)*$")


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def validate(field: str, value) -> tuple[object, str | None]:
    """(clean value, None) or (None, Vietnamese reason). ``value`` is not empty."""
    if field not in FIELD_LABELS:
        return None, f"Trường “{field}” không có trong mô tả văn bản"
    if field == "issued_date":
        d = parse_date(value)
        if d is None:
            return None, "Ngày không hợp lệ: ghi theo dạng dd/mm/yyyy, ví dụ 05/06/2025"
        if not (fields.MIN_RECORD_YEAR <= d.year <= date.today().year):
            return None, f"Năm {d.year} nằm ngoài khoảng {fields.MIN_RECORD_YEAR}–{date.today().year}"
        return d, None
    if field in INT_FIELDS:
        try:
            n = int(str(value).strip())
        except ValueError:
            return None, f"{FIELD_LABELS[field]} phải là một số"
        lo, hi = (fields.MIN_RECORD_YEAR, date.today().year) if field == "issued_year" else (1, 12)
        if not lo <= n <= hi:
            return None, f"{FIELD_LABELS[field]} phải trong khoảng {lo}–{hi}"
        return n, None
    s = fields.nfc(str(value)).strip()
    s = re.sub(r"\s+", " ", s)
    limit = dphase.MAX_LENGTHS.get(field)
    if limit and len(s) > limit:
        return None, f"Dài quá {limit} ký tự ({len(s)})"
    if field == "code_number" and not _NUMBER_RE.match(s):
        return None, "Số văn bản chỉ gồm chữ số (ví dụ 155)"
    if field == "code_notation" and not _NOTATION_RE.match(s):
        return None, "Ký hiệu chỉ gồm chữ, số và dấu - / . (ví dụ QĐ-UBND)"
    if field == "secrecy":
        mark = _mark(s, dphase.SECRECY_MARKS)
        if mark is None:
            return None, "Độ mật là một trong: " + ", ".join(dphase.SECRECY_MARKS)
        return mark, None
    if field == "urgency":
        mark = _mark(s, dphase.URGENCY_MARKS)
        if mark is None:
            return None, "Độ khẩn là một trong: " + ", ".join(dphase.URGENCY_MARKS)
        return mark, None
    if field == "language":
        code = fields.parse_languages(s)
        if code is None:
            return None, "Ngôn ngữ không nhận ra (ví dụ: Tiếng Việt, vi)"
        return code, None
    return s, None


def _mark(value: str, marks: tuple[str, ...]) -> str | None:
    by_fold = {fields.fold(m): m for m in marks}
    return by_fold.get(fields.fold(value))


# ----------------------------------------------------------------------------- the batch


def default_page_url(page_id: int) -> str:
    """Relative link to the page image served by the dashboard plugin (``/sohoa``)."""
    return f"/sohoa/pages/{page_id}/image"


def pending_documents(session: Session, agency_id: int, limit: int | None = None) -> list[Document]:
    q = (select(Document).join(File, File.id == Document.file_id)
         .where(File.agency_id == agency_id, Document.review_state == "pending")
         .order_by(File.id, Document.ordinal))
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def pending_rescans(session: Session, agency_id: int) -> list[tuple[RescanRequest, Page, File]]:
    """Open rescan requests of rejected pages that exist (a missing page cannot be accepted)."""
    q = (select(RescanRequest, Page, File)
         .join(File, File.id == RescanRequest.file_id)
         .join(Page, (Page.file_id == RescanRequest.file_id)
               & (Page.page_no == RescanRequest.page_no))
         .where(RescanRequest.agency_id == agency_id, RescanRequest.status == "open",
                Page.qc_verdict == "reject")
         .order_by(File.id, RescanRequest.page_no))
    return [tuple(r) for r in session.execute(q)]


def agencies_with_review(session: Session, agency: str | None = None) -> list[str]:
    """Agency codes with something waiting for a person."""
    docs = (select(File.agency_id).join(Document, Document.file_id == File.id)
            .where(Document.review_state == "pending"))
    qc = select(RescanRequest.agency_id).where(RescanRequest.status == "open")
    q = select(Agency.code).where(Agency.id.in_(docs) | Agency.id.in_(qc)).order_by(Agency.code)
    if agency:
        q = q.where(Agency.code == agency.strip().upper())
    codes = list(session.scalars(q))
    agencies = {a.code: a.id for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    return [c for c in codes if pending_documents(session, agencies[c], 1)
            or pending_rescans(session, agencies[c])]


def _doc_label(d: Document, f: File) -> str:
    return d.doc_code or f"{f.file_code or f.notation} · văn bản {d.ordinal}"


def _first_page(session: Session, d: Document) -> Page | None:
    return session.scalar(select(Page).where(Page.file_id == d.file_id,
                                             Page.page_no == (d.page_from or 1)))


def _param_spec(field: str, value, title: str, description: str) -> dict:
    spec = {"value": dphase._plain(value), "title": title, "description": description}
    if field in INT_FIELDS:
        spec["type"] = ["null", "integer"]
    elif field == "issued_date":
        spec["type"] = ["null", "string"]
        spec["format"] = "date"
    else:
        spec["type"] = ["null", "string"]
        if field in dphase.MAX_LENGTHS:
            spec["maxLength"] = dphase.MAX_LENGTHS[field]
    return spec


def build_form(session: Session, agency_code: str, *,
               page_url: Callable[[int], str] = default_page_url) -> dict | None:
    """The review of one agency: ``{"subject", "body" (Markdown), "params": {key: spec}}``
    where a spec is a JSON-schema field (value, type, title, description, …) for Airflow
    Params; None when nothing waits."""
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.strip().upper()))
    if agency is None:
        return None
    docs = pending_documents(session, agency.id, MAX_DOCS_PER_FORM)
    rescans = pending_rescans(session, agency.id)
    if not docs and not rescans:
        return None
    params: dict[str, dict] = {}
    lines = [f"### {agency.code} — {agency.name}", ""]
    if docs:
        lines += ["**Văn bản cần kiểm tra.** Mỗi ô đã điền sẵn kết quả máy đọc: sửa nếu sai, "
                  "để trống nếu không đọc được (ô máy đã đọc mà bạn xóa trống nghĩa là văn bản "
                  "không có thông tin đó). Bấm **Xác nhận** để lưu, **Để sau** để không lưu gì.", ""]
    for d in docs:
        f = d.file
        page = _first_page(session, d)
        link = f" — [ảnh trang {d.page_from}]({page_url(page.id)})" if page else ""
        lines.append(f"- **{_doc_label(d, f)}** ({f.title[:80]}; trang {d.page_from}–{d.page_to})"
                     f"{link}")
        for field in d.review or []:
            if field not in FIELD_LABELS:
                continue
            reason = (d.reasons or {}).get(field) or "Máy đọc chưa chắc chắn"
            conf = (d.confidence or {}).get(field)
            lines.append(f"    - {FIELD_LABELS[field]}: {reason}"
                         + (f" (độ tin cậy {conf:.0%})" if conf is not None else ""))
            params[f"vb{d.id}__{field}"] = _param_spec(
                field, getattr(d, field), f"{_doc_label(d, f)} · {FIELD_LABELS[field]}",
                reason)
    if rescans:
        lines += ["", "**Trang bị loại, chờ quét lại.** Đánh dấu *Chấp nhận* và ghi lý do khi "
                  "không thể quét tốt hơn (ví dụ: bản giấy đã hư hỏng); yêu cầu quét lại sẽ đóng.",
                  ""]
    for req, page, f in rescans:
        label = f"{f.file_code or f.notation} · trang {req.page_no}"
        lines.append(f"- **{label}**: {'; '.join(req.reasons or [])} — "
                     f"[ảnh trang]({page_url(page.id)})")
        params[f"qc{req.id}__accept"] = {"value": False, "type": "boolean",
                                         "title": f"{label} · Chấp nhận như hiện trạng",
                                         "description": "; ".join(req.reasons or [])[:500]}
        params[f"qc{req.id}__reason"] = {"value": None, "type": ["null", "string"],
                                         "title": f"{label} · Lý do chấp nhận",
                                         "description": "Bắt buộc khi chấp nhận trang",
                                         "maxLength": 500}
    more = len(pending_documents(session, agency.id)) - len(docs)
    if more > 0:
        lines += ["", f"_Còn {more} văn bản nữa sẽ hiện ở lượt kiểm tra sau._"]
    subject = (f"Kiểm tra mô tả văn bản — {agency.code}: {len(docs)} văn bản"
               + (f", {len(rescans)} trang bị loại" if rescans else ""))
    return {"subject": subject, "body": "\n".join(lines), "params": params,
            "documents": [d.id for d in docs], "rescans": [r.id for r, _, _ in rescans]}


# ----------------------------------------------------------------------------- answers


def _key(key: str) -> tuple[str, int, str] | None:
    m = re.match(r"^(vb|qc)(\d+)__([a-z_]+)$", key)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def answers_from_form(params_input: dict, user: str) -> list[Answer]:
    """An Airflow form answer: every key comes back; an emptied field that had a machine
    reading means "empty", an empty field that had none means "not answered"."""
    out = []
    for key, value in (params_input or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            value = BLANK
        out.append(Answer(key, value, user))
    return out


def apply_answers(session: Session, storage, answers: list[Answer], *,
                  source: str = "airflow") -> dict:
    """Apply reviewers' answers with validation and events. Returns counts and the
    rejected answers with their reasons (nothing raises on a bad value)."""
    result = {"confirmed": 0, "unchanged": 0, "accepted_pages": 0, "rejected": []}
    touched_docs: dict[int, str] = {}
    qc: dict[int, dict] = {}
    for a in answers:
        parsed = _key(a.key)
        if parsed is None:
            result["rejected"].append({"key": a.key, "value": a.value,
                                       "reason": "Khóa không hợp lệ"})
            continue
        kind, ident, field = parsed
        if kind == "qc":
            qc.setdefault(ident, {"user": a.user})[field] = a.value
            continue
        d = session.get(Document, ident)
        if d is None:
            result["rejected"].append({"key": a.key, "value": _show(a.value),
                                       "reason": "Văn bản không còn (hồ sơ đã được bóc tách lại)"})
            continue
        outcome = _confirm_field(session, d, field, a.value, a.user, source)
        if isinstance(outcome, str):
            result["rejected"].append({"key": a.key, "value": _show(a.value), "reason": outcome})
            _record_rejection(session, d, field, a, outcome, source)
        elif outcome:
            result["confirmed"] += 1
            touched_docs[d.id] = a.user
        else:
            result["unchanged"] += 1
    for doc_id, user in touched_docs.items():
        d = session.get(Document, doc_id)
        f = session.get(File, d.file_id)
        actor = f"user:{user}"
        docs = list(session.scalars(select(Document).where(Document.file_id == f.id)))
        dphase.raise_access_for_secrets(session, f, docs, actor=actor)
        dphase.store_document_pdf(session, storage, f, session.get(Agency, f.agency_id), d,
                                  actor=actor)
    for req_id, ans in qc.items():
        outcome = _qc_override(session, req_id, ans, source)
        if isinstance(outcome, str):
            result["rejected"].append({"key": f"qc{req_id}__accept", "value": ans.get("accept"),
                                       "reason": outcome})
        elif outcome:
            result["accepted_pages"] += 1
    session.flush()
    return result


def _show(value):
    return None if value is EMPTY or value is BLANK else dphase._plain(value)


def _record_rejection(session, d: Document, field: str, a: Answer, reason: str,
                      source: str) -> None:
    events.record(session, entity="documents", entity_id=d.id, phase=PHASE,
                  action="answer_rejected", agency_id=d.file.agency_id, actor=f"user:{a.user}",
                  details={"field": field, "value": str(_show(a.value))[:500], "reason": reason,
                           "source": source})


def _confirm_field(session: Session, d: Document, field: str, value, user: str,
                   source: str) -> bool | str:
    """True: confirmed/changed; False: nothing to do; str: the reason it was refused."""
    if field not in FIELD_LABELS:
        return f"Trường “{field}” không có trong mô tả văn bản"
    current = getattr(d, field)
    if value is BLANK and current is None:
        return False  # no machine reading and no answer: it keeps waiting
    if value is EMPTY or value is BLANK:
        clean = None
    else:
        clean, problem = validate(field, value)
        if problem:
            return problem
    confirmed = dict(d.confirmed or {})
    prior = confirmed.get(field)
    if prior is not None and prior.get("value") == dphase._plain(clean) and current == clean:
        return False
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    updates = {field: clean}
    if field == "issued_date" and isinstance(clean, date):
        updates.update(issued_year=clean.year, issued_month=clean.month)
    before = {k: dphase._plain(getattr(d, k)) for k in updates}
    for k, v in updates.items():
        setattr(d, k, v)
        confirmed[k] = {"value": dphase._plain(v), "by": user, "at": now, "source": source}
    review = [k for k in (d.review or []) if k not in updates]
    reasons = {k: r for k, r in (d.reasons or {}).items() if k in review}
    d.confirmed, d.review, d.reasons = confirmed, review or None, reasons or None
    d.review_state = dphase.review_state(review, confirmed)
    session.flush()
    events.record(session, entity="documents", entity_id=d.id, phase=PHASE, action="confirmed",
                  agency_id=d.file.agency_id, actor=f"user:{user}", before=before,
                  after={k: dphase._plain(v) for k, v in updates.items()},
                  details={"source": source, "review_state": d.review_state})
    return True


def _truthy(value) -> bool:
    if value is EMPTY or value is BLANK or value is None:
        return False
    if isinstance(value, bool):
        return value
    return fields.fold(str(value)) in {"co", "x", "yes", "true", "1", "chap nhan", "dong y"}


def _qc_override(session: Session, req_id: int, ans: dict, source: str) -> bool | str:
    if not _truthy(ans.get("accept")):
        return False
    req = session.get(RescanRequest, req_id)
    if req is None or req.status != "open":
        return False  # already closed (rescanned or accepted): nothing to do
    reason = ans.get("reason")
    reason = "" if reason in (EMPTY, BLANK, None) else fields.nfc(str(reason)).strip()
    if not reason:
        return "Cần ghi lý do khi chấp nhận trang bị loại (ví dụ: bản giấy đã hư hỏng)"
    page = session.scalar(select(Page).where(Page.file_id == req.file_id,
                                             Page.page_no == req.page_no))
    if page is None:
        return "Trang chưa được giao, không thể chấp nhận"
    user = ans["user"]
    actor = f"user:{user}"
    now = datetime.now(timezone.utc)
    f = session.get(File, req.file_id)
    # the page's QC state before, whole (reports rebuild past days from it)
    before = {"verdict": page.qc_verdict, "sha256": page.sha256,
              "defects": list(page.qc_defects or [])}
    page.qc_verdict = "pass"
    page.qc_metrics = {**(page.qc_metrics or {}),
                       "override": {"by": user, "at": now.replace(microsecond=0).isoformat(),
                                    "reason": reason[:500], "sha256": page.sha256,
                                    "was": list(page.qc_reasons or []), "source": source}}
    session.flush()
    events.record(session, entity="pages", entity_id=page.id, phase=PHASE,
                  action="qc_override", agency_id=f.agency_id, actor=actor, before=before,
                  after={"verdict": "pass"},
                  details={"reason": reason, "was": page.qc_reasons, "source": source})
    req.status, req.closed_at = "closed", now
    events.record(session, entity="rescan_requests", entity_id=req.id, phase=PHASE,
                  action="rescan_closed", agency_id=f.agency_id, actor=actor,
                  before={"status": "open"}, after={"status": "closed"},
                  details={"page_no": req.page_no, "override": True, "reason": reason})
    session.flush()
    still_open = session.scalar(select(RescanRequest.id).where(
        RescanRequest.file_id == f.id, RescanRequest.status == "open").limit(1))
    rejected = session.scalar(select(Page.id).where(Page.file_id == f.id,
                                                    Page.qc_verdict == "reject").limit(1))
    if f.status == "qc_rejected" and still_open is None and rejected is None:
        events.set_status(session, f, "status", "qc_passed", phase=PHASE, action="qc_override",
                          details={"by": user, "reason": reason})
    return True


# ----------------------------------------------------------------------------- Excel

SHEET_COLUMNS = [
    ("key", "Khóa (không sửa)", 18),
    ("agency", "Mã cơ quan", 11),
    ("file_code", "Mã hồ sơ", 26),
    ("doc_code", "Mã văn bản / trang", 30),
    ("pages", "Trang", 8),
    ("field", "Trường cần kiểm tra", 26),
    ("machine", "Máy đọc được", 40),
    ("confidence", "Độ tin cậy", 10),
    ("reason", "Lý do cần kiểm tra", 40),
    ("answer", "Giá trị xác nhận", 40),
    ("accept_reason", "Lý do chấp nhận trang", 30),
    ("reviewer", "Người kiểm tra", 18),
    ("image", "Ảnh trang", 30),
]
SHEET_TITLE = "Cần kiểm tra"


def pending_rows(session: Session, agency_code: str, *,
                 page_url: Callable[[int], str] = default_page_url) -> list[dict]:
    agency = session.scalar(select(Agency).where(Agency.code == agency_code.strip().upper()))
    if agency is None:
        return []
    rows = []
    for d in pending_documents(session, agency.id):
        f = d.file
        page = _first_page(session, d)
        for field in d.review or []:
            if field not in FIELD_LABELS:
                continue
            conf = (d.confidence or {}).get(field)
            rows.append({"key": f"vb{d.id}__{field}", "agency": agency.code,
                         "file_code": f.file_code or f.notation, "doc_code": _doc_label(d, f),
                         "pages": f"{d.page_from}–{d.page_to}", "field": FIELD_LABELS[field],
                         "machine": dphase._plain(getattr(d, field)),
                         "confidence": round(conf, 2) if conf is not None else None,
                         "reason": (d.reasons or {}).get(field) or "Máy đọc chưa chắc chắn",
                         "image": page_url(page.id) if page else None})
    for req, page, f in pending_rescans(session, agency.id):
        rows.append({"key": f"qc{req.id}__accept", "agency": agency.code,
                     "file_code": f.file_code or f.notation,
                     "doc_code": f"trang {req.page_no}", "pages": str(req.page_no),
                     "field": "Chấp nhận trang bị loại (ghi “có”)", "machine": None,
                     "confidence": None, "reason": "; ".join(req.reasons or []),
                     "image": page_url(page.id)})
    return rows


def export_xlsx(session: Session, agency_code: str, *,
                page_url: Callable[[int], str] = default_page_url) -> tuple[bytes, int]:
    """The agency's pending fields as a Vietnamese sheet (XlsxWriter, no formulas).
    Returns (bytes, number of rows)."""
    import xlsxwriter

    rows = pending_rows(session, agency_code, page_url=page_url)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    ws = wb.add_worksheet(SHEET_TITLE)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "border": 1})
    fill = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
    locked = wb.add_format({"font_color": "#808080"})
    for c, (_, label, width) in enumerate(SHEET_COLUMNS):
        ws.write_string(0, c, label, head)
        ws.set_column(c, c, width)
    for r, row in enumerate(rows, start=1):
        for c, (name, _, _) in enumerate(SHEET_COLUMNS):
            v = row.get(name)
            fmt = fill if name in ("answer", "accept_reason", "reviewer") else (
                locked if name == "key" else None)
            if v is None:
                ws.write_blank(r, c, None, fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, fmt)
            else:
                ws.write_string(r, c, str(v), fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(SHEET_COLUMNS) - 1)
    notes = wb.add_worksheet("Hướng dẫn")
    for i, text in enumerate([
        "Ghi giá trị đúng vào cột “Giá trị xác nhận”; để trống nếu chưa kiểm tra được.",
        f"Ghi “{EMPTY_MARK}” khi văn bản thật sự không có thông tin đó.",
        "Ngày ghi dd/mm/yyyy (ví dụ 05/06/2025). Độ mật: MẬT, TỐI MẬT, TUYỆT MẬT.",
        "Trang bị loại: ghi “có” để chấp nhận trang như hiện trạng, kèm lý do.",
        "Không sửa cột “Khóa”. Nhập lại bằng: sohoa review import TÊN_TỆP.xlsx",
    ]):
        notes.write_string(i, 0, text)
    notes.set_column(0, 0, 100)
    wb.close()
    return buf.getvalue(), len(rows)


def import_xlsx(session: Session, storage, data: bytes, *, user: str) -> dict:
    """Apply a filled sheet (same validation and events as the Airflow form)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [fields.nfc(str(h or "")).strip() for h in next(rows, [])]
    index = {name: header.index(label) for name, label, _ in SHEET_COLUMNS if label in header}
    if "key" not in index or "answer" not in index:
        wb.close()
        raise ValueError("Bảng không đúng mẫu: thiếu cột “Khóa (không sửa)” hoặc “Giá trị xác nhận”")
    answers, rows_of = [], {}
    def cell(row, name):
        i = index.get(name)
        v = row[i] if i is not None and i < len(row) else None
        return v.strip() if isinstance(v, str) else v

    for n, row in enumerate(rows, start=2):
        key, answer = cell(row, "key"), cell(row, "answer")
        if not key or answer is None or answer == "":
            continue
        who = cell(row, "reviewer") or user
        if isinstance(answer, str) and fields.fold(answer) == fields.fold(EMPTY_MARK):
            answer = EMPTY
        if isinstance(answer, float) and answer.is_integer():
            answer = int(answer)
        answers.append(Answer(str(key), answer, str(who)))
        rows_of[str(key)] = n
        if str(key).startswith("qc"):
            answers.append(Answer(str(key).replace("__accept", "__reason"),
                                  cell(row, "accept_reason") or EMPTY, str(who)))
    wb.close()
    out = apply_answers(session, storage, answers, source="excel")
    for r in out["rejected"]:
        r["row"] = rows_of.get(r["key"])
    return out
