"""The shared database as a contract (issue 14): versioned schema, accent-insensitive search,
access rights enforced by PostgreSQL for real login roles, the change feed, atomic and
idempotent writes. PostgreSQL tests make their own login roles (uuid-named, dropped after)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from sohoa.core.db.models import Agency, Document, Event, File, Page
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.integration import access, contract, feed, phase
from sohoa.integration.search import fts5_query, lookup, search

TABLES = ("files", "documents", "pages", "objects", "changes")
VIEWS = ("v_files", "v_public_files", "v_documents", "v_pages", "v_objects", "v_changes")


def _programme(engine, storage):
    """Two merged communes and their successor; public, restricted and confidential files."""
    with session_scope(engine) as s:
        old = Agency(code="G01X01", name="UBND phường Hàng Bạc", level="commune", status="merged")
        old2 = Agency(code="G01X03", name="UBND phường Hàng Đào", level="commune", status="merged")
        new = Agency(code="G01X02", name="UBND phường Hoàn Kiếm", level="commune")
        other = Agency(code="G02", name="Sở Xây dựng", level="department")
        s.add_all([old, old2, new, other])
        s.flush()
        old.successor_id = new.id
        old2.successor_id = new.id
        specs = [
            (old, "public", "Hồ sơ thực hiện Nghị định 155/2016/NĐ-CP về xử phạt đất đai",
             "giấy chứng nhận quyền sử dụng đất", date(2016, 3, 1)),
            (old2, "restricted", "Hồ sơ kỷ luật cán bộ năm 2019", "kỷ luật cảnh cáo cán bộ",
             date(2019, 5, 2)),
            (new, "confidential", "Hồ sơ mật về quốc phòng", "bí mật quốc phòng nghị định",
             date(2021, 7, 3)),
            (other, "public", "Hồ sơ cấp phép xây dựng đường Đinh Tiên Hoàng",
             "định mức xây dựng 155 công trình", date(2020, 1, 10)),
        ]
        for i, (ag, mode, title, words, start) in enumerate(specs, 1):
            key = f"pdf/{ag.code}/{i}.pdf"
            storage.put_bytes(key, b"%PDF-1.7 sample " + bytes([i]) * 50)
            f = File(agency_id=ag.id, notation=f"0{i}", file_code=f"TTLTHN.{ag.code}.2021.01.00{i}",
                     title=title, start_date=start, end_date=start, access_mode=mode,
                     status="ocr_done", pdf_key=key, pdf_sha256=f"{i:02d}" * 32,
                     described_hash="ef" * 32)  # the description phase has read it
            s.add(f)
            s.flush()
            d = Document(file_id=f.id, ordinal=1,  # no DocCode yet: keyed file_code.001
                         type_name="Quyết định" if i != 4 else "Công văn",
                         code_number=str(154 + i), code_notation="QĐ-UBND" if i != 4 else "SXD-QLXD",
                         issued_date=start, organ_name=ag.name,
                         subject=f"Về việc {words}")
            s.add(d)
            s.flush()
            for n in (1, 2):
                s.add(Page(file_id=f.id, page_no=n, document_id=d.id, image_key=f"scans/{i}/{n}.jpg",
                           sha256="cd" * 32, qc_verdict="pass",
                           ocr_text=f"Trang {n}: {words}", ocr_confidence=91.0))


def _world(engine, shared_url, tmp_path):
    storage = LocalStorage(tmp_path / "obj")
    _programme(engine, storage)
    shared = make_engine(shared_url)
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert out["files"] == 4 and not out["errors"]
    return engine, shared, storage


@pytest.fixture
def world(engine, shared_url, tmp_path):
    """Project and shared database on SQLite, and on PostgreSQL."""
    w = _world(engine, shared_url, tmp_path)
    yield w
    w[1].dispose()


@pytest.fixture
def pg_world(pg_base_url, tmp_path):
    """Both databases on PostgreSQL (roles and Row Level Security are PostgreSQL's)."""
    import conftest

    project_gen, shared_gen = conftest._fresh_schema(pg_base_url), conftest._fresh_schema(pg_base_url)
    project_url, shared_url = next(project_gen), next(shared_gen)
    migrate(project_url)
    engine = make_engine(project_url)
    w = _world(engine, shared_url, tmp_path)
    yield w
    w[1].dispose()
    engine.dispose()
    next(shared_gen, None)
    next(project_gen, None)


def _keys(rows):
    return sorted((r["kind"], r["doc_code"] or r["file_code"]) for r in rows)


# ----------------------------------------------------------------------- contract


def test_schema_version_views_and_rerun(world):
    engine, shared, storage = world
    assert contract.contract_version(shared) == 4
    assert contract.current_revision(shared) == contract.head_revision()
    assert contract.migrate_shared(shared) == contract.head_revision()  # idempotent
    with shared.connect() as c:
        for v in VIEWS + ("v_agencies",):
            c.execute(text(f"SELECT * FROM {v}")).all()
        ag = {r.code: r for r in c.execute(text("SELECT * FROM v_agencies"))}
        assert ag["G01X01"].successor_code == "G01X02" and ag["G01X01"].holder_code == "G01X02"
        objs = {r.object_key: r for r in c.execute(text("SELECT * FROM v_objects"))}
        assert objs["pdf/G01X01/1.pdf"].size_bytes == 66 and objs["pdf/G01X01/1.pdf"].uri
        assert objs["pdf/G01X01/1.pdf"].sha256 == "01" * 32
        # confidential: metadata only, in the shared database itself
        conf = c.execute(text("SELECT * FROM files WHERE access_mode = 'confidential'")).one()
        assert conf.full_text is None and conf.pdf_uri is None and conf.title
        assert c.execute(text("SELECT count(*) FROM pages WHERE access_mode = 'confidential' "
                              "AND text IS NOT NULL")).scalar() == 0
        assert c.execute(text("SELECT uri FROM objects WHERE access_mode = 'confidential'")
                         ).scalar() is None
        n_changes = c.execute(text("SELECT count(*) FROM changes")).scalar()
    with session_scope(engine) as s:
        n_events = s.scalar(select(func.count()).select_from(Event))
        out = phase.integrate(s, shared, storage)
    assert (out["files"], out["unchanged"], out["changes"], out["agencies"]) == (0, 4, 0, 0)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == n_events
    assert feed.last_id(shared) == n_changes


NEW_DOC_COLUMNS = ("signer", "signer_title", "issued_year", "issued_month", "page_to",
                   "secrecy", "urgency", "review_state")


def _describe_more(engine):
    """The description phase's further fields on every document (a secret mark on the
    confidential file's)."""
    with session_scope(engine) as s:
        for d in s.scalars(select(Document)):
            conf = d.file.access_mode == "confidential"
            d.signer, d.signer_title = f"Nguyễn Văn {d.file_id}", "CHỦ TỊCH"
            d.issued_year, d.issued_month = d.issued_date.year, d.issued_date.month
            d.page_to, d.review_state = 2, "confirmed" if d.file_id % 2 else "pending"
            d.secrecy, d.urgency = ("MẬT", None) if conf else (None, "KHẨN")


def test_description_columns_arrive_rerun_and_feed(world):
    engine, shared, storage = world
    last = feed.last_id(shared)
    _describe_more(engine)
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert out["files"] == 4 and not out["errors"]
    with shared.connect() as c:
        rows = {r.doc_code: r._mapping for r in c.execute(text("SELECT * FROM v_documents"))}
    assert list(rows[next(iter(rows))].keys())[-len(NEW_DOC_COLUMNS):] == list(NEW_DOC_COLUMNS)
    pub = rows["TTLTHN.G01X01.2021.01.001.001"]
    assert (pub["signer"], pub["signer_title"], pub["issued_year"], pub["issued_month"],
            pub["page_to"], pub["secrecy"], pub["urgency"]) == (
        pub["signer"], "CHỦ TỊCH", 2016, 3, 2, None, "KHẨN")
    assert pub["signer"].startswith("Nguyễn Văn") and pub["review_state"] in ("confirmed",
                                                                                "pending")
    # confidential: catalogue metadata (dates, marks, pages) kept; the signature block is
    # read from the document's body, so it stays out like the text
    conf = rows["TTLTHN.G01X02.2021.01.003.001"]
    assert conf["secrecy"] == "MẬT" and conf["issued_year"] == 2021 and conf["page_to"] == 2
    assert conf["signer"] is None and conf["signer_title"] is None
    # every document changed once: one update per file and document, nothing inserted
    got = feed.since(shared, last)
    assert sorted((c["entity"], c["op"], c["reason"]) for c in got) == sorted(
        [("file", "update", "content")] * 4 + [("document", "update", "content")] * 4)
    # a rerun writes nothing
    last = feed.last_id(shared)
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert (out["files"], out["unchanged"], out["changes"]) == (0, 4, 0)
    # one signer corrected: an update for that document (and its file) only
    with session_scope(engine) as s:
        d = s.scalars(select(Document).join(File).where(
            File.file_code == "TTLTHN.G02.2021.01.004")).one()
        d.signer = "Trần Thị Bình"
    with session_scope(engine) as s:
        assert phase.integrate(s, shared, storage)["files"] == 1
    assert [(c["entity"], c["entity_key"], c["op"]) for c in feed.since(shared, last)] == [
        ("file", "TTLTHN.G02.2021.01.004", "update"),
        ("document", "TTLTHN.G02.2021.01.004.001", "update")]
    with shared.connect() as c:
        assert c.execute(text("SELECT signer FROM v_documents WHERE doc_code = :k"),
                         {"k": "TTLTHN.G02.2021.01.004.001"}).scalar() == "Trần Thị Bình"


def test_upgrade_from_version_2_keeps_rows_and_rights(pg_base_url, tmp_path):
    """A database at revision 0002 with rows in it: the upgrade adds the columns (NULL for
    old rows), replaces the view with the same grants and security_invoker, and the next
    integration fills them."""
    import conftest

    gen = conftest._fresh_schema(pg_base_url)
    shared = make_engine(next(gen))
    try:
        assert contract.migrate_shared(shared, "0002") == "0002"
        assert contract.contract_version(shared) == 2
        with shared.begin() as c:
            c.execute(text(
                "INSERT INTO files (file_code, creating_agency_code, creating_agency_name, "
                "holder_agency_code, notation, title, access_mode, page_count, content_hash, "
                "updated_at) VALUES ('F1', 'A', 'A', 'A', '1', 'Cũ', 'public', 0, 'h', now())"))
            c.execute(text(
                "INSERT INTO documents (doc_code, file_code, ordinal, subject, "
                "creating_agency_code, holder_agency_code, access_mode, content_hash, "
                "updated_at) VALUES ('F1.001', 'F1', 1, 'Về việc cũ', 'A', 'A', 'public', "
                "'h', now())"))
        schema = contract.schema_name(shared)
        contract.ensure_contract(shared)  # what integration's first task does
        assert contract.current_revision(shared) == contract.head_revision() == "0004"
        assert contract.contract_version(shared) == 4
        with shared.connect() as c:
            old = c.execute(text("SELECT * FROM v_documents")).one()._mapping
            assert old["subject"] == "Về việc cũ" and old["number_notation_key"] == ""
            assert all(old[k] is None for k in NEW_DOC_COLUMNS)
            opts = c.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'v_documents' "
                                  "AND relnamespace = CAST(:s AS regnamespace)"),
                             {"s": schema}).scalar()
            assert opts == ["security_invoker=true"]
            assert c.execute(text("SELECT has_table_privilege(:r, 'v_documents', 'SELECT')"),
                             {"r": f"{schema}_public"}).scalar()
        # the current code integrates into the upgraded schema
        migrate(f"sqlite:///{tmp_path / 'p.db'}")
        project = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
        storage = LocalStorage(tmp_path / "obj")
        _programme(project, storage)
        _describe_more(project)
        with session_scope(project) as s:
            assert phase.integrate(s, shared, storage)["files"] == 4
        with shared.connect() as c:
            assert c.execute(text("SELECT count(*) FROM v_documents WHERE urgency = 'KHẨN'")
                             ).scalar() == 3
        project.dispose()
    finally:
        shared.dispose()
        next(gen, None)


