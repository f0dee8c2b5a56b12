"""The shared database's contract (schema version 1): agencies, files, documents, pages,
objects, the change feed; on PostgreSQL the folding/search functions, the reader roles,
Row Level Security and the documented views (docs/shared-database.md).

Revision ID: 0001
Revises:
"""

from alembic import op
from sqlalchemy import text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

VERSION = 1
DESCRIPTION = "agencies, files, documents, pages, objects, changes; search; roles and RLS"

# ----------------------------------------------------------------------------- both

COMMON = """
CREATE TABLE schema_version (
  version integer PRIMARY KEY,
  revision varchar(40) NOT NULL,
  description varchar(500) NOT NULL,
  applied_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agencies (
  code varchar(13) PRIMARY KEY,
  name varchar(255) NOT NULL,
  level varchar(20),
  status varchar(20) NOT NULL,
  successor_code varchar(13),
  successor_codes varchar(500),
  effective_date date,
  holder_code varchar(13) NOT NULL,
  content_hash varchar(64) NOT NULL,
  updated_at timestamp with time zone NOT NULL
);
CREATE TABLE files (
  file_code varchar(30) PRIMARY KEY,
  creating_agency_code varchar(13) NOT NULL,
  creating_agency_name varchar(255) NOT NULL,
  holder_agency_code varchar(13) NOT NULL,
  notation varchar(20) NOT NULL,
  title varchar(1000) NOT NULL,
  start_date date,
  end_date date,
  retention_code varchar(30),
  access_mode varchar(30) NOT NULL,
  language varchar(30),
  page_count integer NOT NULL,
  document_count integer NOT NULL DEFAULT 0,
  pdf_uri varchar(1000),
  pdf_sha256 varchar(64),
  full_text text,
  content_hash varchar(64) NOT NULL,
  updated_at timestamp with time zone NOT NULL
);
CREATE INDEX ix_files_creating_agency ON files (creating_agency_code);
CREATE INDEX ix_files_holder_agency ON files (holder_agency_code);
CREATE INDEX ix_files_access_mode ON files (access_mode);
CREATE TABLE documents (
  doc_code varchar(40) PRIMARY KEY,
  file_code varchar(30) NOT NULL REFERENCES files (file_code) ON DELETE CASCADE,
  ordinal integer NOT NULL,
  type_name varchar(100),
  code_number varchar(11),
  code_notation varchar(30),
  issued_date date,
  organ_name varchar(200),
  subject varchar(500),
  language varchar(30),
  page_from integer,
  page_amount integer,
  confidence_level varchar(30),
  description varchar(500),
  creating_agency_code varchar(13) NOT NULL,
  holder_agency_code varchar(13) NOT NULL,
  access_mode varchar(30) NOT NULL,
  pdf_uri varchar(1000),
  content_hash varchar(64) NOT NULL,
  updated_at timestamp with time zone NOT NULL
);
CREATE INDEX ix_documents_file ON documents (file_code);
CREATE INDEX ix_documents_issued ON documents (issued_date);
CREATE TABLE pages (
  file_code varchar(30) NOT NULL REFERENCES files (file_code) ON DELETE CASCADE,
  page_no integer NOT NULL,
  doc_code varchar(40),
  text text,
  confidence real,
  holder_agency_code varchar(13) NOT NULL,
  access_mode varchar(30) NOT NULL,
  PRIMARY KEY (file_code, page_no)
);
CREATE TABLE objects (
  object_key varchar(1000) PRIMARY KEY,
  file_code varchar(30) NOT NULL REFERENCES files (file_code) ON DELETE CASCADE,
  doc_code varchar(40),
  kind varchar(20) NOT NULL,
  media_type varchar(100) NOT NULL,
  uri varchar(1000),
  sha256 varchar(64) NOT NULL,
  size_bytes bigint,
  holder_agency_code varchar(13) NOT NULL,
  access_mode varchar(30) NOT NULL,
  updated_at timestamp with time zone NOT NULL
);
CREATE INDEX ix_objects_file ON objects (file_code);
"""

# ------------------------------------------------------------------------- PostgreSQL

