"""documents filled by the description phase: signer, partial dates, page range, marks,
per-field confidence, review state and fields a person confirmed, doc_code widened
to 35; files.described_hash

Revision ID: 0003_documents
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_documents'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('signer_title', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('issued_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('issued_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('page_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('secrecy', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('urgency', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('review', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confirmed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('review_state', sa.String(length=20), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('pdf_key', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pdf_input_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_documents_review_state', ['review_state'], unique=False)
        # the document code is a file name (file code 30 + "." + ordinal): kept whole
        batch_op.alter_column('doc_code', existing_type=sa.String(length=25),
                              type_=sa.String(length=35), existing_nullable=True)
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('described_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_column('described_hash')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_review_state')
        batch_op.alter_column('doc_code', existing_type=sa.String(length=35),
                              type_=sa.String(length=25), existing_nullable=True)
        for c in ('updated_at', 'pdf_input_hash', 'pdf_sha256', 'pdf_key', 'review_state', 'confirmed',
                  'reasons', 'review', 'confidence', 'urgency', 'secrecy', 'page_to',
                  'issued_month', 'issued_year', 'signer_title', 'signer'):
            batch_op.drop_column(c)
