"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 10:43:56.432676
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['successor_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('phase', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_events_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index('ix_events_phase_time', ['phase', 'occurred_at'], unique=False)

    op.create_table('report_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('xlsx_key', sa.String(length=1000), nullable=False),
    sa.Column('html_key', sa.String(length=1000), nullable=False),
    sa.Column('totals', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('boxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('box_no', sa.String(length=30), nullable=False),
    sa.Column('expected_files', sa.Integer(), nullable=False),
    sa.Column('received_files', sa.Integer(), nullable=True),
    sa.Column('expected_sheets', sa.Integer(), nullable=True),
    sa.Column('received_sheets', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'box_no')
    )
    with op.batch_alter_table('boxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boxes_agency_id'), ['agency_id'], unique=False)

    op.create_table('inventory_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('object_key', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('encoding', sa.String(length=40), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('valid_rows', sa.Integer(), nullable=False),
    sa.Column('error_rows', sa.Integer(), nullable=False),
    sa.Column('error_report_key', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'sha256')
    )
    with op.batch_alter_table('inventory_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_submissions_agency_id'), ['agency_id'], unique=False)

    op.create_table('plan_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('target_files', sa.Integer(), nullable=False),
    sa.Column('target_pages', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id')
    )
    op.create_table('files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('box_id', sa.Integer(), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('box_no', sa.String(length=30), nullable=True),
    sa.Column('notation', sa.String(length=20), nullable=False),
    sa.Column('file_code', sa.String(length=30), nullable=True),
    sa.Column('organ_id', sa.String(length=13), nullable=True),
    sa.Column('catalog', sa.String(length=4), nullable=True),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('retention_code', sa.String(length=30), nullable=True),
    sa.Column('access_mode', sa.String(length=30), nullable=False),
    sa.Column('language', sa.String(length=30), nullable=False),
    sa.Column('total_docs', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=2000), nullable=True),
    sa.Column('infor_sign', sa.String(length=30), nullable=True),
    sa.Column('keyword', sa.String(length=100), nullable=True),
    sa.Column('sheet_count', sa.Integer(), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('physical_format', sa.String(length=50), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('arrangement_step', sa.String(length=20), nullable=True),
    sa.Column('qc_issues', sa.JSON(), nullable=True),
    sa.Column('pdf_key', sa.String(length=1000), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('ocr_input_hash', sa.String(length=64), nullable=True),
    sa.Column('integrated_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['box_id'], ['boxes.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['inventory_submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'notation'),
    sa.UniqueConstraint('file_code')
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index('ix_files_agency_status', ['agency_id', 'status'], unique=False)

    op.create_table('inventory_row_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['inventory_submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inventory_row_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_row_errors_submission_id'), ['submission_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('doc_code', sa.String(length=25), nullable=True),
    sa.Column('type_name', sa.String(length=100), nullable=True),
    sa.Column('code_number', sa.String(length=11), nullable=True),
    sa.Column('code_notation', sa.String(length=30), nullable=True),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('organ_name', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('language', sa.String(length=30), nullable=False),
    sa.Column('page_from', sa.Integer(), nullable=True),
    sa.Column('page_amount', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=True),
    sa.Column('confidence_level', sa.String(length=30), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('doc_code'),
    sa.UniqueConstraint('file_id', 'ordinal')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_file_id'), ['file_id'], unique=False)

    op.create_table('rescan_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('page_no', sa.Integer(), nullable=False),
    sa.Column('station', sa.String(length=50), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rescan_requests', schema=None) as batch_op:
        batch_op.create_index('ix_rescan_agency_status', ['agency_id', 'status'], unique=False)

    op.create_table('scan_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('station', sa.String(length=50), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id', 'manifest_sha256')
    )
    with op.batch_alter_table('scan_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_deliveries_file_id'), ['file_id'], unique=False)

    op.create_table('pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('page_no', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=True),
    sa.Column('image_key', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('width_px', sa.Integer(), nullable=True),
    sa.Column('height_px', sa.Integer(), nullable=True),
    sa.Column('dpi', sa.Float(), nullable=True),
    sa.Column('qc_verdict', sa.String(length=10), nullable=True),
    sa.Column('qc_defects', sa.JSON(), nullable=True),
    sa.Column('qc_metrics', sa.JSON(), nullable=True),
    sa.Column('qc_reasons', sa.JSON(), nullable=True),
    sa.Column('qc_error', sa.Text(), nullable=True),
    sa.Column('ocr_text', sa.Text(), nullable=True),
    sa.Column('ocr_confidence', sa.Float(), nullable=True),
    sa.Column('ocr_low_confidence', sa.Boolean(), nullable=True),
    sa.Column('ocr_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['scan_deliveries.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id', 'page_no')
    )
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_index('ix_pages_file_verdict', ['file_id', 'qc_verdict'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index('ix_pages_file_verdict')

    op.drop_table('pages')
    with op.batch_alter_table('scan_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_deliveries_file_id'))

    op.drop_table('scan_deliveries')
    with op.batch_alter_table('rescan_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_rescan_agency_status')

    op.drop_table('rescan_requests')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_file_id'))

    op.drop_table('documents')
    with op.batch_alter_table('inventory_row_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_row_errors_submission_id'))

    op.drop_table('inventory_row_errors')
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index('ix_files_agency_status')

    op.drop_table('files')
    op.drop_table('plan_targets')
    with op.batch_alter_table('inventory_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_submissions_agency_id'))

    op.drop_table('inventory_submissions')
    with op.batch_alter_table('boxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boxes_agency_id'))

    op.drop_table('boxes')
    op.drop_table('report_runs')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_phase_time')
        batch_op.drop_index('ix_events_entity')
        batch_op.drop_index(batch_op.f('ix_events_agency_id'))

    op.drop_table('events')
    op.drop_table('agencies')