def test_bulk_load_keeps_every_character(world):
    """Rows travel by COPY on PostgreSQL: quotes, commas, backslashes, line breaks, form
    feeds, an empty string and NULL come back as they were."""
    engine, shared, storage = world
    code = "TTLTHN.G02.2021.01.004"
    odd = ['a "quoted", comma\\N \\. back\\slash', "line\nbreak\r\n\fform feed\ttab",
           "", None]
    with session_scope(engine) as s:
        f = s.scalars(select(File).where(File.file_code == code)).one()
        for n, t in enumerate(odd[2:], 3):
            s.add(Page(file_id=f.id, page_no=n, image_key=f"scans/4/{n}.jpg", sha256="ab" * 32,
                       qc_verdict="pass", ocr_text=t, ocr_confidence=None))
        for p, t in zip(sorted(f.pages, key=lambda p: p.page_no), odd[:2]):
            p.ocr_text = t
        d = s.scalars(select(Document).where(Document.file_id == f.id)).one()
        d.subject, d.signer = 'Về việc "x", y', ""
    with session_scope(engine) as s:
        assert phase.integrate(s, shared, storage)["files"] == 1
    with shared.connect() as c:
        got = [(r.text, r.confidence) for r in c.execute(text(
            "SELECT text, confidence FROM v_pages WHERE file_code = :k ORDER BY page_no"),
            {"k": code})]
        doc = c.execute(text("SELECT subject, signer, issued_year FROM v_documents "
                             "WHERE file_code = :k"), {"k": code}).one()
    assert got == [(odd[0], 91.0), (odd[1], 91.0), ("", None), (None, None)]
    assert tuple(doc) == ('Về việc "x", y', "", None)


