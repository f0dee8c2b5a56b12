"""E-ARK AIPs: layout, METS/PREMIS schema validity, the CSIP rules, rebuild-on-change only,
and acceptance by eark-validator 1.1.3 (its own virtualenv, offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import select

import preservation_data as pdata
from sohoa.core.db.models import Aip, Event
from sohoa.core.db.session import session_scope
from sohoa.core.storage import LocalStorage
from sohoa.preservation import aip
from sohoa.preservation.mets import CSIP_NS, METS_NS, XLINK_NS

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "include" / "sohoa" / "preservation" / "schemas"
PREMIS_XSD = ROOT / "tests" / "data" / "premis" / "premis-v3-subset.xsd"
EARK_VENV = Path(os.environ.get("SOHOA_EARK_VENV", ROOT / ".venv-eark"))
EARK_VERSION = "1.1.3"
M = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS}


def mets_schema() -> etree.XMLSchema:
    """METS + XLink + the CSIP extension, all from the repository (no network)."""
    wrapper = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        targetNamespace="urn:sohoa:test-wrapper">
      <xsd:import namespace="http://www.w3.org/1999/xlink" schemaLocation="{(SCHEMAS / 'xlink.xsd').as_uri()}"/>
      <xsd:import namespace="{CSIP_NS}" schemaLocation="{(SCHEMAS / 'DILCISExtensionMETS.xsd').as_uri()}"/>
      <xsd:import namespace="{METS_NS}" schemaLocation="{(SCHEMAS / 'mets.xsd').as_uri()}"/>
    </xsd:schema>"""
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))


@pytest.fixture
def store(tmp_path):
    return LocalStorage(tmp_path / "objects")


def _build(engine, store, **kw):
    with session_scope(engine) as s:
        f = pdata.integrated_file(s, store, **kw)
        code = f.file_code
    with session_scope(engine) as s:
        out = aip.build_aips(s, store, file_ref=code)
    assert out["built"] == 1, out
    return code, out["aips"][0]


def _unzip(store, key, dest: Path) -> Path:
    with zipfile.ZipFile(store.root / key) as zf:
        zf.extractall(dest)
        top = {n.split("/")[0] for n in zf.namelist()}
    assert len(top) == 1
    return dest / top.pop()


