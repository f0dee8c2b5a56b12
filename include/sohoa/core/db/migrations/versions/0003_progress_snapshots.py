"""progress snapshots: the counters at each finished week's end, and their guard trigger

Revision ID: 0003_progress_snapshots
Revises: 0002_progress

Hand-written. The guard trigger on events (sohoa.core.db.snapshots) and the partial indexes
below are not in the models: Alembic cannot describe triggers, and the partial (covering)
indexes are the databases' own; keep them here.
"""
from alembic import op
import sqlalchemy as sa

from sohoa.core.db import snapshots

revision = '0003_progress_snapshots'
down_revision = '0002_progress'
branch_labels = None
depends_on = None

# A past day walked back from a snapshot reads, for each page or file changed between the
# day and the snapshot, its first event at or after the snapshot (reporting.asof): one
# index probe each, answered from these indexes (PostgreSQL: without reading the rows).
_PG_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_events_pages_entity_time ON events "
    "(entity_id, occurred_at, id) INCLUDE (phase, action) WHERE entity = 'pages'",
    # the predicate as the queries write it (SQLAlchemy casts ->> to varchar), or it is
    # not used
    "CREATE INDEX IF NOT EXISTS ix_events_files_status_entity_time ON events "
    "(entity_id, occurred_at, id) "
    "WHERE entity = 'files' AND ((after ->> 'status')::varchar) IS NOT NULL",
]
_SQLITE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_events_pages_entity_time ON events "
    "(entity_id, occurred_at, id, phase, action) WHERE entity = 'pages'",
    "CREATE INDEX IF NOT EXISTS ix_events_files_status_entity_time ON events "
    "(entity_id, occurred_at, id) WHERE entity = 'files'",
]
_INDEX_NAMES = ["ix_events_pages_entity_time", "ix_events_files_status_entity_time"]


def upgrade() -> None:
    op.create_table(
        'progress_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_event_id', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('at'),
    )
    op.create_table(
        'progress_snapshot_counts',
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['snapshot_id'], ['progress_snapshots.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('snapshot_id', 'agency_id', 'metric'),
    )
    conn = op.get_bind()
    for ddl in _PG_INDEXES if conn.dialect.name == "postgresql" else _SQLITE_INDEXES:
        op.execute(ddl)
    snapshots.install(conn)


def downgrade() -> None:
    snapshots.uninstall(op.get_bind())
    for name in _INDEX_NAMES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table('progress_snapshot_counts')
    op.drop_table('progress_snapshots')
