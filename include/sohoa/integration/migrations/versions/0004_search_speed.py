"""Schema version 4: search() decides the reader's rights once per call, not once per row.

Version 2 filtered every match with ``can_read_as(session_user, access_mode, holder)``, a
SQL function PostgreSQL cannot inline (it holds a sub-select), so it ran its own executor
for every matching file and document: a large share of a common query's time. search()
now reads the caller's memberships once (restricted, confidential, the agencies scoped to
it in ``agency_readers``) and filters with a plain expression of the same rule, which the
planner also uses to narrow the scan (a public reader: ``access_mode = 'public'``). It
also runs with ``jit = off``: a plan over many matches crosses ``jit_above_cost`` and
compiling it costs more than the query. The rule itself (``can_read()``, the policies,
``can_read_as()``) is unchanged; the function's signature and result are the same.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VERSION = 4
DESCRIPTION = "search(): the reader's rights read once per call (same rule), jit off"

PG = """
CREATE OR REPLACE FUNCTION {s}.search(q text, agency text DEFAULT NULL,
    document_type text DEFAULT NULL, date_from date DEFAULT NULL, date_to date DEFAULT NULL,
    max_rows integer DEFAULT 50, access_modes text[] DEFAULT NULL)
RETURNS TABLE (kind text, file_code varchar, doc_code varchar, title varchar,
               doc_type varchar, number_notation text, start_date date, end_date date,
               creating_agency_code varchar, holder_agency_code varchar,
               access_mode varchar, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {s}, public SET jit = off AS $$
DECLARE
  tsq tsquery := websearch_to_tsquery('simple', {s}.fold_query(coalesce(q, '')));
  has_q boolean := numnode(tsq) > 0;
  -- the rule of can_read_as(session_user, mode, holder), evaluated once for the caller
  r_restricted boolean := pg_has_role(session_user, '{p}_restricted', 'MEMBER');
  r_confidential boolean := pg_has_role(session_user, '{p}_confidential', 'MEMBER');
  r_agencies text[];
  rule text;
  cand text := '';
  fw text;
  dw text;
  sql text;
BEGIN
  IF coalesce(btrim(q), '') <> '' AND NOT has_q THEN
    RETURN;  -- only stop-characters: nothing to match
  END IF;
  SELECT coalesce(array_agg(a.agency_code::text), '{}') INTO r_agencies
    FROM {s}.agency_readers a JOIN pg_roles r ON r.rolname = a.role_name
   WHERE pg_has_role(session_user, r.oid, 'MEMBER');
  rule := CASE
    WHEN r_restricted AND r_confidential
      THEN 'X.access_mode IN (''public'', ''restricted'', ''confidential'')'
    WHEN r_restricted THEN 'X.access_mode IN (''public'', ''restricted'')'
    ELSE '(X.access_mode = ''public'''
      || CASE WHEN cardinality(r_agencies) > 0
              THEN ' OR (X.access_mode = ''restricted'' AND X.holder_agency_code = ANY($8))'
              ELSE '' END
      || CASE WHEN r_confidential THEN ' OR X.access_mode = ''confidential''' ELSE '' END
      || ')' END;
  fw := ' AND ' || replace(rule, 'X.', 'f.');
  dw := ' AND ' || replace(rule, 'X.', 'd.');
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
  -- ranked: at most n_cand matching files and n_cand documents are ranked (the first
  -- found by the GIN index), so a common query never reads and ranks every match's
  -- search vector; filters only (no words): every row, ordered by code
  IF has_q THEN
    cand := ' LIMIT ' || greatest(coalesce(max_rows, 50), coalesce(nullif(
      current_setting('sohoa.search_candidates', true), '')::integer, 1000));
  END IF;
  sql := 'SELECT * FROM ('
    || 'SELECT ''file''::text, f.file_code, NULL::varchar, f.title, NULL::varchar, '
    || 'f.notation::text, f.start_date, f.end_date, f.creating_agency_code, '
    || 'f.holder_agency_code, f.access_mode, '
    || CASE WHEN has_q THEN 'ts_rank_cd(f.search_doc, $1)' ELSE '0::real' END
    || ' FROM (SELECT f.* FROM {s}.files f WHERE '
    || CASE WHEN has_q THEN 'f.search_doc @@ $1' ELSE 'true' END || fw || cand || ') f'
    || ' UNION ALL '
    || 'SELECT ''document''::text, d.file_code, d.doc_code, d.subject, d.type_name, '
    || 'concat_ws(''/'', d.code_number, d.code_notation), d.issued_date, d.issued_date, '
    || 'd.creating_agency_code, d.holder_agency_code, d.access_mode, '
    || CASE WHEN has_q THEN 'ts_rank_cd(d.search_doc, $1)' ELSE '0::real' END
    || ' FROM (SELECT d.* FROM {s}.documents d WHERE '
    || CASE WHEN has_q THEN 'd.search_doc @@ $1' ELSE 'true' END || dw || cand || ') d'
    || ') x ORDER BY 12 DESC, 2, 3 NULLS FIRST LIMIT $6';
  RETURN QUERY EXECUTE sql USING tsq, agency, document_type, date_from, date_to, max_rows,
    access_modes, r_agencies;
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
