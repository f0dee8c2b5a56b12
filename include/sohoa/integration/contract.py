"""The shared database's contract: its schema (``csdl``), its own Alembic history and the
``schema_version`` a consumer reads.

On PostgreSQL the contract lives in one schema: the first schema of the connection's
``search_path`` when the URL sets one (``?options=-csearch_path%3Dcsdl``), otherwise
``SOHOA_SHARED_SCHEMA`` (default ``csdl``), which :func:`prepare` puts first on the
search path of every connection of the engine. The reader roles are named after the
schema (``csdl_public``, ``csdl_restricted``, ``csdl_confidential``, ``csdl_agency``).
On SQLite (the embedded default) the same tables live in the shared database file.

Tables here are the writer's (integration's) handle; consumers read the documented
views (docs/shared-database.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import (
    BigInteger, Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text, event,
    text,
)
from sqlalchemy.engine import Engine

from sohoa.core.config import get_settings
from sohoa.core.db.session import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_SCHEMA = "csdl"
VERSION_TABLE = "csdl_alembic_version"

metadata = MetaData()

agencies = Table(
    "agencies", metadata,
    Column("code", String(13), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("level", String(20)),
    Column("status", String(20), nullable=False),
    Column("successor_code", String(13)),
    Column("successor_codes", String(500)),
    Column("effective_date", Date),
    Column("holder_code", String(13), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

files = Table(
    "files", metadata,
    Column("file_code", String(30), primary_key=True),
    Column("creating_agency_code", String(13), nullable=False),
    Column("creating_agency_name", String(255), nullable=False),
    Column("holder_agency_code", String(13), nullable=False),  # today's successor
    Column("notation", String(20), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("start_date", Date), Column("end_date", Date),
    Column("retention_code", String(30)),
    Column("access_mode", String(30), nullable=False),
    Column("language", String(30)),
    Column("page_count", Integer, nullable=False),
    Column("document_count", Integer, nullable=False),
    Column("pdf_uri", String(1000)), Column("pdf_sha256", String(64)),
    Column("full_text", Text),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Document columns carried from the project's ``documents`` table (model attribute =
#: contract column). A column the description phase adds is one entry here plus one
#: ``ALTER TABLE documents ADD COLUMN`` revision (and its line in the views and docs).
DOCUMENT_FIELDS = ("ordinal", "type_name", "code_number", "code_notation", "issued_date",
                   "organ_name", "subject", "language", "page_from", "page_amount",
                   "confidence_level", "description",
                   # schema version 3 (revision 0003): the description phase's fields
                   "signer", "signer_title", "issued_year", "issued_month", "page_to",
                   "secrecy", "urgency", "review_state")
#: Of those, the ones read from the document's body (the signature block on its last
#: page) rather than from its catalogue entry: a confidential document carries them as
#: NULL, like its text (docs/shared-database.md, "Confidential records").
CONTENT_DOCUMENT_FIELDS = ("signer", "signer_title")

documents = Table(
    "documents", metadata,
    Column("doc_code", String(40), primary_key=True),
    Column("file_code", String(30), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("type_name", String(100)),
    Column("code_number", String(11)),
    Column("code_notation", String(30)),
    Column("issued_date", Date),
    Column("organ_name", String(200)),
    Column("subject", String(500)),
    Column("language", String(30)),
    Column("page_from", Integer),
    Column("page_amount", Integer),
    Column("confidence_level", String(30)),
    Column("description", String(500)),
    Column("creating_agency_code", String(13), nullable=False),
    Column("holder_agency_code", String(13), nullable=False),
    Column("access_mode", String(30), nullable=False),
    Column("pdf_uri", String(1000)),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # computed by PostgreSQL (generated column); written by us on SQLite only
    Column("number_notation_key", String(60)),
    # schema version 3
    Column("signer", String(100)), Column("signer_title", String(100)),
    Column("issued_year", Integer), Column("issued_month", Integer),
    Column("page_to", Integer),
    Column("secrecy", String(20)), Column("urgency", String(20)),
    Column("review_state", String(20)),
)

pages = Table(
    "pages", metadata,
    Column("file_code", String(30), primary_key=True),
    Column("page_no", Integer, primary_key=True),
    Column("doc_code", String(40)),
    Column("text", Text), Column("confidence", Float),
    Column("holder_agency_code", String(13), nullable=False),
    Column("access_mode", String(30), nullable=False),
)

objects = Table(
    "objects", metadata,
    Column("object_key", String(1000), primary_key=True),
    Column("file_code", String(30), nullable=False),
    Column("doc_code", String(40)),
    Column("kind", String(20), nullable=False),  # file_pdf | document_pdf
    Column("media_type", String(100), nullable=False),
    Column("uri", String(1000)),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger),
    Column("holder_agency_code", String(13), nullable=False),
    Column("access_mode", String(30), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

changes = Table(
    "changes", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("changed_at", DateTime(timezone=True)),
    Column("entity", String(20), nullable=False),  # agency | file | document | object
    Column("entity_key", String(1000), nullable=False),
    Column("file_code", String(30)),
    Column("op", String(20), nullable=False),  # insert | update | withdraw
    Column("reason", String(40)),
    Column("access_mode", String(30)),
    Column("previous_access_mode", String(30)),
    Column("holder_agency_code", String(13)),
    Column("content_hash", String(64)),
)

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("revision", String(40), nullable=False),
    Column("description", String(500), nullable=False),
    Column("applied_at", DateTime(timezone=True)),
)

_SEARCH_PATH_RE = re.compile(r"search_path\s*=\s*\"?([A-Za-z_][A-Za-z0-9_$]*)")


def schema_name(engine: Engine) -> str | None:
    """The contract's PostgreSQL schema for this engine (None on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    explicit = getattr(engine, "_sohoa_contract_schema", None)
    if explicit:
        return explicit
    m = _SEARCH_PATH_RE.search(str(engine.url.query.get("options", "")))
    if m:
        return m.group(1)
    return get_settings().shared_schema or DEFAULT_SCHEMA


