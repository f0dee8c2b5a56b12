"""Shared database (csdl) at scale: search, lookup and incremental integration, each beside
its baseline in the same run.

Needs the programme made by ``scale_programme.py shared [--scale S]`` (database
sohoa_scale_csdl, schema csdl_scale). Measures, as a real LOGIN role granted the public
reader group (Row Level Security on, uniquely named, dropped afterwards):

1. a two-word accent-free ranked query (``search()``, top 20): p50/p95 over N queries, beside
   the same query with index scans disabled (sequential scan over the tsvector column);
2. lookup by number/notation (``lookup('155/QĐ-A123')``): p50/p95, beside the same lookup
   without its index;
3. incremental integration of 10,000 changed files from a project database (schema
   ``bench_project`` in the same database, the files' page text edited) with
   ``sohoa.integration.phase.integrate``, its rerun (nothing changed), and a naive
   row-by-row load (one statement and one commit per row) of the same kind of change.

Usage: .venv/bin/python benchmarks/bench_shared.py [--queries 200] [--files 10000]
       [--naive-files 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
# after PYTHONPATH, so PYTHONPATH=<another tree>/include measures that tree's sohoa
sys.path.append(str(Path(__file__).resolve().parents[1] / "include"))

from scale_programme import SHARED_SCHEMA, shared_url_for, vocabulary  # noqa: E402

from sohoa.core.db.session import make_engine, migrate, session_scope  # noqa: E402
from sohoa.core.fields import fold  # noqa: E402
from sohoa.core.storage import LocalStorage  # noqa: E402
from sohoa.integration import access, phase  # noqa: E402

PROJECT_SCHEMA = "bench_project"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timed(conn, sql: str, params: dict) -> tuple[float, int]:
    t = time.perf_counter()
    n = len(conn.execute(text(sql), params).all())
    return (time.perf_counter() - t) * 1000, n


def report(label: str, ms: list[float], counts: list[int] | None = None) -> None:
    extra = f", results median {statistics.median(counts):.0f}" if counts else ""
    print(f"  {label:<46} n={len(ms):<4} p50 {pct(ms, 50):8.1f} ms  p95 {pct(ms, 95):8.1f} ms"
          f"{extra}", flush=True)


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def bench_queries(owner, reader, n_queries: int, n_baseline: int) -> None:
    rnd = random.Random(7)
    words = [fold(w) for w in vocabulary()[200:]]  # content words (the top 200 are common)
    queries = [f"{rnd.choice(words)} {rnd.choice(words)}" for _ in range(n_queries)]
    with owner.connect() as c:
        refs = [r[0] for r in c.execute(text(
            "SELECT code_number || '/' || code_notation FROM documents TABLESAMPLE SYSTEM (1) "
            "LIMIT :n"), {"n": n_queries})]
        hits = [c.execute(text("SELECT count(*) FROM files WHERE search_doc @@ "
                               "websearch_to_tsquery('simple', fold_query(:q))"),
                          {"q": q}).scalar() for q in queries[:20]]
    print(f"search: {n_queries} two-word queries, e.g. {queries[0]!r}; matching files per "
          f"query (first 20): median {statistics.median(hits):.0f}, max {max(hits)}; "
          f"load {load()}", flush=True)
    with reader.connect() as c:
        c.execute(text("SELECT * FROM search('warm up', max_rows => 20)")).all()
        ms, ns = zip(*[timed(c, "SELECT * FROM search(:q, max_rows => 20)", {"q": q})
                       for q in queries])
        report("ranked search, GIN index (public reader)", list(ms), list(ns))
        def without_index(label: str, sql: str, params: list[dict]) -> None:
            if not n_baseline:
                return
            c.execute(text("SET enable_bitmapscan = off"))
            c.execute(text("SET enable_indexscan = off"))
            ms_b, _ = zip(*[timed(c, sql, p) for p in params[:n_baseline]])
            report(label, list(ms_b))
            c.rollback()

        without_index("same queries without the index (seq scan)",
                      "SELECT * FROM search(:q, max_rows => 20)", [{"q": q} for q in queries])
        ms, ns = zip(*[timed(c, "SELECT * FROM lookup(:r)", {"r": r}) for r in refs])
        report("lookup by number/notation, btree (public)", list(ms), list(ns))
        without_index("same lookups without the index", "SELECT * FROM lookup(:r)",
                      [{"r": r} for r in refs])
    print(f"  (load after queries {load()})")


def explain(owner, role: str, sql: str, params: dict) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements run inside a contract function, as the
    reader role (auto_explain's nested statements, sent back to this client)."""
    admin = create_engine(owner.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        raw = c.connection.dbapi_connection
        c.execute(text("LOAD 'auto_explain'"))
        for k, v in (("log_min_duration", "0"), ("log_analyze", "on"), ("log_buffers", "on"),
                     ("log_nested_statements", "on"), ("log_timing", "on")):
            c.execute(text(f"SET auto_explain.{k} = {v}"))
        c.execute(text("SET client_min_messages = log"))
        c.execute(text(f'SET SESSION AUTHORIZATION "{role}"'))  # session_user = the reader
        c.execute(text(f"SET search_path = {SHARED_SCHEMA}, public"))
        del raw.notices[:]
        cur = raw.cursor()  # SQLAlchemy's psycopg2 dialect would consume the notices
        cur.execute(sql.replace(":q", "%(q)s").replace(":r", "%(r)s"), params)
        cur.fetchall()
        cur.close()
        for n in raw.notices:
            query = n.split("Query Text:", 1)[-1].split("\n", 2)
            head = " ".join(query[:2])
            if ("files f" in head or "documents d" in head or "lookup(" in head) \
                    and "FROM search(" not in head:
                print("  " + n.strip().replace("\n", "\n  "))
        c.execute(text("RESET SESSION AUTHORIZATION"))
    admin.dispose()


def make_project(owner, n_files: int) -> str:
    """A project database (schema bench_project) holding n_files of the shared programme's
    files, OCR'd, with their page text edited: 10 pages and 3 documents each. The edit
    carries a tag of its own, so every run really changes the files (an earlier run's
    integration already holds the previous edit)."""
    tag = uuid.uuid4().hex[:8]
    base = owner.url.render_as_string(hide_password=False).split("?")[0]
    with owner.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {PROJECT_SCHEMA} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {PROJECT_SCHEMA}"))
    url = f"{base}?options=-csearch_path%3D{PROJECT_SCHEMA}"
    migrate(url)
    s = SHARED_SCHEMA
    eng = create_engine(url)
    t = time.perf_counter()
    with eng.begin() as c:
        c.execute(text("SET session_replication_role = replica"))
        c.execute(text(f"""
            INSERT INTO agencies (id, code, name, level, status, created_at, updated_at)
            SELECT substr(code, 2)::int, code, name, level, status, now(), now()
            FROM {s}.agencies"""))
        c.execute(text(f"""
            UPDATE agencies a SET successor_id = substr(sa.successor_code, 2)::int,
                                  effective_date = DATE '2025-07-01'
            FROM {s}.agencies sa WHERE sa.code = a.code AND sa.successor_code IS NOT NULL"""))
        c.execute(text(f"""
            INSERT INTO files (id, agency_id, notation, file_code, title, start_date, end_date,
                access_mode, language, page_count, status, pdf_key, pdf_sha256, described_hash,
                created_at, updated_at)
            SELECT substr(file_code, 8)::int, substr(creating_agency_code, 2)::int, notation,
                   file_code, title, start_date, end_date, access_mode, 'vi', 10, 'ocr_done',
                   'pdf/' || substr(file_code, 8) || '.pdf', pdf_sha256, md5(file_code), now(),
                   now()
            FROM {s}.files WHERE substr(file_code, 8)::int % 17 = 5 ORDER BY file_code
            LIMIT :n"""), {"n": n_files})
        c.execute(text(f"""
            INSERT INTO documents (file_id, ordinal, type_name, code_number, code_notation,
                                   issued_date, organ_name, subject, language, page_from,
                                   page_to, page_amount, signer, signer_title, issued_year,
                                   issued_month, secrecy, urgency, review_state)
            SELECT f.id, d.ordinal, d.type_name, d.code_number, d.code_notation, d.issued_date,
                   d.organ_name, d.subject, 'vi', d.page_from, d.page_to, d.page_amount,
                   d.signer, d.signer_title, d.issued_year, d.issued_month, d.secrecy,
                   d.urgency, coalesce(d.review_state, 'none')
            FROM files f JOIN {s}.documents d ON d.file_code = f.file_code"""))
        c.execute(text(f"""
            INSERT INTO pages (file_id, document_id, page_no, image_key, sha256, size_bytes,
                               qc_verdict, ocr_text, ocr_confidence, updated_at)
            SELECT f.id, doc.id, p.page_no, 'scans/' || f.id || '/' || p.page_no || '.jpg',
                   lpad(to_hex(f.id * 100 + p.page_no), 64, '0'), 800000, 'pass',
                   coalesce(p.text, 'văn bản') || ' đã sửa lỗi nhận dạng ' || :tag, 89.5,
                   now()
            FROM files f JOIN {s}.pages p ON p.file_code = f.file_code
            LEFT JOIN documents doc ON doc.file_id = f.id
                 AND doc.ordinal = 1 + (p.page_no - 1) / 4"""), {"tag": tag})
        c.execute(text("SELECT setval(pg_get_serial_sequence('files', 'id'), 10000000)"))
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    eng.dispose()
    print(f"project database: {n_files:,} files with edited text in {time.perf_counter() - t:.0f} s",
          flush=True)
    return url


def naive_load(session, owner, storage, n: int) -> tuple[float, int]:
    """Row by row: one statement per row, one commit per row."""
    from sqlalchemy import select

    from sohoa.core.db.models import Agency, Document, File, Page
    from sohoa.intake.agencies import current_successors

    agencies = {a.id: a for a in session.scalars(select(Agency))}
    holder = current_successors(session)
    files = list(session.scalars(select(File).order_by(File.id).limit(n)))
    t = time.perf_counter()
    rows = 0
    for f in files:
        pages = list(session.scalars(select(Page).where(Page.file_id == f.id).order_by(Page.page_no)))
        docs = list(session.scalars(select(Document).where(Document.file_id == f.id)))
        rec = phase.build_record(f, pages, docs, agencies, holder.get(f.agency_id, f.agency_id),
                                 storage)
        r = {**rec["row"], "title": rec["row"]["title"] + " (naive)"}
        with owner.begin() as c:
            c.execute(text("DELETE FROM pages WHERE file_code = :k"), {"k": f.file_code})
        with owner.begin() as c:
            c.execute(text("DELETE FROM documents WHERE file_code = :k"), {"k": f.file_code})
        with owner.begin() as c:
            c.execute(text("DELETE FROM objects WHERE file_code = :k"), {"k": f.file_code})
        with owner.begin() as c:
            c.execute(text("UPDATE files SET title = :title, full_text = :full_text, "
                           "content_hash = :content_hash, updated_at = now() "
                           "WHERE file_code = :file_code"), r)
        rows += 1
        for table, items in (("documents", rec["docs"]), ("pages", rec["pages"]),
                             ("objects", rec["objects"])):
            for item in items:
                item = {**item, "updated_at": None} if table != "pages" else item
                cols = [k for k in item if item[k] is not None or k == "updated_at"]
                vals = ", ".join("now()" if k == "updated_at" else f":{k}" for k in cols)
                with owner.begin() as c:
                    c.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({vals})"),
                              {k: item[k] for k in cols if k != "updated_at"})
                rows += 1
    return time.perf_counter() - t, rows