PG = """
ALTER TABLE documents ADD COLUMN number_notation_key varchar(60)
  GENERATED ALWAYS AS ({s}.fold(coalesce(code_number, '') || '/' || coalesce(code_notation, '')))
  STORED;
CREATE INDEX ix_documents_number_notation ON documents (number_notation_key);
ALTER TABLE files ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', {s}.fold(coalesce(title, ''))), 'A') ||
  setweight(to_tsvector('simple', {s}.fold(coalesce(full_text, ''))), 'B')) STORED;
CREATE INDEX ix_files_search ON files USING gin (search_doc);
ALTER TABLE documents ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', {s}.fold(coalesce(type_name, '') || ' ' ||
    coalesce(code_number, '') || ' ' || coalesce(code_notation, ''))), 'A') ||
  setweight(to_tsvector('simple', {s}.fold(coalesce(subject, '') || ' ' ||
    coalesce(organ_name, '') || ' ' || coalesce(description, ''))), 'B')) STORED;
CREATE INDEX ix_documents_search ON documents USING gin (search_doc);

CREATE TABLE changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  changed_at timestamp with time zone NOT NULL DEFAULT clock_timestamp(),
  entity varchar(20) NOT NULL,
  entity_key varchar(1000) NOT NULL,
  file_code varchar(30),
  op varchar(20) NOT NULL CHECK (op IN ('insert', 'update', 'withdraw')),
  reason varchar(40),
  access_mode varchar(30),
  previous_access_mode varchar(30),
  holder_agency_code varchar(13),
  content_hash varchar(64)
);
CREATE FUNCTION {s}.changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'csdl.changes is append-only'; END $$;
CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON changes
  FOR EACH STATEMENT EXECUTE FUNCTION {s}.changes_append_only();

CREATE TABLE agency_readers (
  role_name name NOT NULL,
  agency_code varchar(13) NOT NULL,
  PRIMARY KEY (role_name, agency_code)
);

-- Who may read a row of a given access mode held by a given agency: the reader roles
-- (restricted includes public, confidential includes restricted) and the agency scopes.
CREATE FUNCTION {s}.can_read(mode text, holder text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT mode = 'public'
      OR (mode = 'restricted' AND (pg_has_role(current_user, '{p}_restricted', 'MEMBER')
          OR holder IN (SELECT a.agency_code FROM {s}.agency_readers a
                        JOIN pg_roles r ON r.rolname = a.role_name
                        WHERE pg_has_role(current_user, r.oid, 'MEMBER'))))
      OR (mode = 'confidential' AND pg_has_role(current_user, '{p}_confidential', 'MEMBER'))
$$;

CREATE FUNCTION {s}.lineage(agency text) RETURNS TABLE (code varchar)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE up(code) AS (
    SELECT a.code FROM {s}.agencies a WHERE a.code = upper(agency)
    UNION
    SELECT a.code FROM {s}.agencies a JOIN up ON a.successor_code = up.code)
  SELECT code FROM up
$$;

CREATE FUNCTION {s}.search(q text, agency text DEFAULT NULL, document_type text DEFAULT NULL,
    date_from date DEFAULT NULL, date_to date DEFAULT NULL, max_rows integer DEFAULT 50,
    access_modes text[] DEFAULT NULL)
RETURNS TABLE (kind text, file_code varchar, doc_code varchar, title varchar,
               doc_type varchar, number_notation text, start_date date, end_date date,
               creating_agency_code varchar, holder_agency_code varchar,
               access_mode varchar, rank real)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  tsq tsquery := websearch_to_tsquery('simple', {s}.fold_query(coalesce(q, '')));
  has_q boolean := numnode(tsq) > 0;
  fw text := '';
  dw text := '';
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

CREATE FUNCTION {s}.lookup(ref text) RETURNS TABLE (kind text, file_code varchar,
    doc_code varchar, title varchar, doc_type varchar, number_notation text,
    start_date date, end_date date, creating_agency_code varchar,
    holder_agency_code varchar, access_mode varchar, rank real)
LANGUAGE sql STABLE AS $$
  SELECT 'document'::text, d.file_code, d.doc_code, d.subject, d.type_name,
         concat_ws('/', d.code_number, d.code_notation), d.issued_date, d.issued_date,
         d.creating_agency_code, d.holder_agency_code, d.access_mode, 1::real
  FROM {s}.documents d WHERE d.number_notation_key = {s}.fold(ref)
  UNION ALL
  SELECT 'file'::text, f.file_code, NULL, f.title, NULL, f.notation::text, f.start_date,
         f.end_date, f.creating_agency_code, f.holder_agency_code, f.access_mode, 1::real
  FROM {s}.files f WHERE f.file_code = btrim(ref)
  ORDER BY 2, 3 NULLS FIRST
$$;

-- The documented interface: views run with the reader's rights (security_invoker), so
-- Row Level Security applies through them as through the tables.
CREATE VIEW v_agencies WITH (security_invoker = true) AS
  SELECT code, name, level, status, successor_code, successor_codes, effective_date,
         holder_code, updated_at FROM agencies;
CREATE VIEW v_files WITH (security_invoker = true) AS
  SELECT file_code, creating_agency_code, creating_agency_name, holder_agency_code, notation,
         title, start_date, end_date, retention_code, access_mode, language, page_count,
         document_count, pdf_uri, pdf_sha256, full_text, content_hash, updated_at FROM files;
CREATE VIEW v_public_files WITH (security_invoker = true) AS
  SELECT * FROM v_files WHERE access_mode = 'public';
CREATE VIEW v_documents WITH (security_invoker = true) AS
  SELECT doc_code, file_code, ordinal, type_name, code_number, code_notation,
         number_notation_key, issued_date, organ_name, subject, language, page_from,
         page_amount, confidence_level, description, creating_agency_code,
         holder_agency_code, access_mode, pdf_uri, content_hash, updated_at FROM documents;
CREATE VIEW v_pages WITH (security_invoker = true) AS
  SELECT file_code, page_no, doc_code, text, confidence, holder_agency_code, access_mode
  FROM pages;
CREATE VIEW v_objects WITH (security_invoker = true) AS
  SELECT object_key, file_code, doc_code, kind, media_type, uri, sha256, size_bytes,
         holder_agency_code, access_mode, updated_at FROM objects;
CREATE VIEW v_changes WITH (security_invoker = true) AS
  SELECT id, changed_at, entity, entity_key, file_code, op, reason, access_mode,
         previous_access_mode, holder_agency_code, content_hash FROM changes;
"""

