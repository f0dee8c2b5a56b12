"""Integration into the shared database (CSDL dùng chung) that other city systems read.

Idempotent upsert keyed by file code; a file whose content hash is unchanged is not
rewritten. Restricted and confidential files carry their access mode, and the search
offered here (and the PostgreSQL view shared_public_files) never returns them to a
caller without the right.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import (
    Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text, func, or_, select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sohoa.core import events
from sohoa.intake.agencies import current_successors
from sohoa.core.db.models import Agency, Page
from sohoa.core.selection import select_files

shared_metadata = MetaData()

shared_files = Table(
    "shared_files", shared_metadata,
    Column("file_code", String(30), primary_key=True),
    Column("creating_agency_code", String(13), nullable=False, index=True),
    Column("creating_agency_name", String(255), nullable=False),
    Column("holder_agency_code", String(13), nullable=False, index=True),  # today's successor
    Column("notation", String(20), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("start_date", Date), Column("end_date", Date),
    Column("retention_code", String(30)),
    Column("access_mode", String(30), nullable=False, index=True),
    Column("language", String(30)),
    Column("page_count", Integer, nullable=False),
    Column("pdf_uri", String(1000)), Column("pdf_sha256", String(64)),
    Column("full_text", Text),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

shared_pages = Table(
    "shared_pages", shared_metadata,
    Column("file_code", String(30), primary_key=True),
    Column("page_no", Integer, primary_key=True),
    Column("text", Text), Column("confidence", Float),
)


def ensure_schema(engine: Engine) -> None:
    shared_metadata.create_all(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text(
                "CREATE INDEX IF NOT EXISTS ix_shared_files_fts ON shared_files USING gin "
                "(to_tsvector('simple', coalesce(title,'') || ' ' || coalesce(full_text,'')))"))
            c.execute(text(
                "CREATE OR REPLACE VIEW shared_public_files AS SELECT * FROM shared_files "
                "WHERE access_mode = 'public'"))


def _upsert(conn, table: Table, rows: list[dict], keys: list[str]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys})
    conn.execute(stmt)


def integrate(session: Session, shared_engine: Engine, storage, *, agency: str | None = None,
              file_ref: str | None = None, force: bool = False) -> dict:
    """``force``: files whose content is unchanged are written again too (one
    ``forced_rerun`` event each)."""
    ensure_schema(shared_engine)
    files = select_files(session, agency=agency, file_ref=file_ref,
                         statuses=("ocr_done", "integrated"))
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    holder = current_successors(session)
    done = unchanged = forced = 0
    ids = []
    for f in files:
        pages = list(session.scalars(select(Page).where(Page.file_id == f.id)
                                     .order_by(Page.page_no)))
        creator = agencies[f.agency_id]
        record = {
            "file_code": f.file_code, "creating_agency_code": creator.code,
            "creating_agency_name": creator.name,
            "holder_agency_code": agencies[holder.get(f.agency_id, f.agency_id)].code,
            "notation": f.notation, "title": f.title, "start_date": f.start_date,
            "end_date": f.end_date, "retention_code": f.retention_code,
            "access_mode": f.access_mode or "public", "language": f.language,
            "page_count": len(pages),
            "pdf_uri": storage.url(f.pdf_key) if f.pdf_key else None,
            "pdf_sha256": f.pdf_sha256,
            "full_text": "\n\f".join(p.ocr_text or "" for p in pages),
        }
        page_rows = [{"file_code": f.file_code, "page_no": p.page_no, "text": p.ocr_text,
                      "confidence": p.ocr_confidence} for p in pages]
        content_hash = hashlib.sha256(json.dumps([record, page_rows], default=str,
                                                 sort_keys=True).encode()).hexdigest()
        if f.integrated_hash == content_hash and f.status == "integrated":
            if not force:
                unchanged += 1
                continue
            events.record_forced(session, entity="files", entity_id=f.id, phase="integration",
                                 agency_id=f.agency_id, details={"file_code": f.file_code})
            forced += 1
        record["content_hash"] = content_hash
        record["updated_at"] = datetime.now(timezone.utc)
        with shared_engine.begin() as conn:
            _upsert(conn, shared_files, [record], ["file_code"])
            conn.execute(shared_pages.delete().where(shared_pages.c.file_code == f.file_code,
                                                     shared_pages.c.page_no > len(pages)))
            _upsert(conn, shared_pages, page_rows, ["file_code", "page_no"])
        before = {"integrated_hash": f.integrated_hash}
        f.integrated_hash = content_hash
        events.record(session, entity="files", entity_id=f.id, phase="integration",
                      action="upserted", agency_id=f.agency_id, before=before,
                      after={"integrated_hash": content_hash},
                      details={"pages": len(pages), "access_mode": record["access_mode"]})
        events.set_status(session, f, "status", "integrated", phase="integration",
                          action="integrated")
        done += 1
        ids.append(f.id)
    session.flush()
    return {"files": done, "unchanged": unchanged, "forced": forced, "file_ids": ids}


def search(shared_engine: Engine, query: str, *, include_restricted: bool = False,
           limit: int = 50) -> list[dict]:
    """Full-text search over the shared database; public files only unless allowed."""
    cols = [shared_files.c.file_code, shared_files.c.title, shared_files.c.access_mode,
            shared_files.c.holder_agency_code]
    q = select(*cols).limit(limit)
    if shared_engine.dialect.name == "postgresql":
        doc = func.to_tsvector("simple", func.coalesce(shared_files.c.title, "") + " " +
                               func.coalesce(shared_files.c.full_text, ""))
        q = q.where(doc.op("@@")(func.plainto_tsquery("simple", query)))
    else:
        words = [w for w in query.split() if w]
        for w in words:
            q = q.where(or_(shared_files.c.title.contains(w), shared_files.c.full_text.contains(w)))
    if not include_restricted:
        q = q.where(shared_files.c.access_mode == "public")
    with shared_engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(q.order_by(shared_files.c.file_code))]
