"""Description phase over the database: each OCR'd file split into its documents (văn bản),
their metadata read from the pages' text (``sohoa.description.extract``), written to the
``documents`` table, one PDF/A per document cut from the file's PDF/A.

* **Idempotent**: a file whose inputs (page texts and lines, file code, the file's PDF,
  ``DESCRIPTION_VERSION``) are unchanged is skipped; a changed page OCR re-derives its
  documents.
* **People win**: a field a person confirmed (``documents.confirmed``) is never overwritten
  by a rerun; it is no longer flagged.
* **Every change an event** (``phase='description'``): per document the fields before →
  after, who (the Airflow task or the OS user, or the reviewer for confirmations).
* **Secret documents**: a document stamped MẬT / TỐI MẬT / TUYỆT MẬT raises its file's
  access mode to ``confidential`` before integration (an uncertain mark: ``restricted``,
  held for review); integration only takes described files. Access is never lowered here.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core import events, fields
from sohoa.core.db.models import Agency, Document, File, Page
from sohoa.core.selection import select_files
from sohoa.description import layout

log = logging.getLogger(__name__)

DESCRIPTION_VERSION = "1"  # bump when the rules below change, so files are redone
PDF_VERSION = "1"  # bump when the per-document PDF/A changes, so they are cut again
PHASE = "description"

#: Document fields the machine reads (DocumentDraft attributes) and people may confirm.
MACHINE_FIELDS = ("type_name", "code_number", "code_notation", "issued_date", "issued_year",
                  "issued_month", "organ_name", "subject", "signer", "signer_title",
                  "language", "secrecy", "urgency")
#: Column limits (DOMAIN.md document field set; signer fields: the project's own).
MAX_LENGTHS = {"type_name": 100, "code_number": 11, "code_notation": 30, "organ_name": 200,
               "subject": 500, "signer": 100, "signer_title": 100, "language": 30,
               "secrecy": 20, "urgency": 20}
SECRECY_MARKS = layout.SECRECY_MARKS  # MẬT / TỐI MẬT / TUYỆT MẬT
URGENCY_MARKS = layout.URGENCY_MARKS
#: documents.doc_code: FileCode (30) + "." + the ordinal (at most 4 digits)
MAX_DOC_CODE_STORED = 35
_ACCESS_RANK = {fields.ACCESS_PUBLIC: 0, fields.ACCESS_RESTRICTED: 1,
                fields.ACCESS_CONFIDENTIAL: 2}


def doc_pdf_key(agency_code: str, doc_code: str) -> str:
    """Beside the file's PDF (``pdf/<agency>/<file code>.pdf``), named by the document code."""
    return f"pdf/{agency_code}/{doc_code}.pdf"


def document_code(file_code: str | None, ordinal: int) -> str | None:
    """TT 05/2025: file code + "." + the document's number within the file (the rule is
    sohoa.core.fields.build_document_code). The code is the document's file name, so it is
    kept whole: a 2025-style file code makes it longer than DocCode's 25 characters (the
    field table gives FileCode 30), and the column holds MAX_DOC_CODE_STORED."""
    if not file_code:
        return None
    try:
        return fields.build_document_code(file_code, ordinal, max_length=MAX_DOC_CODE_STORED)
    except ValueError as exc:  # the document is still described; it has no code (or PDF)
        log.warning("no document code for %s #%s: %s", file_code, ordinal, exc)
        return None


def _pages(session: Session, f: File) -> list[Page]:
    """The pages that are in the file's PDF/A, in order (rejected pages are not)."""
    return list(session.scalars(select(Page).where(Page.file_id == f.id,
                                                   Page.qc_verdict != "reject")
                                .order_by(Page.page_no)))


def description_input_hash(f: File, pages: list[Page]) -> str:
    from sohoa.description import extract

    h = hashlib.sha256(f"{DESCRIPTION_VERSION}|{getattr(extract, 'EXTRACT_VERSION', '')}|"
                       f"{f.file_code}|{f.pdf_sha256}".encode())
    for p in pages:
        lines = json.dumps(p.ocr_lines, ensure_ascii=False, sort_keys=True) if p.ocr_lines else ""
        h.update(f"|{p.page_no}|{p.ocr_confidence}|".encode())
        h.update((p.ocr_text or "").encode())
        h.update(hashlib.sha256(lines.encode()).digest())
    return h.hexdigest()


