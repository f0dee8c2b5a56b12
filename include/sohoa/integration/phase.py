"""Integration into the shared database (CSDL dùng chung) that other city systems read.

For every OCR'd file: its metadata, page text, documents (from the description phase)
and PDF/A objects, keyed by file code, plus the agencies (with successors). Only
candidates are read: files not integrated yet, files whose content revision moved since
(sohoa.core.db.revisions) and files built in another context (agency, holder, storage,
shared database). A candidate whose content hash equals the shared database's is not
touched (a rerun writes nothing and records no event). Changed files are written a chunk
at a time, each chunk in one transaction of the shared database together with its
change-feed rows: a crash leaves
the previous version of every file of the chunk visible, never half of one. A file that
fails to write is retried alone and, if it still fails, reported with its reason while
the others go on. Confidential files carry metadata only (no text, no PDF URI).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import date, datetime, timezone

from sqlalchemy import Integer, String, bindparam, column, func, or_, select, update, values
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sohoa.core import events
from sohoa.core.db import revisions
from sohoa.core.db.models import Agency, Document, File, Page
from sohoa.core.fields import fold
from sohoa.core.selection import files_query
from sohoa.integration import access, feed
from sohoa.integration.contract import (
    CONTENT_DOCUMENT_FIELDS, DOCUMENT_FIELDS, agencies as shared_agencies, documents as shared_documents,
    ensure_contract, files as shared_files, identity, objects as shared_objects,
    pages as shared_pages,
)
from sohoa.integration.search import search  # noqa: F401 - the phase's search, re-exported
from sohoa.intake.agencies import current_successors

log = logging.getLogger(__name__)
CHUNK = 200
PDF = "application/pdf"
#: Raise when build_record makes a different record from the same inputs: every file's
#: context changes, so the next run checks each file once against the shared database.
RECORD_VERSION = 1


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, default=str, sort_keys=True).encode()).hexdigest()


def _psycopg2_cursor(conn: Connection):
    """A raw psycopg2 cursor in the connection's transaction (None on other drivers)."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg2":
        return None
    return conn.connection.dbapi_connection.cursor()


def _insert(conn: Connection, table, rows: list[dict]) -> None:
    """Every write of rows goes through here (tests inject a crash half-way). On
    PostgreSQL (psycopg2) the rows travel in one COPY, in the caller's transaction."""
    if not rows:
        return
    cursor = _psycopg2_cursor(conn)
    if cursor is not None:
        cols = list(rows[0])
        buf = io.StringIO()
        buf.writelines(",".join(_csv(r.get(c)) for c in cols) + "\n" for r in rows)
        buf.seek(0)
        try:
            names = ", ".join(f'"{c}"' for c in cols)
            cursor.copy_expert(f'COPY "{table.name}" ({names}) FROM STDIN WITH (FORMAT csv)',
                               buf)
        finally:
            cursor.close()
        return
    conn.execute(table.insert(), rows)


