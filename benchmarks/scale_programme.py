"""Generate (or drop) a city-sized programme in PostgreSQL for the progress benchmarks.

600 agencies (city, 20 departments, 30 dissolved districts, 420 merged old communes,
129 active new communes), 2 million files, ~20 million scanned pages, and a year of
events (file status changes and per-page QC / OCR events), all made inside PostgreSQL
with generate_series (no rows travel through Python), in a database of its own.

Usage:
  .venv/bin/python benchmarks/scale_programme.py generate [--scale 1.0] [--no-page-events]
  .venv/bin/python benchmarks/scale_programme.py drop
  .venv/bin/python benchmarks/scale_programme.py shared [--scale 1.0] [--revision head]
  .venv/bin/python benchmarks/scale_programme.py drop-shared

--scale 0.01 makes a 1 % programme in seconds (for trying the scripts). The database
is ``sohoa_scale`` (or SOHOA_BENCH_DB) on SOHOA_BENCH_PG_URL (default: the local test server); ``drop``
removes it (about 15 GB at full scale with page events). ``shared`` makes the shared
database's contract schema at city scale in database ``sohoa_scale_csdl`` (or
SOHOA_BENCH_SHARED_DB), schema ``csdl_scale`` (or SOHOA_BENCH_SHARED_SCHEMA; its reader
roles are named after it, cluster-wide), for benchmarks/bench_shared.py.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("SOHOA_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("SOHOA_BENCH_DB", "sohoa_scale")  # another name: a second copy
AS_OF = date(2025, 12, 17)  # the benchmark's "today" (a Wednesday); events cover the year before
SEED = 0.42


def scale_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _admin():
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")


def drop() -> None:
    eng = _admin()
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
    eng.dispose()
    print(f"dropped database {DB_NAME}")


def _step(c, label: str, sql: str, **params) -> None:
    t = time.perf_counter()
    res = c.execute(text(sql), params)
    n = res.rowcount if res.rowcount is not None and res.rowcount >= 0 else ""
    print(f"  {label:<34} {n!s:>11}  {time.perf_counter() - t:7.1f} s", flush=True)


# File status mix (cumulative thresholds on a uniform draw), ~77 % scanned or beyond.
STATUS_CASE = """
  CASE WHEN u < 0.08 THEN 'inventoried' WHEN u < 0.15 THEN 'handed_over'
       WHEN u < 0.23 THEN 'arranged'    WHEN u < 0.27 THEN 'scanned'
       WHEN u < 0.33 THEN 'qc_passed'   WHEN u < 0.36 THEN 'qc_rejected'
       WHEN u < 0.45 THEN 'ocr_done'    ELSE 'integrated' END