def page_texts(pages: list[Page]):
    from sohoa.description.extract import PageText

    return [PageText(number=p.page_no, text=p.ocr_text or "", lines=p.ocr_lines or None,
                     width=p.width_px, height=p.height_px) for p in pages]


def _plain(v):
    if isinstance(v, date):
        return v.isoformat()
    return v


def _value(draft, name: str):
    v = getattr(draft, name, None)
    if name == "issued_date" and isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            return None
    if isinstance(v, str):
        v = fields.nfc(v).strip() or None
    return v


def machine_reading(draft) -> tuple[dict, list[str], dict]:
    """(values, flagged fields, reasons) of a draft; a value longer than its column is
    left empty and flagged (never cut silently)."""
    values = {k: _value(draft, k) for k in MACHINE_FIELDS}
    review = list(dict.fromkeys(getattr(draft, "review", None) or []))
    reasons = dict(getattr(draft, "reasons", None) or {})
    for k, n in MAX_LENGTHS.items():
        if isinstance(values.get(k), str) and len(values[k]) > n:
            reasons[k] = f"Dài quá {n} ký tự ({len(values[k])}), cần người kiểm tra"
            values[k] = None
            if k not in review:
                review.append(k)
    if not values.get("language"):
        values["language"] = fields.DEFAULT_LANGUAGE
    return values, review, reasons


def review_state(review: list[str], confirmed: dict) -> str:
    if review:
        return "pending"
    return "confirmed" if confirmed else "none"


def document_record(d: Document) -> dict:
    """The document's fields as JSON values (events, forms, exports)."""
    out = {k: _plain(getattr(d, k)) for k in MACHINE_FIELDS}
    out.update(ordinal=d.ordinal, doc_code=d.doc_code, page_from=d.page_from, page_to=d.page_to,
               page_amount=d.page_amount, mode=d.mode)
    return out


def describe(session: Session, storage, *, agency: str | None = None,
             file_ref: str | None = None, describe_pages=None, force: bool = False) -> dict:
    """Describe every OCR'd file (status ocr_done, or integrated and OCR'd again).
    ``force``: files whose inputs are unchanged are described again too (one
    ``forced_rerun`` event each); fields a person confirmed still stay as confirmed."""
    if describe_pages is None:
        from sohoa.description.extract import describe_pages
    files = select_files(session, agency=agency, file_ref=file_ref,
                         statuses=("ocr_done", "integrated"))
    summary = {"files": 0, "unchanged": 0, "forced": 0, "documents": 0, "flagged": 0,
               "access_raised": 0, "file_errors": 0, "file_ids": []}
    for f in files:
        try:
            out = describe_file(session, storage, f, describe_pages, force=force)
            session.commit()  # one file at a time
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
            session.rollback()
            log.exception("description of file %s failed", f.id)
            events.record(session, entity="files", entity_id=f.id, phase=PHASE,
                          action="description_failed", agency_id=f.agency_id,
                          details={"error": f"{type(exc).__name__}: {exc}"[:1000],
                                   "reason": "Không bóc tách được văn bản của hồ sơ; "
                                             "sẽ làm lại ở lần chạy sau"})
            session.commit()
            summary["file_errors"] += 1
            continue
        if out is None:
            summary["unchanged"] += 1
            continue
        summary["files"] += 1
        summary["forced"] += out.get("forced", 0)
        summary["file_ids"].append(f.id)
        for k in ("documents", "flagged", "access_raised"):
            summary[k] += out[k]
    return summary


