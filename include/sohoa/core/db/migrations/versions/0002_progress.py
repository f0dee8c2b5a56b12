"""progress: per-agency counters kept by triggers, indexes for the weekly numbers

Revision ID: 0002_progress
Revises: 0001

Hand-written (several heads). The triggers (sohoa.core.db.counters) and the partial indexes
below are not in the models: Alembic cannot describe triggers, and the partial
expression indexes are PostgreSQL's; keep them here.
"""
from alembic import op
import sqlalchemy as sa

from sohoa.core.db import counters
revision = '0002_progress'
down_revision = '0001'
branch_labels = None
depends_on = None

# Events that carry a file's status change, by time (weekly numbers) and by agency and
# time (one agency's page). Reject reasons and page counts come from the counters.
_FILE_EVENTS = "entity = 'files'"
# Open rescan requests per agency and age (backlog, overdue), from the index alone.
_RESCAN_OPEN = ("CREATE INDEX IF NOT EXISTS ix_rescan_open ON rescan_requests "
                "(agency_id, opened_at) WHERE status = 'open'")
_PG_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS ix_events_files_time ON events (occurred_at) WHERE {_FILE_EVENTS}",
    "CREATE INDEX IF NOT EXISTS ix_events_files_agency_time ON events (agency_id, occurred_at) "
    f"WHERE {_FILE_EVENTS}",
    # Integrated files per agency over the last weeks (throughput), read from the index
    # alone: the status test is the index's predicate, the columns are plain ones.
    "CREATE INDEX IF NOT EXISTS ix_events_files_integrated ON events "
    f"(occurred_at, agency_id, entity_id) WHERE {_FILE_EVENTS} AND (after ->> 'status') = 'integrated'",
    _RESCAN_OPEN,
]
_SQLITE_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS ix_events_files_time ON events (occurred_at) WHERE {_FILE_EVENTS}",
    "CREATE INDEX IF NOT EXISTS ix_events_files_agency_time ON events (agency_id, occurred_at) "
    f"WHERE {_FILE_EVENTS}",
    _RESCAN_OPEN,
]
_INDEX_NAMES = ["ix_events_files_time", "ix_events_files_agency_time",
                "ix_events_files_integrated", "ix_rescan_open"]


def upgrade() -> None:
    op.create_table(
        'progress_counters',
        sa.Column('agency_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('agency_id', 'metric'),
    )
    op.create_table(
        'progress_deltas',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    conn = op.get_bind()
    for ddl in _PG_INDEXES if conn.dialect.name == "postgresql" else _SQLITE_INDEXES:
        op.execute(ddl)
    counters.install(conn)
    counters.rebuild(conn)  # counts of the rows already there


def downgrade() -> None:
    counters.uninstall(op.get_bind())
    for name in _INDEX_NAMES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table('progress_deltas')
    op.drop_table('progress_counters')
