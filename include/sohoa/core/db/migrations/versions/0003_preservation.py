"""Preservation: AIPs per file, fixity audit runs, findings and baselines

Revision ID: 0003_preservation
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_preservation'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'aips',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('object_key', sa.String(length=1000), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('payload_bytes', sa.BigInteger(), nullable=False),
        sa.Column('input_hash', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id']),
        sa.ForeignKeyConstraint(['file_id'], ['files.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('file_id'),
    )
    op.create_index('ix_aips_agency_id', 'aips', ['agency_id'])
    op.create_table(
        'fixity_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('cursor', sa.JSON(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('batches', sa.Integer(), nullable=False),
        sa.Column('checked', sa.Integer(), nullable=False),
        sa.Column('bytes_checked', sa.BigInteger(), nullable=False),
        sa.Column('ok', sa.Integer(), nullable=False),
        sa.Column('repaired', sa.Integer(), nullable=False),
        sa.Column('unrepaired', sa.Integer(), nullable=False),
        sa.Column('lost', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_fixity_runs_scope_status', 'fixity_runs', ['scope', 'status'])
    op.create_table(
        'fixity_findings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('object_key', sa.String(length=1000), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('copy', sa.String(length=10), nullable=False),
        sa.Column('problem', sa.String(length=10), nullable=False),
        sa.Column('expected_sha256', sa.String(length=64), nullable=True),
        sa.Column('actual_sha256', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['fixity_runs.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_fixity_findings_run_id', 'fixity_findings', ['run_id'])
    op.create_index('ix_fixity_findings_object_key', 'fixity_findings', ['object_key'])
    op.create_index('ix_fixity_findings_agency_id', 'fixity_findings', ['agency_id'])
    op.create_index('ix_fixity_findings_open', 'fixity_findings', ['resolved_at', 'outcome'])
    op.create_table(
        'fixity_baselines',
        sa.Column('object_key', sa.String(length=1000), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('object_key'),
    )


def downgrade() -> None:
    op.drop_table('fixity_baselines')
    op.drop_index('ix_fixity_findings_open', table_name='fixity_findings')
    op.drop_index('ix_fixity_findings_agency_id', table_name='fixity_findings')
    op.drop_index('ix_fixity_findings_object_key', table_name='fixity_findings')
    op.drop_index('ix_fixity_findings_run_id', table_name='fixity_findings')
    op.drop_table('fixity_findings')
    op.drop_index('ix_fixity_runs_scope_status', table_name='fixity_runs')
    op.drop_table('fixity_runs')
    op.drop_index('ix_aips_agency_id', table_name='aips')
    op.drop_table('aips')
