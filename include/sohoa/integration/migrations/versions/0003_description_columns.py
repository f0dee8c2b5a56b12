"""Schema version 3: the description phase's document columns (signer, signer's title,
issued year and month when the day is missing, last page, secrecy and urgency marks, review
state), appended to ``documents`` and to the end of ``v_documents``.

The view is replaced, not dropped: its existing columns keep their names, types and
order, so a consumer's own views over ``v_documents`` and its grants stay valid. Existing
rows get NULL in the new columns until integration writes their files again (the columns
are part of each document's content hash, so the first run after the upgrade rewrites
every file once and logs an ``update``/``content`` change for it).

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VERSION = 3
DESCRIPTION = ("documents: signer, signer_title, issued_year, issued_month, page_to, secrecy, "
               "urgency, review_state (description phase)")

#: (column, SQL type), in the order they are appended to the table and the view
COLUMNS = (("signer", "varchar(100)"), ("signer_title", "varchar(100)"),
           ("issued_year", "integer"), ("issued_month", "integer"), ("page_to", "integer"),
           ("secrecy", "varchar(20)"), ("urgency", "varchar(20)"),
           ("review_state", "varchar(20)"))

V_DOCUMENTS = ("doc_code, file_code, ordinal, type_name, code_number, code_notation, "
               "number_notation_key, issued_date, organ_name, subject, language, page_from, "
               "page_amount, confidence_level, description, creating_agency_code, "
               "holder_agency_code, access_mode, pdf_uri, content_hash, updated_at, "
               + ", ".join(c for c, _ in COLUMNS))


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    for name, sql_type in COLUMNS:
        bind.exec_driver_sql(f"ALTER TABLE documents ADD COLUMN {name} {sql_type}")
    if pg:
        bind.exec_driver_sql("CREATE OR REPLACE VIEW v_documents WITH (security_invoker = true) "
                             f"AS SELECT {V_DOCUMENTS} FROM documents")
    else:  # SQLite cannot replace a view
        bind.exec_driver_sql("DROP VIEW v_documents")
        bind.exec_driver_sql(f"CREATE VIEW v_documents AS SELECT {V_DOCUMENTS} FROM documents")
    bind.execute(text("INSERT INTO schema_version (version, revision, description) "
                      "VALUES (:v, :r, :d)"), {"v": VERSION, "r": revision, "d": DESCRIPTION})


def downgrade() -> None:
    raise NotImplementedError("the shared schema's history only moves forward")
