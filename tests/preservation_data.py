"""Integrated files made directly in the database and the object store (no OCR), for the
preservation tests and benchmarks: real bytes, recorded checksums, events, documents."""

from __future__ import annotations

import hashlib
import random
from datetime import date

from sohoa.core import events
from sohoa.core.db.models import Agency, Document, File, Page
from sohoa.core.storage import sha256_bytes


def fake_jpeg(seed: int, size: int) -> bytes:
    rnd = random.Random(seed)
    return b"\xff\xd8\xff\xe0" + rnd.randbytes(max(0, size - 6)) + b"\xff\xd9"


def fake_pdf(seed: int, size: int) -> bytes:
    rnd = random.Random(seed)
    return b"%PDF-1.7\n" + rnd.randbytes(max(0, size - 16)) + b"\n%%EOF\n"


def agency(session, code: str = "G01") -> Agency:
    a = session.query(Agency).filter_by(code=code).first()
    if a is None:
        a = Agency(code=code, name=f"UBND phường {code} (Hàng Bạc)", level="commune")
        session.add(a)
        session.flush()
    return a


def integrated_file(session, storage, *, code: str = "G01", seq: int = 1, pages: int = 3,
                    page_bytes: int = 20_000, container: bool = False,
                    documents: int = 2, derivative: bool = True) -> File:
    a = agency(session, code)
    notation = f"{seq:02d}/VP"
    f = File(agency_id=a.id, notation=notation, file_code=f"TTLTHN.{code}.2021.01.{seq:03d}",
             title=f"Hồ sơ về việc cấp giấy phép xây dựng năm 2021 — số {seq}",
             start_date=date(2021, 1, 5), end_date=date(2021, 12, 30), retention_code="01",
             access_mode="public", language="vi", total_docs=documents, page_count=pages,
             sheet_count=pages, organ_id="G01", catalog="2021", keyword="xây dựng",
             status="integrated")
    session.add(f)
    session.flush()
    events.record(session, entity="files", entity_id=f.id, phase="arrangement",
                  action="arranged", agency_id=a.id, after={"status": "arranged"})
    safe = notation.replace("/", "_")
    if container:
        blob = fake_pdf(seq * 1000, page_bytes * pages)
        sha = sha256_bytes(blob)
        src_key = f"scans/{code}/{safe}/{sha[:16]}.pdf"
        storage.put_bytes(src_key, blob)
    for n in range(1, pages + 1):
        data = fake_jpeg(seq * 1000 + n, page_bytes)
        sha = sha256_bytes(data)
        if container:
            key = f"scans/{code}/{safe}/pages/{n:04d}-{sha[:16]}.jpg"
        else:
            key = f"scans/{code}/{safe}/{sha[:16]}.jpg"
        storage.put_bytes(key, data)
        pg = Page(file_id=f.id, page_no=n, image_key=key, sha256=sha, size_bytes=len(data),
                  source_name=f"{n:04d}.jpg", qc_verdict="pass",
                  source_key=src_key if container else None, source_page=n if container else None)
        if derivative and n == 1:
            fixed = fake_jpeg(seq * 1000 + 900 + n, page_bytes // 2)
            pg.derivative_key = f"derivatives/{code}/{safe}/{sha[:16]}-fix.jpg"
            pg.derivative_sha256 = storage.put_bytes(pg.derivative_key, fixed)
        session.add(pg)
        session.flush()
        events.record(session, entity="pages", entity_id=pg.id, phase="scan_qc",
                      action="qc_done", agency_id=a.id, after={"verdict": "pass", "sha256": sha})
    pdf = fake_pdf(seq, page_bytes * pages // 2)
    f.pdf_key = f"pdf/{code}/{f.file_code}.pdf"
    f.pdf_sha256 = storage.put_bytes(f.pdf_key, pdf, content_type="application/pdf")
    events.record(session, entity="files", entity_id=f.id, phase="ocr", action="pdf_stored",
                  agency_id=a.id, after={"pdf_key": f.pdf_key, "pdf_sha256": f.pdf_sha256})
    for d in range(1, documents + 1):
        session.add(Document(file_id=f.id, ordinal=d, doc_code=f"{code}.{seq:05d}.{d:07d}",
                             type_name="Quyết định", code_number=str(100 + d),
                             code_notation="QĐ-UBND", issued_date=date(2021, 3, d),
                             organ_name="UBND phường Hàng Bạc", subject=f"Về việc cấp phép {d}",
                             language="vi", page_from=d, page_amount=1))
    events.record(session, entity="files", entity_id=f.id, phase="integration",
                  action="integrated", agency_id=a.id, after={"status": "integrated"})
    session.flush()
    return f


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