def _csv(v) -> str:
    """One COPY (FORMAT csv) field: NULL unquoted and empty, every text quoted."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return '"' + str(v).replace('"', '""') + '"'


def _upsert(conn: Connection, table, rows: list[dict], keys: list[str]) -> None:
    """Insert or update by ``keys``: a few statements for all rows (batched VALUES)."""
    if not rows:
        return
    cursor = _psycopg2_cursor(conn)
    if cursor is not None:  # one round trip per 1,000 rows (executemany would do one per row)
        from psycopg2.extras import execute_values

        cols = list(rows[0])
        names = ", ".join(f'"{c}"' for c in cols)
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in cols if c not in keys)
        try:
            execute_values(cursor, f'INSERT INTO "{table.name}" ({names}) VALUES %s '
                           f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {sets}',
                           [tuple(r[c] for c in cols) for r in rows], page_size=1000)
        finally:
            cursor.close()
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns
              if c.name not in keys and c.name in rows[0]})
    conn.execute(stmt, rows)


# ------------------------------------------------------------------------- records

#: what build_record reads of a page and of a document (not the OCR line records, QC
#: metrics or review JSON, which can be large and are not part of the contract): the
#: columns whose changes move a file's content revision (sohoa.core.db.revisions)
PAGE_COLUMNS = tuple(getattr(Page, k) for k in revisions.PAGE_COLUMNS)
DOCUMENT_COLUMNS = tuple(getattr(Document, k) for k in ("id", *revisions.DOCUMENT_COLUMNS))


def _load(session: Session, fids: list[int]) -> tuple[dict, dict]:
    """Pages and documents of these files (rows of the columns above), in order."""
    pages_of: dict[int, list] = {}
    for p in session.execute(select(*PAGE_COLUMNS).where(Page.file_id.in_(fids))
                             .order_by(Page.file_id, Page.page_no)):
        pages_of.setdefault(p.file_id, []).append(p)
    docs_of: dict[int, list] = {}
    for d in session.execute(select(*DOCUMENT_COLUMNS).where(Document.file_id.in_(fids))
                             .order_by(Document.file_id, Document.ordinal)):
        docs_of.setdefault(d.file_id, []).append(d)
    return pages_of, docs_of


def _doc_code(file_code: str, d: Document) -> str:
    return d.doc_code or f"{file_code}.{d.ordinal:03d}"


def build_record(f: File, pages: list[Page], docs: list[Document], agencies: dict,
                 holder_id: int, storage) -> dict:
    """Everything the shared database holds for one file, and its content hash."""
    creator = agencies[f.agency_id]
    holder = agencies[holder_id].code
    mode = access.normalise(f.access_mode)
    full = access.carried(mode)
    doc_of = {d.id: _doc_code(f.file_code, d) for d in docs}
    # a document may be stricter than its file (its own Mode), never looser
    mode_of = {d.id: max(mode, access.normalise(d.mode), key=access.rank) if d.mode else mode
               for d in docs}
    file_row = {
        "file_code": f.file_code, "creating_agency_code": creator.code,
        "creating_agency_name": creator.name, "holder_agency_code": holder,
        "notation": f.notation, "title": f.title, "start_date": f.start_date,
        "end_date": f.end_date, "retention_code": f.retention_code, "access_mode": mode,
        "language": f.language, "page_count": len(pages), "document_count": len(docs),
        "pdf_uri": storage.url(f.pdf_key) if (f.pdf_key and full) else None,
        "pdf_sha256": f.pdf_sha256,
        "full_text": None,
    }
    page_rows = []
    for p in pages:
        pmode = mode_of.get(p.document_id, mode)
        page_rows.append({"file_code": f.file_code, "page_no": p.page_no,
                          "doc_code": doc_of.get(p.document_id),
                          "text": p.ocr_text if access.carried(pmode) else None,
                          "confidence": p.ocr_confidence, "holder_agency_code": holder,
                          "access_mode": pmode})
    if full:  # the text of a stricter document's pages stays out of the file's text
        file_row["full_text"] = "\n\f".join(r["text"] or "" if r["access_mode"] == mode else ""
                                             for r in page_rows)
    doc_rows, object_rows = [], []
    if f.pdf_key and f.pdf_sha256:
        object_rows.append({"object_key": f.pdf_key, "file_code": f.file_code, "doc_code": None,
                            "kind": "file_pdf", "media_type": PDF,
                            "uri": file_row["pdf_uri"],
                            "sha256": f.pdf_sha256, "holder_agency_code": holder,
                            "access_mode": mode})
    for d in docs:
        code = doc_of[d.id]
        pdf_key, pdf_sha = getattr(d, "pdf_key", None), getattr(d, "pdf_sha256", None)
        dmode = mode_of[d.id]
        carried = access.carried(dmode)
        row = {"doc_code": code, "file_code": f.file_code,
               **{k: getattr(d, k, None) if carried or k not in CONTENT_DOCUMENT_FIELDS
                  else None for k in DOCUMENT_FIELDS},
               "creating_agency_code": creator.code, "holder_agency_code": holder,
               "access_mode": dmode,
               "pdf_uri": storage.url(pdf_key) if (pdf_key and carried) else None}
        row["content_hash"] = _hash(row)
        doc_rows.append(row)
        if pdf_key and pdf_sha:
            object_rows.append({"object_key": pdf_key, "file_code": f.file_code,
                                "doc_code": code, "kind": "document_pdf", "media_type": PDF,
                                "uri": row["pdf_uri"], "sha256": pdf_sha,
                                "holder_agency_code": holder, "access_mode": dmode})
    content_hash = _hash([file_row, page_rows, doc_rows, object_rows])
    file_row["content_hash"] = content_hash
    return {"file": f, "row": file_row, "pages": page_rows, "docs": doc_rows,
            "objects": object_rows, "hash": content_hash}


def _fts_rows(rec: dict) -> list[dict]:
    r = rec["row"]
    out = [{"kind": "file", "key": r["file_code"], "title": fold(r["title"] or ""),
            "body": fold(r["full_text"] or "")}]
    for d in rec["docs"]:
        out.append({"kind": "document", "key": d["doc_code"],
                    "title": fold(" ".join(x or "" for x in (d["type_name"], d["code_number"],
                                                             d["code_notation"]))),
                    "body": fold(" ".join(x or "" for x in (d["subject"], d["organ_name"],
                                                            d["description"])))})
    return out


# -------------------------------------------------------------------------- writes


def _existing(conn: Connection, codes: list[str]) -> tuple[dict, dict, dict]:
    """Shared database's current state of these files: hash and access mode per file,
    document hashes, object hashes and sizes per key."""
    if not codes:
        return {}, {}, {}
    p = bindparam("codes", expanding=True)
    fs = {r.file_code: (r.content_hash, r.access_mode) for r in conn.execute(
        select(shared_files.c.file_code, shared_files.c.content_hash,
               shared_files.c.access_mode).where(shared_files.c.file_code.in_(p)),
        {"codes": codes})}
    ds = {r.doc_code: (r.file_code, r.content_hash) for r in conn.execute(
        select(shared_documents.c.doc_code, shared_documents.c.file_code,
               shared_documents.c.content_hash).where(shared_documents.c.file_code.in_(p)),
        {"codes": codes})}
    os_ = {r.object_key: (r.file_code, r.sha256, r.size_bytes) for r in conn.execute(
        select(shared_objects.c.object_key, shared_objects.c.file_code,
               shared_objects.c.sha256, shared_objects.c.size_bytes)
        .where(shared_objects.c.file_code.in_(p)), {"codes": codes})}
    return fs, ds, os_


def _change_rows(rec: dict, old: tuple | None, old_docs: dict, old_objects: dict) -> list[dict]:
    r = rec["row"]
    mode, holder, code = r["access_mode"], r["holder_agency_code"], r["file_code"]
    prev = old[1] if old else None
    if old is None:
        op, reason = feed.INSERT, "new"
    elif access.tightened(prev, mode):
        op, reason = feed.WITHDRAW, "access_tightened"
    else:
        op, reason = feed.UPDATE, "access_loosened" if prev != mode else "content"
    base = {"file_code": code, "access_mode": mode, "previous_access_mode": prev,
            "holder_agency_code": holder}
    out = [{**base, "entity": "file", "entity_key": code, "op": op, "reason": reason,
            "content_hash": rec["hash"]}]
    new_docs = {d["doc_code"]: d for d in rec["docs"]}
    for dc, d in new_docs.items():
        if dc not in old_docs:
            out.append({**base, "entity": "document", "entity_key": dc, "op": feed.INSERT,
                        "reason": "new", "content_hash": d["content_hash"]})
        elif old_docs[dc][1] != d["content_hash"] or op == feed.WITHDRAW:
            out.append({**base, "entity": "document", "entity_key": dc, "op": op,
                        "reason": reason if op == feed.WITHDRAW else "content",
                        "content_hash": d["content_hash"]})
    for dc in old_docs.keys() - new_docs.keys():
        out.append({**base, "entity": "document", "entity_key": dc, "op": feed.WITHDRAW,
                    "reason": "replaced", "access_mode": None, "previous_access_mode": prev})
    new_objs = {o["object_key"]: o for o in rec["objects"]}
    for key, o in new_objs.items():
        if key not in old_objects:
            out.append({**base, "entity": "object", "entity_key": key, "op": feed.INSERT,
                        "reason": "new", "content_hash": o["sha256"]})
        elif old_objects[key][1] != o["sha256"] or op == feed.WITHDRAW or prev != mode:
            out.append({**base, "entity": "object", "entity_key": key,
                        "op": feed.WITHDRAW if op == feed.WITHDRAW else feed.UPDATE,
                        "reason": reason if op == feed.WITHDRAW else "replaced"
                        if old_objects[key][1] != o["sha256"] else reason,
                        "content_hash": o["sha256"]})
    for key in old_objects.keys() - new_objs.keys():
        out.append({**base, "entity": "object", "entity_key": key, "op": feed.WITHDRAW,
                    "reason": "replaced", "access_mode": None, "previous_access_mode": prev})
    return out


def _write(conn: Connection, recs: list[dict], storage, existing) -> int:
    """Write changed files and their change rows; the caller's transaction holds it all."""
    old_files, old_docs, old_objs = existing
    now = datetime.now(timezone.utc)
    codes = [r["row"]["file_code"] for r in recs]
    p = bindparam("codes", expanding=True)
    sqlite = conn.dialect.name == "sqlite"
    for table in (shared_pages, shared_objects, shared_documents):
        conn.execute(table.delete().where(table.c.file_code.in_(p)), {"codes": codes})
    file_rows, pages, docs, objs, fts, change_rows = [], [], [], [], [], []
    docs_by_file: dict[str, dict] = {}
    for k, v in old_docs.items():
        docs_by_file.setdefault(v[0], {})[k] = v
    objs_by_file: dict[str, dict] = {}
    for k, v in old_objs.items():
        objs_by_file.setdefault(v[0], {})[k] = v
    for rec in recs:
        file_rows.append({**rec["row"], "updated_at": now})
        pages.extend(rec["pages"])
        for d in rec["docs"]:
            d = {**d, "updated_at": now}
            if sqlite:
                d["number_notation_key"] = fold(f"{d['code_number'] or ''}/"
                                                f"{d['code_notation'] or ''}")
            docs.append(d)
        for o in rec["objects"]:
            # an object whose checksum is unchanged keeps its known size: no request to
            # the object store (a HEAD per object on S3)
            old = old_objs.get(o["object_key"])
            size = old[2] if old and old[1] == o["sha256"] and old[2] is not None \
                else _size(storage, o["object_key"])
            objs.append({**o, "size_bytes": size, "updated_at": now})
        if sqlite:
            fts.extend(_fts_rows(rec))
        code = rec["row"]["file_code"]
        change_rows.extend(_change_rows(rec, old_files.get(code), docs_by_file.get(code, {}),
                                        objs_by_file.get(code, {})))
    if sqlite:
        _upsert(conn, shared_files, file_rows, ["file_code"])
    else:
        # PostgreSQL: replace the rows (their pages, documents and objects are gone
        # already) rather than INSERT .. ON CONFLICT DO UPDATE, which computes the
        # generated search vector twice and costs ~3x as much per file; the same
        # transaction holds both, so readers only ever see the old or the new row
        conn.execute(shared_files.delete().where(shared_files.c.file_code.in_(p)),
                     {"codes": codes})
        _insert(conn, shared_files, file_rows)
    _insert(conn, shared_documents, docs)
    _insert(conn, shared_pages, pages)
    _insert(conn, shared_objects, objs)
    if sqlite:
        conn.execute(shared_fts_delete(), {"codes": codes + [d["doc_code"] for d in docs]
                                           + list(old_docs)})
        _insert(conn, _fts_table(), fts)
    feed.lock(conn)
    return feed.append(conn, change_rows)


