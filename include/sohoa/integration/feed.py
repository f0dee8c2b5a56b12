"""The change feed: an append-only ``changes`` table with a monotonically increasing id.

Every insert, update and withdrawal the integration writes lands here in the same
transaction as the change itself. A consumer keeps the last id it applied and reads
``SELECT * FROM csdl.v_changes WHERE id > :last ORDER BY id``; for each row it re-reads
the entity from the views (absent for it: delete its copy). Ids are handed out under a
transaction-level advisory lock held until commit, so they become visible in id order:
a consumer never skips an id that commits later (no gaps behind ``last``).

Ops: ``insert`` (new), ``update`` (content or access loosened), ``withdraw`` (access
tightened, or the record replaced: a document or object no longer in its file). Row
Level Security shows a reader the changes of rows it may read before or after.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from sohoa.integration.contract import changes, prepare, schema_name

INSERT, UPDATE, WITHDRAW = "insert", "update", "withdraw"


def lock(conn: Connection) -> None:
    """Serialise feed writers until commit (PostgreSQL; SQLite writers are serial)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                     {"k": f"sohoa_csdl_changes:{schema_name(conn.engine)}"})


def append(conn: Connection, rows: list[dict]) -> int:
    """Append change rows (call :func:`lock` first, in the same transaction)."""
    if not rows:
        return 0
    keys = ("entity", "entity_key", "file_code", "op", "reason", "access_mode",
            "previous_access_mode", "holder_agency_code", "content_hash")
    conn.execute(changes.insert(), [{k: r.get(k) for k in keys} for r in rows])
    return len(rows)


def since(engine: Engine, last_id: int = 0, limit: int = 10_000) -> list[dict]:
    """The changes after ``last_id`` (what a consumer reads), in id order."""
    prepare(engine)
    q = select(changes).where(changes.c.id > last_id).order_by(changes.c.id).limit(limit)
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(q)]


def last_id(engine: Engine) -> int:
    prepare(engine)
    with engine.connect() as c:
        return c.execute(text("SELECT coalesce(max(id), 0) FROM changes")).scalar()