PG_ROLES = ("public", "restricted", "confidential", "agency")

PG_SECURITY = """
GRANT {p}_public TO {p}_restricted;
GRANT {p}_restricted TO {p}_confidential;
GRANT {p}_public TO {p}_agency;
GRANT USAGE ON SCHEMA {s} TO {p}_public;
GRANT SELECT ON schema_version, agencies, files, documents, pages, objects, changes,
  agency_readers, v_agencies, v_files, v_public_files, v_documents, v_pages, v_objects,
  v_changes TO {p}_public;
GRANT EXECUTE ON FUNCTION {s}.fold(text), {s}.fold_query(text), {s}.can_read(text, text),
  {s}.lineage(text), {s}.search(text, text, text, date, date, integer, text[]),
  {s}.lookup(text)
  TO {p}_public;
ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency_readers ENABLE ROW LEVEL SECURITY;
CREATE POLICY readers ON files FOR SELECT USING ({s}.can_read(access_mode, holder_agency_code));
CREATE POLICY readers ON documents FOR SELECT
  USING ({s}.can_read(access_mode, holder_agency_code));
CREATE POLICY readers ON pages FOR SELECT USING ({s}.can_read(access_mode, holder_agency_code));
CREATE POLICY readers ON objects FOR SELECT USING ({s}.can_read(access_mode, holder_agency_code));
CREATE POLICY readers ON changes FOR SELECT
  USING ({s}.can_read(access_mode, holder_agency_code)
         OR {s}.can_read(previous_access_mode, holder_agency_code));
CREATE POLICY own_rows ON agency_readers FOR SELECT USING (
  role_name IN (SELECT r.rolname FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'MEMBER')));
"""