def _size(storage, key: str) -> int | None:
    try:
        return storage.stat(key).size
    except Exception:  # noqa: BLE001 - a missing object keeps its row, size unknown
        return None


def _fts_table():
    from sqlalchemy import Column, MetaData, String, Table

    return Table("search_fts", MetaData(), Column("kind", String), Column("key", String),
                 Column("title", String), Column("body", String))


def shared_fts_delete():
    from sqlalchemy import text

    return text("DELETE FROM search_fts WHERE key IN :codes").bindparams(
        bindparam("codes", expanding=True))


def _mark(session: Session, marks: list[tuple[File, str, int, str]], *, integrated: bool) -> None:
    """Record on these files what integration read: (file, hash, content revision, context).
    ``integrated``: the file was written or newly confirmed, so also status ``integrated``,
    the new hash and the time; otherwise (unchanged) only the revision and context, and
    ``updated_at`` stays. One statement for all (PostgreSQL: UPDATE .. FROM VALUES; an ORM
    flush would send one UPDATE per file), and the same values on the loaded objects, so
    the session has nothing left to write for them."""
    if not marks:
        return
    now = datetime.now(timezone.utc)
    t = File.__table__
    rows = [(f.id, h, rev, ctx) for f, h, rev, ctx in marks]
    if session.get_bind().dialect.name == "postgresql":
        v = values(column("fid", Integer), column("h", String), column("rev", Integer),
                   column("ctx", String), name="v").data(rows)
        where, h, rev, ctx = t.c.id == v.c.fid, v.c.h, v.c.rev, v.c.ctx
        params = None
    else:  # executemany is in-process on SQLite
        where, h, rev, ctx = (t.c.id == bindparam("fid"), bindparam("h"), bindparam("rev"),
                              bindparam("ctx"))
        params = [dict(zip(("fid", "h", "rev", "ctx"), r)) for r in rows]
    stamp = {"integrated_rev": rev, "integrated_ctx": ctx}
    if integrated:
        stamp.update(integrated_hash=h, status="integrated", updated_at=now)
    else:
        stamp["updated_at"] = t.c.updated_at  # keep it (not the column's onupdate)
    session.execute(update(t).where(where).values(**stamp), params)
    for f, h, rev, ctx in marks:
        set_committed_value(f, "integrated_rev", rev)
        set_committed_value(f, "integrated_ctx", ctx)
        if integrated:
            set_committed_value(f, "integrated_hash", h)
            set_committed_value(f, "status", "integrated")
            set_committed_value(f, "updated_at", now)