# ------------------------------------------------------------------------- search


def test_accent_free_ranked_phrase_and_filters(world):
    _, shared, _ = world
    hits = search(shared, "nghi dinh 155")
    assert ("file", "TTLTHN.G01X01.2021.01.001") in _keys(hits)
    assert _keys(hits) == _keys(search(shared, "Nghị định 155"))
    assert hits[0]["file_code"] == "TTLTHN.G01X01.2021.01.001"  # title match ranks first
    assert all(r["access_mode"] == "public" for r in hits)
    # đ → d: "Đinh" typed as "dinh"; a phrase keeps word order
    assert ("file", "TTLTHN.G02.2021.01.004") in _keys(search(shared, "dinh tien hoang"))
    assert _keys(search(shared, '"nghi dinh 155"')) == [("file", "TTLTHN.G01X01.2021.01.001")]
    assert search(shared, '"155 nghi dinh"') == []
    assert ("file", "TTLTHN.G02.2021.01.004") not in _keys(search(shared, "155 -dinh"))
    assert _keys(search(shared, "cap phep or xu phat")) == [
        ("file", "TTLTHN.G01X01.2021.01.001"), ("file", "TTLTHN.G02.2021.01.004")]
    # restricted/confidential only at their level
    assert search(shared, "ky luat") == []
    assert {r["access_mode"] for r in search(shared, "ky luat", level="restricted")} == {
        "restricted"}
    assert search(shared, "quoc phong", level="restricted") == []
    conf = search(shared, "quoc phong", level="confidential")
    assert _keys(conf) == [("document", "TTLTHN.G01X02.2021.01.003.001"),
                           ("file", "TTLTHN.G01X02.2021.01.003")]
    # its page text is not held: only the document's subject (metadata) still matches
    assert _keys(search(shared, "bi mat", level="confidential")) == [
        ("document", "TTLTHN.G01X02.2021.01.003.001")]
    # filters: type, dates, agency with the agencies merged into it
    assert _keys(search(shared, "", doc_type="quyet dinh")) == [
        ("document", "TTLTHN.G01X01.2021.01.001.001")]
    assert _keys(search(shared, "xay dung", date_from=date(2020, 1, 1),
                        date_to=date(2020, 12, 31))) == [
        ("document", "TTLTHN.G02.2021.01.004.001"), ("file", "TTLTHN.G02.2021.01.004")]
    merged = search(shared, "", agency="G01X02", level="confidential")
    assert {r["creating_agency_code"] for r in merged} == {"G01X01", "G01X03", "G01X02"}
    assert {r["creating_agency_code"] for r in search(shared, "", agency="g01x01")} == {"G01X01"}