def role_prefix(engine: Engine) -> str | None:
    return schema_name(engine)


def prepare(engine: Engine) -> Engine:
    """Make every connection of ``engine`` find the contract's schema first (PostgreSQL);
    a no-op when the URL already names a search_path, on SQLite, or when done before."""
    if engine.dialect.name != "postgresql" or getattr(engine, "_sohoa_contract_ready", False):
        return engine
    schema = schema_name(engine)
    if not _SEARCH_PATH_RE.search(str(engine.url.query.get("options", ""))):
        def _set_path(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}", public')
            cur.close()
            dbapi_conn.commit()

        event.listen(engine, "connect", _set_path)
        engine.dispose()  # pooled connections made before the listener
    engine._sohoa_contract_schema = schema  # type: ignore[attr-defined]
    engine._sohoa_contract_ready = True  # type: ignore[attr-defined]
    return engine


def open_shared(url: str | None = None) -> Engine:
    """The shared database from a URL (default ``SOHOA_SHARED_DB_URL``), contract-ready."""
    return prepare(make_engine(url or get_settings().shared_db_url))


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    prepare(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def migrate_shared(engine: Engine, revision: str = "head") -> str:
    """Bring the contract schema to ``revision`` (idempotent; one migrator at a time)."""
    from alembic import command

    prepare(engine)
    schema = schema_name(engine)
    with engine.connect() as conn:
        if schema:
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"),
                         {"k": f"sohoa_csdl_migrate:{schema}"})
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            conn.commit()
        try:
            cfg = _alembic_config(conn)
            cfg.attributes["role_prefix"] = schema
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            if schema:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"),
                             {"k": f"sohoa_csdl_migrate:{schema}"})
                conn.commit()
    now = current_revision(engine) or ""
    if now == head_revision():
        _ready.add(_key(engine))
    else:  # stopped at an older revision on purpose: ensure_contract still upgrades
        _ready.discard(_key(engine))
    return now


_ready: set[tuple[str, str | None]] = set()


def _key(engine: Engine) -> tuple[str, str | None]:
    return (engine.url.render_as_string(hide_password=True), schema_name(engine))


def ensure_contract(engine: Engine) -> Engine:
    """Migrate once per process and database (integration calls this before writing)."""
    prepare(engine)
    if _key(engine) not in _ready:
        if current_revision(engine) != head_revision():
            migrate_shared(engine)
        _ready.add(_key(engine))
    return engine


def contract_version(engine: Engine) -> int | None:
    """The schema_version a consumer reads (highest applied contract version)."""
    prepare(engine)
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(version) FROM schema_version")).scalar()


def identity(conn) -> str:
    """Which shared database this is: its address, schema and the moment its contract was
    first applied. A shared database made afresh (or another one configured) has another
    identity, so integration checks every file against it again."""
    engine = conn.engine
    made = conn.execute(text("SELECT applied_at FROM schema_version WHERE version = 1")).scalar()
    return f"{engine.url.render_as_string(hide_password=True)}|{schema_name(engine)}|{made}"


def drop_contract(engine: Engine) -> None:
    """Remove the contract schema and its reader roles (tests and benchmarks)."""
    schema = schema_name(engine)
    _ready.discard(_key(engine))
    if not schema:
        return
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.commit()
        for role in ("agency", "confidential", "restricted", "public"):
            name = f"{schema}_{role}"
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                  {"r": name}).first()
            if exists:
                conn.execute(text(f'DROP OWNED BY "{name}"'))
                conn.execute(text(f'DROP ROLE "{name}"'))
        conn.commit()