def sync_agencies(session: Session, engine: Engine) -> int:
    """Agencies with their successor and today's holder; changed ones only."""
    rows = session.execute(select(Agency.id, Agency.code, Agency.name, Agency.level,
                                  Agency.status, Agency.successor_id,
                                  Agency.effective_date)).all()
    by_id = {r.id: r for r in rows}
    holder = current_successors(session)
    from sohoa.core.db.models import AgencySuccessor

    all_succ: dict[int, list[str]] = {}
    for s in session.execute(select(AgencySuccessor.agency_id, AgencySuccessor.successor_id,
                                    AgencySuccessor.is_default)
                             .order_by(AgencySuccessor.agency_id,
                                       AgencySuccessor.is_default.desc(),
                                       AgencySuccessor.id)):
        if s.successor_id in by_id:
            all_succ.setdefault(s.agency_id, []).append(by_id[s.successor_id].code)
    wanted = {}
    for r in rows:
        succ = by_id[r.successor_id].code if r.successor_id in by_id else None
        row = {"code": r.code, "name": r.name, "level": r.level, "status": r.status,
               "successor_code": succ,
               "successor_codes": ";".join(all_succ.get(r.id, [succ] if succ else [])) or None,
               "effective_date": r.effective_date,
               "holder_code": by_id[holder.get(r.id, r.id)].code}
        row["content_hash"] = _hash(row)
        wanted[r.code] = row
    with engine.begin() as conn:
        feed.lock(conn)  # compare under the feed lock: concurrent runs log a change once
        have = dict(conn.execute(select(shared_agencies.c.code,
                                        shared_agencies.c.content_hash)).all())
        changed = [r for c, r in wanted.items() if have.get(c) != r["content_hash"]]
        if not changed:
            return 0
        now = datetime.now(timezone.utc)
        _upsert(conn, shared_agencies, [{**r, "updated_at": now} for r in changed], ["code"])
        feed.append(conn, [{"entity": "agency", "entity_key": r["code"],
                            "op": feed.INSERT if r["code"] not in have else feed.UPDATE,
                            "reason": "new" if r["code"] not in have else "content",
                            "access_mode": "public", "holder_agency_code": r["holder_code"],
                            "content_hash": r["content_hash"]} for r in changed])
    return len(changed)