def test_ranking_is_bounded_by_the_candidate_setting(world):
    """PostgreSQL ranks at most `sohoa.search_candidates` matches per kind (at least
    max_rows): the cap changes which matches are ranked, never what a reader may see."""
    _, shared, _ = world
    if shared.dialect.name != "postgresql":
        pytest.skip("the candidate cap is search()'s, on PostgreSQL")
    sql = text("SELECT kind, file_code, doc_code FROM search(:q, max_rows => :n)")
    with shared.connect() as c:
        every = c.execute(sql, {"q": "trang", "n": 50}).all()
        c.execute(text("SET sohoa.search_candidates = 1"))
        capped = c.execute(sql, {"q": "trang", "n": 1}).all()
        wide = c.execute(sql, {"q": "trang", "n": 50}).all()  # max_rows wins over the cap
    assert {r.kind for r in every} == {"file"} and len(every) >= 2  # page text: files
    assert len(capped) == 1 and capped[0] in every
    assert sorted(wide) == sorted(every)


def test_notation_lookup(world):
    _, shared, _ = world
    hits = search(shared, "155/QĐ-UBND")
    assert _keys(hits) == [("document", "TTLTHN.G01X01.2021.01.001.001")]
    assert hits[0]["number_notation"] == "155/QĐ-UBND"
    assert _keys(lookup(shared, "155/qd-ubnd")) == _keys(hits)  # typed without accents
    assert lookup(shared, "156/QĐ-UBND") == []  # restricted: not for the public
    assert _keys(lookup(shared, "156/QĐ-UBND", level="restricted")) == [
        ("document", "TTLTHN.G01X03.2021.01.002.001")]
    assert _keys(lookup(shared, "TTLTHN.G02.2021.01.004")) == [("file", "TTLTHN.G02.2021.01.004")]


