"""METS 1.12 documents as E-ARK CSIP 2.1 wants them, written with lxml.

One writer for the package (root) METS and for each representation's METS. What CSIP 2.1
requires and where it is met (requirement numbers of the CSIP specification):
OBJID, TYPE, csip:CONTENTINFORMATIONTYPE (+ OTHER...), PROFILE on <mets> (CSIP1–6);
metsHdr CREATEDATE, csip:OAISPACKAGETYPE and a CREATOR agent of TYPE OTHER / OTHERTYPE
SOFTWARE with one name and one "SOFTWARE VERSION" note (CSIP7–16); dmdSec/amdSec with
mdRef carrying LOCTYPE URL, xlink:type simple, href, MDTYPE, MIMETYPE, SIZE, CREATED,
CHECKSUM, CHECKSUMTYPE (CSIP17–57); fileSec with file groups Documentation, Schemas and
Representations/<name>, every group with its content information type, every file with
ID, MIMETYPE, SIZE, CREATED, CHECKSUM, CHECKSUMTYPE and one FLocat (CSIP58–79, 113, 114);
a PHYSICAL structMap labelled CSIP whose divisions Metadata, Documentation, Schemas and
Representations (one sub-division per representation with its mptr) point at them
(CSIP80–119).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "xsi": XSI_NS}

PROFILE_AIP = "https://earkaip.dilcis.eu/profile/E-ARK-AIP.xml"
#: CSIP content category (vocabulary CSIPVocabularyContentCategory): scanned paper records.
CONTENT_CATEGORY = "Textual works – Digital"
#: CSIP content information type: no CITS covers Vietnamese archival records, so OTHER + name.
CONTENT_INFORMATION_TYPE = "OTHER"
OTHER_CONTENT_INFORMATION_TYPE = "TT 05/2025/TT-BNV (hồ sơ số hóa)"
CHECKSUM_TYPE = "SHA-256"


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _x(tag: str) -> str:
    return f"{{{XLINK_NS}}}{tag}"


def _c(tag: str) -> str:
    return f"{{{CSIP_NS}}}{tag}"


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` as XML 1.0 can hold it: NFC, characters XML forbids (control characters a
    clerk's spreadsheet may carry, lone surrogates) dropped."""
    return _NOT_XML.sub("", unicodedata.normalize("NFC", value))


def iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class FileRef:
    """One file referenced from a METS document; ``href`` relative to that METS."""

    id: str
    href: str
    mimetype: str
    size: int
    sha256: str
    created: datetime


@dataclass(frozen=True)
class MdRef:
    id: str
    ref: FileRef
    mdtype: str  # PREMIS, OTHER...
    other_mdtype: str | None = None


@dataclass
class MetsSpec:
    objid: str
    label: str
    created: datetime
    software: str
    software_version: str
    package_type: str = "AIP"
    record_status: str = "NEW"
    dmd: list[MdRef] = field(default_factory=list)
    digiprov: list[MdRef] = field(default_factory=list)
    # (USE, files); USE "Documentation", "Schemas", "Representations/<name>", "Data"
    file_groups: list[tuple[str, list[FileRef]]] = field(default_factory=list)
    # representation name -> the FileRef of its METS.xml (root METS only)
    representations: list[tuple[str, FileRef]] = field(default_factory=list)
    schema_location: str | None = None


def _file_attrs(el, ref: FileRef) -> None:
    el.set("MIMETYPE", ref.mimetype)
    el.set("SIZE", str(ref.size))
    el.set("CREATED", iso(ref.created))
    el.set("CHECKSUM", ref.sha256.upper())
    el.set("CHECKSUMTYPE", CHECKSUM_TYPE)


def _md_ref(parent, md: MdRef) -> None:
    el = etree.SubElement(parent, _m("mdRef"))
    el.set("LOCTYPE", "URL")
    el.set(_x("type"), "simple")
    el.set(_x("href"), md.ref.href)
    el.set("MDTYPE", md.mdtype)
    if md.other_mdtype:
        el.set("OTHERMDTYPE", md.other_mdtype)
    _file_attrs(el, md.ref)


def _cit(el) -> None:
    el.set(_c("CONTENTINFORMATIONTYPE"), CONTENT_INFORMATION_TYPE)
    el.set(_c("OTHERCONTENTINFORMATIONTYPE"), OTHER_CONTENT_INFORMATION_TYPE)