# --------------------------------------------------------------------------- phase


def contexts(agencies: dict, holder: dict, storage, engine: Engine) -> dict[int, str]:
    """Per creating agency, a hash of everything a file's record depends on besides the
    file's own rows: the record's version, the shared database (``engine``'s identity),
    where objects live, the agency's code and name and today's holder. A file integrated
    under another context (an agency renamed or merged, storage moved, a new shared
    database) is a candidate."""
    with engine.connect() as conn:
        shared_identity = identity(conn)
    where = storage.url("x")
    out = {}
    for aid, a in agencies.items():
        h = agencies[holder.get(aid, aid)]
        out[aid] = _hash([RECORD_VERSION, shared_identity, where, a.code, a.name, h.code])
    return out


_DESCRIBED = File.described_hash.is_not(None)  # a secret document raises access first


def _stale_agencies(session: Session, ctx_of: dict[int, str], **filters) -> set[int]:
    """Agencies with an integrated file built in another context than today's (one
    grouped read of ``files``)."""
    q = files_query(select(File.agency_id, File.integrated_ctx), **filters,
                    statuses=("integrated",)).where(_DESCRIBED).order_by(None).distinct()
    return {aid for aid, ctx in session.execute(q) if ctx != ctx_of.get(aid)}


def _changed(session: Session, ctx_of: dict[int, str], **filters):
    """The condition for files to build a record for: not integrated yet, changed since
    (revision moved) or integrated in another context."""
    return or_(File.status != "integrated", File.integrated_rev.is_(None),
               File.integrated_rev != File.content_rev,
               *[(File.agency_id == a) & File.integrated_ctx.is_distinct_from(ctx_of.get(a))
                 for a in sorted(_stale_agencies(session, ctx_of, **filters))])


