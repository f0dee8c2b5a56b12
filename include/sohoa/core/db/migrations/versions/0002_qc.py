"""scan QC: page sources and derivatives, rescan defects and deliveries, operator

Revision ID: 0002_qc
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_qc'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scan_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator', sa.String(length=100), nullable=True))
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_key', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('source_page', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('derivative_key', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('derivative_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('rescan_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('defects', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_delivery_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_rescan_requests_delivery_id', 'scan_deliveries',
                                    ['delivery_id'], ['id'])
        batch_op.create_foreign_key('fk_rescan_requests_closed_delivery_id', 'scan_deliveries',
                                    ['closed_delivery_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('rescan_requests', schema=None) as batch_op:
        batch_op.drop_constraint('fk_rescan_requests_closed_delivery_id', type_='foreignkey')
        batch_op.drop_constraint('fk_rescan_requests_delivery_id', type_='foreignkey')
        batch_op.drop_column('closed_delivery_id')
        batch_op.drop_column('delivery_id')
        batch_op.drop_column('defects')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('derivative_sha256')
        batch_op.drop_column('derivative_key')
        batch_op.drop_column('source_page')
        batch_op.drop_column('source_key')
    with op.batch_alter_table('scan_deliveries', schema=None) as batch_op:
        batch_op.drop_column('operator')