QUERIES = ["nghi dinh 155", "Nghị định", '"chung nhan quyen"', "xay dung -phep", "155",
           "can bo or quoc phong", "ĐINH TIÊN", "qd ubnd", "trang 2", "khong co gi"]


def test_sqlite_and_postgresql_give_the_same_results(sqlite_url, pg_base_url, tmp_path):
    """One project database integrated into both shared databases: same matches."""
    migrate(sqlite_url)
    project = make_engine(sqlite_url)
    storage = LocalStorage(tmp_path / "obj")
    _programme(project, storage)
    import conftest
    gen = conftest._fresh_schema(pg_base_url)
    pg = make_engine(next(gen))
    lite = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    try:
        for shared in (lite, pg):
            with session_scope(project) as s:
                for f in s.scalars(select(File)):
                    f.integrated_hash = None
                phase.integrate(s, shared, storage)
        for level in ("public", "confidential"):
            for q in QUERIES:
                assert _keys(search(lite, q, level=level)) == _keys(search(pg, q, level=level)), q
        assert _keys(search(lite, "xay dung", agency="G02")) == _keys(
            search(pg, "xay dung", agency="G02"))
    finally:
        pg.dispose()
        lite.dispose()
        project.dispose()
        next(gen, None)


def test_fts5_query_reads_like_websearch():
    assert fts5_query('Nghị "định 155" -QĐ or x') == '("nghi" AND "dinh 155") NOT "qd" OR ("x")'
    assert fts5_query("155/QĐ-UBND") == '("155" AND "qd" AND "ubnd")'
    assert fts5_query("  ") is None and fts5_query("-only") is None


# ------------------------------------------------------------------------- access


@pytest.fixture
def login_roles(pg_world, pg_base_url):
    """Real LOGIN roles (unique names, dropped afterwards) granted the contract's groups."""
    _, shared, _ = pg_world
    schema = contract.schema_name(shared)
    tag = uuid.uuid4().hex[:6]
    names = {k: f"{schema}_u{tag}_{k}" for k in ("public", "restricted", "confidential", "agency",
                                                  "nobody")}
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for n in names.values():
            c.execute(text(f'CREATE ROLE "{n}" LOGIN'))
    for level in ("public", "restricted", "confidential"):
        access.grant_reader(shared, names[level], level)
    access.scope_agencies(shared, names["agency"], ["G01X02"])
    base = make_url(pg_base_url)
    engines = {k: create_engine(base.set(username=n, query={
        **base.query, "options": f"-csearch_path={schema}"})) for k, n in names.items()}
    yield engines
    for e in engines.values():
        e.dispose()
    with admin.connect() as c:
        for n in names.values():
            c.execute(text(f'DROP OWNED BY "{n}"'))
            c.execute(text(f'DROP ROLE "{n}"'))
    admin.dispose()


def _modes_seen(eng) -> dict[str, set]:
    out = {}
    with eng.connect() as c:
        for t in TABLES + VIEWS:
            out[t] = {r[0] for r in c.execute(text(f"SELECT access_mode FROM {t}"))}
        for q in ("", "ho so", "ky luat", "quoc phong", "nghi dinh"):
            out[f"search:{q}"] = {r.access_mode for r in c.execute(
                text("SELECT * FROM search(:q)"), {"q": q})}
        for ref in ("155/QĐ-UBND", "156/QĐ-UBND", "157/QĐ-UBND", "TTLTHN.G01X03.2021.01.002"):
            out[f"lookup:{ref}"] = {r.access_mode for r in c.execute(
                text("SELECT * FROM lookup(:r)"), {"r": ref})}
    return out