def _candidates(session: Session, ctx_of: dict[int, str], *, agency, file_ref,
                recheck: bool) -> tuple[list[int], int]:
    """Ids of the files to build a record for, in select_files' order, and how many of
    the others are skipped as unchanged (integrated at their current revision and
    context). The database picks them: unchanged files are counted, not read."""
    filters = {"agency": agency, "file_ref": file_ref}
    q = files_query(select(File.id), **filters, statuses=("ocr_done", "integrated")).where(_DESCRIBED)
    total = session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    if not recheck:
        q = q.where(_changed(session, ctx_of, **filters))
    ids = list(session.scalars(q))
    return ids, total - len(ids)


def agencies_with_changes(session: Session, shared_engine: Engine, storage) -> set[int]:
    """Ids of the agencies with a file to integrate: new (``ocr_done``), changed since it
    was integrated (its revision moved) or integrated in another context (the integration
    DAG's list; grouped reads of ``files``, no file's pages)."""
    engine = ensure_contract(shared_engine)
    revisions.ensure(session.connection())
    ctx_of = contexts({a.id: a for a in session.scalars(select(Agency))},
                      current_successors(session), storage, engine)
    q = (select(File.agency_id).distinct()
         .where(_DESCRIBED, File.status.in_(("ocr_done", "integrated")), _changed(session, ctx_of)))
    return set(session.scalars(q))


def _files(session: Session, ids: list[int]) -> list[tuple[File, int]]:
    """These files with their content revision as of this read (read before their pages
    and documents, so it never claims a later change), in the order of ``ids``."""
    got = {f.id: (f, rev) for f, rev in session.execute(
        select(File, File.content_rev.label("rev")).where(File.id.in_(ids)))}
    return [got[i] for i in ids if i in got]