FOLD = """
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
-- unaccent() is STABLE; naming its dictionary makes a wrapper that may be IMMUTABLE, so
-- generated columns and indexes can use it (đ -> d included).
CREATE FUNCTION {s}.fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, t)),
                              '[^0-9a-z]+', ' ', 'g'))
$$;
-- A typed query keeps what websearch_to_tsquery reads: "phrases", -negation, or.
CREATE FUNCTION {s}.fold_query(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
  SELECT regexp_replace(regexp_replace(
           lower(public.unaccent('public.unaccent'::regdictionary, t)),
           '([0-9a-z])-', '\\1 ', 'g'), '[^0-9a-z"\\- ]+', ' ', 'g')
$$;
"""

# ----------------------------------------------------------------------------- SQLite

SQLITE = """
ALTER TABLE documents ADD COLUMN number_notation_key varchar(60);
CREATE INDEX ix_documents_number_notation ON documents (number_notation_key);
CREATE TABLE changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  changed_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  entity varchar(20) NOT NULL,
  entity_key varchar(1000) NOT NULL,
  file_code varchar(30),
  op varchar(20) NOT NULL CHECK (op IN ('insert', 'update', 'withdraw')),
  reason varchar(40),
  access_mode varchar(30),
  previous_access_mode varchar(30),
  holder_agency_code varchar(13),
  content_hash varchar(64)
);
CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
  BEGIN SELECT RAISE(ABORT, 'csdl.changes is append-only'); END;
CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
  BEGIN SELECT RAISE(ABORT, 'csdl.changes is append-only'); END;
CREATE VIRTUAL TABLE search_fts USING fts5(kind UNINDEXED, key UNINDEXED, title, body,
  tokenize = 'unicode61');
CREATE VIEW v_agencies AS SELECT code, name, level, status, successor_code, successor_codes,
  effective_date, holder_code, updated_at FROM agencies;
CREATE VIEW v_files AS SELECT file_code, creating_agency_code, creating_agency_name,
  holder_agency_code, notation, title, start_date, end_date, retention_code, access_mode,
  language, page_count, document_count, pdf_uri, pdf_sha256, full_text, content_hash,
  updated_at FROM files;
CREATE VIEW v_public_files AS SELECT * FROM v_files WHERE access_mode = 'public';
CREATE VIEW v_documents AS SELECT doc_code, file_code, ordinal, type_name, code_number,
  code_notation, number_notation_key, issued_date, organ_name, subject, language, page_from,
  page_amount, confidence_level, description, creating_agency_code, holder_agency_code,
  access_mode, pdf_uri, content_hash, updated_at FROM documents;
CREATE VIEW v_pages AS SELECT file_code, page_no, doc_code, text, confidence,
  holder_agency_code, access_mode FROM pages;
CREATE VIEW v_objects AS SELECT object_key, file_code, doc_code, kind, media_type, uri, sha256,
  size_bytes, holder_agency_code, access_mode, updated_at FROM objects;
CREATE VIEW v_changes AS SELECT id, changed_at, entity, entity_key, file_code, op, reason,
  access_mode, previous_access_mode, holder_agency_code, content_hash FROM changes;
"""


def _run(sql: str) -> None:
    bind = op.get_bind()
    for stmt in _statements(sql):
        bind.exec_driver_sql(stmt)


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
    tail = "\n".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def upgrade() -> None:
    bind = op.get_bind()
    _run(COMMON)
    if bind.dialect.name == "postgresql":
        schema = bind.execute(text("SELECT current_schema()")).scalar()
        prefix = op.get_context().config.attributes.get("role_prefix") or schema
        fmt = {"s": f'"{schema}"', "p": prefix}
        _run(FOLD.replace("{s}", fmt["s"]))
        for role in PG_ROLES:
            bind.exec_driver_sql(
                f"DO $$ BEGIN CREATE ROLE {prefix}_{role} NOLOGIN; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        _run(PG.replace("{s}", fmt["s"]).replace("{p}", prefix))
        _run(PG_SECURITY.replace("{s}", fmt["s"]).replace("{p}", prefix))
    else:
        _run(SQLITE)
    bind.execute(text("INSERT INTO schema_version (version, revision, description) "
                      "VALUES (:v, :r, :d)"), {"v": VERSION, "r": revision, "d": DESCRIPTION})


def downgrade() -> None:
    raise NotImplementedError("the shared schema's history only moves forward")
