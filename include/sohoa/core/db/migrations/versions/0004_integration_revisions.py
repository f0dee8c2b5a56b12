"""integration: per-file content revisions, so a run finds the changed files without
rebuilding every file's record

Revision ID: 0004_integration_revisions
Revises: 0003_documents

Hand-written: the triggers that keep ``files.content_rev`` (sohoa.core.db.revisions) are
not in the models. Every file already there starts with no ``integrated_rev``: the first
integration after the upgrade checks each once (as every run did before), later runs only
the changed ones.
"""
from alembic import op
import sqlalchemy as sa

from sohoa.core.db import revisions

revision = '0004_integration_revisions'
down_revision = '0003_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_rev', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('integrated_rev', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('integrated_ctx', sa.String(length=64), nullable=True))
    revisions.install(op.get_bind())


def downgrade() -> None:
    revisions.uninstall(op.get_bind())
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_column('integrated_ctx')
        batch_op.drop_column('integrated_rev')
        batch_op.drop_column('content_rev')
