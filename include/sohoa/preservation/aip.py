"""One E-ARK AIP (CSIP/AIP 2.1) per integrated file, stored as a zip with its SHA-256.

Layout inside the zip (the root folder is the package's OBJID, the file code)::

    <FILE CODE>/METS.xml
    <FILE CODE>/metadata/descriptive/hoso.xml          TT 02/2019 fields (descriptive.py)
    <FILE CODE>/metadata/preservation/premis.xml       PREMIS 3.0 (premis.py)
    <FILE CODE>/representations/original/METS.xml
    <FILE CODE>/representations/original/data/...      the untouched scans as delivered
    <FILE CODE>/representations/original/metadata/preservation/premis.xml  their fixity
    <FILE CODE>/representations/access/METS.xml
    <FILE CODE>/representations/access/data/...        the PDF/A files (file, documents)
    <FILE CODE>/schemas/                                METS, XLink, CSIP extension XSDs
    <FILE CODE>/documentation/README.txt                what the package holds (vi/en)

Every object is read back from storage and checked against the SHA-256 the database
recorded before it is packed: a corrupted original is never sealed into a package (the
file waits, with its reason, until the fixity audit has repaired it). The package is
rebuilt only when what it is made of changes (``input_hash``: metadata, documents, object
checksums), so reruns cost one query per file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

import sohoa
from sohoa.core import events
from sohoa.core.db.models import Agency, Aip, Document, Event, File, Page, ScanDelivery
from sohoa.core.naming import safe_name
from sohoa.core.selection import select_files
from sohoa.core.storage import ChecksumMismatch, ObjectNotFound, Storage, sha256_file
from sohoa.preservation import descriptive, mets, premis

log = logging.getLogger(__name__)

SCHEMAS_DIR = Path(__file__).parent / "schemas"
SCHEMA_FILES = ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd")
SCHEMA_LOCATION = ("http://www.loc.gov/METS/ {p}schemas/mets.xsd "
                   "http://www.w3.org/1999/xlink {p}schemas/xlink.xsd "
                   "https://DILCIS.eu/XML/METS/CSIPExtensionMETS {p}schemas/DILCISExtensionMETS.xsd")
SOFTWARE = "sohoa"
AIP_STATUSES = ("integrated",)
XML_MIME = "application/xml"
_SAFE_OBJID = re.compile(r"^[A-Za-z0-9._-]+$")


class AipError(Exception):
    """A package cannot be built now (reason in Vietnamese)."""


@dataclass(frozen=True)
class Part:
    """One stored object that goes into the package."""

    key: str
    expected_sha256: str | None  # None: the database keeps no full checksum (containers)
    rep: str  # original | access
    name: str  # file name inside representations/<rep>/data/
    original_name: str | None = None
    pages: tuple[int, ...] = ()


def objid(f: File) -> str:
    code = f.file_code or f"{f.agency.code}.{f.notation}"
    return code if _SAFE_OBJID.match(code) else safe_name(code)


def aip_key(f: File) -> str:
    return f"aips/{f.agency.code}/{objid(f)}.zip"


def mimetype(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".xml", ".xsd"):
        return XML_MIME
    if suffix == ".jp2":
        return "image/jp2"
    return mimetypes.types_map.get(suffix, "application/octet-stream")


def documents_of(session: Session, f: File) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.file_id == f.id)
                                .order_by(Document.ordinal)))


def parts_of(session: Session, f: File, documents: list[Document]) -> list[Part]:
    """The originals as delivered (a container PDF/TIFF once, else each page's image) and
    the PDF/A files (the file's, then each document's when description stored one)."""
    pages = list(session.scalars(select(Page).where(Page.file_id == f.id).order_by(Page.page_no)))
    parts: list[Part] = []
    containers: dict[str, list[int]] = {}
    for pg in pages:
        if pg.source_key:
            containers.setdefault(pg.source_key, []).append(pg.page_no)
            continue
        suffix = Path(pg.image_key).suffix.lower()
        parts.append(Part(pg.image_key, pg.sha256, "original", f"{pg.page_no:04d}{suffix}",
                          pg.source_name, (pg.page_no,)))
    for key, nos in containers.items():
        suffix = Path(key).suffix.lower()
        parts.append(Part(key, None, "original", f"{nos[0]:04d}-{nos[-1]:04d}{suffix}",
                          None, tuple(nos)))
    parts.sort(key=lambda p: p.name)
    if f.pdf_key:
        parts.append(Part(f.pdf_key, f.pdf_sha256, "access", f"{objid(f)}.pdf"))
    for d in documents:
        key, sha = getattr(d, "pdf_key", None), getattr(d, "pdf_sha256", None)
        if key:
            name = safe_name(d.doc_code or f"{objid(f)}.{d.ordinal}")
            parts.append(Part(key, sha, "access", f"{name}.pdf"))
    return parts


def input_hash(f: File, documents: list[Document], parts: list[Part]) -> str:
    payload = {
        "file": {k: descriptive._text(v) for k, v in descriptive.file_values(f).items()},
        "documents": [{k: descriptive._text(v) for k, v in descriptive.document_values(f, d).items()}
                      for d in documents],
        "parts": [[p.key, p.expected_sha256, p.rep, p.name] for p in parts],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def _file_events(session: Session, f: File, documents: list[Document]) -> list[Event]:
    page_ids = list(session.scalars(select(Page.id).where(Page.file_id == f.id)))
    delivery_ids = list(session.scalars(select(ScanDelivery.id)
                                        .where(ScanDelivery.file_id == f.id)))
    pairs = [("files", f.id)] + [("pages", i) for i in page_ids] + \
        [("scan_deliveries", i) for i in delivery_ids] + [("documents", d.id) for d in documents]
    out: list[Event] = []
    for i in range(0, len(pairs), 500):  # keep the IN list bounded
        chunk = pairs[i:i + 500]
        out += session.scalars(select(Event).where(
            or_(tuple_(Event.entity, Event.entity_id).in_(chunk))))
    return sorted(out, key=lambda e: e.id)


def _premis_doc(session: Session, f: File, documents: list[Document],
                objects: list[premis.PObject], page_paths: dict[int, str]) -> premis.PremisDoc:
    doc = premis.PremisDoc(entity_id=objid(f), entity_title=f.title)
    doc.objects = objects
    version = sohoa.__version__
    agents = {"sohoa": premis.PAgent("sohoa", SOFTWARE, "software", version)}
    page_no_by_id = dict(session.execute(select(Page.id, Page.page_no)
                                         .where(Page.file_id == f.id)).all())
    for ev in _file_events(session, f, documents):
        actor = ev.actor or "unknown"
        if actor not in agents:
            kind = "software" if actor.startswith("airflow:") else "person"
            agents[actor] = premis.PAgent(actor, actor.split(":", 1)[-1], kind)
        linked: tuple[str, ...] = (objid(f),)
        if ev.entity == "pages" and ev.entity_id in page_no_by_id:
            path = page_paths.get(page_no_by_id[ev.entity_id])
            linked = (path,) if path else linked
        failed = ev.action.endswith(("failed", "rejected", "rejected_rows")) or \
            ev.action in ("check_failed", "rescan_opened", "rescan_still_rejected")
        detail = {"phase": ev.phase, "action": ev.action, "entity": ev.entity,
                  "entity_id": ev.entity_id}
        note = json.dumps({"before": ev.before, "after": ev.after, "details": ev.details},
                          ensure_ascii=False, default=str, sort_keys=True)
        at = ev.occurred_at if ev.occurred_at.tzinfo else ev.occurred_at.replace(tzinfo=timezone.utc)
        doc.events.append(premis.PEvent(
            id=f"event-{ev.id}", type=premis.event_type(ev.phase, ev.action), at=at,
            detail=json.dumps(detail, ensure_ascii=False), outcome="failure" if failed else "success",
            outcome_note=note if len(note) <= 4000 else note[:4000] + "…",
            agents=tuple(dict.fromkeys((actor, "sohoa"))), objects=linked))
    doc.agents = list(agents.values())
    return doc


def _fetch(storage: Storage, part: Part, dest: Path) -> str:
    """Download ``part`` (the second copy is used when the first is bad) and check it."""
    try:
        storage.download(part.key, dest)
    except ObjectNotFound:
        raise AipError(f"thiếu tệp {part.key} trong kho lưu trữ") from None
    except ChecksumMismatch as exc:
        raise AipError(f"tệp {part.key} bị hỏng (mã kiểm tra không khớp: {exc})") from None
    sha = sha256_file(dest)
    if part.expected_sha256 and sha != part.expected_sha256:
        raise AipError(f"tệp {part.key} bị hỏng: SHA-256 {sha[:12]}… khác giá trị đã ghi "
                       f"{part.expected_sha256[:12]}…; chờ kiểm tra toàn vẹn sửa từ bản sao")
    return sha


def build_package(session: Session, storage: Storage, f: File, workdir: Path,
                  now: datetime | None = None) -> tuple[Path, int, str]:
    """Write the AIP zip of ``f`` under ``workdir``; returns (path, payload bytes, input hash)."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    documents = documents_of(session, f)
    parts = parts_of(session, f, documents)
    if not any(p.rep == "original" for p in parts):
        raise AipError("hồ sơ chưa có ảnh quét gốc")
    oid = objid(f)
    version = sohoa.__version__
    base = workdir / oid
    refs: dict[str, list[mets.FileRef]] = {"original": [], "access": []}
    objects: list[premis.PObject] = []
    page_paths: dict[int, str] = {}
    payload = 0
    for n, part in enumerate(parts, start=1):
        rel = f"representations/{part.rep}/data/{part.name}"
        dest = base / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        sha = _fetch(storage, part, dest)
        size = dest.stat().st_size
        payload += size
        mime = mimetype(part.name)
        refs[part.rep].append(mets.FileRef(f"{part.rep}-file-{n}", f"data/{part.name}", mime,
                                           size, sha, now))
        objects.append(premis.PObject(rel, sha, size, mime, part.original_name))
        for no in part.pages:
            page_paths[no] = rel

    def write(rel: str, data: bytes) -> mets.FileRef:
        dest = base / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        return mets.FileRef("", rel, mimetype(rel), len(data), hashlib.sha256(data).hexdigest(),
                            now)

    rep_refs: list[tuple[str, mets.FileRef]] = []
    for rep, files in refs.items():
        if not files:
            continue
        # the representation's own PREMIS: its files with their fixity (CSIP structure:
        # a representation SHOULD carry its metadata)
        rep_objects = [o for o in objects if o.path.startswith(f"representations/{rep}/")]
        rep_premis = write(f"representations/{rep}/metadata/preservation/premis.xml",
                           premis.build(premis.PremisDoc(f"{oid}.{rep}", f"{f.title} — {rep}",
                                                         objects=rep_objects)))
        rep_md = mets.FileRef("", "metadata/preservation/premis.xml", rep_premis.mimetype,
                              rep_premis.size, rep_premis.sha256, now)
        spec = mets.MetsSpec(
            objid=f"{oid}.{rep}", label=f"{f.title} — {rep}", created=now, software=SOFTWARE,
            software_version=version, file_groups=[("Data", files)],
            digiprov=[mets.MdRef(f"digiprov-premis-{rep}", rep_md, "PREMIS")],
            schema_location=SCHEMA_LOCATION.format(p="../../"))
        ref = write(f"representations/{rep}/METS.xml", mets.build(spec))
        rep_refs.append((rep, mets.FileRef(f"rep-mets-{rep}", ref.href, ref.mimetype,
                                           ref.size, ref.sha256, now)))

    agency_name = session.get(Agency, f.agency_id).name
    dmd = write("metadata/descriptive/hoso.xml", descriptive.build(f, documents, agency_name))
    prem = write("metadata/preservation/premis.xml",
                 premis.build(_premis_doc(session, f, documents, objects, page_paths)))
    schemas = []
    for n, name in enumerate(SCHEMA_FILES, start=1):
        ref = write(f"schemas/{name}", (SCHEMAS_DIR / name).read_bytes())
        schemas.append(mets.FileRef(f"schema-{n}", ref.href, ref.mimetype, ref.size, ref.sha256,
                                    now))
    doc = write("documentation/README.txt", descriptive.DOCUMENTATION.encode("utf-8"))
    doc_ref = mets.FileRef("doc-1", doc.href, "text/plain", doc.size, doc.sha256, now)

    root = mets.MetsSpec(
        objid=oid, label=f.title, created=now, software=SOFTWARE, software_version=version,
        dmd=[mets.MdRef("dmd-1", dmd, descriptive.MDTYPE, descriptive.OTHER_MDTYPE)],
        digiprov=[mets.MdRef("digiprov-premis", prem, "PREMIS")],
        file_groups=[("Documentation", [doc_ref]), ("Schemas", schemas)]
        + [(f"Representations/{rep}", [ref]) for rep, ref in rep_refs],
        representations=rep_refs, schema_location=SCHEMA_LOCATION.format(p=""))
    write("METS.xml", mets.build(root))

    zpath = workdir / f"{oid}.zip"
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(zpath, "w", allowZip64=True) as zf:
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            arc = f"{oid}/{path.relative_to(base).as_posix()}"
            info = zipfile.ZipInfo(arc, date_time=stamp)
            packed = path.suffix.lower() in (".jpg", ".jpeg", ".jp2", ".pdf", ".png", ".tif",
                                             ".tiff")
            info.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as out:
                for chunk in iter(lambda: src.read(1024 * 1024), b""):
                    out.write(chunk)
    return zpath, payload, input_hash(f, documents, parts)


def ensure_aip(session: Session, storage: Storage, f: File) -> dict:
    """Build and store ``f``'s AIP unless the stored one is current; returns what happened."""
    documents = documents_of(session, f)
    want = input_hash(f, documents, parts_of(session, f, documents))
    aip = session.scalars(select(Aip).where(Aip.file_id == f.id)).first()
    key = aip_key(f)
    if aip is not None and aip.input_hash == want and aip.object_key == key \
            and storage.exists(key):
        return {"file": objid(f), "status": "unchanged"}
    with tempfile.TemporaryDirectory(prefix="sohoa-aip-") as tmp:
        zpath, payload, in_hash = build_package(session, storage, f, Path(tmp))
        sha = storage.put_file(key, zpath, content_type="application/zip")
        size = zpath.stat().st_size
    before = {"sha256": aip.sha256, "version": aip.version} if aip else None
    if aip is None:
        aip = Aip(file_id=f.id, agency_id=f.agency_id, object_key=key, sha256=sha,
                  size_bytes=size, payload_bytes=payload, input_hash=in_hash, version=1)
        session.add(aip)
    else:
        aip.object_key, aip.sha256, aip.size_bytes = key, sha, size
        aip.payload_bytes, aip.input_hash = payload, in_hash
        aip.version += 1
        aip.built_at = datetime.now(timezone.utc)
    session.flush()
    events.record(session, entity="files", entity_id=f.id, phase="preservation",
                  action="aip_built", agency_id=f.agency_id, before=before,
                  after={"aip_key": key, "sha256": sha, "version": aip.version},
                  details={"size_bytes": size, "payload_bytes": payload})
    return {"file": objid(f), "status": "built", "key": key, "sha256": sha,
            "size_bytes": size, "payload_bytes": payload, "version": aip.version}


def build_aips(session: Session, storage: Storage, *, agency: str | None = None,
               file_ref: str | None = None) -> dict:
    """AIPs for every integrated file in scope; a file that cannot be packed now keeps
    its Vietnamese reason (event ``aip_failed``) and never stops the others."""
    built, unchanged, failed = [], 0, []
    for f in select_files(session, agency=agency, file_ref=file_ref, statuses=AIP_STATUSES):
        try:
            with session.begin_nested():
                got = ensure_aip(session, storage, f)
        except AipError as exc:
            log.warning("AIP %s: %s", f.file_code, exc)
            failed.append({"file": f.file_code, "reason": str(exc)})
            last = session.scalars(select(Event).where(
                Event.entity == "files", Event.entity_id == f.id, Event.phase == "preservation",
                Event.action.in_(("aip_built", "aip_failed"))).order_by(Event.id.desc())).first()
            if last is None or last.action != "aip_failed" or \
                    (last.details or {}).get("reason") != str(exc):  # reruns add nothing
                events.record(session, entity="files", entity_id=f.id, phase="preservation",
                              action="aip_failed", agency_id=f.agency_id,
                              details={"reason": str(exc)})
            continue
        if got["status"] == "built":
            built.append(got)
        else:
            unchanged += 1
    return {"built": len(built), "unchanged": unchanged, "failed": failed,
            "aips": [{k: b[k] for k in ("file", "key", "sha256")} for b in built],
            "bytes": sum(b["size_bytes"] for b in built),
            "payload_bytes": sum(b["payload_bytes"] for b in built)}