"""


def _events(c, page_events: bool) -> None:
    """File status events and (optionally) per-page QC/OCR events, interleaved in time."""
    # Status changes: each file's last status change falls uniformly in the year before
    # AS_OF (so every week has work), its path before it spread over 3 to 20 weeks,
    # never before the year started. The spread comes from the file id, not random():
    # PostgreSQL may evaluate random() in a subquery once per reference.
    _step(c, "file status events (staging)", f"""
        CREATE TEMP TABLE fe AS
        SELECT t0 + k * step AS occurred_at, f.id AS entity_id, f.agency_id, ph.phase,
               CASE WHEN k > 0 THEN path[k] END AS before_status, path[k + 1] AS status
        FROM (SELECT f.*, greatest(t_last - dur, TIMESTAMPTZ '{AS_OF}' - INTERVAL '365 days') AS t0,
                     (t_last - greatest(t_last - dur, TIMESTAMPTZ '{AS_OF}' - INTERVAL '365 days'))
                       / greatest(array_length(path, 1) - 1, 1) AS step
                     FROM (SELECT f.*,
                     CASE f.status
                       WHEN 'qc_rejected' THEN ARRAY['inventoried', 'handed_over', 'arranged',
                                                     'scanned', 'qc_rejected']
                       ELSE (ARRAY['inventoried', 'handed_over', 'arranged', 'scanned',
                                   'qc_passed', 'ocr_done', 'integrated'])[1:
                            array_position(ARRAY['inventoried', 'handed_over', 'arranged',
                                   'scanned', 'qc_passed', 'ocr_done', 'integrated'],
                                   f.status::text)] END AS path
              FROM (SELECT f.*,
                           TIMESTAMPTZ '{AS_OF}' + INTERVAL '23 hours'
                             - ((f.id::bigint * 7919) % 100003) / 100003.0 * INTERVAL '364 days'
                             AS t_last,
                           INTERVAL '21 days'
                             + ((f.id::bigint * 104729) % 99991) / 99991.0 * INTERVAL '119 days'
                             AS dur
                    FROM files f) f) f) f
        CROSS JOIN LATERAL generate_series(0, array_length(path, 1) - 1) k
        CROSS JOIN LATERAL (SELECT CASE path[k + 1] WHEN 'inventoried' THEN 'inventory'
             WHEN 'handed_over' THEN 'handover' WHEN 'arranged' THEN 'arrangement'
             WHEN 'scanned' THEN 'scan_qc' WHEN 'qc_passed' THEN 'scan_qc'
             WHEN 'qc_rejected' THEN 'scan_qc' WHEN 'ocr_done' THEN 'ocr'
             ELSE 'integration' END AS phase) ph""")
    # Secondary indexes are rebuilt after the load (much faster than row by row).
    idx = c.execute(text("""SELECT indexname, indexdef FROM pg_indexes
                            WHERE tablename = 'events' AND indexname <> 'events_pkey'""")).all()
    for name, _ in idx:
        c.execute(text(f'DROP INDEX "{name}"'))
    # Page events (one QC event per scanned page, one OCR event per recognised page, at
    # the time the file reached scanned / ocr_done) interleaved in time with the file
    # events, as an append-only trail would be.
    page_part = """
        UNION ALL
        SELECT fe.occurred_at + p.page_no * INTERVAL '2 seconds', 'pages', p.id,
               fe.agency_id, fe.phase,
               CASE fe.phase WHEN 'ocr' THEN 'recognised' ELSE 'checked' END, 'airflow:bench',
               NULL::json,
               CASE fe.phase WHEN 'ocr' THEN '{"ocr": "done"}'::json
                    ELSE json_build_object('qc_verdict', p.qc_verdict) END
        FROM fe JOIN pages p ON p.file_id = fe.entity_id
        WHERE fe.status IN ('scanned', 'ocr_done')""" if page_events else ""
    _step(c, "events", f"""
        INSERT INTO events (occurred_at, entity, entity_id, agency_id, phase, action, actor,
                            before, after)
        SELECT * FROM (
          SELECT occurred_at, 'files', entity_id, agency_id, phase, 'status', 'airflow:bench',
                 CASE WHEN before_status IS NOT NULL
                      THEN json_build_object('status', before_status) END,
                 json_build_object('status', status)
          FROM fe {page_part}) x
        ORDER BY 1""")
    for name, ddl in idx:
        _step(c, f"index {name}", ddl)


def generate(scale: float, page_events: bool) -> None:
    from sohoa.core.db.session import migrate

    drop()
    eng = _admin()
    with eng.connect() as c:
        c.execute(text(f"CREATE DATABASE {DB_NAME}"))
    eng.dispose()
    url = scale_url()
    migrate(url)
    n_files = int(2_000_000 * scale)
    t0 = time.perf_counter()
    eng = create_engine(url)
    with eng.begin() as c:
        # Bulk load: no FK / counter triggers (counters are rebuilt at the end), more memory.
        c.execute(text("SET session_replication_role = replica"))
        c.execute(text("SET maintenance_work_mem = '1GB'"))
        c.execute(text("SET work_mem = '256MB'"))
        c.execute(text("SELECT setseed(:s)"), {"s": SEED})
        print(f"generating {n_files:,} files in {DB_NAME} (as of {AS_OF})", flush=True)
        _step(c, "agencies", """
            INSERT INTO agencies (id, code, name, level, status, successor_id, effective_date,
                                  created_at, updated_at)
            SELECT g,
              CASE WHEN g = 1 THEN 'HN'
                   WHEN g <= 21 THEN 'S' || lpad((g - 1)::text, 2, '0')
                   WHEN g <= 51 THEN 'Q' || lpad((g - 21)::text, 2, '0')
                   WHEN g <= 471 THEN 'X' || lpad((g - 51)::text, 3, '0')
                   ELSE 'P' || lpad((g - 471)::text, 3, '0') END,
              CASE WHEN g = 1 THEN 'UBND thành phố'
                   WHEN g <= 21 THEN 'Sở số ' || (g - 1)
                   WHEN g <= 51 THEN 'UBND quận/huyện số ' || (g - 21)
                   WHEN g <= 471 THEN 'UBND xã/phường cũ số ' || (g - 51)
                   ELSE 'UBND xã/phường số ' || (g - 471) END,
              CASE WHEN g = 1 THEN 'city' WHEN g <= 21 THEN 'department'
                   WHEN g <= 51 THEN 'district' ELSE 'commune' END,
              CASE WHEN g BETWEEN 22 AND 51 THEN 'dissolved'
                   WHEN g BETWEEN 52 AND 471 THEN 'merged' ELSE 'active' END,
              CASE WHEN g BETWEEN 22 AND 51 THEN 472 + (g - 22) * 4
                   WHEN g BETWEEN 52 AND 471 THEN 472 + (g - 52) % 129 END,
              CASE WHEN g BETWEEN 22 AND 471 THEN DATE '2025-07-01' END,
              now(), now()
            FROM generate_series(1, 600) g""")
        c.execute(text("SELECT setval(pg_get_serial_sequence('agencies', 'id'), 600)"))
        # Uneven sizes: agency = 1 + floor(600 * u^1.4) puts more files on small ids.
        _step(c, "files", f"""
            INSERT INTO files (id, agency_id, notation, file_code, title, access_mode, language,
                               page_count, status, created_at, updated_at)
            SELECT g, 1 + floor(600 * power(random(), 1.4))::int, g::text,
                   'TTLTHN.' || g, 'Hồ sơ số ' || g,
                   CASE WHEN g % 10 = 0 THEN 'han_che' ELSE 'public' END, 'vi',
                   6 + (g::bigint * 7919) % 15, s, now(), now()
            FROM (SELECT g, {STATUS_CASE} AS s
                  FROM (SELECT g, random() AS u FROM generate_series(1, :n) g) x) y""",
              n=n_files)
        c.execute(text("SELECT setval(pg_get_serial_sequence('files', 'id'), :n)"), {"n": n_files})
        _step(c, "plans", """
            INSERT INTO plan_targets (agency_id, target_files, target_pages, deadline)
            SELECT agency_id, ceil(count(*) * 1.05), ceil(sum(page_count) * 1.05),
                   DATE '2025-12-31' + (agency_id * 37 % 365)
            FROM files GROUP BY agency_id""")
        _step(c, "pages", """
            INSERT INTO pages (file_id, page_no, image_key, sha256, size_bytes, dpi, qc_verdict,
                               qc_defects, ocr_text, ocr_confidence, ocr_low_confidence, updated_at)
            SELECT f.id, n, 'scans/' || f.agency_id || '/' || f.id || '/' || n || '.jpg',
                   lpad(to_hex(f.id * 100 + n), 64, '0'), 800000, 300,
                   CASE WHEN f.status = 'scanned' THEN NULL
                        WHEN f.status = 'qc_rejected' AND n <= 1 + f.id % 2 THEN 'reject'
                        WHEN (f.id + n) % 33 = 0 THEN 'fixable' ELSE 'pass' END,
                   CASE WHEN f.status = 'qc_rejected' AND n <= 1 + f.id % 2 THEN
                        (ARRAY['["blur"]', '["skew", "blur"]', '["low_dpi"]', '["blank"]',
                               '[{"code": "cropped"}]'])[1 + (f.id + n) % 5]::json END,
                   CASE WHEN f.status IN ('ocr_done', 'integrated')
                        THEN 'Nội dung nhận dạng của trang ' || n END,
                   CASE WHEN f.status IN ('ocr_done', 'integrated') THEN 88.5 END,
                   CASE WHEN f.status IN ('ocr_done', 'integrated') THEN (f.id + n) % 25 = 0 END,
                   now()
            FROM files f CROSS JOIN LATERAL generate_series(1, f.page_count) n
            WHERE f.status IN ('scanned', 'qc_passed', 'qc_rejected', 'ocr_done', 'integrated')""")
        _step(c, "rescan requests", f"""
            INSERT INTO rescan_requests (agency_id, file_id, page_no, reasons, status, opened_at,
                                         closed_at)
            SELECT f.agency_id, p.file_id, p.page_no, p.qc_defects, 'open',
                   TIMESTAMPTZ '{AS_OF}' - (p.file_id % 30) * INTERVAL '1 day', NULL
            FROM pages p JOIN files f ON f.id = p.file_id WHERE p.qc_verdict = 'reject'""")
        _step(c, "closed rescan requests", f"""
            INSERT INTO rescan_requests (agency_id, file_id, page_no, reasons, status, opened_at,
                                         closed_at)
            SELECT agency_id, id, 1, '["blur"]'::json, 'closed',
                   TIMESTAMPTZ '{AS_OF}' - INTERVAL '200 days', TIMESTAMPTZ '{AS_OF}' - INTERVAL '190 days'
            FROM files WHERE status = 'integrated' AND id % 50 = 0""")
        _step(c, "inventory submissions", """
            INSERT INTO inventory_submissions (agency_id, filename, object_key, sha256, received_at,
                total_rows, valid_rows, error_rows, error_report_key, status)
            SELECT agency_id, 'danh_muc_' || agency_id || '.xlsx',
                   'intake/' || agency_id || '/danh_muc.xlsx', lpad(to_hex(agency_id), 64, '0'),
                   now() - INTERVAL '300 days', count(*) + agency_id % 7, count(*), agency_id % 7,
                   CASE WHEN agency_id % 7 > 0 THEN 'intake-errors/' || agency_id || '/loi.xlsx' END,
                   'loaded'
            FROM files GROUP BY agency_id""")
        _events(c, page_events)
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as c:
        _step(c, "vacuum analyze", "VACUUM ANALYZE")
    from sohoa.core.db import counters
    t = time.perf_counter()
    with eng.begin() as c:
        counters.rebuild(c)
    print(f"  {'counters rebuilt':<34} {'':>11}  {time.perf_counter() - t:7.1f} s")
    with eng.connect() as c:
        rows = c.execute(text("""
            SELECT (SELECT count(*) FROM agencies), (SELECT count(*) FROM files),
                   (SELECT count(*) FROM pages), (SELECT count(*) FROM events),
                   pg_size_pretty(pg_database_size(current_database()))""")).one()
    eng.dispose()
    print(f"done in {time.perf_counter() - t0:.0f} s: {rows[0]} agencies, {rows[1]:,} files, "
          f"{rows[2]:,} pages, {rows[3]:,} events, database {rows[4]}")


def regenerate_events(page_events: bool) -> None:
    eng = create_engine(scale_url())
    t0 = time.perf_counter()
    with eng.begin() as c:
        c.execute(text("SET session_replication_role = replica"))
        c.execute(text("SET maintenance_work_mem = '1GB'"))
        c.execute(text("SET work_mem = '256MB'"))
        c.execute(text("SELECT setseed(:s)"), {"s": SEED})
        _step(c, "truncate events", "TRUNCATE events")
        _events(c, page_events)
    with create_engine(scale_url(), isolation_level="AUTOCOMMIT").connect() as c:
        _step(c, "vacuum analyze events", "VACUUM ANALYZE events")
    eng.dispose()
    print(f"events regenerated in {time.perf_counter() - t0:.0f} s")


# ----------------------------------------------------------------- shared database (csdl)

SHARED_DB = os.environ.get("SOHOA_BENCH_SHARED_DB", "sohoa_scale_csdl")  # another name: a copy
#: its reader roles are csdl_scale_public, ... (cluster-wide; dropped with `drop-shared`)
SHARED_SCHEMA = os.environ.get("SOHOA_BENCH_SHARED_SCHEMA", "csdl_scale")
_ONSETS = ["b", "c", "ch", "d", "đ", "g", "gi", "h", "k", "kh", "l", "m", "n", "ng", "nh", "ph",
           "qu", "r", "s", "t", "th", "tr", "v", "x", ""]
_VOWELS = ["a", "á", "à", "ả", "ã", "ạ", "ă", "ắ", "ằ", "ặ", "â", "ấ", "ầ", "ậ", "e", "é", "è",
           "ê", "ế", "ề", "ệ", "i", "í", "ì", "ị", "o", "ó", "ò", "ọ", "ô", "ố", "ồ", "ộ", "ơ",
           "ớ", "ờ", "ợ", "u", "ú", "ù", "ụ", "ư", "ứ", "ừ", "ự", "y", "ý"]
_CODAS = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u"]
SHARED_TYPES = [("Quyết định", "QĐ"), ("Nghị quyết", "NQ"), ("Báo cáo", "BC"), ("Tờ trình", "TTr"),
                ("Kế hoạch", "KH"), ("Công văn", "CV"), ("Thông báo", "TB"), ("Biên bản", "BB")]


def vocabulary(n: int = 4000) -> list[str]:
    """n distinct Vietnamese-shaped syllables with their diacritics (seeded), most frequent
    first: the text below draws them with a Zipf-like skew, as real text does."""
    import random

    rnd = random.Random(42)
    pool = sorted({o + v + c for o in _ONSETS for v in _VOWELS for c in _CODAS})
    rnd.shuffle(pool)
    real = ["nghị", "định", "quyết", "đất", "đai", "xây", "dựng", "giấy", "phép", "hồ", "sơ",
            "ủy", "ban", "nhân", "dân", "phường", "xã", "cán", "bộ", "báo", "cáo", "kế", "hoạch"]
    words = real + [w for w in pool if w not in real]
    return words[:n]


def shared_url_for(db: str = SHARED_DB) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{db}?options=-csearch_path%3D{SHARED_SCHEMA}"


def generate_shared(scale: float, revision: str = "head") -> None:
    """2 M files (x scale) with ~3 documents and 10 pages of text each in the contract
    schema, made inside PostgreSQL; the search indexes are built after the load."""
    from sohoa.core.db.session import make_engine
    from sohoa.integration.contract import drop_contract, migrate_shared

    drop_shared()
    eng = _admin()
    with eng.connect() as c:
        c.execute(text(f"CREATE DATABASE {SHARED_DB}"))
    eng.dispose()
    shared = make_engine(shared_url_for())
    migrate_shared(shared, revision)  # an older revision: measure, then upgrade in place
    n_files = int(2_000_000 * scale)
    words = vocabulary()
    t0 = time.perf_counter()
    with shared.begin() as c:
        c.execute(text("SET maintenance_work_mem = '1GB'"))
        c.execute(text("SET work_mem = '256MB'"))
        c.execute(text("SELECT setseed(:s)"), {"s": SEED})
        idx = c.execute(text("""SELECT indexname, indexdef FROM pg_indexes
            WHERE schemaname = current_schema() AND indexname LIKE 'ix_%'""")).all()
        for name, _ in idx:
            c.execute(text(f'DROP INDEX "{name}"'))
        print(f"generating {n_files:,} shared files in {SHARED_DB}.{SHARED_SCHEMA}", flush=True)
        # 5000 sentences of 12 syllables, syllable rank = floor(4000 * u^3) (Zipf-like)
        _step(c, "sentences", """
            CREATE TEMP TABLE sent AS
              SELECT i - 1 AS i, (SELECT string_agg(w[1 + floor(array_length(w, 1)
                                                    * power(random() + 0 * j, 3))::int], ' ')
                         FROM generate_series(1, 12 + 0 * i) j) AS s
              FROM generate_series(1, 5000) i, (SELECT CAST(:w AS text[]) AS w) v""",
              w=words)
        c.execute(text("ALTER TABLE sent ADD PRIMARY KEY (i)"))
        c.execute(text("ANALYZE sent"))
        _step(c, "agencies", """
            INSERT INTO agencies (code, name, level, status, successor_code, holder_code,
                                  content_hash, updated_at)
            SELECT code(g), 'Cơ quan ' || g, 'commune',
                   CASE WHEN g BETWEEN 22 AND 471 THEN 'merged' ELSE 'active' END,
                   CASE WHEN g BETWEEN 22 AND 471 THEN code(472 + (g - 22) % 129) END,
                   CASE WHEN g BETWEEN 22 AND 471 THEN code(472 + (g - 22) % 129) ELSE code(g) END,
                   'x', now()
            FROM generate_series(1, 600) g,
                 LATERAL (SELECT 1) z,
                 LATERAL (SELECT NULL) y
            """.replace("code(472 + (g - 22) % 129)", "('A' || lpad((472 + (g - 22) % 129)::text, 3, '0'))")
              .replace("code(g)", "('A' || lpad(g::text, 3, '0'))"))
        page_text = ("(SELECT s FROM sent WHERE i = (f.g::bigint * 7919 + n * 104729) % 5000)"
                     " || ' ' || (SELECT s FROM sent WHERE i = "
                     "(f.g::bigint * 15485863 + n * 32452843) % 5000)")
        _step(c, "files", f"""
            INSERT INTO files (file_code, creating_agency_code, creating_agency_name,
                holder_agency_code, notation, title, start_date, end_date, access_mode, language,
                page_count, document_count, pdf_uri, pdf_sha256, full_text, content_hash, updated_at)
            SELECT 'TTLTHN.' || f.g, a.code, a.name, a.holder_code, f.g::text,
                   'Hồ sơ ' || (SELECT s FROM sent WHERE i = f.g * 31 % 5000),
                   DATE '2000-01-01' + (f.g % 9000), DATE '2000-01-01' + (f.g % 9000) + 30,
                   f.mode, 'vi', 10, 3,
                   CASE WHEN f.mode <> 'confidential' THEN 's3://archive/pdf/' || f.g || '.pdf' END,
                   lpad(to_hex(f.g), 64, '0'),
                   CASE WHEN f.mode <> 'confidential' THEN
                     array_to_string(ARRAY(SELECT {page_text} FROM generate_series(1, 10) n
                                           ORDER BY n), E'\n\f') END,
                   'generated', now()
            FROM (SELECT g, CASE WHEN g % 50 = 7 THEN 'confidential' WHEN g % 10 = 3
                                 THEN 'restricted' ELSE 'public' END AS mode,
                         1 + floor(600 * power(((g::bigint * 2654435761) % 1000003) / 1000003.0,
                                               1.4))::int AS agency
                  FROM generate_series(1, :n) g) f
            JOIN agencies a ON a.code = 'A' || lpad(f.agency::text, 3, '0')""", n=n_files)
        _step(c, "pages", f"""
            INSERT INTO pages (file_code, page_no, doc_code, text, confidence, holder_agency_code,
                               access_mode)
            SELECT f.file_code, n, f.file_code || '.' || lpad((1 + (n - 1) / 4)::text, 3, '0'),
                   CASE WHEN f.access_mode <> 'confidential' THEN {page_text} END, 88.5,
                   f.holder_agency_code, f.access_mode
            FROM (SELECT file_code, substr(file_code, 8)::bigint AS g, holder_agency_code,
                         access_mode FROM files) f
            CROSS JOIN generate_series(1, 10) n""")
        _step(c, "documents", """
            INSERT INTO documents (doc_code, file_code, ordinal, type_name, code_number,
                code_notation, issued_date, organ_name, subject, language, creating_agency_code,
                holder_agency_code, access_mode, pdf_uri, content_hash, updated_at,
                page_from, page_to, page_amount, signer, signer_title, issued_year,
                issued_month, secrecy, urgency, review_state)
            SELECT f.file_code || '.' || lpad(k::text, 3, '0'), f.file_code, k,
                   (CAST(:types AS text[]))[1 + (f.g * 3 + k) % 8],
                   (1 + (f.g * 7 + k * 13) % 999)::text,
                   (CAST(:abbrs AS text[]))[1 + (f.g * 3 + k) % 8] || '-' || f.creating_agency_code,
                   f.start_date + k, f.creating_agency_name,
                   'Về việc ' || (SELECT s FROM sent WHERE i = (f.g * 17 + k * 7) % 5000),
                   'vi', f.creating_agency_code, f.holder_agency_code, f.access_mode,
                   CASE WHEN f.access_mode <> 'confidential'
                        THEN 's3://archive/pdf/' || f.g || '.' || k || '.pdf' END, 'generated', now(),
                   1 + (k - 1) * 4, least(k * 4, 10), least(k * 4, 10) - (k - 1) * 4,
                   CASE WHEN f.access_mode <> 'confidential'
                        THEN 'Nguyễn Văn ' || (SELECT s FROM sent WHERE i = (f.g + k) % 5000) END,
                   CASE WHEN f.access_mode <> 'confidential' THEN 'CHỦ TỊCH' END,
                   extract(year FROM f.start_date + k)::int,
                   extract(month FROM f.start_date + k)::int,
                   CASE WHEN f.access_mode = 'confidential' THEN 'MẬT' END,
                   CASE WHEN (f.g + k) % 20 = 0 THEN 'KHẨN' END,
                   CASE WHEN (f.g + k) % 25 = 0 THEN 'pending' ELSE 'none' END
            FROM (SELECT *, substr(file_code, 8)::bigint AS g FROM files) f
            CROSS JOIN generate_series(1, 3) k""",
              types=[t for t, _ in SHARED_TYPES], abbrs=[a for _, a in SHARED_TYPES])
        _step(c, "objects", """
            INSERT INTO objects (object_key, file_code, doc_code, kind, media_type, uri, sha256,
                                 size_bytes, holder_agency_code, access_mode, updated_at)
            SELECT 'pdf/' || substr(file_code, 8) || '.pdf', file_code, NULL, 'file_pdf',
                   'application/pdf', pdf_uri, pdf_sha256, 2500000, holder_agency_code,
                   access_mode, now() FROM files""")
        for name, ddl in idx:
            _step(c, f"index {name}", ddl)
    with make_engine(shared_url_for().replace("?", "?") ).execution_options(
            isolation_level="AUTOCOMMIT").connect() as c:
        _step(c, "vacuum analyze", "VACUUM ANALYZE")
    with shared.connect() as c:
        rows = c.execute(text("""
            SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM documents),
                   (SELECT count(*) FROM pages),
                   pg_size_pretty(pg_database_size(current_database()))""")).one()
    shared.dispose()
    print(f"done in {time.perf_counter() - t0:.0f} s: {rows[0]:,} files, {rows[1]:,} documents, "
          f"{rows[2]:,} pages, database {rows[3]}")
    _ = drop_contract  # the database is dropped whole by drop_shared()


def drop_shared() -> None:
    eng = _admin()
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {SHARED_DB} WITH (FORCE)"))
        for role in ("agency", "confidential", "restricted", "public"):
            c.execute(text(f"DROP ROLE IF EXISTS {SHARED_SCHEMA}_{role}"))
    eng.dispose()
    print(f"dropped database {SHARED_DB}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--scale", type=float, default=1.0)
    g.add_argument("--no-page-events", action="store_true")
    e = sub.add_parser("events", help="regenerate only the events of an existing programme")
    e.add_argument("--no-page-events", action="store_true")
    sub.add_parser("drop")
    sh = sub.add_parser("shared", help="the shared database's contract schema at city scale")
    sh.add_argument("--scale", type=float, default=1.0)
    sh.add_argument("--revision", default="head",
                    help="contract revision to create (e.g. 0003, to measure an upgrade)")
    sub.add_parser("drop-shared")
    args = ap.parse_args()
    if args.cmd == "drop":
        drop()
    elif args.cmd == "drop-shared":
        drop_shared()
    elif args.cmd == "shared":
        generate_shared(args.scale, args.revision)
    elif args.cmd == "events":
        regenerate_events(not args.no_page_events)
    else:
        generate(args.scale, not args.no_page_events)


if __name__ == "__main__":
    main()