def test_aip_layout_schemas_and_csip_rules(engine, store, tmp_path):
    code, built = _build(engine, store)
    with session_scope(engine) as s:
        row = s.scalars(select(Aip)).one()
        assert row.sha256 == built["sha256"] == store.stat(row.object_key).sha256
        assert row.payload_bytes > 0 and row.size_bytes > row.payload_bytes
    pkg = _unzip(store, built["key"], tmp_path / "x")
    assert pkg.name == code  # root folder named after OBJID
    for rel in ("METS.xml", "metadata/descriptive/hoso.xml", "metadata/preservation/premis.xml",
                "representations/original/METS.xml", "representations/access/METS.xml",
                "representations/original/metadata/preservation/premis.xml",
                "schemas/mets.xsd", "documentation/README.txt"):
        assert (pkg / rel).is_file(), rel
    originals = sorted((pkg / "representations/original/data").iterdir())
    assert [p.name for p in originals] == ["0001.jpg", "0002.jpg", "0003.jpg"]
    # the untouched scans, byte for byte
    with session_scope(engine) as s:
        from sohoa.core.db.models import Page
        pages = s.scalars(select(Page).order_by(Page.page_no)).all()
        for p, path in zip(pages, originals):
            assert pdata.digest(path.read_bytes()) == p.sha256

    schema = mets_schema()
    for rel in ("METS.xml", "representations/original/METS.xml",
                "representations/access/METS.xml"):
        doc = etree.parse(str(pkg / rel))
        assert schema.validate(doc), (rel, schema.error_log)
    premis_schema = etree.XMLSchema(etree.parse(str(PREMIS_XSD)))
    for rel in ("representations/original/metadata/preservation/premis.xml",
                "representations/access/metadata/preservation/premis.xml"):
        assert premis_schema.validate(etree.parse(str(pkg / rel))), premis_schema.error_log
    premis_doc = etree.parse(str(pkg / "metadata/preservation/premis.xml"))
    assert premis_schema.validate(premis_doc), premis_schema.error_log

    root = etree.parse(str(pkg / "METS.xml")).getroot()
    # CSIP1-6: identity and profile
    assert root.get("OBJID") == code
    assert root.get("PROFILE") == "https://earkaip.dilcis.eu/profile/E-ARK-AIP.xml"
    assert root.get("TYPE") == "Textual works – Digital"
    assert root.get(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE") == "OTHER"
    assert root.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE")
    # CSIP7-16: header and creator agent
    hdr = root.find("mets:metsHdr", M)
    assert hdr.get("CREATEDATE") and hdr.get(f"{{{CSIP_NS}}}OAISPACKAGETYPE") == "AIP"
    agent = hdr.find("mets:agent[@ROLE='CREATOR']", M)
    assert (agent.get("TYPE"), agent.get("OTHERTYPE")) == ("OTHER", "SOFTWARE")
    assert agent.findtext("mets:name", namespaces=M) == "sohoa"
    note = agent.find("mets:note", M)
    assert note.get(f"{{{CSIP_NS}}}NOTETYPE") == "SOFTWARE VERSION" and note.text
    # CSIP58-79, 113-114: file groups and every file's attributes, checked against the bytes
    uses = [g.get("USE") for g in root.iterfind("mets:fileSec/mets:fileGrp", M)]
    assert uses == ["Documentation", "Schemas", "Representations/original",
                    "Representations/access"]
    for el in list(root.iter(f"{{{METS_NS}}}file")) + list(root.iter(f"{{{METS_NS}}}mdRef")):
        for attr in ("MIMETYPE", "SIZE", "CREATED", "CHECKSUM"):
            assert el.get(attr), (attr, el.attrib)
        assert el.get("CHECKSUMTYPE") == "SHA-256"
        href = el.get(f"{{{XLINK_NS}}}href") or \
            el.find("mets:FLocat", M).get(f"{{{XLINK_NS}}}href")
        data = (pkg / href).read_bytes()
        assert int(el.get("SIZE")) == len(data)
        assert el.get("CHECKSUM").lower() == pdata.digest(data)
    # CSIP80-119: the PHYSICAL structMap labelled CSIP
    smap = root.find("mets:structMap", M)
    assert (smap.get("TYPE"), smap.get("LABEL")) == ("PHYSICAL", "CSIP")
    labels = [d.get("LABEL") for d in smap.find("mets:div", M).iterfind("mets:div", M)]
    assert labels == ["Metadata", "Documentation", "Schemas", "Representations"]
    reps = smap.findall(".//mets:div[@LABEL='Representations']/mets:div", M)
    assert [r.find("mets:mptr", M).get(f"{{{XLINK_NS}}}href") for r in reps] == \
        ["representations/original/METS.xml", "representations/access/METS.xml"]

    # descriptive metadata: TT 02/2019 tags with the file's and documents' values
    desc = etree.parse(str(pkg / "metadata/descriptive/hoso.xml")).getroot()
    ns = {"t": "urn:sohoa:tt02-2019"}
    assert desc.findtext("t:FileCode", namespaces=ns) == code
    assert desc.find("t:Title", ns).get("ten") == "Tiêu đề hồ sơ"
    assert desc.findtext("t:StartDate", namespaces=ns) == "05/01/2021"
    docs = desc.findall("t:DanhSachVanBan/t:VanBan", ns)
    assert [d.findtext("t:DocOrdinal", namespaces=ns) for d in docs] == ["1", "2"]
    assert docs[0].findtext("t:TypeName", namespaces=ns) == "Quyết định"

    # PREMIS: fixity of every packed file, the file's events with agents
    p = {"p": "http://www.loc.gov/premis/v3"}
    digests = {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=p):
               o.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=p)
               for o in premis_doc.getroot().iterfind("p:object", p)}
    assert digests["representations/original/data/0001.jpg"] == pages[0].sha256
    with session_scope(engine) as s:
        n_events = len(s.scalars(select(Event).where(Event.entity.in_(("files", "pages")))).all())
    types = [e.findtext("p:eventType", namespaces=p) for e in premis_doc.getroot().iterfind("p:event", p)]
    assert len(types) == n_events - 1  # all but the aip_built event written after packing
    assert {"validation", "normalization", "dissemination"} <= set(types)
    agents = {a.findtext("p:agentIdentifier/p:agentIdentifierValue", namespaces=p)
              for a in premis_doc.getroot().iterfind("p:agent", p)}
    assert "sohoa" in agents and any(a.startswith("user:") for a in agents)


