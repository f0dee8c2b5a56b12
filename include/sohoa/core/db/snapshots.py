"""Weekly snapshots of the progress counters (tables of migration 0003_progress_snapshots).

A snapshot holds the counters (the metrics of sohoa.core.db.counters) as they stood at one
moment ``at``, the end of a finished week; sohoa.reporting.asof computes and uses them.

**When a snapshot stops being true, and what guards it.** A snapshot at ``at`` is the
state given by every event dated before ``at``. Events are written with the time they
are written (``models.utcnow`` at insert; no code in the package dates an event in the
past), so after ``at`` has passed a new event dated before it can only come from:

* a transaction that was already open at ``at`` and commits later (its events are dated
  when they were written). asof takes a snapshot only once ``at`` is
  ``asof.SNAPSHOT_GRACE`` old and, on PostgreSQL, when no transaction of this database
  that started before ``at`` is still open, inside one REPEATABLE READ transaction;
* anything that writes an event with an explicit past ``occurred_at`` (an imported
  trail, a repair, tests). The trigger installed here drops, in the writing transaction,
  every snapshot with ``at`` later than the new event's time: the next report computes
  it again from the log. On PostgreSQL it is one statement-level trigger (one DELETE per
  INSERT statement, however many rows); on SQLite a row trigger.

A counter rebuild (counters.ensure after a lost trigger) also drops them all, and so does
a missing guard trigger (a SQLite table rebuild drops triggers): ``ensure`` reinstalls it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Connection

from sohoa.core.db.counters import is_postgres, triggers_present
from sohoa.core.db.models import ProgressSnapshot, ProgressSnapshotCount

_SNAPS = ProgressSnapshot.__table__
_COUNTS = ProgressSnapshotCount.__table__

PG_FUNCTION = "sohoa_snapshot_guard"
TRIGGER = "trg_snapshot_guard"

_PG = [
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM progress_snapshots
          WHERE at > (SELECT min(occurred_at) FROM sohoa_new_events);
          RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER {TRIGGER} AFTER INSERT ON events
        REFERENCING NEW TABLE AS sohoa_new_events
        FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()""",
]
_SQLITE = [
    f"""CREATE TRIGGER {TRIGGER} AFTER INSERT ON events
        WHEN EXISTS (SELECT 1 FROM progress_snapshots WHERE at > NEW.occurred_at)
        BEGIN
          DELETE FROM progress_snapshot_counts WHERE snapshot_id IN
            (SELECT id FROM progress_snapshots WHERE at > NEW.occurred_at);
          DELETE FROM progress_snapshots WHERE at > NEW.occurred_at;
        END""",
]


def uninstall(conn: Connection) -> None:
    if is_postgres(conn):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {TRIGGER} ON events"))
        conn.execute(text(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"))
    else:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {TRIGGER}"))


def install(conn: Connection) -> None:
    """(Re)create the guard trigger; idempotent."""
    uninstall(conn)
    for ddl in _PG if is_postgres(conn) else _SQLITE:
        conn.execute(text(ddl))


def installed(conn: Connection) -> bool:
    return triggers_present(conn, [TRIGGER], ("events",))


def clear(conn: Connection) -> None:
    conn.execute(delete(_COUNTS))
    conn.execute(delete(_SNAPS))


def ensure(conn: Connection) -> bool:
    """Reinstall a missing guard trigger; the snapshots it did not guard are dropped."""
    if installed(conn):
        return False
    clear(conn)
    install(conn)
    return True


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every moment here is stored in UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def nearest(conn: Connection, moment: datetime) -> tuple[int, datetime] | None:
    """(id, at) of the earliest snapshot at or after ``moment``."""
    row = conn.execute(select(_SNAPS.c.id, _SNAPS.c.at).where(_SNAPS.c.at >= _utc(moment))
                       .order_by(_SNAPS.c.at).limit(1)).first()
    return None if row is None else (row[0], _utc(row[1]))


def moments(conn: Connection) -> list[datetime]:
    return [_utc(m) for m in conn.execute(select(_SNAPS.c.at).order_by(_SNAPS.c.at)).scalars()]


def read(conn: Connection, snapshot_id: int,
         agency_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{agency_id: {metric: n}} of one snapshot (only ``agency_ids``'s when given)."""
    q = select(_COUNTS.c.agency_id, _COUNTS.c.metric, _COUNTS.c.n).where(
        _COUNTS.c.snapshot_id == snapshot_id)
    if agency_ids is not None:
        q = q.where(_COUNTS.c.agency_id.in_(list(agency_ids)))
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for aid, metric, n in conn.execute(q):
        out[aid][metric] = int(n)
    return out


def store(conn: Connection, at: datetime, counts: dict[int, dict[str, int]],
          last_event_id: int | None, taken_at: datetime) -> int:
    """Write one snapshot (replacing one at the same moment); returns its id."""
    at = _utc(at)
    old = conn.execute(select(_SNAPS.c.id).where(_SNAPS.c.at == at)).scalar()
    if old is not None:
        conn.execute(delete(_COUNTS).where(_COUNTS.c.snapshot_id == old))
        conn.execute(delete(_SNAPS).where(_SNAPS.c.id == old))
    sid = conn.execute(insert(_SNAPS).values(at=at, taken_at=taken_at,
                                             last_event_id=last_event_id)
                       .returning(_SNAPS.c.id)).scalar()
    rows = [{"snapshot_id": sid, "agency_id": aid, "metric": metric, "n": n}
            for aid, m in counts.items() for metric, n in m.items() if n]
    if rows:
        conn.execute(insert(_COUNTS), rows)
    return sid