def test_public_reader_sees_no_restricted_row_anywhere(login_roles):
    seen = _modes_seen(login_roles["public"])
    leaked = {k: v for k, v in seen.items() if v - {"public", None}}
    assert not leaked
    assert seen["files"] == {"public"} and seen["search:ho so"] == {"public"}
    # restricted readers: restricted too, never confidential; confidential: all three
    r = _modes_seen(login_roles["restricted"])
    assert r["files"] == {"public", "restricted"} and r["lookup:156/QĐ-UBND"] == {"restricted"}
    assert _modes_seen(login_roles["confidential"])["files"] == {
        "public", "restricted", "confidential"}
    # the agency user of G01X02 sees the restricted records its agency holds (G01X03's)
    a = _modes_seen(login_roles["agency"])
    assert a["files"] == {"public", "restricted"} and "confidential" not in a["pages"]
    # a login role without any group cannot read the contract at all
    with login_roles["nobody"].connect() as c, pytest.raises(
            Exception, match="permission denied|does not exist"):
        c.execute(text("SELECT * FROM v_files")).all()
    # nor can a reader write
    with login_roles["confidential"].connect() as c, pytest.raises(Exception, match="permission"):
        c.execute(text("UPDATE files SET title = 'x'"))


def test_agency_scope_follows_the_holder(login_roles, pg_world):
    _, shared, _ = pg_world
    schema = contract.schema_name(shared)
    with shared.begin() as c:  # a second agency user scoped elsewhere sees no restricted row
        c.execute(text("UPDATE agency_readers SET agency_code = 'G02'"))
    assert _modes_seen(login_roles["agency"])["files"] == {"public"}
    assert schema


# ---------------------------------------------------------------------- change feed


def _change_title(engine, code_suffix: str, title: str | None = None, mode: str | None = None):
    with session_scope(engine) as s:
        f = s.scalars(select(File).where(File.file_code.endswith(code_suffix))).one()
        if title:
            f.title = title
        if mode:
            f.access_mode = mode


def test_consumer_syncs_between_runs_without_miss_or_double(world, tmp_path):
    engine, shared, storage = world
    mirror: dict[str, dict] = {}  # a city system's copy of public files
    last = 0

    def sync():
        nonlocal last
        got = feed.since(shared, last)
        ids = [c["id"] for c in got]
        assert ids == sorted(set(ids)) and (not ids or ids[0] > last)
        for ch in got:
            if ch["entity"] != "file":
                continue
            with shared.connect() as c:
                row = c.execute(text("SELECT * FROM v_public_files WHERE file_code = :k"),
                                {"k": ch["entity_key"]}).first()
            if row is None:
                mirror.pop(ch["entity_key"], None)
            else:
                mirror[ch["entity_key"]] = dict(row._mapping)
        if ids:
            last = ids[-1]
        return got

    first = sync()
    assert sorted(c["entity_key"] for c in first if c["entity"] == "file") == sorted(
        f"TTLTHN.{a}.2021.01.00{i}" for i, a in enumerate(["G01X01", "G01X03", "G01X02", "G02"], 1))
    assert {c["op"] for c in first if c["entity"] in ("file", "document")} == {"insert"}
    assert set(mirror) == {"TTLTHN.G01X01.2021.01.001", "TTLTHN.G02.2021.01.004"}
    assert sync() == []
    # run 2: one title changed, one public file tightened to restricted
    _change_title(engine, ".004", title="Hồ sơ cấp phép xây dựng (bổ sung)")
    _change_title(engine, ".001", mode="restricted")
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert out["files"] == 2
    second = sync()
    files = [(c["entity_key"], c["op"], c["reason"]) for c in second if c["entity"] == "file"]
    assert sorted(files) == [("TTLTHN.G01X01.2021.01.001", "withdraw", "access_tightened"),
                             ("TTLTHN.G02.2021.01.004", "update", "content")]
    assert mirror == {"TTLTHN.G02.2021.01.004": mirror["TTLTHN.G02.2021.01.004"]}
    assert mirror["TTLTHN.G02.2021.01.004"]["title"] == "Hồ sơ cấp phép xây dựng (bổ sung)"
    # the withdrawn file's document and object are withdrawn with it
    assert {(c["entity"], c["op"]) for c in second
            if c["file_code"] == "TTLTHN.G01X01.2021.01.001"} == {
        ("file", "withdraw"), ("document", "withdraw"), ("object", "withdraw")}
    # run 3, nothing changed: no change rows, nothing for the consumer
    with session_scope(engine) as s:
        assert phase.integrate(s, shared, storage)["changes"] == 0
    assert sync() == []
    # the feed is append-only
    with shared.connect() as c, pytest.raises(Exception, match="append-only"):
        c.execute(text("DELETE FROM changes"))


