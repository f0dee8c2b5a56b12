"""Per-file content revisions kept by database triggers (SQLite and PostgreSQL), so that
integration finds the few files that changed among millions without rebuilding them all.

``files.content_rev`` goes up whenever something the shared database is built from
changes: one of the file's own catalogue columns (:data:`FILE_COLUMNS`), or a page or a
document of the file is inserted, deleted or has one of :data:`PAGE_COLUMNS` /
:data:`DOCUMENT_COLUMNS` changed. Integration stores the revision it read beside the
file (``files.integrated_rev``); a file whose two numbers differ is a candidate again.

Why a counter and not a "dirty" flag: integration reads a file, writes the shared
database and then records what it read. A flag cleared at that point would also clear a
change committed in between; a revision number read *before* the file's pages and
documents cannot cover a later change, so the file stays a candidate.

Triggers are the one place every writer passes through (ORM flushes, bulk Core updates,
hand-written SQL, an archivist's correction), as for the progress counters
(sohoa.core.db.counters). On PostgreSQL inserts and deletes fire once per statement
(a transition table of the rows), so a bulk insert of a file's pages bumps the file
once; updates fire per row, only when a listed column really changed.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sohoa.core.db.counters import is_postgres, triggers_present

#: file columns the shared database's record of a file is built from. Not status,
#: integrated_* or updated_at: integration writes those itself.
FILE_COLUMNS = ("agency_id", "notation", "file_code", "title", "start_date", "end_date",
                "retention_code", "access_mode", "language", "pdf_key", "pdf_sha256",
                "described_hash")
#: page columns the shared database carries (sohoa.integration.phase.PAGE_COLUMNS)
PAGE_COLUMNS = ("file_id", "page_no", "document_id", "ocr_text", "ocr_confidence")
#: document columns the shared database carries: keys, access, PDF and every contract
#: field (sohoa.integration.contract.DOCUMENT_FIELDS; a test checks they are all here)
DOCUMENT_COLUMNS = ("file_id", "doc_code", "ordinal", "mode", "pdf_key", "pdf_sha256",
                    "type_name", "code_number", "code_notation", "issued_date", "organ_name",
                    "subject", "language", "page_from", "page_amount", "confidence_level",
                    "description", "signer", "signer_title", "issued_year", "issued_month",
                    "page_to", "secrecy", "urgency", "review_state")

TRIGGERS = ("trg_rev_files", "trg_rev_pages_ins", "trg_rev_pages_del", "trg_rev_pages_upd",
            "trg_rev_documents_ins", "trg_rev_documents_del", "trg_rev_documents_upd")
TABLES = ("files", "pages", "documents")


def _changed(cols, distinct: str = "IS DISTINCT FROM") -> str:
    """Any of ``cols`` differs between OLD and NEW (SQLite spells the operator IS NOT)."""
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in cols)


_BUMP = "UPDATE files SET content_rev = content_rev + 1 WHERE id IN ({ids})"

_PG = [
    # the file's own columns: set the new revision on the row being written (no second UPDATE)
    """CREATE OR REPLACE FUNCTION sohoa_rev_file() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN NEW.content_rev := OLD.content_rev + 1; RETURN NEW; END $$""",
    f"""CREATE TRIGGER trg_rev_files BEFORE UPDATE OF {", ".join(FILE_COLUMNS)} ON files
        FOR EACH ROW WHEN ({_changed(FILE_COLUMNS)}) EXECUTE FUNCTION sohoa_rev_file()""",
    # pages/documents inserted or deleted: their files, once per statement
    f"""CREATE OR REPLACE FUNCTION sohoa_rev_children_new() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN {_BUMP.format(ids="SELECT DISTINCT file_id FROM changed_rows")}; RETURN NULL;
        END $$""",
    *[f"""CREATE TRIGGER trg_rev_{t}_{op[:3].lower()} AFTER {op} ON {t}
          REFERENCING {"NEW" if op == "INSERT" else "OLD"} TABLE AS changed_rows
          FOR EACH STATEMENT EXECUTE FUNCTION sohoa_rev_children_new()"""
      for t in ("pages", "documents") for op in ("INSERT", "DELETE")],
    # a page or document updated: its file (both files, if it moved)
    f"""CREATE OR REPLACE FUNCTION sohoa_rev_child_row() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN {_BUMP.format(ids="OLD.file_id, NEW.file_id")}; RETURN NULL; END $$""",
    *[f"""CREATE TRIGGER trg_rev_{t}_upd AFTER UPDATE OF {", ".join(cols)} ON {t}
          FOR EACH ROW WHEN ({_changed(cols)}) EXECUTE FUNCTION sohoa_rev_child_row()"""
      for t, cols in (("pages", PAGE_COLUMNS), ("documents", DOCUMENT_COLUMNS))],
]

_SQLITE = [
    f"""CREATE TRIGGER trg_rev_files AFTER UPDATE OF {", ".join(FILE_COLUMNS)} ON files
        WHEN {_changed(FILE_COLUMNS, "IS NOT")}
        BEGIN {_BUMP.format(ids="NEW.id")}; END""",
    *[f"""CREATE TRIGGER trg_rev_{t}_{op[:3].lower()} AFTER {op} ON {t}
          BEGIN {_BUMP.format(ids=("NEW" if op == "INSERT" else "OLD") + ".file_id")}; END"""
      for t in ("pages", "documents") for op in ("INSERT", "DELETE")],
    *[f"""CREATE TRIGGER trg_rev_{t}_upd AFTER UPDATE OF {", ".join(cols)} ON {t}
          WHEN {_changed(cols, "IS NOT")}
          BEGIN {_BUMP.format(ids="OLD.file_id, NEW.file_id")}; END"""
      for t, cols in (("pages", PAGE_COLUMNS), ("documents", DOCUMENT_COLUMNS))],
]


def uninstall(conn: Connection) -> None:
    pg = is_postgres(conn)
    for name in TRIGGERS:
        table = "files" if name == "trg_rev_files" else name.split("_")[2]
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else "")))
    if pg:
        for fn in ("sohoa_rev_file", "sohoa_rev_children_new", "sohoa_rev_child_row"):
            conn.execute(text(f"DROP FUNCTION IF EXISTS {fn}()"))


def install(conn: Connection) -> None:
    """(Re)create the triggers; idempotent."""
    uninstall(conn)
    for ddl in _PG if is_postgres(conn) else _SQLITE:
        conn.execute(text(ddl))


def installed(conn: Connection) -> bool:
    return triggers_present(conn, TRIGGERS, TABLES)


def ensure(conn: Connection) -> bool:
    """Reinstall lost triggers (a SQLite table rebuild drops them) and, since changes made
    meanwhile went unseen, make every file a candidate again."""
    if installed(conn):
        return False
    install(conn)
    conn.execute(text("UPDATE files SET integrated_rev = NULL"))
    return True
