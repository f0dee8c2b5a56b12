"""SQLAlchemy 2 models of the programme: the same schema on SQLite and PostgreSQL.

Status columns are plain strings (not DB enums) so SQLite and PostgreSQL behave alike;
their allowed values live in the *_STATUSES constants below.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


AGENCY_LEVELS = ("city", "district", "commune", "department")
AGENCY_STATUSES = ("active", "merged", "dissolved", "split")

# A file (hồ sơ) moves forward through these phases; the order matters for reports.
FILE_STATUSES = (
    "inventoried",  # listed by the agency
    "handed_over",  # box physically received at the archive centre
    "arranged",  # file code, retention and access set (chỉnh lý done)
    "scanned",  # pages delivered by the scanning team
    "qc_passed",  # every page passed or was auto-fixed
    "qc_rejected",  # at least one page waits for a rescan
    "ocr_done",  # text + PDF/A stored
    "integrated",  # loaded into the shared database
)
# Arrangement steps the system sees (TT 16/2023 subset, DOMAIN.md).
ARRANGEMENT_STEPS = ("received", "classified", "formed", "slip_entered", "checked", "boxed")
PAGE_VERDICTS = ("pass", "fixable", "reject")
# A document's review: nothing to check, fields waiting for a person, all flagged fields
# confirmed by a person (description phase).
DOC_REVIEW_STATES = ("none", "pending", "confirmed")


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The body that takes this agency's records after a merge, split or dissolution.
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    effective_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    parent: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[successor_id])


class AgencySuccessor(Base):
    """Who took an agency's records on a reorganisation. A split has several rows, one of
    them the default (the body its records roll up to; mirrored in Agency.successor_id)."""

    __tablename__ = "agency_successors"
    __table_args__ = (UniqueConstraint("agency_id", "successor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_date: Mapped[date | None] = mapped_column(Date)


class AgencyVersion(Base):
    """History of an agency's registry entry: a new row whenever a load changes it; the
    previous row is closed (valid_to), never overwritten."""

    __tablename__ = "agency_versions"
    __table_args__ = (Index("ix_agency_versions_agency", "agency_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(String(13))
    successor_codes: Mapped[str | None] = mapped_column(String(500))  # "A;B", default first
    source: Mapped[str | None] = mapped_column(String(200))  # file or dataset it came from
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanTarget(Base):
    __tablename__ = "plan_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), unique=True)
    target_files: Mapped[int] = mapped_column(Integer)
    target_pages: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)


class InventorySubmission(Base):
    __tablename__ = "inventory_submissions"
    __table_args__ = (UniqueConstraint("agency_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    object_key: Mapped[str] = mapped_column(String(1000))  # raw list as received
    sha256: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    valid_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_report_key: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="received")
    # Which list this is (file name without copy/correction suffixes): a later submission
    # with the same key corrects it; another key listing the same file is a duplicate.
    list_key: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(20))  # folder | s3 | cli
    conversion: Mapped[dict | None] = mapped_column(JSON)  # legacy-font conversion done
    duplicate_rows: Mapped[int] = mapped_column(Integer, default=0)  # vs earlier lists


class InventoryRowError(Base):
    """A rejected inventory row, kept with its reason so it can be returned to the agency."""

    __tablename__ = "inventory_row_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_submissions.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)


class RecordSlip(Base):
    """Phiếu tin: the archivist's record slip for one file, imported from their sheet."""

    __tablename__ = "record_slips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), unique=True)
    slip_no: Mapped[str | None] = mapped_column(String(30))
    archivist: Mapped[str | None] = mapped_column(String(100))
    entered_on: Mapped[date | None] = mapped_column(Date)
    values: Mapped[dict] = mapped_column(JSON)  # every slip field as typed, NFC
    source_key: Mapped[str | None] = mapped_column(String(1000))  # the sheet in storage
    source_row: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Box(Base):
    __tablename__ = "boxes"
    __table_args__ = (UniqueConstraint("agency_id", "box_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    box_no: Mapped[str] = mapped_column(String(30))
    expected_files: Mapped[int] = mapped_column(Integer, default=0)
    received_files: Mapped[int | None] = mapped_column(Integer)
    expected_sheets: Mapped[int | None] = mapped_column(Integer)
    received_sheets: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    label: Mapped[str | None] = mapped_column(String(100))


class File(Base):
    """A file (hồ sơ). Keeps its creating agency for ever, whatever merges follow."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("agency_id", "notation"),
        Index("ix_files_agency_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_submissions.id"))
    box_id: Mapped[int | None] = mapped_column(ForeignKey("boxes.id"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    box_no: Mapped[str | None] = mapped_column(String(30))  # as listed; handover links box_id
    notation: Mapped[str] = mapped_column(String(20))  # FileNotation
    file_code: Mapped[str | None] = mapped_column(String(30), unique=True)  # FileCode
    organ_id: Mapped[str | None] = mapped_column(String(13))  # OrganId (fonds)
    catalog: Mapped[str | None] = mapped_column(String(4))  # FileCatalog
    title: Mapped[str] = mapped_column(String(1000))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    retention_code: Mapped[str | None] = mapped_column(String(30))  # Maintenance
    access_mode: Mapped[str] = mapped_column(String(30), default="public")  # Rights
    language: Mapped[str] = mapped_column(String(30), default="vi")
    total_docs: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(2000))
    infor_sign: Mapped[str | None] = mapped_column(String(30))
    keyword: Mapped[str | None] = mapped_column(String(100))
    sheet_count: Mapped[int | None] = mapped_column(Integer)  # SheetTotal
    page_count: Mapped[int | None] = mapped_column(Integer)  # PageTotal, as listed
    physical_format: Mapped[str | None] = mapped_column(String(50))  # Format
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="inventoried")
    arrangement_step: Mapped[str | None] = mapped_column(String(20))
    # File-level QC findings (e.g. page count differs from the list), Vietnamese reasons.
    qc_issues: Mapped[list | None] = mapped_column(JSON)
    pdf_key: Mapped[str | None] = mapped_column(String(1000))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    ocr_input_hash: Mapped[str | None] = mapped_column(String(64))  # inputs of the stored PDF
    # inputs its documents were derived from (description phase); None: not described yet
    described_hash: Mapped[str | None] = mapped_column(String(64))
    integrated_hash: Mapped[str | None] = mapped_column(String(64))
    # what integration last read (sohoa.core.db.revisions, migration 0004): the file is a
    # candidate again when content_rev (kept by triggers) moves past integrated_rev, or
    # when the context its record was built in (agency, holder, storage, shared database)
    # hashes differently from integrated_ctx
    content_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    integrated_rev: Mapped[int | None] = mapped_column(Integer)
    integrated_ctx: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    agency: Mapped[Agency] = relationship()
    pages: Mapped[list[Page]] = relationship(back_populates="file", order_by="Page.page_no")


class Document(Base):
    """A document (văn bản) inside a file; DOMAIN.md field set."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("file_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # DocOrdinal
    # DocCode: file code + "." + ordinal; up to 35 (migration 0003_documents), see
    # sohoa.description.phase.document_code
    doc_code: Mapped[str | None] = mapped_column(String(35), unique=True)
    type_name: Mapped[str | None] = mapped_column(String(100))
    code_number: Mapped[str | None] = mapped_column(String(11))
    code_notation: Mapped[str | None] = mapped_column(String(30))
    issued_date: Mapped[date | None] = mapped_column(Date)
    organ_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(30), default="vi")
    page_from: Mapped[int | None] = mapped_column(Integer)
    page_amount: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str | None] = mapped_column(String(20))
    confidence_level: Mapped[str | None] = mapped_column(String(30))
    description: Mapped[str | None] = mapped_column(String(500))
    # --- description phase (issue 13, migration 0003_documents) ---
    signer: Mapped[str | None] = mapped_column(String(100))
    signer_title: Mapped[str | None] = mapped_column(String(100))
    issued_year: Mapped[int | None] = mapped_column(Integer)  # kept when the day is missing
    issued_month: Mapped[int | None] = mapped_column(Integer)
    page_to: Mapped[int | None] = mapped_column(Integer)
    secrecy: Mapped[str | None] = mapped_column(String(20))  # MẬT / TỐI MẬT / TUYỆT MẬT
    urgency: Mapped[str | None] = mapped_column(String(20))  # KHẨN / THƯỢNG KHẨN / HỎA TỐC
    confidence: Mapped[dict | None] = mapped_column(JSON)  # field -> 0..1 (machine reading)
    review: Mapped[list | None] = mapped_column(JSON)  # fields still waiting for a person
    reasons: Mapped[dict | None] = mapped_column(JSON)  # field -> why it is flagged (vi)
    # fields a person confirmed: field -> {"value", "by", "at", "source"}; never overwritten
    confirmed: Mapped[dict | None] = mapped_column(JSON)
    review_state: Mapped[str] = mapped_column(String(20), default="none")  # DOC_REVIEW_STATES
    pdf_key: Mapped[str | None] = mapped_column(String(1000))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_input_hash: Mapped[str | None] = mapped_column(String(64))  # inputs of the stored PDF
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    file: Mapped[File] = relationship()