def test_withdrawal_hides_in_the_same_transaction(pg_world, monkeypatch, login_roles):
    engine, shared, storage = pg_world
    public = login_roles["public"]
    code = "TTLTHN.G01X01.2021.01.001"

    def visible() -> tuple[int, int, int]:
        with public.connect() as c:
            return (c.execute(text("SELECT count(*) FROM v_files WHERE file_code = :k"),
                              {"k": code}).scalar(),
                    c.execute(text("SELECT count(*) FROM v_pages WHERE file_code = :k"),
                              {"k": code}).scalar(),
                    c.execute(text("SELECT count(*) FROM changes WHERE op = 'withdraw'")).scalar())

    seen_inside = []
    real_append = feed.append

    def append_and_look(conn, rows):
        seen_inside.append(visible())  # the writer's transaction is not committed yet
        return real_append(conn, rows)

    monkeypatch.setattr(feed, "append", append_and_look)
    assert visible() == (1, 2, 0)
    _change_title(engine, ".001", mode="restricted")
    with session_scope(engine) as s:
        phase.integrate(s, shared, storage)
    assert seen_inside[-1] == (1, 2, 0)  # still the old, public version until commit
    assert visible() == (0, 0, 3)  # then gone, and its withdrawals are in the public feed
    assert search(public, "nghi dinh 155", level="all") == []


# --------------------------------------------------------------- atomic per file


