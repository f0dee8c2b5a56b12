"""progress snapshots: the counters at each finished week's end, and their guard trigger

Revision ID: 0003_progress_snapshots
Revises: 0002_progress

Hand-written. The guard trigger on events (sohoa.core.db.snapshots) is not in the models:
Alembic cannot describe triggers.
"""
from alembic import op
import sqlalchemy as sa

from sohoa.core.db import snapshots

revision = '0003_progress_snapshots'
down_revision = '0002_progress'
branch_labels = None
depends_on = None


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
    snapshots.install(op.get_bind())


def downgrade() -> None:
    snapshots.uninstall(op.get_bind())
    op.drop_table('progress_snapshot_counts')
    op.drop_table('progress_snapshots')