class RoundTrips:
    """Statements sent to each database while active: SQLAlchemy's statement events
    (a psycopg2 executemany counted per row, as it is sent) plus the COPY and
    execute_values calls integration makes on the raw cursor."""

    def __init__(self, project, shared):
        self.engines = {"project": project, "shared": shared}
        self.n = {"project": 0, "shared": 0}

    def _count(self, side):
        def after(conn, cursor, statement, parameters, context, executemany):
            style = context.execute_style.name if context is not None else "EXECUTE"
            self.n[side] += len(parameters) if style == "EXECUTEMANY" else 1
        return after

    def __enter__(self):
        import math

        from sqlalchemy import event

        self.listeners = [(e, self._count(k)) for k, e in self.engines.items()]
        for e, fn in self.listeners:
            event.listen(e, "after_cursor_execute", fn)
        self.saved = (phase._insert, phase._upsert)
        raw = getattr(phase, "_psycopg2_cursor", None)
        if raw is not None:
            ins, ups = self.saved

            def insert(conn, table, rows):
                self.n["shared"] += bool(rows)  # one COPY
                return ins(conn, table, rows)

            def upsert(conn, table, rows, keys):
                self.n["shared"] += math.ceil(len(rows) / 1000)  # execute_values pages
                return ups(conn, table, rows, keys)

            phase._insert, phase._upsert = insert, upsert
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        for e, fn in self.listeners:
            event.remove(e, "after_cursor_execute", fn)
        phase._insert, phase._upsert = self.saved


