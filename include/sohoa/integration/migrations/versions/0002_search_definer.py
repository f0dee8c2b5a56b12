"""Schema version 2: search() runs as the contract's owner and applies the reader check
itself, so its GIN indexes serve every reader.

Under Row Level Security PostgreSQL may not evaluate a non-leakproof operator such as the
tsvector match ``@@`` before the policy, so a reader's search fell back to a sequential
scan over every file (seconds at city scale). ``search()`` is now SECURITY DEFINER (fixed
search_path) and filters with ``can_read_as(session_user, access_mode, holder)``, the same
rule as the policies, for the login role that called it. Tables and views keep their
policies unchanged.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSION = 2
DESCRIPTION = "search() as definer with the reader check of the policies (indexes under RLS)"

PG = """
CREATE FUNCTION {s}.can_read_as(reader name, mode text, holder text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT mode = 'public'
      OR (mode = 'restricted' AND (pg_has_role(reader, '{p}_restricted', 'MEMBER')
          OR holder IN (SELECT a.agency_code FROM {s}.agency_readers a
                        JOIN pg_roles r ON r.rolname = a.role_name
                        WHERE pg_has_role(reader, r.oid, 'MEMBER'))))
      OR (mode = 'confidential' AND pg_has_role(reader, '{p}_confidential', 'MEMBER'))
$$;
REVOKE EXECUTE ON FUNCTION {s}.can_read_as(name, text, text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION {s}.search(q text, agency text DEFAULT NULL, document_type text DEFAULT NULL,
    date_from date DEFAULT NULL, date_to date DEFAULT NULL, max_rows integer DEFAULT 50,
    access_modes text[] DEFAULT NULL)
RETURNS TABLE (kind text, file_code varchar, doc_code varchar, title varchar,
               doc_type varchar, number_notation text, start_date date, end_date date,
               creating_agency_code varchar, holder_agency_code varchar,
               access_mode varchar, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {s}, public AS $$
DECLARE
  tsq tsquery := websearch_to_tsquery('simple', {s}.fold_query(coalesce(q, '')));
  has_q boolean := numnode(tsq) > 0;
  fw text := ' AND {s}.can_read_as(session_user, f.access_mode, f.holder_agency_code)';
  dw text := ' AND {s}.can_read_as(session_user, d.access_mode, d.holder_agency_code)';
  sql text;
BEGIN
  IF coalesce(btrim(q), '') <> '' AND NOT has_q THEN
    RETURN;  -- only stop-characters: nothing to match
  END IF;
  IF agency IS NOT NULL THEN
    fw := fw || ' AND f.creating_agency_code IN (SELECT l.code FROM {s}.lineage($2) l)';
    dw := dw || ' AND d.creating_agency_code IN (SELECT l.code FROM {s}.lineage($2) l)';
  END IF;
  IF date_from IS NOT NULL THEN
    fw := fw || ' AND coalesce(f.end_date, f.start_date) >= $4';
    dw := dw || ' AND d.issued_date >= $4';
  END IF;
  IF date_to IS NOT NULL THEN
    fw := fw || ' AND f.start_date <= $5';
    dw := dw || ' AND d.issued_date <= $5';
  END IF;
  IF access_modes IS NOT NULL THEN
    fw := fw || ' AND f.access_mode = ANY($7)';
    dw := dw || ' AND d.access_mode = ANY($7)';
  END IF;
  IF document_type IS NOT NULL THEN
    fw := fw || ' AND false';
    dw := dw || ' AND {s}.fold(d.type_name) = {s}.fold($3)';
  END IF;
  sql := 'SELECT * FROM ('
    || 'SELECT ''file''::text, f.file_code, NULL::varchar, f.title, NULL::varchar, '
    || 'f.notation::text, f.start_date, f.end_date, f.creating_agency_code, '
    || 'f.holder_agency_code, f.access_mode, '
    || CASE WHEN has_q THEN 'ts_rank_cd(f.search_doc, $1)' ELSE '0::real' END
    || ' FROM {s}.files f WHERE '
    || CASE WHEN has_q THEN 'f.search_doc @@ $1' ELSE 'true' END || fw
    || ' UNION ALL '
    || 'SELECT ''document''::text, d.file_code, d.doc_code, d.subject, d.type_name, '
    || 'concat_ws(''/'', d.code_number, d.code_notation), d.issued_date, d.issued_date, '
    || 'd.creating_agency_code, d.holder_agency_code, d.access_mode, '
    || CASE WHEN has_q THEN 'ts_rank_cd(d.search_doc, $1)' ELSE '0::real' END
    || ' FROM {s}.documents d WHERE '
    || CASE WHEN has_q THEN 'd.search_doc @@ $1' ELSE 'true' END || dw
    || ') x ORDER BY 12 DESC, 2, 3 NULLS FIRST LIMIT $6';
  RETURN QUERY EXECUTE sql USING tsq, agency, document_type, date_from, date_to, max_rows,
    access_modes;
END $$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = bind.execute(text("SELECT current_schema()")).scalar()
        prefix = op.get_context().config.attributes.get("role_prefix") or schema
        for stmt in _statements(PG.replace("{s}", f'"{schema}"').replace("{p}", prefix)):
            bind.exec_driver_sql(stmt)
    bind.execute(text("INSERT INTO schema_version (version, revision, description) "
                      "VALUES (:v, :r, :d)"), {"v": VERSION, "r": revision, "d": DESCRIPTION})


def _statements(sql: str) -> list[str]:
    """Split on ';' at line ends outside $$ bodies."""
    out, buf, in_body = [], [], False
    for line in sql.splitlines():
        if line.strip().startswith("--") and not in_body:
            continue
        buf.append(line)
        if line.count("$$") % 2:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip().rstrip(";")
            if stmt:
                out.append(stmt)
            buf = []
    return out


def downgrade() -> None:
    raise NotImplementedError("the shared schema's history only moves forward")
