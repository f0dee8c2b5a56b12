"""OCR: the post-corrections made to each page's text (original, corrected, reason)

Revision ID: 0003_ocr_corrections
Revises: 0002_ocr
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_ocr_corrections'
down_revision = '0002_ocr'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocr_corrections', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('ocr_corrections')