def test_aip_rebuilt_only_when_the_file_changes(engine, store):
    code, first = _build(engine, store)
    with session_scope(engine) as s:
        again = aip.build_aips(s, store)
    assert (again["built"], again["unchanged"]) == (0, 1)
    with session_scope(engine) as s:
        from sohoa.core.db.models import File
        f = s.scalars(select(File)).one()
        f.title = f.title + " (bổ sung)"
    with session_scope(engine) as s:
        changed = aip.build_aips(s, store)
        row = s.scalars(select(Aip)).one()
        assert changed["built"] == 1 and row.version == 2 and row.sha256 != first["sha256"]
        built = s.scalars(select(Event).where(Event.action == "aip_built")).all()
        assert len(built) == 2 and built[1].before["sha256"] == first["sha256"]


def test_corrupted_original_is_never_packed(engine, store):
    with session_scope(engine) as s:
        f = pdata.integrated_file(s, store)
        key = f.pages[1].image_key
    path = store.root / key
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))  # bit rot: the xattr still holds the written checksum
    with session_scope(engine) as s:
        out = aip.build_aips(s, store)
    assert out["built"] == 0 and len(out["failed"]) == 1
    assert key in out["failed"][0]["reason"] and "hỏng" in out["failed"][0]["reason"]
    assert not list(store.list("aips/"))
    with session_scope(engine) as s:
        assert aip.build_aips(s, store)["failed"] == out["failed"]  # still waits
        failed = s.scalars(select(Event).where(Event.action == "aip_failed")).all()
        assert len(failed) == 1  # a rerun records nothing new
    path.write_bytes(bytes(data[:100]) + bytes([data[100] ^ 0xFF]) + bytes(data[101:]))
    with session_scope(engine) as s:
        assert aip.build_aips(s, store)["built"] == 1  # repaired: packed


def _eark_python() -> Path:
    """eark-validator 1.1.3 in its own virtualenv (it pins lxml==5.1.0), made once."""
    py = EARK_VENV / "bin" / "python"
    ok = py.exists() and subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; assert m.version('eark-validator') == '{EARK_VERSION}'"],
        capture_output=True).returncode == 0
    if not ok:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(EARK_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet",
                        f"eark-validator=={EARK_VERSION}"], check=True)
    return py


def test_eark_validator_accepts_every_aip(sqlite_url, store, tmp_path):
    from sohoa.core.db.session import make_engine, migrate

    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    _build(engine, store, seq=1)
    _build(engine, store, seq=2, container=True, documents=0)
    _build(engine, store, seq=3, pages=1, derivative=False)
    zips = sorted(str(store.root / k) for k in store.list("aips/"))
    assert len(zips) == 3
    py = _eark_python()
    res = subprocess.run([str(py), str(ROOT / "tests" / "eark_validate.py"), *zips],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "no_proxy": "*", "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr
    reports = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 3
    for r in reports:
        assert r["structure"] == "WellFormed", r["structure_messages"]
        assert r["schema_status"] == "Valid" or r["schema_status"] == "VALID", r["schema_errors"]
        errors = [m for m in r["schematron"] if m["severity"] == "Error"]
        assert errors == [], errors
        warnings = [m for m in r["schematron"] + r["structure_messages"]
                    if str(m.get("severity")).lower().startswith("warn")]
        assert warnings == [], warnings  # not even the SHOULDs
        assert r["schematron_status"] in ("Valid", "VALID")


@given(st.text(min_size=1, max_size=200), st.text(max_size=100))
@settings(max_examples=150, deadline=None)
def test_descriptive_xml_holds_any_typed_text(title, notes):
    """Whatever a clerk typed (control characters from spreadsheets, decomposed accents,
    astral characters) comes out as well-formed XML with the same text, NFC, minus what
    XML 1.0 cannot hold."""
    import unicodedata

    from sohoa.core.db.models import File
    from sohoa.preservation import descriptive
    from sohoa.preservation.mets import xml_text

    f = File(file_code="TTLTHN.G01.2021.01.001", notation="01/VP", title=title,
             description=notes or None, language="vi", access_mode="public")
    root = etree.fromstring(descriptive.build(f, [], "UBND phường Hàng Bạc"))
    ns = {"t": descriptive.NS}
    want = xml_text(title)
    assert (root.findtext("t:Title", namespaces=ns) or "") == want
    assert want == unicodedata.normalize("NFC", want)
    assert all(ch in "\t\n\r" or ord(ch) >= 0x20 for ch in want)