class ScanDelivery(Base):
    """One delivery of page images for one file by the scanning team (first scan or rescan)."""

    __tablename__ = "scan_deliveries"
    __table_args__ = (UniqueConstraint("file_id", "manifest_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    source: Mapped[str] = mapped_column(String(1000))
    station: Mapped[str | None] = mapped_column(String(50))
    operator: Mapped[str | None] = mapped_column(String(100))  # from the delivery's manifest.json
    manifest_sha256: Mapped[str] = mapped_column(String(64))  # over the delivered pages' hashes
    page_count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("file_id", "page_no"),
        Index("ix_pages_file_verdict", "file_id", "qc_verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("scan_deliveries.id"))
    page_no: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str | None] = mapped_column(String(500))
    image_key: Mapped[str] = mapped_column(String(1000))  # original, never modified
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    width_px: Mapped[int | None] = mapped_column(Integer)
    height_px: Mapped[int | None] = mapped_column(Integer)
    dpi: Mapped[float | None] = mapped_column(Float)
    qc_verdict: Mapped[str | None] = mapped_column(String(10))
    qc_defects: Mapped[list | None] = mapped_column(JSON)
    qc_metrics: Mapped[dict | None] = mapped_column(JSON)
    qc_reasons: Mapped[list | None] = mapped_column(JSON)
    qc_error: Mapped[str | None] = mapped_column(Text)
    # A page taken out of a delivered PDF / multi-page TIFF: image_key is that page alone
    # (embedded JPEG as is, else lossless PNG); source_key + source_page the container.
    source_key: Mapped[str | None] = mapped_column(String(1000))
    source_page: Mapped[int | None] = mapped_column(Integer)
    # Fixable pages: upright + deskewed copy made by QC (qc_metrics["fix"] says what was
    # applied); the original at image_key stays untouched.
    derivative_key: Mapped[str | None] = mapped_column(String(1000))
    derivative_sha256: Mapped[str | None] = mapped_column(String(64))
    ocr_text: Mapped[str | None] = mapped_column(Text)
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    ocr_low_confidence: Mapped[bool | None] = mapped_column(Boolean)
    ocr_error: Mapped[str | None] = mapped_column(Text)
    # Per text line in reading order: text, mean and lowest word confidence, bbox
    # [x, y, w, h] in pixels of the upright page (sohoa.ocr.recognition.line_records); and why the
    # page is flagged for human review (Vietnamese), when it is.
    ocr_lines: Mapped[list | None] = mapped_column(JSON)
    ocr_review_reason: Mapped[str | None] = mapped_column(Text)
    # post-corrections of the OCR text (sohoa.ocr.postcorrect): [{line, original, corrected,
    # reason, conf}] — what was changed and why, for the reviewer (migration 0003_ocr_corrections)
    ocr_corrections: Mapped[list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    file: Mapped[File] = relationship(back_populates="pages")


class RescanRequest(Base):
    """A rejected page waiting for the scanning team (rescan queue)."""

    __tablename__ = "rescan_requests"
    __table_args__ = (Index("ix_rescan_agency_status", "agency_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    page_no: Mapped[int] = mapped_column(Integer)
    station: Mapped[str | None] = mapped_column(String(50))
    reasons: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    defects: Mapped[list | None] = mapped_column(JSON)  # QC defect codes behind the reasons
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("scan_deliveries.id"))
    closed_delivery_id: Mapped[int | None] = mapped_column(ForeignKey("scan_deliveries.id"))


class Event(Base):
    """Append-only audit trail: one row per state change (never updated or deleted)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_entity", "entity", "entity_id"),
        Index("ix_events_phase_time", "phase", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    phase: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    details: Mapped[dict | None] = mapped_column(JSON)


class ReportRun(Base):
    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    xlsx_key: Mapped[str] = mapped_column(String(1000))
    html_key: Mapped[str] = mapped_column(String(1000))
    totals: Mapped[dict] = mapped_column(JSON)


class ProgressCounter(Base):
    """Per-agency counts ("file:<status>", "page:<state>") for the progress dashboard,
    kept by database triggers (sohoa.core.db.counters, migration 0002_progress)."""

    __tablename__ = "progress_counters"

    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class ProgressDelta(Base):
    """+1/-1 changes appended by the triggers, not yet folded into progress_counters."""

    __tablename__ = "progress_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(40))
    n: Mapped[int] = mapped_column(Integer)


class ProgressSnapshot(Base):
    """The progress counters as they stood at the end of a finished week (``at``: Monday
    00:00 in the programme's zone, stored as UTC), so that a past day's report walks back
    only from its week's end (sohoa.reporting.asof; migration 0003_progress_snapshots).
    A trigger on ``events`` drops every snapshot an event dated before it would change
    (sohoa.core.db.snapshots)."""

    __tablename__ = "progress_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), unique=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)  # the log it was computed from


class ProgressSnapshotCount(Base):
    """One counter of a snapshot (the same metrics as progress_counters)."""

    __tablename__ = "progress_snapshot_counts"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("progress_snapshots.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


# --------------------------------------------------------------------------- preservation
# (issue 17; migration 0003_preservation): AIPs per file, fixity audits and their findings.


class Aip(Base):
    """The E-ARK AIP of one file: one zip in storage; rebuilt only when its inputs change."""

    __tablename__ = "aips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    payload_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # originals + PDFs
    input_hash: Mapped[str] = mapped_column(String(64))  # what the package was built from
    version: Mapped[int] = mapped_column(Integer, default=1)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FixityRun(Base):
    """One fixity audit over a scope ("all", "agency:G01", "file:CODE", "programme"), done
    in bounded batches; ``cursor`` says where the next batch starts (resumable)."""

    __tablename__ = "fixity_runs"
    __table_args__ = (Index("ix_fixity_runs_scope_status", "scope", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done
    cursor: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    batches: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    bytes_checked: Mapped[int] = mapped_column(BigInteger, default=0)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    repaired: Mapped[int] = mapped_column(Integer, default=0)
    unrepaired: Mapped[int] = mapped_column(Integer, default=0)
    lost: Mapped[int] = mapped_column(Integer, default=0)


class FixityFinding(Base):
    """A copy found missing or different from its recorded SHA-256, and what became of it:
    repaired (from the other copy), unrepaired (no good copy to take it from yet) or lost."""

    __tablename__ = "fixity_findings"
    __table_args__ = (Index("ix_fixity_findings_open", "resolved_at", "outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fixity_runs.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(1000), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    file_id: Mapped[int | None] = mapped_column(Integer)
    copy: Mapped[str] = mapped_column(String(10))  # primary | replica
    problem: Mapped[str] = mapped_column(String(10))  # missing | mismatch
    expected_sha256: Mapped[str | None] = mapped_column(String(64))
    actual_sha256: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(12))  # repaired | unrepaired | lost
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FixityBaseline(Base):
    """The SHA-256 of an object the database records no checksum for (e.g. an inventory
    error workbook), taken when the audit first saw it (the store's write-time checksum
    when it has one)."""

    __tablename__ = "fixity_baselines"

    object_key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