def build(spec: MetsSpec) -> bytes:
    """The METS document as UTF-8 bytes."""
    root = etree.Element(_m("mets"), nsmap=NSMAP)
    root.set("OBJID", spec.objid)
    root.set("LABEL", xml_text(spec.label))
    root.set("TYPE", CONTENT_CATEGORY)
    _cit(root)
    root.set("PROFILE", PROFILE_AIP)
    if spec.schema_location:
        root.set(f"{{{XSI_NS}}}schemaLocation", spec.schema_location)

    hdr = etree.SubElement(root, _m("metsHdr"))
    hdr.set("CREATEDATE", iso(spec.created))
    hdr.set("LASTMODDATE", iso(spec.created))
    hdr.set("RECORDSTATUS", spec.record_status)
    hdr.set(_c("OAISPACKAGETYPE"), spec.package_type)
    agent = etree.SubElement(hdr, _m("agent"))
    agent.set("ROLE", "CREATOR")
    agent.set("TYPE", "OTHER")
    agent.set("OTHERTYPE", "SOFTWARE")
    etree.SubElement(agent, _m("name")).text = spec.software
    note = etree.SubElement(agent, _m("note"))
    note.set(_c("NOTETYPE"), "SOFTWARE VERSION")
    note.text = spec.software_version

    for md in spec.dmd:
        sec = etree.SubElement(root, _m("dmdSec"))
        sec.set("ID", md.id)
        sec.set("CREATED", iso(md.ref.created))
        sec.set("STATUS", "CURRENT")
        _md_ref(sec, md)
    if spec.digiprov:
        amd = etree.SubElement(root, _m("amdSec"))
        for md in spec.digiprov:
            sec = etree.SubElement(amd, _m("digiprovMD"))
            sec.set("ID", md.id)
            sec.set("STATUS", "CURRENT")
            _md_ref(sec, md)

    file_sec = etree.SubElement(root, _m("fileSec"))
    file_sec.set("ID", "filesec")
    group_ids: dict[str, str] = {}
    for n, (use, refs) in enumerate(spec.file_groups, start=1):
        grp = etree.SubElement(file_sec, _m("fileGrp"))
        grp.set("ID", group_ids.setdefault(use, f"grp-{n}"))
        grp.set("USE", use)
        _cit(grp)
        for ref in refs:
            f = etree.SubElement(grp, _m("file"))
            f.set("ID", ref.id)
            _file_attrs(f, ref)
            loc = etree.SubElement(f, _m("FLocat"))
            loc.set("LOCTYPE", "URL")
            loc.set(_x("type"), "simple")
            loc.set(_x("href"), ref.href)

    smap = etree.SubElement(root, _m("structMap"))
    smap.set("ID", "structmap-csip")
    smap.set("TYPE", "PHYSICAL")
    smap.set("LABEL", "CSIP")
    top = etree.SubElement(smap, _m("div"))
    top.set("ID", "div-package")
    top.set("LABEL", xml_text(spec.objid))
    meta = etree.SubElement(top, _m("div"))
    meta.set("ID", "div-metadata")
    meta.set("LABEL", "Metadata")
    if spec.dmd:
        meta.set("DMDID", " ".join(md.id for md in spec.dmd))
    if spec.digiprov:
        meta.set("ADMID", " ".join(md.id for md in spec.digiprov))
    reps = dict(spec.representations)
    for n, (use, refs) in enumerate(spec.file_groups, start=1):
        if use.startswith("Representations"):
            continue  # under the Representations division below
        div = etree.SubElement(top, _m("div"))
        div.set("ID", f"div-{n}")
        div.set("LABEL", use)
        for ref in refs:
            etree.SubElement(div, _m("fptr")).set("FILEID", ref.id)
    if reps:
        rdiv = etree.SubElement(top, _m("div"))
        rdiv.set("ID", "div-representations")
        rdiv.set("LABEL", "Representations")
        for ref in reps.values():
            etree.SubElement(rdiv, _m("fptr")).set("FILEID", ref.id)
        for name, ref in reps.items():
            div = etree.SubElement(rdiv, _m("div"))
            div.set("ID", f"div-rep-{name}")
            div.set("LABEL", f"Representations/{name}")
            mptr = etree.SubElement(div, _m("mptr"))
            mptr.set("LOCTYPE", "URL")
            mptr.set(_x("type"), "simple")
            mptr.set(_x("href"), ref.href)
            mptr.set(_x("title"), f"METS của bản thể hiện {name}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
