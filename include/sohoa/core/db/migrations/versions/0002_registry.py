"""registry history and split successors, record slips, intake list identity/conversion

Revision ID: 0002_registry
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_registry'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_successors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['successor_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'successor_id')
    )
    op.create_index('ix_agency_successors_agency_id', 'agency_successors', ['agency_id'])
    op.create_table('agency_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=13), nullable=True),
    sa.Column('successor_codes', sa.String(length=500), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_agency_versions_agency', 'agency_versions', ['agency_id', 'valid_from'])
    op.create_table('record_slips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('slip_no', sa.String(length=30), nullable=True),
    sa.Column('archivist', sa.String(length=100), nullable=True),
    sa.Column('entered_on', sa.Date(), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('source_key', sa.String(length=1000), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id')
    )
    with op.batch_alter_table('inventory_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('conversion', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_rows', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('inventory_submissions', schema=None) as batch_op:
        batch_op.drop_column('duplicate_rows')
        batch_op.drop_column('conversion')
        batch_op.drop_column('source')
        batch_op.drop_column('list_key')
    op.drop_table('record_slips')
    op.drop_index('ix_agency_versions_agency', table_name='agency_versions')
    op.drop_table('agency_versions')
    op.drop_index('ix_agency_successors_agency_id', table_name='agency_successors')
    op.drop_table('agency_successors')
