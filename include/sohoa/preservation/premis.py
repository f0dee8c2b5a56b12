"""PREMIS 3.0 preservation metadata (premis.xml) written with lxml.

Objects: the file (hồ sơ) as an intellectual entity, and every file in the package with its
SHA-256 fixity, size and format. Events: the file's rows from the append-only events table
(and those of its pages and deliveries), each with its agent (the Airflow task or the person
who acted, and sohoa itself) and the objects it concerns. Event types follow the Library of
Congress preservation vocabulary (id.loc.gov/vocabulary/preservation/eventType), mapped in
:data:`EVENT_TYPES` — the one place that says which of our actions is which PREMIS event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from sohoa.preservation.mets import xml_text

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"

#: (phase, action) -> PREMIS event type; (phase, None) is the phase's default.
EVENT_TYPES: dict[tuple[str, str | None], str] = {
    ("inventory", None): "ingestion",
    ("handover", None): "accession",
    ("arrangement", None): "metadata modification",
    ("scan_qc", "delivered"): "ingestion",
    ("scan_qc", "derivative_stored"): "creation",
    ("scan_qc", None): "validation",
    ("ocr", "pdf_stored"): "normalization",
    ("ocr", None): "normalization",
    ("description", None): "metadata extraction",
    ("integration", None): "dissemination",
    ("preservation", "aip_built"): "information package creation",
    ("preservation", "fixity_check"): "fixity check",
    ("preservation", "fixity_repaired"): "replication",
    ("preservation", None): "fixity check",
}
DEFAULT_EVENT_TYPE = "metadata modification"


def event_type(phase: str, action: str) -> str:
    return (EVENT_TYPES.get((phase, action)) or EVENT_TYPES.get((phase, None))
            or DEFAULT_EVENT_TYPE)


@dataclass(frozen=True)
class PObject:
    path: str  # package-relative path: the object's identifier
    sha256: str
    size: int
    mimetype: str
    original_name: str | None = None


@dataclass(frozen=True)
class PEvent:
    id: str
    type: str
    at: datetime
    detail: str
    outcome: str  # success | failure
    outcome_note: str | None
    agents: tuple[str, ...]  # agent identifiers
    objects: tuple[str, ...] = ()  # object identifiers (paths) or the entity's id


@dataclass(frozen=True)
class PAgent:
    id: str
    name: str
    type: str  # software | person | organization
    version: str | None = None


@dataclass
class PremisDoc:
    entity_id: str  # the file code
    entity_title: str
    objects: list[PObject] = field(default_factory=list)
    events: list[PEvent] = field(default_factory=list)
    agents: list[PAgent] = field(default_factory=list)


def _p(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    el = etree.SubElement(parent, _p(tag), **attrs)
    if text is not None:
        el.text = xml_text(text)
    return el


def _ident(parent, tag: str, kind: str, value: str) -> None:
    el = _sub(parent, tag)
    _sub(el, f"{tag}Type", kind)
    _sub(el, f"{tag}Value", value)


def build(doc: PremisDoc) -> bytes:
    root = etree.Element(_p("premis"), nsmap={"premis": PREMIS_NS, "xsi": XSI_NS})
    root.set("version", "3.0")
    ie = _sub(root, "object")
    ie.set(f"{{{XSI_NS}}}type", "premis:intellectualEntity")
    _ident(ie, "objectIdentifier", "local", doc.entity_id)
    _sub(ie, "originalName", doc.entity_title)
    for obj in doc.objects:
        el = _sub(root, "object")
        el.set(f"{{{XSI_NS}}}type", "premis:file")
        _ident(el, "objectIdentifier", "filepath", obj.path)
        chars = _sub(el, "objectCharacteristics")
        _sub(chars, "compositionLevel", "0")
        fix = _sub(chars, "fixity")
        _sub(fix, "messageDigestAlgorithm", "SHA-256")
        _sub(fix, "messageDigest", obj.sha256)
        _sub(fix, "messageDigestOriginator", "sohoa")
        _sub(chars, "size", str(obj.size))
        fmt = _sub(chars, "format")
        _sub(_sub(fmt, "formatDesignation"), "formatName", obj.mimetype)
        if obj.original_name:
            _sub(el, "originalName", obj.original_name)
        rel = _sub(el, "relationship")
        _sub(rel, "relationshipType", "structural")
        _sub(rel, "relationshipSubType", "is included in")
        rid = _sub(rel, "relatedObjectIdentifier")
        _sub(rid, "relatedObjectIdentifierType", "local")
        _sub(rid, "relatedObjectIdentifierValue", doc.entity_id)
    for ev in doc.events:
        el = _sub(root, "event")
        _ident(el, "eventIdentifier", "local", ev.id)
        t = _sub(el, "eventType", ev.type)
        t.set("authority", "eventType")
        t.set("authorityURI", EVENT_TYPE_AUTHORITY)
        _sub(el, "eventDateTime", ev.at.replace(microsecond=0).isoformat())
        _sub(_sub(el, "eventDetailInformation"), "eventDetail", ev.detail)
        out = _sub(el, "eventOutcomeInformation")
        _sub(out, "eventOutcome", ev.outcome)
        if ev.outcome_note:
            _sub(_sub(out, "eventOutcomeDetail"), "eventOutcomeDetailNote", ev.outcome_note)
        for agent in ev.agents:
            la = _sub(el, "linkingAgentIdentifier")
            _sub(la, "linkingAgentIdentifierType", "local")
            _sub(la, "linkingAgentIdentifierValue", agent)
        for obj in ev.objects:
            lo = _sub(el, "linkingObjectIdentifier")
            _sub(lo, "linkingObjectIdentifierType", "local" if "/" not in obj else "filepath")
            _sub(lo, "linkingObjectIdentifierValue", obj)
    for ag in doc.agents:
        el = _sub(root, "agent")
        _ident(el, "agentIdentifier", "local", ag.id)
        _sub(el, "agentName", ag.name)
        _sub(el, "agentType", ag.type)
        if ag.version:
            _sub(el, "agentVersion", ag.version)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
