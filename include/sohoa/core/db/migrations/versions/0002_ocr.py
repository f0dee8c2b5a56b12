"""OCR: per-line text and confidences, review reason per page

Revision ID: 0002_ocr
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_ocr'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocr_lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('ocr_review_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('ocr_review_reason')
        batch_op.drop_column('ocr_lines')