def describe_file(session: Session, storage, f: File, describe_pages,
                  force: bool = False) -> dict | None:
    pages = _pages(session, f)
    in_hash = description_input_hash(f, pages)
    forced = f.described_hash == in_hash
    if forced and not force:
        return None
    if forced:
        events.record_forced(session, entity="files", entity_id=f.id, phase=PHASE,
                             agency_id=f.agency_id, details={"file_code": f.file_code})
    agency = session.get(Agency, f.agency_id)
    drafts = describe_pages(page_texts(pages)) if pages else []
    existing = {d.ordinal: d for d in session.scalars(select(Document)
                                                      .where(Document.file_id == f.id))}
    by_page = {p.page_no: p for p in pages}
    counts = {"documents": 0, "flagged": 0, "access_raised": 0, "forced": int(forced)}
    docs = []
    for draft in drafts:
        ordinal = int(draft.ordinal)
        d = existing.pop(ordinal, None)
        values, review, reasons = machine_reading(draft)
        is_new = d is None
        if is_new:
            d = Document(file_id=f.id, ordinal=ordinal, confirmed={}, review_state="none")
            session.add(d)
        before = None if is_new else document_record(d)
        confirmed = dict(d.confirmed or {})
        for k, v in values.items():
            if k in confirmed:  # a person's answer stands
                continue
            setattr(d, k, v)
        review = [k for k in review if k not in confirmed]
        d.confidence = {k: round(float(c), 3) for k, c in
                        (getattr(draft, "confidence", None) or {}).items()}
        d.review = review or None
        d.reasons = {k: r for k, r in reasons.items() if k in review} or None
        d.review_state = review_state(review, confirmed)
        d.page_from, d.page_to = int(draft.page_from), int(draft.page_to)
        d.page_amount = d.page_to - d.page_from + 1
        d.doc_code = document_code(f.file_code, ordinal)
        d.mode = (fields.ACCESS_CONFIDENTIAL if d.secrecy in SECRECY_MARKS
                  else f.access_mode or fields.ACCESS_PUBLIC)
        session.flush()
        after = document_record(d)
        changed = after if before is None else {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            events.record(session, entity="documents", entity_id=d.id, phase=PHASE,
                          action="described" if is_new else "redescribed",
                          agency_id=f.agency_id,
                          before=None if before is None else {k: before.get(k) for k in changed},
                          after=changed,
                          details={"file_id": f.id, "review": review,
                                   "kept_confirmed": sorted(confirmed)})
        for page_no in range(d.page_from, d.page_to + 1):
            if page_no in by_page:
                by_page[page_no].document_id = d.id
        docs.append(d)
        counts["documents"] += 1
        counts["flagged"] += 1 if review else 0
    for d in existing.values():  # documents a new reading no longer finds
        for p in pages:
            if p.document_id == d.id:
                p.document_id = None
        session.flush()
        events.record(session, entity="documents", entity_id=d.id, phase=PHASE,
                      action="document_removed", agency_id=f.agency_id,
                      before=document_record(d), after=None,
                      details={"file_id": f.id, "confirmed": d.confirmed or {},
                               "reason": "Lần bóc tách mới không còn văn bản này"})
        session.delete(d)
    session.flush()
    counts["access_raised"] = raise_access_for_secrets(session, f, docs)
    file_pdf = storage.get_bytes(f.pdf_key) if f.pdf_key and docs else None
    for d in docs:
        store_document_pdf(session, storage, f, agency, d, pages, file_pdf=file_pdf)
    before = {"described_hash": f.described_hash}
    f.described_hash = in_hash
    events.record(session, entity="files", entity_id=f.id, phase=PHASE, action="described",
                  agency_id=f.agency_id, before=before, after={"described_hash": in_hash},
                  details={"documents": len(docs), "flagged": counts["flagged"]})
    return counts


def raise_access_for_secrets(session: Session, f: File, docs: list[Document],
                             actor: str | None = None) -> int:
    """A secret document makes its file confidential; a secrecy mark that could not be read
    surely holds it at least restricted until a person answers. Never lowers. Returns 1
    when the access mode was raised."""
    target, why = None, []
    for d in docs:
        if d.secrecy in SECRECY_MARKS:
            target = fields.ACCESS_CONFIDENTIAL
            why.append(f"Văn bản {d.ordinal} đóng dấu “{d.secrecy}”")
        elif "secrecy" in (d.review or []):
            target = target or fields.ACCESS_RESTRICTED
            why.append(f"Văn bản {d.ordinal}: dấu mật chưa đọc chắc chắn, chờ người kiểm tra")
    current = f.access_mode or fields.ACCESS_PUBLIC
    if target is None or _ACCESS_RANK.get(target, 0) <= _ACCESS_RANK.get(current, 0):
        return 0
    f.access_mode = target
    session.flush()
    events.record(session, entity="files", entity_id=f.id, phase=PHASE, action="access_raised",
                  agency_id=f.agency_id, before={"access_mode": current},
                  after={"access_mode": target}, details={"reasons": why}, actor=actor)
    for d in docs:
        d.mode = fields.ACCESS_CONFIDENTIAL if d.secrecy in SECRECY_MARKS else target
    return 1


def document_metadata(f: File, agency: Agency, d: Document) -> dict:
    """XMP/DocInfo of a document's PDF/A (sohoa.ocr.pdf.build_pdfa keys)."""
    title = d.subject or " ".join(x for x in (d.type_name, d.code_number and
                                              f"số {d.code_number}/{d.code_notation or ''}")
                                  if x) or d.doc_code or ""
    issued = d.issued_date.isoformat() if d.issued_date else (
        f"{d.issued_year:04d}-{d.issued_month:02d}" if d.issued_year and d.issued_month
        else (f"{d.issued_year:04d}" if d.issued_year else None))
    keywords = "; ".join(x for x in (d.type_name, d.code_number and d.code_notation and
                                     f"{d.code_number}/{d.code_notation}", f.file_code) if x)
    return {"file_code": d.doc_code or "", "title": title, "agency": d.organ_name or agency.name,
            "language": d.language or f.language or "vi", "start_date": issued,
            "end_date": issued, "subject": d.subject, "keywords": keywords or None}


def cut_pdfa(file_pdf: bytes, indexes: list[int], metadata: dict) -> bytes:
    """A PDF/A-2b of the given 0-based pages of a file's PDF/A, with its own XMP."""
    import pikepdf

    from sohoa.ocr.pdf import build_pdfa

    one_page = []
    with pikepdf.Pdf.open(io.BytesIO(file_pdf)) as src:
        if "created" not in metadata:  # the file PDF's date: same inputs, same bytes
            created = src.open_metadata(set_pikepdf_as_editor=False).get("xmp:CreateDate")
            metadata = {**metadata, "created": created} if created else metadata
        for i in indexes:
            with pikepdf.Pdf.new() as out:
                out.pages.append(src.pages[i])
                buf = io.BytesIO()
                out.save(buf)
                one_page.append(buf.getvalue())
    return build_pdfa(one_page, metadata=metadata)


def store_document_pdf(session: Session, storage, f: File, agency: Agency, d: Document,
                       pages: list[Page] | None = None, actor: str | None = None,
                       file_pdf: bytes | None = None) -> bool:
    """Cut and store the document's PDF/A when the file has one; True when (re)written."""
    if not f.pdf_key or not d.doc_code:
        return False
    pages = pages if pages is not None else _pages(session, f)
    position = {p.page_no: i for i, p in enumerate(pages)}
    indexes = [position[n] for n in range(d.page_from or 1, (d.page_to or 0) + 1)
               if n in position]
    if not indexes:
        return False
    metadata = document_metadata(f, agency, d)
    key = doc_pdf_key(agency.code, d.doc_code)
    # the PDF/A writer embeds a freshly made ICC profile (its own date): same inputs are
    # recognised by their hash, not by the bytes
    in_hash = hashlib.sha256(json.dumps([PDF_VERSION, f.pdf_sha256, indexes, metadata],
                                        sort_keys=True, default=str).encode()).hexdigest()
    if d.pdf_key == key and d.pdf_input_hash == in_hash and storage.exists(key):
        return False
    if file_pdf is None:
        file_pdf = storage.get_bytes(f.pdf_key)
    data = cut_pdfa(file_pdf, indexes, metadata)
    sha = storage.put_bytes(key, data, content_type="application/pdf")
    before = {"pdf_key": d.pdf_key, "pdf_sha256": d.pdf_sha256}
    d.pdf_key, d.pdf_sha256, d.pdf_input_hash = key, sha, in_hash
    events.record(session, entity="documents", entity_id=d.id, phase=PHASE, action="pdf_stored",
                  agency_id=f.agency_id, before=before, after={"pdf_key": key, "pdf_sha256": sha},
                  details={"pages": len(indexes), "bytes": len(data)}, actor=actor)
    return True
