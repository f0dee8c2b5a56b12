"""Incremental integration among many integrated files: finding the changed ones by their
content revision (sohoa.core.db.revisions) beside the full pass that builds and compares
every file's record (``integrate(recheck=True)``, what every run did before), in one run.

Makes its own PostgreSQL database (``sohoa_bench_incr``, dropped at the end unless
--keep): a project schema with --files files of 10 pages and 3 documents each, integrated
once into a shared schema (that first load is timed too). Then:

1. --changed files get an edited page (one UPDATE; the triggers move their revisions);
   ``integrate()`` finds and writes them;
2. the rerun with nothing changed;
3. baseline: another --changed files edited, ``integrate(recheck=True)`` (every file's
   record built and compared with the shared database);
4. what the triggers cost a writer: the same UPDATE of --changed pages with the revision
   triggers on and off;
5. city scale for the selection: --city-files files in all (the rest integrated, with no
   pages, made in SQL with the context integration computes), and the rerun with nothing
   changed over all of them; then --changed of them edited and integrated.

Usage: .venv/bin/python benchmarks/bench_integration_incremental.py [--files 100000]
       [--changed 10000] [--city-files 2000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.append(str(Path(__file__).resolve().parents[1] / "include"))

from sohoa.core.db import revisions  # noqa: E402
from sohoa.core.db.session import make_engine, migrate, session_scope  # noqa: E402
from sohoa.core.storage import LocalStorage  # noqa: E402
from sohoa.integration import contract, phase  # noqa: E402

ADMIN_URL = os.environ.get("SOHOA_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DB = "sohoa_bench_incr"
SHARED_SCHEMA = "csdl_bench_incr"
N_AGENCIES = 60


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def url(schema: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB}?options=-csearch_path%3D{schema}"


def step(label: str, t0: float, extra: str = "") -> None:
    print(f"  {label:<58} {time.perf_counter() - t0:8.1f} s  {extra}", flush=True)


def make_project(eng, n_files: int, first_id: int = 1, with_pages: bool = True) -> None:
    """Agencies (a third of them merged into the others) and files with pages and documents,
    in SQL. Files past the first batch (with_pages=False) have no pages: they stand for
    files integrated long ago, which the selection reads but never opens."""
    with eng.begin() as c:
        if first_id == 1:
            c.execute(text(f"""
                INSERT INTO agencies (id, code, name, level, status, created_at, updated_at)
                SELECT i, 'G' || lpad(i::text, 3, '0'), 'Ủy ban nhân dân phường số ' || i,
                       'commune', CASE WHEN i % 3 = 0 THEN 'merged' ELSE 'active' END, now(), now()
                FROM generate_series(1, {N_AGENCIES}) i"""))
            c.execute(text("UPDATE agencies SET successor_id = id - 1 WHERE id % 3 = 0"))
        c.execute(text("""
            INSERT INTO files (id, agency_id, notation, file_code, title, start_date, end_date,
                access_mode, language, page_count, status, pdf_key, pdf_sha256, described_hash,
                content_rev, created_at, updated_at)
            SELECT i, 1 + i % :na, i::text, 'TTLTHN.G' || lpad((1 + i % :na)::text, 3, '0')
                   || '.2021.01.' || lpad(i::text, 7, '0'),
                   'Hồ sơ về việc giải quyết đơn thư của công dân số ' || i,
                   DATE '2021-01-01' + (i % 365), DATE '2021-12-31',
                   CASE WHEN i % 10 = 3 THEN 'restricted' ELSE 'public' END, 'vi', 10,
                   'ocr_done', 'pdf/' || i || '.pdf', md5(i::text) || md5(i::text),
                   md5('d' || i), 0, now(), now()
            FROM generate_series(:a, :b) i"""), {"na": N_AGENCIES, "a": first_id,
                                                  "b": first_id + n_files - 1})
        if not with_pages:
            return
        c.execute(text("""
            INSERT INTO documents (file_id, ordinal, doc_code, type_name, code_number,
                code_notation, issued_date, organ_name, subject, language, page_from, page_to,
                page_amount, review_state)
            SELECT f.id, o, f.file_code || '.' || lpad(o::text, 3, '0'), 'Quyết định',
                   (f.id % 900 + o)::text, 'QĐ-UBND', f.start_date,
                   'Ủy ban nhân dân phường', 'Về việc phê duyệt kế hoạch số ' || f.id || '-' || o,
                   'vi', 1 + (o - 1) * 4, least(10, o * 4), 4, 'none'
            FROM files f CROSS JOIN generate_series(1, 3) o WHERE f.id BETWEEN :a AND :b"""),
            {"a": first_id, "b": first_id + n_files - 1})
        c.execute(text("""
            INSERT INTO pages (file_id, document_id, page_no, image_key, sha256, size_bytes,
                               qc_verdict, ocr_text, ocr_confidence, updated_at)
            SELECT f.id, d.id, p, 'scans/' || f.id || '/' || p || '.jpg',
                   md5(f.id || '/' || p) || md5(p || '/' || f.id), 800000, 'pass',
                   'Căn cứ Luật Tổ chức chính quyền địa phương; xét đề nghị của Trưởng phòng '
                   || 'Nội vụ về việc ' || md5(f.id || ':' || p) || ', trang ' || p, 90.5, now()
            FROM files f CROSS JOIN generate_series(1, 10) p
            JOIN documents d ON d.file_id = f.id AND d.ordinal = least(3, 1 + (p - 1) / 4)
            WHERE f.id BETWEEN :a AND :b"""), {"a": first_id, "b": first_id + n_files - 1})


def edit(eng, ids_sql: str, tag: str) -> float:
    t0 = time.perf_counter()
    with eng.begin() as c:
        c.execute(text(f"UPDATE pages SET ocr_text = ocr_text || ' (sửa {tag})' "
                       f"WHERE page_no = 1 AND file_id IN ({ids_sql})"))
    return time.perf_counter() - t0


def page_and_document_triggers(eng, action: str) -> None:
    """ENABLE or DISABLE the revision triggers on pages and documents."""
    with eng.begin() as c:
        for t in revisions.TRIGGERS:
            if t != "trg_rev_files":
                c.execute(text(f"ALTER TABLE {t.split('_')[2]} {action} TRIGGER {t}"))


def integrate(project, shared, storage, label: str, **kw) -> dict:
    t0 = time.perf_counter()
    with session_scope(project) as s:
        out = phase.integrate(s, shared, storage, **kw)
    step(label, t0, f"{out['files']:,} written, {out['unchanged']:,} unchanged, "
                    f"{out['changes']:,} change rows, {len(out['errors'])} errors")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=10_000)
    ap.add_argument("--city-files", type=int, default=2_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {DB}"))
    base = create_engine(ADMIN_URL.rsplit("/", 1)[0] + f"/{DB}", isolation_level="AUTOCOMMIT")
    with base.connect() as c:
        c.execute(text("CREATE SCHEMA project"))
    print(f"{args.files:,} files of 10 pages and 3 documents; {args.changed:,} changed; "
          f"load {load()}, {os.cpu_count()} cores", flush=True)
    storage = LocalStorage(Path(tempfile.mkdtemp(prefix="bench-incr-")))
    migrate(url("project"))
    project = make_engine(url("project"))
    shared = contract.open_shared(url(SHARED_SCHEMA))
    try:
        t0 = time.perf_counter()
        make_project(project, args.files)
        with base.connect() as c:
            c.execute(text("ANALYZE"))
        step("project data made in SQL", t0)
        integrate(project, shared, storage, "first integration (every file new)")
        with base.connect() as c:  # as autovacuum would after a load (it may be off: bench it)
            c.execute(text("ANALYZE"))
        changed = f"SELECT id FROM files WHERE id % {max(1, args.files // args.changed)} = 0 " \
                  f"LIMIT {args.changed}"
        dt = edit(project, changed, "1")
        print(f"  {'edit: one page of each changed file (one UPDATE, triggers)':<58} {dt:8.1f} s",
              flush=True)
        integrate(project, shared, storage, "incremental integrate(): changed files found")
        integrate(project, shared, storage, "rerun, nothing changed")
        edit(project, changed.replace("= 0", "= 1"), "2")
        integrate(project, shared, storage, "baseline: full pass, integrate(recheck=True)",
                  recheck=True)
        integrate(project, shared, storage, "rerun, nothing changed")
        # what the triggers cost a writer: the same kind of UPDATE with and without them
        t_with = edit(project, changed.replace("= 0", "= 3"), "4")
        page_and_document_triggers(project, "DISABLE")
        t_without = edit(project, changed.replace("= 0", "= 4"), "5")
        page_and_document_triggers(project, "ENABLE")
        with project.begin() as c:
            c.execute(text(f"UPDATE files SET content_rev = content_rev + 1 "
                           f"WHERE id IN ({changed.replace('= 0', '= 4')})"))  # seen after all
        print(f"  {'writer: one page of each of ' + format(args.changed, ',') + ' files, triggers on':<58} "
              f"{t_with:8.1f} s  (off: {t_without:.1f} s)", flush=True)
        integrate(project, shared, storage, "integrate those")
        if args.city_files > args.files:
            more = args.city_files - args.files
            t0 = time.perf_counter()
            make_project(project, more, first_id=args.files + 1, with_pages=False)
            # as integration leaves them: integrated at their revision, in today's context
            with session_scope(project) as s:
                from sqlalchemy import select

                from sohoa.core.db.models import Agency
                from sohoa.intake.agencies import current_successors

                agencies = {a.id: a for a in s.scalars(select(Agency))}
                ctx = phase.contexts(agencies, current_successors(s), storage, shared)
            with project.begin() as c:
                for aid, h in ctx.items():
                    c.execute(text("UPDATE files SET status = 'integrated', integrated_rev = "
                                   "content_rev, integrated_ctx = :h, integrated_hash = md5(id::text) "
                                   "WHERE id > :n AND agency_id = :a"),
                              {"h": h, "a": aid, "n": args.files})
            with base.connect() as c:
                c.execute(text("VACUUM ANALYZE project.files"))
            step(f"{more:,} more integrated files (no pages), in SQL", t0)
            print(f"  city scale: {args.city_files:,} files", flush=True)
            integrate(project, shared, storage, "rerun, nothing changed")
            edit(project, changed.replace("= 0", "= 2"), "3")
            integrate(project, shared, storage, f"{args.changed:,} changed files found and written")
    finally:
        project.dispose()
        shared.dispose()
        base.dispose()
        if not args.keep:
            contract.drop_contract(contract.open_shared(url(SHARED_SCHEMA)))
            with admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