def test_crash_mid_file_leaves_the_previous_version(world, monkeypatch):
    engine, shared, storage = world
    code = "TTLTHN.G02.2021.01.004"
    with session_scope(engine) as s:
        f = s.scalars(select(File).where(File.file_code == code)).one()
        f.title = "Tiêu đề mới"
        for p in f.pages:
            p.ocr_text = f"văn bản mới {p.page_no}"
    before_changes = feed.last_id(shared)
    real = phase._insert

    def crash_half_way(conn, table, rows):
        if table.name == "pages" and len(rows) > 1:
            real(conn, table, rows[: len(rows) // 2])
            raise RuntimeError("mất điện giữa chừng")
        return real(conn, table, rows)

    monkeypatch.setattr(phase, "_insert", crash_half_way)
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert [e["file_code"] for e in out["errors"]] == [code]
    assert "mất điện" in out["errors"][0]["reason"]
    with shared.connect() as c:
        assert c.execute(text("SELECT title FROM files WHERE file_code = :k"), {"k": code}
                         ).scalar() == "Hồ sơ cấp phép xây dựng đường Đinh Tiên Hoàng"
        assert [r[0] for r in c.execute(text(
            "SELECT text FROM pages WHERE file_code = :k ORDER BY page_no"), {"k": code})] == [
            "Trang 1: định mức xây dựng 155 công trình", "Trang 2: định mức xây dựng 155 công trình"]
    assert feed.last_id(shared) == before_changes
    assert _keys(search(shared, "dinh muc")) == [("document", code + ".001"), ("file", code)]
    monkeypatch.setattr(phase, "_insert", real)
    with session_scope(engine) as s:
        out = phase.integrate(s, shared, storage)
    assert out["files"] == 1 and not out["errors"]
    assert _keys(search(shared, "van ban moi")) == [("file", code)]
    assert search(shared, "dinh muc") == [search(shared, "dinh muc")[0]]  # the document only


# ----------------------------------------------------------------------------- CLI


def test_cli_search_and_migrate(world, monkeypatch, capsys):
    _, shared, _ = world
    from sohoa import cli

    url = shared.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SOHOA_SHARED_DB_URL", url)
    monkeypatch.delenv("SOHOA_SHARED_CONN_ID", raising=False)
    assert cli.main(["shared", "migrate"]) == 0
    assert "phiên bản 4" in capsys.readouterr().out
    assert cli.main(["search", "nghi dinh 155", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["file_code"] == "TTLTHN.G01X01.2021.01.001"
    assert cli.main(["search", "ky luat"]) == 0
    assert "Không tìm thấy" in capsys.readouterr().out
    assert cli.main(["search", "", "--agency", "G01X02", "--type", "Quyết định",
                     "--from", "2016-01-01", "--to", "2016-12-31"]) == 0
    out = capsys.readouterr().out
    assert "155/QĐ-UBND" in out and "1 kết quả" in out


# ----------------------------------------------------------------------- dashboard


def test_dashboard_search_page_is_public_only_and_behind_the_auth(world):
    from fastapi import Depends, Header, HTTPException
    from fastapi.testclient import TestClient

    from sohoa.reporting.dashboard import create_app

    _, shared, _ = world

    def auth(x_user: str | None = Header(None)):
        if x_user != "quanly":
            raise HTTPException(401, "Chưa đăng nhập")

    app = create_app(Depends(auth), shared_engine_factory=lambda: shared)
    client = TestClient(app)
    assert client.get("/search", params={"q": "nghi dinh 155"}).status_code == 401
    ok = {"x-user": "quanly"}
    page = client.get("/search", params={"q": "nghi dinh 155"}, headers=ok).text
    assert "Nghị định 155/2016/NĐ-CP" in page and "TTLTHN.G01X01.2021.01.001" in page
    for q in ("ky luat", "quoc phong", "ho so", "156/QĐ-UBND"):
        page = client.get("/search", params={"q": q}, headers=ok).text
        assert "kỷ luật" not in page and "quốc phòng" not in page, q
        assert "G01X03.2021.01.002" not in page and "G01X02.2021.01.003" not in page, q
    page = client.get("/search", params={"q": "", "agency": "G01X02", "type": "Quyết định"},
                      headers=ok).text
    assert "155/QĐ-UBND" in page and "1 kết quả" in page
    assert "YYYY-MM-DD" in client.get("/search", params={"q": "x", "from": "hôm qua"},
                                      headers=ok).text


def test_a_stricter_document_keeps_its_pages_out_of_public_text(world):
    engine, shared, storage = world
    code = "TTLTHN.G02.2021.01.004"
    with session_scope(engine) as s:
        f = s.scalars(select(File).where(File.file_code == code)).one()
        d = Document(file_id=f.id, ordinal=2, type_name="Báo cáo", code_number="9",
                     code_notation="BC-SXD", subject="Về việc thanh tra nội bộ", mode="restricted")
        s.add(d)
        s.flush()
        s.add(Page(file_id=f.id, page_no=3, document_id=d.id, image_key="scans/4/3.jpg",
                   sha256="ef" * 32, qc_verdict="pass", ocr_text="Trang 3: sai phạm đấu thầu",
                   ocr_confidence=90.0))
    with session_scope(engine) as s:
        assert phase.integrate(s, shared, storage)["files"] == 1
    assert search(shared, "sai pham dau thau") == [] and search(shared, "thanh tra") == []
    assert _keys(search(shared, "thanh tra", level="restricted")) == [
        ("document", code + ".002")]
    assert _keys(search(shared, "dinh muc")) == [("document", code + ".001"), ("file", code)]
    with shared.connect() as c:
        assert "sai phạm" not in c.execute(text("SELECT full_text FROM files WHERE file_code = :k"),
                                           {"k": code}).scalar()
        assert c.execute(text("SELECT access_mode FROM pages WHERE file_code = :k AND page_no = 3"),
                         {"k": code}).scalar() == "restricted"


def test_a_later_id_never_commits_before_an_earlier_one(pg_world):
    """Writer A holds id N uncommitted while writer B appends: B waits for A (the feed's lock),
    so a consumer polling `id > last` in between never jumps over N."""
    import threading
    import time as _time

    _, shared, _ = pg_world
    last = feed.last_id(shared)
    row = {"entity": "file", "entity_key": "K", "op": "update", "access_mode": "public"}
    a = shared.connect()
    feed.lock(a)
    feed.append(a, [row])  # id N, not committed yet
    b_done = threading.Event()

    def writer_b():
        with shared.begin() as b:
            feed.lock(b)
            feed.append(b, [{**row, "entity_key": "L"}])
        b_done.set()

    t = threading.Thread(target=writer_b)
    try:
        t.start()
        _time.sleep(1.5)
        seen = [c["id"] for c in feed.since(shared, last)]
        b_waited = not b_done.is_set()
        a.commit()
    finally:
        a.close()
        t.join(30)
    assert seen == [] and b_waited  # B waited for A: nothing visible in between
    assert b_done.is_set()
    got = feed.since(shared, last)
    assert [c["entity_key"] for c in got] == ["K", "L"] and got[0]["id"] < got[1]["id"]
