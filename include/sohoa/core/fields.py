"""Domain rules and constants: the ONE place for them.

Everything a reviewer could dispute lives here, with the public text it comes from
(see /work/shared/DOMAIN.md):

* the file (hồ sơ) and document (văn bản) metadata field tables with their maximum
  lengths (TT 02/2019/TT-BNV field set, as implemented in public systems);
* retention periods (thời hạn bảo quản) 01–07 with Vietnamese labels and years;
* access modes (chế độ sử dụng): công khai / hạn chế / mật → public / restricted /
  confidential, and the fail-closed default for an empty cell;
* archival file codes (mã hồ sơ) in the TT 02/2019 and TT 05/2025 styles, with
  build/parse functions and regexes;
* text normalisation helpers shared by the parsers (NFC, diacritic folding).

Pure Python: no Airflow, no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# --------------------------------------------------------------------------- text


def nfc(value: str) -> str:
    """Unicode NFC + strip + collapse internal whitespace (incl. NBSP, newlines);
    control and invisible format characters (BEL, zero-width space, BOM...) removed."""
    # fast path first (this runs for every cell of every list): a printable string holds
    # no control/format character and no whitespace but " " (checked over all of Unicode
    # in tests/test_intake_speed.py), so only NFC and runs of spaces can need work
    if value.isprintable():
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        if "  " in value or value[:1] == " " or value[-1:] == " ":
            return " ".join(value.split())
        return value
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if _INVISIBLE_RE.search(value):
        value = _WS_RE.sub(" ", value)  # first: \t \r \n are control characters too
        value = _INVISIBLE_RE.sub("", value)
    return " ".join(value.split())  # removing "a \x08 b" leaves two spaces


_WS_RE = re.compile(r"\s+")
# control characters (Cc) and the invisible format characters (Cf) found in typed text
_INVISIBLE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _fold_slow(value: str) -> str:
    value = unicodedata.normalize("NFD", value.casefold())
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    return value.replace("đ", "d")


# Vietnamese and Latin-1 letters → their base letter, precomputed (fold runs per cell).
_FOLD_TABLE = {
    ord(ch): _fold_slow(ch)
    for ch in (chr(c) for c in list(range(0xC0, 0x250)) + list(range(0x1EA0, 0x1EFA)))
    if ch.isalpha() and _fold_slow(ch).isascii()
}
_FOLD_TABLE.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=8192)
def fold(value: str) -> str:
    """Matching key: NFC, lower-case, Vietnamese diacritics removed (đ → d),
    punctuation replaced by spaces, whitespace collapsed.

    ``fold("Số, ký hiệu HS") == "so ky hieu hs"``
    """
    if value.isascii():  # the table maps only A-Z inside ASCII
        out = value.lower()
    else:
        out = value.translate(_FOLD_TABLE)
        if not out.isascii():  # decomposed marks or letters outside the table
            out = _fold_slow(out)
    return _NON_ALNUM_RE.sub(" ", out).strip()


# --------------------------------------------------------------- field tables


@dataclass(frozen=True)
class FieldSpec:
    """One metadata field: Vietnamese name, XML tag, type and maximum length."""

    name_vi: str
    tag: str
    type: str  # "text" | "number" | "date" | "list"
    max_length: int | None = None


#: File (hồ sơ) metadata, TT 02/2019 field set (DOMAIN.md, "File metadata").
FILE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("Mã hồ sơ", "FileCode", "text", 30),
    FieldSpec("Mã cơ quan lưu trữ lịch sử", "Identifier", "text", 13),
    FieldSpec("Mã phông / công trình / sưu tập", "OrganId", "text", 13),
    FieldSpec("Mục lục số hoặc năm hình thành", "FileCatalog", "number", 4),
    FieldSpec("Số và ký hiệu hồ sơ", "FileNotation", "text", 20),
    FieldSpec("Tiêu đề hồ sơ", "Title", "text", 1000),
    FieldSpec("Thời hạn bảo quản", "Maintenance", "text", 30),
    FieldSpec("Chế độ sử dụng", "Rights", "text", 30),
    FieldSpec("Ngôn ngữ", "Language", "list"),
    FieldSpec("Thời gian bắt đầu", "StartDate", "date"),
    FieldSpec("Thời gian kết thúc", "EndDate", "date"),
    FieldSpec("Tổng số văn bản", "TotalDoc", "number"),
    FieldSpec("Chú giải", "Description", "text", 2000),
    FieldSpec("Ký hiệu thông tin", "InforSign", "text", 30),
    FieldSpec("Từ khóa", "Keyword", "text", 100),
    FieldSpec("Số lượng tờ", "SheetTotal", "number"),
    FieldSpec("Số lượng trang", "PageTotal", "number"),
    FieldSpec("Tình trạng vật lý", "Format", "text", 50),
)

#: Document (văn bản) metadata (DOMAIN.md, "Document metadata").
DOC_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("Mã định danh văn bản", "DocCode", "text", 25),
    FieldSpec("Mã hồ sơ", "FileCode", "text", 30),
    FieldSpec("Số thứ tự văn bản trong hồ sơ", "DocOrdinal", "number", 4),
    FieldSpec("Tên loại văn bản", "TypeName", "text", 100),
    FieldSpec("Số của văn bản", "CodeNumber", "text", 11),
    FieldSpec("Ký hiệu của văn bản", "CodeNotation", "text", 30),
    FieldSpec("Ngày, tháng, năm văn bản", "IssuedDate", "date"),
    FieldSpec("Tên cơ quan, tổ chức ban hành", "OrganName", "text", 200),
    FieldSpec("Trích yếu nội dung", "Subject", "text", 500),
    FieldSpec("Ngôn ngữ", "Language", "list"),
    FieldSpec("Số lượng trang", "PageAmount", "number", 4),
    FieldSpec("Ghi chú", "Description", "text", 500),
    FieldSpec("Ký hiệu thông tin", "InforSign", "text", 30),
    FieldSpec("Từ khóa", "Keyword", "text", 100),
    FieldSpec("Chế độ sử dụng", "Mode", "text", 20),
    FieldSpec("Mức độ tin cậy", "ConfidenceLevel", "text", 30),
    FieldSpec("Bút tích", "Autograph", "text", 2000),
    FieldSpec("Tình trạng vật lý", "Format", "text", 50),
)

FILE_FIELD_BY_TAG: dict[str, FieldSpec] = {f.tag: f for f in FILE_FIELDS}
DOC_FIELD_BY_TAG: dict[str, FieldSpec] = {f.tag: f for f in DOC_FIELDS}

#: Maximum lengths used when validating an inventory list row.
MAX_FILE_CODE = FILE_FIELD_BY_TAG["FileCode"].max_length  # 30
MAX_NOTATION = FILE_FIELD_BY_TAG["FileNotation"].max_length  # 20
MAX_TITLE = FILE_FIELD_BY_TAG["Title"].max_length  # 1000
MAX_CATALOG_DIGITS = FILE_FIELD_BY_TAG["FileCatalog"].max_length  # 4
#: "Ghi chú" on a file has no length of its own in the public field tables; the
#: file's free-text note field is "Chú giải" (Description, 2000), so use that.
MAX_NOTES = FILE_FIELD_BY_TAG["Description"].max_length  # 2000

#: Maximum lengths of the document (văn bản) fields read by the description phase.
MAX_DOC_CODE = DOC_FIELD_BY_TAG["DocCode"].max_length  # 25
MAX_DOC_ORDINAL_DIGITS = DOC_FIELD_BY_TAG["DocOrdinal"].max_length  # 4
MAX_DOC_TYPE_NAME = DOC_FIELD_BY_TAG["TypeName"].max_length  # 100
MAX_CODE_NUMBER = DOC_FIELD_BY_TAG["CodeNumber"].max_length  # 11
MAX_CODE_NOTATION = DOC_FIELD_BY_TAG["CodeNotation"].max_length  # 30
MAX_ORGAN_NAME = DOC_FIELD_BY_TAG["OrganName"].max_length  # 200
MAX_SUBJECT = DOC_FIELD_BY_TAG["Subject"].max_length  # 500
MAX_PAGE_AMOUNT_DIGITS = DOC_FIELD_BY_TAG["PageAmount"].max_length  # 4
#: Document field (DocumentDraft attribute) → its maximum length in characters.
DOC_FIELD_LENGTHS: dict[str, int] = {
    "type_name": MAX_DOC_TYPE_NAME,
    "code_number": MAX_CODE_NUMBER,
    "code_notation": MAX_CODE_NOTATION,
    "organ_name": MAX_ORGAN_NAME,
    "subject": MAX_SUBJECT,
}

#: Inventory-row field key → Vietnamese label shown to clerks.
INVENTORY_LABELS: dict[str, str] = {
    "stt": "Số thứ tự",
    "box_no": "Hộp số",
    "notation": "Số và ký hiệu hồ sơ",
    "title": "Tiêu đề hồ sơ",
    "start_date": "Thời gian bắt đầu",
    "end_date": "Thời gian kết thúc",
    "date_range": "Thời gian",
    "retention": "Thời hạn bảo quản",
    "access_mode": "Chế độ sử dụng",
    "sheet_count": "Số lượng tờ",
    "page_count": "Số lượng trang",
    "doc_count": "Tổng số văn bản",
    "catalog": "Mục lục số hoặc năm hình thành",
    "language": "Ngôn ngữ",
    "notes": "Ghi chú",
}

#: Earliest year accepted for a record date; earlier values are typing mistakes.
MIN_RECORD_YEAR = 1800

# -------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    code: str  # "01".."07"
    label: str  # Vietnamese label
    years: int | None  # None = permanent (01) or unspecified (07)


#: Retention codes (DOMAIN.md "Codes"; periods per TT 10/2022/TT-BNV, counted from
#: the year the work ended).
RETENTION: dict[str, Retention] = {
    r.code: r
    for r in (
        Retention("01", "Vĩnh viễn", None),
        Retention("02", "70 năm", 70),
        Retention("03", "50 năm", 50),
        Retention("04", "30 năm", 30),
        Retention("05", "20 năm", 20),
        Retention("06", "10 năm", 10),
        Retention("07", "Khác", None),
    )
}
RETENTION_PERMANENT = "01"
RETENTION_OTHER = "07"
_RETENTION_BY_YEARS = {r.years: r.code for r in RETENTION.values() if r.years}
# NB: the pre-2011 term "Lâu dài" is NOT permanent; it is left unrecognised on purpose.
_PERMANENT_WORDS = {"vinh vien", "vv", "vinh vien vv", "vv vinh vien", "permanent"}
_OTHER_WORDS = {"khac", "other"}


@lru_cache(maxsize=4096)  # a list repeats a handful of values
def parse_retention(value: str) -> str | None:
    """Recognise a retention cell; return its code "01".."07" or None.

    Accepted: the codes "01".."07" (also "1".."7": Excel drops the leading zero of
    a typed 01); "Vĩnh viễn" / "vinh vien" / "VV"; "70 năm", "70 nam", "70N",
    "70" (a bare 10/20/30/50/70 is a number of years); "Khác". Any other explicit
    number of years ("15 năm", "5 năm") is a real period outside the table and maps
    to 07 Khác (the original text stays in the row's raw cells).
    """
    key = fold(value)
    if not key:
        return None
    if key in _PERMANENT_WORDS:
        return RETENTION_PERMANENT
    if key in _OTHER_WORDS:
        return RETENTION_OTHER
    m = re.fullmatch(r"0?([1-7])", key)
    if m:
        return f"0{m.group(1)}"
    m = re.fullmatch(r"(\d{1,3})(?: ?(?:nam|n|years?))?", key)
    if m:
        years = int(m.group(1))
        if years in _RETENTION_BY_YEARS:
            return _RETENTION_BY_YEARS[years]
        if m.group(0) != m.group(1) and years > 0:  # "15 năm": explicit years
            return RETENTION_OTHER
        return None
    # "01 - Vĩnh viễn", "02 (70 năm)" → code given first, must agree with the label
    m = re.fullmatch(r"0?([1-7]) (.+)", key)
    if m:
        code = f"0{m.group(1)}"
        if parse_retention(m.group(2)) == code:
            return code
    return None


def retention_label(code: str) -> str:
    return RETENTION[code].label


# ------------------------------------------------------------------ access mode

ACCESS_PUBLIC = "public"
ACCESS_RESTRICTED = "restricted"
ACCESS_CONFIDENTIAL = "confidential"

#: code → Vietnamese label
ACCESS_MODES: dict[str, str] = {
    ACCESS_PUBLIC: "Công khai",
    ACCESS_RESTRICTED: "Hạn chế",
    ACCESS_CONFIDENTIAL: "Mật",
}

#: An empty access-mode cell is read as "restricted" (fail closed): restricted files
#: must never leak through search, exports or reports, so a file nobody classified
#: is not published until an archivist sets its mode during arrangement.
DEFAULT_ACCESS_MODE = ACCESS_RESTRICTED

_ACCESS_WORDS: dict[str, str] = {
    "cong khai": ACCESS_PUBLIC,
    "ck": ACCESS_PUBLIC,
    "su dung rong rai": ACCESS_PUBLIC,
    "rong rai": ACCESS_PUBLIC,
    "public": ACCESS_PUBLIC,
    "han che": ACCESS_RESTRICTED,
    "hc": ACCESS_RESTRICTED,
    "han che su dung": ACCESS_RESTRICTED,
    "su dung han che": ACCESS_RESTRICTED,
    "restricted": ACCESS_RESTRICTED,
    "mat": ACCESS_CONFIDENTIAL,
    "m": ACCESS_CONFIDENTIAL,
    "toi mat": ACCESS_CONFIDENTIAL,
    "tuyet mat": ACCESS_CONFIDENTIAL,
    "confidential": ACCESS_CONFIDENTIAL,
}


@lru_cache(maxsize=4096)  # a list repeats a handful of values
def parse_access_mode(value: str) -> str | None:
    """Recognise an access-mode cell ("Công khai", "cong khai", "Hạn chế", "Mật",
    "Tối mật", "public"...). Returns the code or None when not recognised. An empty
    cell is the caller's decision (see DEFAULT_ACCESS_MODE)."""
    return _ACCESS_WORDS.get(fold(value))


# --------------------------------------------------------------------- language

#: Language cell → ISO 639-1 code.
LANGUAGES: dict[str, str] = {
    "vi": "vi", "vie": "vi", "viet": "vi", "tieng viet": "vi", "viet nam": "vi",
    "en": "en", "eng": "en", "anh": "en", "tieng anh": "en",
    "fr": "fr", "fra": "fr", "phap": "fr", "tieng phap": "fr",
    "zh": "zh", "han": "zh", "trung": "zh", "tieng trung": "zh", "han nom": "zh",
    "tieng han": "zh",
    "ru": "ru", "nga": "ru", "tieng nga": "ru",
}
DEFAULT_LANGUAGE = "vi"


@lru_cache(maxsize=4096)  # a list repeats a handful of values
def parse_languages(value: str) -> str | None:
    """"Tiếng Việt, Tiếng Pháp" → "vi,fr"; None if any part is unknown."""
    codes: list[str] = []
    for raw_part in re.split(r"[,;/+]|\s(?:và|va)\s", nfc(value), flags=re.IGNORECASE):
        part = fold(raw_part)
        if not part:
            continue
        code = LANGUAGES.get(part)
        if code is None:
            return None
        if code not in codes:
            codes.append(code)
    return ",".join(codes) or None


# ------------------------------------------------------------------- file codes
#
# TT 02/2019:  {agency code}.{year}.{catalog}.{file notation}
#              e.g. 000.00.00.G09.2010.01.TH  (the agency code has dots: parse
#              from the right)
# TT 05/2025:  {archive code}.{creating agency code}.{year}.{submission no}.{sequence}
#              e.g. PARTCODE.G09.2021.01.001  (from a public summary: verify the
#              widths against the official text; they are the constants below)
#
# A file code becomes a file name (file code + "." + document number), so segments
# are restricted to ASCII letters, digits, "-" and "_".

_SEG = r"[0-9A-Za-z_-]+"
AGENCY_CODE_RE = re.compile(rf"^{_SEG}(?:\.{_SEG})*$")
SEGMENT_RE = re.compile(rf"^{_SEG}$")

FILE_CODE_2019_RE = re.compile(
    rf"^(?P<agency_code>{_SEG}(?:\.{_SEG})*)\.(?P<year>\d{{4}})"
    rf"\.(?P<catalog>\d{{1,4}})\.(?P<notation>{_SEG})$"
)

SUBMISSION_WIDTH = 2
SEQUENCE_WIDTH = 3
FILE_CODE_2025_RE = re.compile(
    rf"^(?P<archive_code>{_SEG})\.(?P<agency_code>{_SEG}(?:\.{_SEG})*)"
    rf"\.(?P<year>\d{{4}})\.(?P<submission_no>\d{{{SUBMISSION_WIDTH},}})"
    rf"\.(?P<sequence>\d{{{SEQUENCE_WIDTH},}})$"
)


def _check_year(year: int) -> None:
    if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a 4-digit integer, got {year!r}")


def _check_length(code: str) -> str:
    if len(code) > MAX_FILE_CODE:
        raise ValueError(f"file code {code!r} is {len(code)} characters, max {MAX_FILE_CODE}")
    return code


def build_file_code_2019(agency_code: str, year: int, catalog: str | int, notation: str) -> str:
    """TT 02/2019 style: ``build_file_code_2019("000.00.00.G09", 2010, "01", "TH")``
    → ``"000.00.00.G09.2010.01.TH"``. ``catalog`` keeps its zero-padding when given
    as a string; an int is written as is (1 → "1")."""
    if not isinstance(agency_code, str) or not AGENCY_CODE_RE.match(agency_code):
        raise ValueError(f"bad agency code {agency_code!r}")
    _check_year(year)
    catalog = str(catalog)
    if not re.fullmatch(r"\d{1,4}", catalog):
        raise ValueError(f"catalog must be 1-4 digits, got {catalog!r}")
    if not isinstance(notation, str) or not SEGMENT_RE.match(notation):
        raise ValueError(f"bad file notation for a file code {notation!r}")
    if len(notation) > MAX_NOTATION:
        raise ValueError(f"file notation longer than {MAX_NOTATION}: {notation!r}")
    return _check_length(f"{agency_code}.{year}.{catalog}.{notation}")


def parse_file_code_2019(code: str) -> dict:
    """Inverse of :func:`build_file_code_2019`. Returns
    ``{"agency_code", "year" (int), "catalog" (str), "notation"}``; ValueError on bad input."""
    if not isinstance(code, str):
        raise ValueError(f"file code must be text, got {code!r}")
    _check_length(code)
    m = FILE_CODE_2019_RE.match(code)
    if not m or len(m.group("notation")) > MAX_NOTATION:
        raise ValueError(f"not a TT 02/2019 file code: {code!r}")
    return {
        "agency_code": m.group("agency_code"),
        "year": int(m.group("year")),
        "catalog": m.group("catalog"),
        "notation": m.group("notation"),
    }


def build_file_code_2025(
    archive_code: str, agency_code: str, year: int, submission_no: int, sequence: int
) -> str:
    """TT 05/2025 style: ``build_file_code_2025("PARTCODE", "G09", 2021, 1, 1)`` →
    ``"PARTCODE.G09.2021.01.001"``. Submission number is zero-padded to 2 digits,
    sequence to 3 (wider numbers are written in full)."""
    if not isinstance(archive_code, str) or not SEGMENT_RE.match(archive_code):
        raise ValueError(f"bad archive code {archive_code!r}")
    if not isinstance(agency_code, str) or not AGENCY_CODE_RE.match(agency_code):
        raise ValueError(f"bad agency code {agency_code!r}")
    _check_year(year)
    for name, n in (("submission_no", submission_no), ("sequence", sequence)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    code = (
        f"{archive_code}.{agency_code}.{year}."
        f"{submission_no:0{SUBMISSION_WIDTH}d}.{sequence:0{SEQUENCE_WIDTH}d}"
    )
    return _check_length(code)


def parse_file_code_2025(code: str) -> dict:
    """Inverse of :func:`build_file_code_2025`. Returns ``{"archive_code",
    "agency_code", "year", "submission_no", "sequence"}`` (the last three int).
    Raises ValueError on bad input, including non-canonical padding ("1" for "01")."""
    if not isinstance(code, str):
        raise ValueError(f"file code must be text, got {code!r}")
    _check_length(code)
    m = FILE_CODE_2025_RE.match(code)
    if not m:
        raise ValueError(f"not a TT 05/2025 file code: {code!r}")
    sub, seq = m.group("submission_no"), m.group("sequence")
    if sub != f"{int(sub):0{SUBMISSION_WIDTH}d}" or seq != f"{int(seq):0{SEQUENCE_WIDTH}d}":
        raise ValueError(f"non-canonical zero-padding in file code {code!r}")
    return {
        "archive_code": m.group("archive_code"),
        "agency_code": m.group("agency_code"),
        "year": int(m.group("year")),
        "submission_no": int(sub),
        "sequence": int(seq),
    }


# --------------------------------------------------------------- document codes
#
# TT 05/2025: a digitised document's file name = the file code + "." + the document's
# number within the file (DOMAIN.md "Standards"). The ordinal is written with
# DOC_ORDINAL_WIDTH digits (zero-padded: names sort in page order) and may have at most
# MAX_DOC_ORDINAL_DIGITS digits (DocOrdinal is "number 4").
#
# NB: the field table gives DocCode 25 characters but FileCode 30, so the document
# code of a file code longer than 25 - 1 - DOC_ORDINAL_WIDTH characters does not fit
# the DocCode field: build_document_code says so (ValueError) instead of cutting it.

DOC_ORDINAL_WIDTH = 3
DOC_CODE_RE = re.compile(rf"^(?P<file_code>{_SEG}(?:\.{_SEG})*)\.(?P<ordinal>\d{{{DOC_ORDINAL_WIDTH},{MAX_DOC_ORDINAL_DIGITS}}})$")


def build_document_code(file_code: str, ordinal: int, *, max_length: int | None = MAX_DOC_CODE) -> str:
    """``build_document_code("PARTCODE.G09.2021.01.001", 2)`` → ``"PARTCODE.G09.2021.01.001.002"``
    would be 28 characters: over DocCode's 25, so ValueError unless ``max_length=None``.
    ``build_document_code("G09.2021.01.001", 2)`` → ``"G09.2021.01.001.002"``."""
    if not isinstance(file_code, str) or not AGENCY_CODE_RE.match(file_code):
        raise ValueError(f"bad file code {file_code!r}")
    if len(file_code) > MAX_FILE_CODE:
        raise ValueError(f"file code {file_code!r} longer than {MAX_FILE_CODE}")
    if not isinstance(ordinal, int) or isinstance(ordinal, bool) or not 1 <= ordinal < 10 ** MAX_DOC_ORDINAL_DIGITS:
        raise ValueError(f"document ordinal must be 1..{10 ** MAX_DOC_ORDINAL_DIGITS - 1}, got {ordinal!r}")
    code = f"{file_code}.{ordinal:0{DOC_ORDINAL_WIDTH}d}"
    if max_length is not None and len(code) > max_length:
        raise ValueError(f"document code {code!r} is {len(code)} characters, DocCode allows {max_length}")
    return code


def parse_document_code(code: str) -> dict:
    """Inverse of :func:`build_document_code` → ``{"file_code", "ordinal" (int)}``."""
    m = DOC_CODE_RE.match(code) if isinstance(code, str) else None
    if not m:
        raise ValueError(f"not a document code: {code!r}")
    ordinal = m.group("ordinal")
    if len(ordinal) > DOC_ORDINAL_WIDTH and ordinal.startswith("0"):
        raise ValueError(f"non-canonical zero-padding in document code {code!r}")
    return {"file_code": m.group("file_code"), "ordinal": int(ordinal)}
