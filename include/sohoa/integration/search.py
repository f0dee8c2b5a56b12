"""Search people can type: accent-insensitive, ranked, with "phrases", -negation and
``or``; exact lookup by number/notation ("155/QĐ-UBND") or file code; filters by
document type, date range and agency (an agency's search includes the records of the
agencies merged into it).

PostgreSQL: the contract's ``search()`` / ``lookup()`` functions (unaccent behind the
IMMUTABLE ``fold()``, generated tsvector columns with GIN indexes, ``ts_rank_cd``), run
with the caller's rights, so Row Level Security decides what a reader sees.
SQLite: the same folding in Python (``sohoa.core.fields.fold``) into an FTS5 table
ranked by bm25; the same matches on the same data.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from sohoa.core.fields import fold
from sohoa.integration.access import MODES_FOR
from sohoa.integration.contract import prepare

COLUMNS = ("kind", "file_code", "doc_code", "title", "doc_type", "number_notation",
           "start_date", "end_date", "creating_agency_code", "holder_agency_code",
           "access_mode", "rank")
#: "155/QĐ-UBND", "12/2020/NĐ-CP", "03/BC": a number, a slash, then a notation
NOTATION_RE = re.compile(r"^\s*\d+[A-Za-z]?\s*/\s*\S+\s*$")
_TOKEN_RE = re.compile(r'"([^"]*)"?|(\S+)')


def looks_like_notation(q: str) -> bool:
    return bool(NOTATION_RE.match(q or ""))


def parse(q: str) -> list[list[tuple[bool, list[str]]]]:
    """websearch_to_tsquery's reading of a query, after folding: OR-groups of
    (negated, tokens) terms, a term of several tokens being a phrase."""
    groups: list[list[tuple[bool, list[str]]]] = [[]]
    for m in _TOKEN_RE.finditer(q or ""):
        phrase, word = m.group(1), m.group(2)
        if word is not None and word.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        neg = False
        if word is not None and word.startswith("-") and len(word) > 1:
            neg, word = True, word[1:]
        if phrase is not None:
            toks = fold(phrase).split()
            if toks:
                groups[-1].append((neg, toks))
        else:
            for i, tok in enumerate(fold(word).split()):  # 155/QĐ-UBND: 155 & qd & ubnd
                groups[-1].append((neg and i == 0, [tok]))
    return [g for g in groups if any(not neg for neg, _ in g)]


def fts5_query(q: str) -> str | None:
    """The FTS5 MATCH expression of a typed query (None: nothing to match)."""
    parts = []
    for group in parse(q):
        pos = " AND ".join('"' + " ".join(t) + '"' for neg, t in group if not neg)
        negs = "".join(' NOT "' + " ".join(t) + '"' for neg, t in group if neg)
        parts.append(f"({pos}){negs}")
    return " OR ".join(parts) or None


def _modes(level: str | None, include_restricted: bool) -> tuple[str, ...] | None:
    if level is None:
        return MODES_FOR["restricted"] if include_restricted else MODES_FOR["public"]
    if level == "all":
        return None
    return MODES_FOR[level]


def search(engine: Engine, q: str, *, agency: str | None = None, doc_type: str | None = None,
           date_from: date | None = None, date_to: date | None = None,
           level: str | None = None, include_restricted: bool = False,
           limit: int = 50) -> list[dict]:
    """Ranked results (files and documents) for a typed query.

    ``level``: the reader level whose rows may be returned ("public" by default,
    "restricted", "confidential", or "all" to leave it to the connection's rights).
    A query that looks like a number/notation is first looked up exactly.
    """
    prepare(engine)
    modes = _modes(level, include_restricted)
    if looks_like_notation(q):
        hits = lookup(engine, q, level=level, include_restricted=include_restricted)
        hits = [h for h in hits if _filters_ok(h, agency=None, doc_type=doc_type,
                                                date_from=date_from, date_to=date_to)]
        if agency:
            members = set(lineage(engine, agency))
            hits = [h for h in hits if h["creating_agency_code"] in members]
        if hits:
            return hits[:limit]
    if engine.dialect.name == "postgresql":
        return _search_pg(engine, q, agency, doc_type, date_from, date_to, modes, limit)
    return _search_sqlite(engine, q, agency, doc_type, date_from, date_to, modes, limit)


def _filters_ok(h: dict, *, agency, doc_type, date_from, date_to) -> bool:
    if doc_type and (h["kind"] != "document" or fold(h["doc_type"] or "") != fold(doc_type)):
        return False
    if date_from and (h["end_date"] or h["start_date"] or date.min) < date_from:
        return False
    if date_to and (h["start_date"] or date.max) > date_to:
        return False
    return True


def _rows(result) -> list[dict]:
    out = []
    for r in result:
        d = dict(zip(COLUMNS, r))
        for k in ("start_date", "end_date"):
            if isinstance(d[k], str):
                d[k] = date.fromisoformat(d[k][:10])
        d["rank"] = float(d["rank"] or 0)
        out.append(d)
    return out


def _search_pg(engine, q, agency, doc_type, date_from, date_to, modes, limit) -> list[dict]:
    sql = text("SELECT * FROM search(:q, :agency, :doc_type, :date_from, :date_to, :limit, "
               ":modes)")
    with engine.connect() as c:
        return _rows(c.execute(sql, {"q": q or "", "agency": agency, "doc_type": doc_type,
                                     "date_from": date_from, "date_to": date_to,
                                     "limit": limit, "modes": list(modes) if modes else None}))


_LINEAGE = """WITH RECURSIVE up(code) AS (
    SELECT a.code FROM agencies a WHERE a.code = upper(:agency)
    UNION SELECT a.code FROM agencies a JOIN up ON a.successor_code = up.code)"""


def lineage(engine: Engine, agency: str) -> list[str]:
    """The agency and every agency merged into it, directly or through others."""
    prepare(engine)
    with engine.connect() as c:
        return [r[0] for r in c.execute(text(_LINEAGE + " SELECT code FROM up ORDER BY code"),
                                        {"agency": agency})]


def _search_sqlite(engine, q, agency, doc_type, date_from, date_to, modes, limit) -> list[dict]:
    match = fts5_query(q)
    if (q or "").strip() and match is None:
        return []
    fw, dw, params = [], [], {"limit": limit}
    if agency:
        params["agency"] = agency
        fw.append("f.creating_agency_code IN (SELECT code FROM up)")
        dw.append("d.creating_agency_code IN (SELECT code FROM up)")
    if date_from:
        params["date_from"] = date_from.isoformat()
        fw.append("coalesce(f.end_date, f.start_date) >= :date_from")
        dw.append("d.issued_date >= :date_from")
    if date_to:
        params["date_to"] = date_to.isoformat()
        fw.append("f.start_date <= :date_to")
        dw.append("d.issued_date <= :date_to")
    if doc_type:
        params["doc_type"] = fold(doc_type)
        fw.append("0")
        dw.append("fold_type(d.type_name) = :doc_type")
    if modes:
        params["modes"] = list(modes)
        fw.append("f.access_mode IN :modes")
        dw.append("d.access_mode IN :modes")
    if match:
        params["match"] = match
        hits = ("hits AS (SELECT kind, key, -bm25(search_fts, 0.0, 0.0, 10.0, 1.0) AS score "
                "FROM search_fts WHERE search_fts MATCH :match)")
        fsrc = "hits h JOIN files f ON h.kind = 'file' AND f.file_code = h.key"
        dsrc = "hits h JOIN documents d ON h.kind = 'document' AND d.doc_code = h.key"
        score = "h.score"
    else:
        hits, fsrc, dsrc, score = None, "files f", "documents d", "0.0"
    ctes = [c for c in ((_LINEAGE[len("WITH RECURSIVE "):] if agency else None), hits) if c]
    with_sql = ("WITH RECURSIVE " + ", ".join(ctes) + " ") if ctes else ""
    sql = (with_sql +
           "SELECT * FROM (SELECT 'file', f.file_code, NULL, f.title, NULL, f.notation, "
           "f.start_date, f.end_date, f.creating_agency_code, f.holder_agency_code, "
           f"f.access_mode, {score} AS rank FROM {fsrc} WHERE {' AND '.join(fw) or '1'} "
           "UNION ALL SELECT 'document', d.file_code, d.doc_code, d.subject, d.type_name, "
           "trim(coalesce(d.code_number, '') || '/' || coalesce(d.code_notation, ''), '/'), "
           "d.issued_date, d.issued_date, d.creating_agency_code, d.holder_agency_code, "
           f"d.access_mode, {score} FROM {dsrc} WHERE {' AND '.join(dw) or '1'}) x "
           "ORDER BY 12 DESC, 2, 3 NULLS FIRST LIMIT :limit")
    stmt = text(sql)
    if modes:
        stmt = stmt.bindparams(bindparam("modes", expanding=True))
    with engine.connect() as c:
        c.connection.driver_connection.create_function("fold_type", 1, _fold_or_none,
                                                       deterministic=True)
        return _rows(c.execute(stmt, params))


def _fold_or_none(value):
    return fold(value) if value else None


def lookup(engine: Engine, ref: str, *, level: str | None = None,
           include_restricted: bool = False) -> list[dict]:
    """Exact lookup: documents by number/notation ("155/QĐ-UBND"), files by file code."""
    prepare(engine)
    modes = _modes(level, include_restricted)
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            rows = _rows(c.execute(text("SELECT * FROM lookup(:ref)"), {"ref": ref}))
        else:
            rows = _rows(c.execute(text(
                "SELECT * FROM (SELECT 'document', d.file_code, d.doc_code, d.subject, "
                "d.type_name, trim(coalesce(d.code_number, '') || '/' || "
                "coalesce(d.code_notation, ''), '/'), d.issued_date, d.issued_date, "
                "d.creating_agency_code, d.holder_agency_code, d.access_mode, 1.0 "
                "FROM documents d WHERE d.number_notation_key = :key "
                "UNION ALL SELECT 'file', f.file_code, NULL, f.title, NULL, f.notation, "
                "f.start_date, f.end_date, f.creating_agency_code, f.holder_agency_code, "
                "f.access_mode, 1.0 FROM files f WHERE f.file_code = :code) x "
                "ORDER BY 2, 3 NULLS FIRST"), {"key": fold(ref), "code": ref.strip()}))
    return [r for r in rows if modes is None or r["access_mode"] in modes]
