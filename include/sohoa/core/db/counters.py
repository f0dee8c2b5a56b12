"""Per-agency progress counters kept up to date by database triggers (SQLite and PostgreSQL).

Counting 20 million pages for every dashboard view is too slow, so the database keeps,
per agency, the number of files in each status (``file:<status>``) and of pages in each
QC/OCR state (``page:scanned``, ``page:qc_pass``, ``page:qc_fixable``, ``page:qc_reject``,
``page:ocr_done``, ``page:low_confidence``) and the reject reasons of rejected pages
(``defect:<code>``, one per listed defect).

Triggers on ``files`` and ``pages`` only *append* +1/-1 rows to ``progress_deltas``:
phase transactions run for minutes per agency, and updating one shared counter row
would make concurrent phases of the same agency wait for each other. ``fold()`` moves
the committed deltas into ``progress_counters``; ``read()`` sums both, so a reader is
exact whether or not a fold has happened. ``rebuild()`` recomputes everything from the
base tables (after a bulk load that bypassed triggers, or as a repair); ``ensure()``
reinstalls the triggers when a table rebuild (SQLite batch migration) dropped them.

A file keeps its creating agency for ever (models.File); a page counts for its file's
agency at the time the page row changes.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text
from sqlalchemy.engine import Connection

PAGE_METRICS = ("scanned", "qc_pass", "qc_fixable", "qc_reject", "ocr_done", "low_confidence")
TRIGGERS = ("trg_progress_files", "trg_progress_files_upd", "trg_progress_pages",
            "trg_progress_pages_upd")
SQLITE_TRIGGERS = ("trg_progress_files_ins", "trg_progress_files_del", "trg_progress_files_upd",
                   "trg_progress_pages_ins", "trg_progress_pages_del", "trg_progress_pages_upd")

_PAGE_FILTER = ("OLD.file_id IS DISTINCT FROM NEW.file_id "
                "OR OLD.qc_verdict IS DISTINCT FROM NEW.qc_verdict "
                "OR (OLD.ocr_text IS NULL) <> (NEW.ocr_text IS NULL) "
                "OR OLD.ocr_low_confidence IS DISTINCT FROM NEW.ocr_low_confidence "
                "OR OLD.qc_defects{cast} IS DISTINCT FROM NEW.qc_defects{cast}")
_PAGE_COLUMNS = "file_id, qc_verdict, qc_defects, ocr_text, ocr_low_confidence"
_FILE_FILTER = ("OLD.status IS DISTINCT FROM NEW.status "
                "OR OLD.agency_id IS DISTINCT FROM NEW.agency_id")

_PG_PAGE_ROWS = """
    INSERT INTO progress_deltas (agency_id, metric, n)
    SELECT f.agency_id, x.m, {sign} FROM files f, (
      SELECT unnest(ARRAY['page:scanned', 'page:qc_' || {r}.qc_verdict,
                   CASE WHEN {r}.ocr_text IS NOT NULL THEN 'page:ocr_done' END,
                   CASE WHEN {r}.ocr_low_confidence THEN 'page:low_confidence' END]) AS m
      UNION ALL
      SELECT 'defect:' || CASE WHEN json_typeof(d) = 'object' THEN d ->> 'code'
                               ELSE d #>> '{{}}' END
      FROM json_array_elements(CASE WHEN {r}.qc_verdict = 'reject'
                                     AND json_typeof({r}.qc_defects::json) = 'array'
                                    THEN {r}.qc_defects::json ELSE '[]'::json END) AS d) x
    WHERE f.id = {r}.file_id AND x.m IS NOT NULL;"""

_PG = [
    """CREATE OR REPLACE FUNCTION sohoa_progress_files() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            INSERT INTO progress_deltas (agency_id, metric, n)
            VALUES (OLD.agency_id, 'file:' || OLD.status, -1);
          END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO progress_deltas (agency_id, metric, n)
            VALUES (NEW.agency_id, 'file:' || NEW.status, 1);
          END IF;
          RETURN NULL;
        END $$""",
    f"""CREATE OR REPLACE FUNCTION sohoa_progress_pages() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN {_PG_PAGE_ROWS.format(sign=-1, r='OLD')}
          END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN {_PG_PAGE_ROWS.format(sign=1, r='NEW')}
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER trg_progress_files AFTER INSERT OR DELETE ON files
       FOR EACH ROW EXECUTE FUNCTION sohoa_progress_files()""",
    f"""CREATE TRIGGER trg_progress_files_upd AFTER UPDATE OF status, agency_id ON files
       FOR EACH ROW WHEN ({_FILE_FILTER}) EXECUTE FUNCTION sohoa_progress_files()""",
    """CREATE TRIGGER trg_progress_pages AFTER INSERT OR DELETE ON pages
       FOR EACH ROW EXECUTE FUNCTION sohoa_progress_pages()""",
    f"""CREATE TRIGGER trg_progress_pages_upd AFTER UPDATE OF {_PAGE_COLUMNS} ON pages
       FOR EACH ROW WHEN ({_PAGE_FILTER.format(cast='::text')})
       EXECUTE FUNCTION sohoa_progress_pages()""",
]

_SQLITE_PAGE_ROWS = """
    INSERT INTO progress_deltas (agency_id, metric, n)
    SELECT f.agency_id, m.metric, {sign} FROM files f JOIN (
      SELECT 'page:scanned' AS metric
      UNION ALL SELECT 'page:qc_' || {r}.qc_verdict
      UNION ALL SELECT CASE WHEN {r}.ocr_text IS NOT NULL THEN 'page:ocr_done' END
      UNION ALL SELECT CASE WHEN {r}.ocr_low_confidence THEN 'page:low_confidence' END
      UNION ALL SELECT 'defect:' || CASE WHEN j.type = 'object'
                                         THEN json_extract(j.value, '$.code') ELSE j.value END
      FROM json_each(CASE WHEN {r}.qc_verdict = 'reject' AND json_type({r}.qc_defects) = 'array'
                          THEN {r}.qc_defects ELSE '[]' END) AS j) AS m
    WHERE f.id = {r}.file_id AND m.metric IS NOT NULL;"""
_SQLITE_FILE_ROW = """
    INSERT INTO progress_deltas (agency_id, metric, n)
    VALUES ({r}.agency_id, 'file:' || {r}.status, {sign});"""

_SQLITE = [
    f"CREATE TRIGGER trg_progress_files_ins AFTER INSERT ON files BEGIN "
    f"{_SQLITE_FILE_ROW.format(sign=1, r='NEW')} END",
    f"CREATE TRIGGER trg_progress_files_del AFTER DELETE ON files BEGIN "
    f"{_SQLITE_FILE_ROW.format(sign=-1, r='OLD')} END",
    f"CREATE TRIGGER trg_progress_files_upd AFTER UPDATE OF status, agency_id ON files "
    f"WHEN {_FILE_FILTER} BEGIN {_SQLITE_FILE_ROW.format(sign=-1, r='OLD')}"
    f"{_SQLITE_FILE_ROW.format(sign=1, r='NEW')} END",
    f"CREATE TRIGGER trg_progress_pages_ins AFTER INSERT ON pages BEGIN "
    f"{_SQLITE_PAGE_ROWS.format(sign=1, r='NEW')} END",
    f"CREATE TRIGGER trg_progress_pages_del AFTER DELETE ON pages BEGIN "
    f"{_SQLITE_PAGE_ROWS.format(sign=-1, r='OLD')} END",
    f"CREATE TRIGGER trg_progress_pages_upd AFTER UPDATE OF {_PAGE_COLUMNS} ON pages "
    f"WHEN {_PAGE_FILTER.format(cast='')} BEGIN {_SQLITE_PAGE_ROWS.format(sign=-1, r='OLD')}"
    f"{_SQLITE_PAGE_ROWS.format(sign=1, r='NEW')} END",
]


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def uninstall(conn: Connection) -> None:
    if is_postgres(conn):
        for t, table in zip(TRIGGERS, ("files", "files", "pages", "pages")):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {t} ON {table}"))
        conn.execute(text("DROP FUNCTION IF EXISTS sohoa_progress_files()"))
        conn.execute(text("DROP FUNCTION IF EXISTS sohoa_progress_pages()"))
    else:
        for t in SQLITE_TRIGGERS:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {t}"))


def install(conn: Connection) -> None:
    """(Re)create the triggers; idempotent."""
    uninstall(conn)
    for ddl in _PG if is_postgres(conn) else _SQLITE:
        conn.execute(text(ddl))


def triggers_present(conn: Connection, names, tables) -> bool:
    """Whether every named trigger exists (on one of ``tables``, visible on the search
    path, for PostgreSQL; by name in SQLite)."""
    names = list(names)
    if is_postgres(conn):
        n = conn.execute(text(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = ANY(:names) AND c.relname = ANY(:tables) "
            "AND pg_table_is_visible(c.oid)"), {"names": names, "tables": list(tables)}).scalar()
    else:
        n = conn.execute(text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
            f"({', '.join(repr(t) for t in names)})")).scalar()
    return n == len(names)


def installed(conn: Connection) -> bool:
    return triggers_present(conn, TRIGGERS if is_postgres(conn) else SQLITE_TRIGGERS, ("files", "pages"))


_REBUILD = [
    "DELETE FROM progress_deltas",
    "DELETE FROM progress_counters",
    """INSERT INTO progress_counters (agency_id, metric, n)
       SELECT agency_id, 'file:' || status, count(*) FROM files GROUP BY agency_id, status""",
    """WITH a AS (
         SELECT f.agency_id AS agency_id,
                count(*) AS scanned,
                sum(CASE WHEN p.qc_verdict = 'pass' THEN 1 ELSE 0 END) AS qc_pass,
                sum(CASE WHEN p.qc_verdict = 'fixable' THEN 1 ELSE 0 END) AS qc_fixable,
                sum(CASE WHEN p.qc_verdict = 'reject' THEN 1 ELSE 0 END) AS qc_reject,
                sum(CASE WHEN p.ocr_text IS NOT NULL THEN 1 ELSE 0 END) AS ocr_done,
                sum(CASE WHEN p.ocr_low_confidence THEN 1 ELSE 0 END) AS low_confidence
         FROM pages p JOIN files f ON f.id = p.file_id GROUP BY f.agency_id)
       INSERT INTO progress_counters (agency_id, metric, n)
       """ + "\n       UNION ALL ".join(
        f"SELECT agency_id, 'page:{m}', {m} FROM a WHERE {m} > 0" for m in PAGE_METRICS),
]


_REBUILD_DEFECTS = {
    "postgresql": """
        INSERT INTO progress_counters (agency_id, metric, n)
        SELECT agency_id, m, count(*) FROM (
          SELECT f.agency_id, 'defect:' || CASE WHEN json_typeof(d) = 'object'
                                                THEN d ->> 'code' ELSE d #>> '{}' END AS m
          FROM pages p JOIN files f ON f.id = p.file_id
          CROSS JOIN LATERAL json_array_elements(
              CASE WHEN json_typeof(p.qc_defects::json) = 'array'
                   THEN p.qc_defects::json ELSE '[]'::json END) AS d
          WHERE p.qc_verdict = 'reject') x
        WHERE m IS NOT NULL GROUP BY 1, 2""",
    "sqlite": """
        INSERT INTO progress_counters (agency_id, metric, n)
        SELECT agency_id, m, count(*) FROM (
          SELECT f.agency_id AS agency_id,
                 'defect:' || CASE WHEN j.type = 'object' THEN json_extract(j.value, '$.code')
                                   ELSE j.value END AS m
          FROM pages p JOIN files f ON f.id = p.file_id
          JOIN json_each(CASE WHEN json_type(p.qc_defects) = 'array'
                              THEN p.qc_defects ELSE '[]' END) AS j
          WHERE p.qc_verdict = 'reject') x
        WHERE m IS NOT NULL GROUP BY 1, 2""",
}


def rebuild(conn: Connection) -> None:
    """Recompute the counters from files and pages (writers wait meanwhile on PostgreSQL)."""
    if is_postgres(conn):
        conn.execute(text("LOCK TABLE files, pages IN SHARE MODE"))
    for sql in _REBUILD:
        conn.execute(text(sql))
    conn.execute(text(_REBUILD_DEFECTS["postgresql" if is_postgres(conn) else "sqlite"]))


def ensure(conn: Connection) -> bool:
    """Reinstall the triggers and rebuild the counters if a trigger is missing."""
    if installed(conn):
        return False
    install(conn)
    rebuild(conn)
    return True


def fold(conn: Connection) -> None:
    """Move committed deltas into the counters (safe with concurrent writers)."""
    if is_postgres(conn):
        conn.execute(text("""
            WITH moved AS (DELETE FROM progress_deltas RETURNING agency_id, metric, n)
            INSERT INTO progress_counters AS c (agency_id, metric, n)
            SELECT agency_id, metric, sum(n) FROM moved GROUP BY agency_id, metric
            ON CONFLICT (agency_id, metric) DO UPDATE SET n = c.n + EXCLUDED.n"""))
        return
    # SQLite: take the write lock first, so max(id) cannot move under us.
    conn.execute(text("DELETE FROM progress_deltas WHERE 0"))
    top = conn.execute(text("SELECT max(id) FROM progress_deltas")).scalar()
    if top is None:
        return
    conn.execute(text("""
        INSERT INTO progress_counters (agency_id, metric, n)
        SELECT agency_id, metric, sum(n) FROM progress_deltas WHERE id <= :top
        GROUP BY agency_id, metric
        ON CONFLICT (agency_id, metric) DO UPDATE SET n = n + excluded.n"""), {"top": top})
    conn.execute(text("DELETE FROM progress_deltas WHERE id <= :top"), {"top": top})


def read(conn: Connection, agency_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{agency_id: {metric: n}}: folded counters plus pending deltas."""
    where = ""
    params: dict = {}
    if agency_ids is not None:
        if not agency_ids:
            return {}
        names = [f"a{i}" for i in range(len(agency_ids))]
        where = f"WHERE agency_id IN ({', '.join(':' + n for n in names)})"
        params = dict(zip(names, agency_ids))
    rows = conn.execute(text(f"""
        SELECT agency_id, metric, sum(n) FROM (
          SELECT agency_id, metric, n FROM progress_counters {where}
          UNION ALL SELECT agency_id, metric, n FROM progress_deltas {where}) x
        GROUP BY agency_id, metric"""), params)
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for agency_id, metric, n in rows:
        if n:
            out[agency_id][metric] = int(n)
    return out