def integrate(session: Session, shared_engine: Engine, storage, *, agency: str | None = None,
              file_ref: str | None = None, chunk: int = CHUNK, force: bool = False,
              recheck: bool = False) -> dict:
    """``force``: files whose content is unchanged are written again too (one
    ``forced_rerun`` event each). ``recheck``: build every file's record and compare it
    with the shared database, not only the files whose content revision or context moved
    (after the shared database was restored from a backup, say)."""
    engine = ensure_contract(shared_engine)
    revisions.ensure(session.connection())
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    holder = current_successors(session)
    n_agencies = sync_agencies(session, engine)
    ctx_of = contexts(agencies, holder, storage, engine)
    candidates, unchanged = _candidates(session, ctx_of, agency=agency, file_ref=file_ref,
                                        recheck=recheck or force)
    done = n_changes = forced = 0
    ids: list[int] = []
    errors: list[dict] = []
    for start in range(0, len(candidates), chunk):
        loaded = _files(session, candidates[start:start + chunk])
        part = [f for f, _ in loaded]
        rev_of = {f.id: rev for f, rev in loaded}
        fids = [f.id for f in part]
        pages_of, docs_of = _load(session, fids)
        recs = [build_record(f, pages_of.get(f.id, []), docs_of.get(f.id, []), agencies,
                             holder.get(f.agency_id, f.agency_id), storage) for f in part]
        with engine.connect() as conn:
            existing = _existing(conn, [r["row"]["file_code"] for r in recs])
            conn.rollback()
        todo = [r for r in recs
                if force or existing[0].get(r["row"]["file_code"], (None,))[0] != r["hash"]]
        written = set()
        if todo:
            try:
                with engine.begin() as conn:
                    n_changes += _write(conn, todo, storage, existing)
                written = {r["row"]["file_code"] for r in todo}
            except Exception:  # noqa: BLE001 - retry one file at a time, keep the rest going
                log.exception("chunk failed; retrying file by file")
                for rec in todo:
                    code = rec["row"]["file_code"]
                    try:
                        with engine.begin() as conn:
                            n_changes += _write(conn, [rec], storage, existing)
                        written.add(code)
                    except Exception as exc:  # noqa: BLE001
                        errors.append({"file_code": code, "file_id": rec["file"].id,
                                       "reason": f"Không ghi được vào CSDL dùng chung: {exc}"[:500]})
        failed = {e["file_code"] for e in errors}
        marks: list[tuple[File, str, int, str]] = []
        seen: list[tuple[File, str, int, str]] = []
        for rec in recs:
            f, code = rec["file"], rec["row"]["file_code"]
            if code in failed:
                continue
            mark = (f, rec["hash"], rev_of[f.id], ctx_of[f.agency_id])
            same = f.integrated_hash == rec["hash"] and f.status == "integrated"
            if code not in written and same:
                unchanged += 1
                seen.append(mark)
                continue
            if same and force:
                events.record_forced(session, entity="files", entity_id=f.id, phase="integration",
                                     agency_id=f.agency_id, details={"file_code": code})
                forced += 1
            events.record(session, entity="files", entity_id=f.id, phase="integration",
                          action="upserted", agency_id=f.agency_id,
                          before={"integrated_hash": f.integrated_hash},
                          after={"integrated_hash": rec["hash"]},
                          details={"pages": len(rec["pages"]), "documents": len(rec["docs"]),
                                   "access_mode": rec["row"]["access_mode"],
                                   "written": code in written})
            if f.status != "integrated":  # as events.set_status records it
                events.record(session, entity="files", entity_id=f.id, phase="integration",
                              action="integrated", agency_id=f.agency_id,
                              before={"status": f.status}, after={"status": "integrated"})
            marks.append(mark)
            done += 1
            ids.append(f.id)
        for e in errors:
            if e["file_id"] in fids:
                events.record(session, entity="files", entity_id=e["file_id"],
                              phase="integration", action="failed",
                              details={"reason": e["reason"]})
        _mark(session, marks, integrated=True)
        _mark(session, seen, integrated=False)
        session.flush()  # the chunk's events, batched
    return {"files": done, "unchanged": unchanged, "forced": forced, "file_ids": ids,
            "changes": n_changes,
            "agencies": n_agencies, "errors": errors}