def bench_integration(owner, n_files: int, naive_files: int) -> None:
    project_url = make_project(owner, n_files)
    project = make_engine(project_url)
    storage = LocalStorage(Path(tempfile.mkdtemp(prefix="bench-shared-")))
    print(f"integration (load {load()}):", flush=True)
    with RoundTrips(project, owner) as trips, session_scope(project) as s:
        t = time.perf_counter()
        out = phase.integrate(s, owner, storage)
        dt = time.perf_counter() - t
    print(f"  {'incremental integrate(), changed files':<46} {out['files']:>7,} files "
          f"{dt:7.1f} s  ({out['changes']:,} change rows, {len(out['errors'])} errors; "
          f"statements: project {trips.n['project']:,}, shared {trips.n['shared']:,})",
          flush=True)
    with session_scope(project) as s:
        t = time.perf_counter()
        out = phase.integrate(s, owner, storage)
        dt = time.perf_counter() - t
    print(f"  {'rerun, nothing changed':<46} {out['unchanged']:>7,} files {dt:7.1f} s  "
          f"({out['files']} written, {out['changes']} change rows)", flush=True)
    if not naive_files:
        project.dispose()
        with owner.begin() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {PROJECT_SCHEMA} CASCADE"))
        return
    with session_scope(project) as s:
        dt, rows = naive_load(s, owner, storage, naive_files)
    print(f"  {'naive row-by-row load (one commit per row)':<46} {naive_files:>7,} files "
          f"{dt:7.1f} s  ({rows:,} rows; x{n_files / naive_files:.0f} = "
          f"{dt * n_files / naive_files:.0f} s for {n_files:,})", flush=True)
    project.dispose()
    with owner.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {PROJECT_SCHEMA} CASCADE"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline", type=int, default=10, help="queries run without the index")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--naive-files", type=int, default=1_000)
    ap.add_argument("--skip-integration", action="store_true")
    ap.add_argument("--explain", metavar="QUERY", help="print the plans of search(QUERY) and "
                    "of lookup(--explain-ref) as the public reader first")
    ap.add_argument("--explain-ref", default="155/QĐ-A001")
    args = ap.parse_args()
    owner = make_engine(shared_url_for())
    with owner.connect() as c:
        n = c.execute(text("SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM documents), "
                           "(SELECT count(*) FROM pages), "
                           "pg_size_pretty(pg_database_size(current_database()))")).one()
    print(f"shared programme: {n[0]:,} files, {n[1]:,} documents, {n[2]:,} pages, {n[3]}; "
          f"load {load()}, {os.cpu_count()} cores")
    role = f"bench_reader_{uuid.uuid4().hex[:8]}"
    admin = create_engine(owner.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        access.grant_reader(owner, role, "public")
        url = make_url(owner.url.render_as_string(hide_password=False)).set(username=role)
        reader = create_engine(url)
        if args.explain:
            print(f"EXPLAIN of search({args.explain!r}) and lookup({args.explain_ref!r}) as the "
                  "public reader:", flush=True)
            explain(owner, role, "SELECT * FROM search(:q, max_rows => 20)", {"q": args.explain})
            explain(owner, role, "SELECT * FROM lookup(:r)", {"r": args.explain_ref})
        if args.queries:
            bench_queries(owner, reader, args.queries, args.baseline)
        reader.dispose()
        if not args.skip_integration:
            bench_integration(owner, args.files, args.naive_files)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
        owner.dispose()


if __name__ == "__main__":
    main()
