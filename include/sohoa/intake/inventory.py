"""Parse and validate the inventory lists (danh mục hồ sơ) that agencies submit.

Input: the bytes of one list (.xlsx/.xlsm, .xls when ``xlrd`` is installed, .csv/.tsv/.txt)
and its file name. Output: a :class:`ParsedList` with the valid rows, one
:class:`RowError` (Vietnamese problem + how to fix it) per problem, and every line that
was skipped (blank, subtotal, group heading, repeated header, column-number line) with
its reason, so nothing disappears silently.

What the parser copes with
--------------------------
* Header row anywhere in the first :data:`HEADER_SCAN_ROWS` rows (merged title rows
  above it); columns in any order; headers with or without diacritics, any case, common
  abbreviations ("So ky hieu HS", "THBQ", "Chế độ SD", "Tên hồ sơ", "Từ ngày"...); a
  two-row header ("Thời gian" merged over "Bắt đầu" / "Kết thúc").
* Blank lines, subtotal lines ("Cộng", "Tổng cộng: 25 hồ sơ", "Tổng số"), group headings
  ("I. VĂN PHÒNG", "Năm 2019"), numbered column lines ("(1) (2) (3)"), the header
  repeated on each printed page, footers (signatures) → skipped with a reason.
* Dates dd/mm/yyyy (also "-" or "." separators, "ngày 5 tháng 6 năm 2019", ISO
  yyyy-mm-dd, Excel date cells and serials), mm/yyyy, yyyy (start → 1 Jan, end → 31
  Dec) and ranges in one cell ("2019-2021", "01/01/2019 - 31/12/2019", "Từ 2019 đến
  2021"). Two-digit years are rejected (ambiguous).
* Numbers typed as text ("12", "12 tờ", "1.234" with the Vietnamese thousands dot).
* CSV: delimiter "," ";" tab or "|" (chosen by which one yields the best header);
  encoding UTF-8 with or without BOM, UTF-16 with BOM (Excel "Unicode text"), else
  Windows-1258 (cp1258, whose decomposed tone marks are recomposed by NFC) or a
  Windows-1252 reading, whichever looks more Vietnamese; :attr:`ParsedList.encoding`
  records which.
* Legacy Vietnamese fonts: text typed in TCVN3 (ABC, ".Vn" fonts) or VNI-Windows,
  in a CSV or inside workbook cells, is detected and converted to Unicode
  (:mod:`sohoa.intake.legacy_encodings`); :attr:`ParsedList.conversion` records what was
  converted (source encoding, cell count, examples).
* All text is normalised to Unicode NFC and stripped.

Decisions (documented rules, constants in :mod:`sohoa.core.fields`)
-------------------------------------------------------------
* Required columns: Số và ký hiệu hồ sơ, Tiêu đề hồ sơ, Thời hạn bảo quản (they are in
  the official list template). A missing one is a single file-level error
  (``missing_column``) and no row is accepted.
* Empty "Chế độ sử dụng" → ``fields.DEFAULT_ACCESS_MODE`` ("restricted", fail closed:
  an unclassified file is not published until an archivist decides).
* Empty "Ngôn ngữ" → "vi". Dates are optional; when present they must be valid, not
  before ``fields.MIN_RECORD_YEAR``, not in the future, start ≤ end. Explicit
  start/end columns win over a single "Thời gian" column.
* Duplicates: the same notation (case and spaces ignored) within the same catalog
  (Mục lục số) — notations restart per catalog. The second occurrence is the error and
  names the first row.
* File-level errors use ``row_number`` = the header row (0 when there is none) and codes
  ``unreadable``, ``no_header``, ``missing_column``, ``extra_sheet``.
* :attr:`RowError.field` is the column header exactly as the clerk typed it, so they can
  find the column.

"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import re
import zipfile
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Callable

from sohoa.core import fields as F
from sohoa.core.calendar import today as programme_today
from sohoa.intake import legacy_encodings as L
from sohoa.core.fields import fold, nfc

HEADER_SCAN_ROWS = 15
ROW_BATCH = 2000  # valid rows per on_rows() call (see parse_inventory)
SNIFF_LINES = 200  # CSV lines looked at to choose the delimiter

# ----------------------------------------------------------------- data classes


@dataclass
class InventoryRow:
    row_number: int  # 1-based row as the clerk sees it (Excel row; CSV line)
    box_no: str | None
    notation: str
    title: str
    start_date: date | None
    end_date: date | None
    retention_code: str  # "01".."07"
    access_mode: str  # "public" | "restricted" | "confidential"
    sheet_count: int | None
    page_count: int | None
    catalog: str | None
    language: str  # "vi", or several ISO codes joined by "," ("vi,fr")
    notes: str | None
    raw: dict[str, str]  # original cells by original header


@dataclass
class RowError:
    row_number: int
    field: str  # Vietnamese column header as in the list
    value: str
    problem: str  # Vietnamese: what is wrong
    fix: str  # Vietnamese: how to fix it
    code: str  # machine code: required, too_long, bad_date, date_order, ...


@dataclass
class ParsedList:
    rows: list[InventoryRow]
    errors: list[RowError]
    total_rows: int
    skipped: list[tuple[int, str]]
    header_map: dict[str, str]
    encoding: str  # CSV encoding; "" for workbooks
    sha256: str
    sheet_name: str = ""  # worksheet read (workbooks only)
    header_row: int = 0  # row number of the (last) header row; 0 if none
    conversion: dict | None = None  # legacy-font conversion done (None: text was Unicode)

    @property
    def error_rows(self) -> list[int]:
        """Row numbers of data rows with at least one error (sorted)."""
        return sorted({e.row_number for e in self.errors if e.code not in FILE_LEVEL_CODES})

    @property
    def file_errors(self) -> list[RowError]:
        return [e for e in self.errors if e.code in FILE_LEVEL_CODES]


FILE_LEVEL_CODES = frozenset({"unreadable", "no_header", "missing_column", "extra_sheet"})
REQUIRED_COLUMNS = ("notation", "title", "retention")

# ------------------------------------------------------------- header matching

_EXACT: dict[str, str] = {
    "stt": "stt", "tt": "stt", "so tt": "stt", "so thu tu": "stt",
    "hop": "box_no", "hop so": "box_no", "so hop": "box_no",
    "thbq": "retention", "th bq": "retention",
    "cdsd": "access_mode",
    "to": "sheet_count", "so to": "sheet_count",
    "trang": "page_count", "so trang": "page_count",
    "ho so so": "notation", "so ho so": "notation", "so hs": "notation", "hs so": "notation",
    "so va ky hieu": "notation", "so ky hieu": "notation", "ky hieu": "notation",
    "nam": "date_range", "thoi gian": "date_range",
    "tu": "start_date", "den": "end_date",
}

# Ordered regex rules on the folded header; first match wins; None = known but unused.
_RULES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(p), f)
    for p, f in [
        (r"\bky hieu thong tin\b|\bma ho so\b|\bma phong\b|\bchu giai\b|\btu khoa\b", None),
        (r"\bthoi han\b|\bbao quan\b", "retention"),
        (r"\bche do\b|\bquyen (su dung|truy cap)\b", "access_mode"),
        (r"\bky hieu\b", "notation"),
        (r"\btieu de\b|\btrich yeu\b|\bten ho so\b|\bten hs\b", "title"),
        (r"\bbat dau\b.*\bket thuc\b|\btu ngay\b.*\bden ngay\b", "date_range"),
        (r"\bbat dau\b|\btu ngay\b", "start_date"),
        (r"\bket thuc\b|\bden ngay\b", "end_date"),
        (r"\bthoi gian\b", "date_range"),
        (r"\bmuc luc\b|\bnam hinh thanh\b", "catalog"),
        (r"\bso (luong )?to\b|\btong so to\b|\bluong to\b", "sheet_count"),
        (r"\bso (luong )?trang\b|\btong so trang\b|\bluong trang\b", "page_count"),
        (r"\bvan ban\b", "doc_count"),
        (r"\bhop\b", "box_no"),
        (r"\bngon ngu\b", "language"),
        (r"\bghi chu\b", "notes"),
        (r"^(so )?(thu )?tu$", "stt"),
    ]
]


def match_header(text: str) -> str | None:
    """Canonical field for a header cell, or None. ``match_header("So ky hieu HS")
    == "notation"``."""
    key = fold(text)
    if not key or len(key.split()) > 10:
        return None
    if key in _EXACT:
        return _EXACT[key]
    for rx, fld in _RULES:
        if rx.search(key):
            return fld
    # "Số lượng tờ (tờ)", "Tiêu đề hồ sơ (1)": drop a parenthesised tail and retry
    stripped = re.sub(r"\(.*?\)", " ", text)
    if stripped != text:
        return match_header(stripped)
    return None


# ----------------------------------------------------------------- cell values

_EXCEL_ERROR_RE = re.compile(r"^#(REF!|N/A|VALUE!|DIV/0!|NAME\?|NUM!|NULL!)$")


def _to_text(v: Any) -> str:
    if v.__class__ is str:  # the common case first: this runs for every cell
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.strftime("%d/%m/%Y")
        return v.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return v  # readers already normalised every string cell (see _norm)
    return nfc(str(v))


def _norm(cells: Any) -> list[Any]:
    """NFC/strip every string cell once, as it is read; empty strings become None."""
    return [(nfc(v) or None) if isinstance(v, str) else v for v in cells]


# ----------------------------------------------------------------- readers


@dataclass
class _Table:
    name: str
    rows: list[tuple[int, list[Any]]]  # (row_number, cells)


def _decode(data: bytes) -> tuple[str, str, L.Conversion]:
    """Text of a CSV with legacy-font text converted line by line (delimiters are ASCII,
    which no legacy font remaps, so a line converts like its cells)."""
    text, encoding = L.decode_bytes(data)
    lines = text.splitlines(keepends=True)
    cells = [[ln] for ln in lines]
    conv = L.convert_cells(cells)
    if conv.cells:
        text = "".join(c[0] for c in cells)
    return text, encoding, conv


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[Any]]]:
    out: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    prev = 0
    for rec in reader:
        out.append((prev + 1, _norm(rec)))
        prev = reader.line_num
    return out


def _read_csv(data: bytes) -> tuple[list[_Table], str, L.Conversion]:
    text, encoding, conv = _decode(data)
    # choose the delimiter on the first lines only, then read the whole file once
    head = "".join(text.splitlines(keepends=True)[:SNIFF_LINES])
    best: tuple[tuple[int, int], str] | None = None
    for delim in (",", ";", "\t", "|"):
        try:
            rows = _csv_rows(head, delim)
        except csv.Error:
            continue
        header = _find_header(rows)
        score = header[1] if header else 0
        widths = [len(r) for _, r in rows if len(r) > 1]
        consistency = max((widths.count(w) for w in set(widths)), default=0)
        key = (score, consistency)
        if best is None or key > best[0]:
            best = (key, delim)
    if best is None:
        raise ValueError("csv")
    return [_Table("", _csv_rows(text, best[1]))], encoding, conv


def _read_xlsx(data: bytes) -> list[_Table]:
    """Fast path: python-calamine (Rust) reads the cell values ~10x faster than openpyxl.
    openpyxl stays the reference reader and is used whenever calamine would not give the
    same cells: calamine not installed or failing, error cells (#N/A… calamine drops
    them), ISO-date cells, or a sheet whose rows we cannot line up."""
    try:
        tables = _read_xlsx_calamine(data)
    except Exception:  # noqa: BLE001 - any trouble: the reference reader decides
        tables = None
    return tables if tables is not None else _read_xlsx_openpyxl(data)


_XL_ROW_RE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_XL_SPECIAL_CELL_RE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\bt="[ed]"')
_XL_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _read_xlsx_calamine(data: bytes) -> list[_Table] | None:
    try:
        import python_calamine
    except ImportError:
        return None
    import posixpath
    import xml.etree.ElementTree as ET

    zf = zipfile.ZipFile(io.BytesIO(data))
    # sheet name → its XML part, to look at what calamine does not report
    wbxml = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    parts = {}
    for sh in wbxml.iter():
        if sh.tag.endswith("}sheet") and sh.get(_XL_NS_R) in target:
            t = target[sh.get(_XL_NS_R)]
            parts[sh.get("name")] = t.lstrip("/") if t.startswith("/") else posixpath.normpath(
                posixpath.join("xl", t))
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    tables = []
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            continue
        xml = zf.read(parts[meta.name])
        if _XL_SPECIAL_CELL_RE.search(xml):
            return None
        # openpyxl yields every <row> element, styled empty ones at the end included
        # (they are reported as blank lines): read the last row number from the XML
        last = None
        for m in _XL_ROW_RE.finditer(xml, max(0, len(xml) - 65536)):
            last = int(m[1])
        if last is None and _XL_ROW_RE.search(xml):
            return None
        values = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        rows: list[tuple[int, list[Any]]] = []
        for i, cells in enumerate(values, 1):
            # calamine pads rows to the sheet's width with "": trim like openpyxl does
            n = len(cells)
            while n and cells[n - 1] == "":
                n -= 1
            rows.append((i, [None if v == "" else v for v in cells[:n]]))
        for i in range(len(rows) + 1, (last or 0) + 1):
            rows.append((i, []))
        tables.append(_Table(meta.name, rows))
    return tables


def _read_xlsx_openpyxl(data: bytes) -> list[_Table]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        tables = []
        for ws in wb.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            ws.reset_dimensions()  # some writers store a wrong <dimension>
            rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)]
            tables.append(_Table(ws.title, rows))
        return tables
    finally:
        wb.close()


def _read_xls(data: bytes) -> list[_Table]:
    import xlrd  # optional dependency

    book = xlrd.open_workbook(file_contents=data)
    tables = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            cells: list[Any] = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    except Exception:  # noqa: BLE001 - keep the raw number
                        cells.append(cell.value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append(None)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    cells.append(xlrd.error_text_from_code.get(cell.value, "#N/A"))
                else:
                    cells.append(cell.value)
            rows.append((r + 1, cells))
        tables.append(_Table(sh.name, rows))
    return tables


def _kind(data: bytes, filename: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


# ----------------------------------------------------------------- header detection


def _row_fields(cells: list[Any]) -> dict[int, str]:
    out = {}
    for i, v in enumerate(cells):
        if isinstance(v, str) and v.strip():
            f = match_header(v)
            if f is not None:
                out[i] = f
    return out


def _find_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, int] | None:
    """Index (into rows) of the best header row among the first HEADER_SCAN_ROWS rows
    and its score (distinct known fields). None if nothing looks like a header."""
    best: tuple[int, int] | None = None
    for idx, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = set(_row_fields(cells).values())
        score = len(found)
        if score >= 2 and found & {"notation", "title"}:
            if best is None or score > best[1]:
                best = (idx, score)
    return best


@dataclass
class _Columns:
    by_field: dict[str, int]  # canonical field → column index (first wins)
    headers: list[str]  # display header per column ("" when none)
    header_map: dict[str, str]  # display header → canonical field
    raw_keys: list[str]  # unique key per column for InventoryRow.raw
    header_folds: list[str]
    last_header_idx: int


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _build_columns(rows: list[tuple[int, list[Any]]], h: int) -> _Columns:
    top = [_to_text(v) for v in rows[h][1]]
    sub: list[str] | None = None
    if h + 1 < len(rows):
        cand = [_to_text(v) for v in rows[h + 1][1]]
        nonempty = [(i, t) for i, t in enumerate(cand) if t]
        parent = ""
        parents = []
        for i in range(max(len(top), len(cand))):
            t = top[i] if i < len(top) else ""
            parent = t or parent
            parents.append(parent)
        # a sub-header cell must be a header by itself ("Bắt đầu", "Tờ", "Trang"):
        # "Số ký hiệu" + "01" also matches, but only because of its parent
        matched = sum(1 for _, t in nonempty if match_header(t))
        if nonempty and matched == len(nonempty) and not _is_column_numbers(cand):
            sub = cand
    width = max(len(top), len(sub or []))
    headers: list[str] = []
    fields_: list[str | None] = []
    parent = ""
    for i in range(width):
        t = top[i] if i < len(top) else ""
        parent = t or parent
        child = sub[i] if sub and i < len(sub) else ""
        if child:
            p = t or parent
            disp = f"{p} / {child}" if p else child
            f = match_header(f"{p} {child}") or match_header(child)
        else:
            disp = t
            f = match_header(t) if t else None
        headers.append(disp)
        fields_.append(f)
    by_field: dict[str, int] = {}
    header_map: dict[str, str] = {}
    raw_keys: list[str] = []
    seen: dict[str, int] = {}
    for i, (disp, f) in enumerate(zip(headers, fields_)):
        key = disp or f"Cột {_col_letter(i)}"
        if key in seen:
            seen[key] += 1
            key = f"{key} ({seen[key]})"
        else:
            seen[key] = 1
        raw_keys.append(key)
        if f is not None and f not in by_field:
            by_field[f] = i
            header_map[key] = f
    return _Columns(
        by_field, headers, header_map, raw_keys,
        [fold(x) for x in headers], h + 1 if sub is not None else h,
    )


_DIGIT_RE = re.compile(r"[0-9]")
_CATALOG_RE = re.compile(rf"\d{{1,{F.MAX_CATALOG_DIGITS}}}")
_WS_RE = re.compile(r"\s+")
_COLNUM_RE = re.compile(r"\(?\s*(\d{1,2})\s*\)?")
_NUMERIC_RE = re.compile(r"[\d.,\s]+")
_STT_RE = re.compile(r"\d+\.?")


def _is_column_numbers(texts: list[str]) -> bool:
    vals = [t for t in texts if t]
    if len(vals) < 3:
        return False
    nums = []
    for t in vals:
        m = _COLNUM_RE.fullmatch(t)
        if not m:
            return False
        nums.append(int(m.group(1)))
    return nums == list(range(nums[0], nums[0] + len(nums)))


# ----------------------------------------------------------------- value parsers

_SUBTOTAL_RE = re.compile(r"^(tong cong|tong so|cong|tong)(?: (.*))?$")
_SUBTOTAL_WORDS = {"ho", "so", "hs", "hop", "to", "trang", "van", "ban", "muc", "luc",
                   "cong", "nam", "gom", "co", "tat", "ca", "toan", "bo", "danh", "sach"}


def _is_subtotal(text: str) -> bool:
    c = text[:1]
    if c.isascii() and c.isalnum() and c.lower() not in ("t", "c"):
        return False  # an ASCII letter/digit starts the folded text too: not "tổng"/"cộng"
    m = _SUBTOTAL_RE.match(fold(text))
    if not m:
        return False
    rest = (m.group(2) or "").split()
    return all(w.isdigit() or w in _SUBTOTAL_WORDS for w in rest)


def _is_count_words(text: str) -> bool:
    """"3 hồ sơ", "25 HS": the count a subtotal line writes in the title column."""
    words = fold(text).split()
    return bool(words) and words[0].isdigit() and all(
        w.isdigit() or w in _SUBTOTAL_WORDS for w in words)


def _is_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if letters and text == text.upper():
        return True
    if re.match(r"^([IVXLC]+|[A-ZĐ])[.)]\s", text):
        return True
    return bool(re.fullmatch(r"(nam|hop|muc luc)( so)? \d+", fold(text)))


class _DateError(ValueError):
    pass


_D = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{4}|\d{4}"
_PERIOD_RE = re.compile(
    rf"^(?:từ|tu)?\s*({_D})\s*(?:-|–|—|→|đến|den|to)\s*({_D})$", re.IGNORECASE
)


def _mk(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise _DateError(f"Ngày «{text}» không tồn tại (ngày {d}, tháng {m}, năm {y}).") from None


def _parse_date_text(text: str, end: bool) -> date:
    got = _parse_date_cached(text, end)
    if isinstance(got, str):
        raise _DateError(got)
    return got


@lru_cache(maxsize=65536)  # dates repeat a lot in a list; errors cached as their message
def _parse_date_cached(text: str, end: bool) -> date | str:
    try:
        return _parse_date_text_uncached(text, end)
    except _DateError as e:
        return str(e)


def _parse_date_text_uncached(text: str, end: bool) -> date:
    t = re.sub(r"\s+0{1,2}:0{2}(:0{2})?$", "", text.strip())
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", t):
        raise _DateError(f"Năm trong «{text}» chỉ có 2 chữ số, không rõ thế kỷ.")
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", t):
        return _mk(int(m[3]), int(m[2]), int(m[1]), text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
        return _mk(int(m[1]), int(m[2]), int(m[3]), text)
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", t):
        y, mo = int(m[2]), int(m[1])
        if not 1 <= mo <= 12:
            raise _DateError(f"Tháng {mo} trong «{text}» không tồn tại.")
        return date(y, mo, monthrange(y, mo)[1] if end else 1)
    if m := re.fullmatch(r"(?:nam )?(\d{4})", fold(t)):
        y = int(m[1])
        return date(y, 12, 31) if end else date(y, 1, 1)
    if m := re.fullmatch(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})", fold(t)):
        return _mk(int(m[3]), int(m[2]), int(m[1]), text)
    raise _DateError(f"Không đọc được ngày tháng «{text}».")


def _parse_date_value(v: Any, end: bool) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer() and F.MIN_RECORD_YEAR <= v <= 2200:
            y = int(v)
            return date(y, 12, 31) if end else date(y, 1, 1)
        if 20000 <= v <= 80000:  # Excel serial day number in an unformatted cell
            return date(1899, 12, 30) + timedelta(days=int(v))
        raise _DateError(f"Không đọc được ngày tháng «{_to_text(v)}».")
    return _parse_date_text(_to_text(v), end)


def _parse_period(v: Any) -> tuple[date, date] | None:
    if not isinstance(v, str):
        return None
    got = _parse_period_cached(v)
    if isinstance(got, str):
        raise _DateError(got)
    return got


@lru_cache(maxsize=65536)  # date cells repeat a lot; errors cached as their message
def _parse_period_cached(v: str) -> tuple[date, date] | str | None:
    m = _PERIOD_RE.match(nfc(v))
    if not m:
        return None
    try:
        return _parse_date_text(m[1], end=False), _parse_date_text(m[2], end=True)
    except _DateError as e:
        return str(e)


def _parse_count(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not v.is_integer():
            raise ValueError
        n = int(v)
    else:
        n = _parse_count_text(v if v.__class__ is str else str(v))
    if n < 0:
        raise ValueError
    return n


_COUNT_RE = re.compile(r"(-?)\s*(\d{1,3}(?:\.\d{3})+|\d+)(?:\.0+)?\s*(?:tờ|to|trang|tr|t)?\.?")


@lru_cache(maxsize=8192)  # counts repeat ("12", "30 trang"); -1 = not a count
def _parse_count_text(v: str) -> int:
    m = _COUNT_RE.fullmatch(nfc(v).lower())
    if not m:
        return -1
    n = int(m[2].replace(".", ""))
    return -n if m[1] else n


# ----------------------------------------------------------------- main entry


def _file_error(code: str, problem: str, fix: str, *, row: int = 0, field_: str = "Tệp",
                value: str = "") -> RowError:
    return RowError(row, field_, value, problem, fix, code)


def parse_inventory(data: bytes, filename: str, *, today: date | None = None,
                    on_rows: Callable[[list[InventoryRow]], None] | None = None) -> ParsedList:
    """Parse one inventory list. Never raises on bad content: problems are returned as
    :class:`RowError` (file-level ones included). ``today`` bounds future dates
    (default: the current date). ``on_rows``, if given, is called with each batch of
    valid rows as soon as it is parsed (every row exactly once, in order; they are in the
    result too), so a loader can write them while the rest is still being parsed."""
    # a 50,000-row list makes about a million small objects that all stay alive: the
    # cyclic garbage collector would rescan them again and again for nothing (~10 % CPU)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_inventory(data, filename, today or programme_today(), on_rows)
    finally:
        if was_enabled:
            gc.enable()


def _parse_inventory(data: bytes, filename: str, today: date,
                     on_rows: Callable[[list[InventoryRow]], None] | None) -> ParsedList:
    sha = hashlib.sha256(data).hexdigest()
    kind = _kind(data, filename)
    encoding = ""
    empty = ParsedList([], [], 0, [], {}, "", sha)
    conv = L.Conversion()
    try:
        if kind == "xlsx":
            tables = _read_xlsx(data)
        elif kind == "xls":
            try:
                tables = _read_xls(data)
            except ImportError:
                empty.errors.append(_file_error(
                    "unreadable", "Máy chủ chưa đọc được tệp Excel cũ (.xls).",
                    "Mở tệp bằng Excel và lưu lại dạng .xlsx (Excel Workbook), rồi gửi lại.",
                    value=filename))
                return empty
        else:
            tables, encoding, conv = _read_csv(data)
        if kind != "csv":  # workbook cells typed with a .Vn / VNI font
            conv = L.convert_cells([cells for t in tables for _, cells in t.rows])
            for t in tables:
                t.rows = [(rn, _norm(cells)) for rn, cells in t.rows]
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, csv.Error) as exc:
        empty.errors.append(_file_error(
            "unreadable", f"Không đọc được tệp «{filename}» ({type(exc).__name__}).",
            "Kiểm tra tệp có mở được bằng Excel không; lưu lại dạng .xlsx hoặc .csv (UTF-8) "
            "rồi gửi lại.", value=filename))
        return empty
    except Exception as exc:  # noqa: BLE001 - xlrd/openpyxl raise many types
        empty.errors.append(_file_error(
            "unreadable", f"Không đọc được tệp «{filename}» ({type(exc).__name__}).",
            "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại.", value=filename))
        return empty
    empty.encoding = encoding
    empty.conversion = conv.as_dict() if conv.cells else None

    # pick the table (sheet) with the best header
    scored = []
    for t in tables:
        hdr = _find_header(t.rows)
        scored.append((hdr[1] if hdr else 0, t, hdr))
    best = max(scored, key=lambda x: x[0], default=None)
    if best is None or best[2] is None:
        empty.errors.append(_file_error(
            "no_header",
            f"Không tìm thấy dòng tiêu đề cột của danh mục trong {HEADER_SCAN_ROWS} dòng đầu.",
            "Đặt một dòng tiêu đề cột gồm ít nhất «Số và ký hiệu hồ sơ», «Tiêu đề hồ sơ», "
            "«Thời hạn bảo quản» ở đầu bảng (trong 15 dòng đầu). Nếu chữ bị lỗi phông "
            "(TCVN3/VNI), chuyển sang Unicode rồi gửi lại.", field_="Tiêu đề cột"))
        return empty
    _, table, (h, _) = best
    errors: list[RowError] = []
    skipped: list[tuple[int, str]] = []
    for _score, t, hdr in scored:
        if t is table:
            continue
        nonblank = any(any(_to_text(v) for v in cells) for _, cells in t.rows)
        if hdr is not None:
            errors.append(_file_error(
                "extra_sheet",
                f"Trang tính «{t.name}» cũng có bảng danh mục nhưng không được đọc "
                f"(chỉ đọc trang «{table.name}»).",
                "Mỗi tệp chỉ gửi một danh mục: chuyển các dòng sang trang "
                f"«{table.name}» hoặc tách trang «{t.name}» thành tệp riêng.",
                field_="Trang tính", value=t.name))
        elif nonblank:
            skipped.append((0, f"Bỏ qua trang tính «{t.name}»: không có dòng tiêu đề cột danh mục"))

    rows = table.rows
    cols = _build_columns(rows, h)
    header_rownum = rows[cols.last_header_idx][0]
    for idx in range(h):
        rn, cells = rows[idx]
        text = " ".join(x for x in (_to_text(v) for v in cells) if x)
        skipped.append((rn, f"Dòng trước tiêu đề cột: «{text[:80]}»" if text else "Dòng trống"))

    result = ParsedList([], errors, 0, skipped, cols.header_map, encoding, sha,
                        table.name, header_rownum, empty.conversion)
    missing = [f for f in REQUIRED_COLUMNS if f not in cols.by_field]
    if missing:
        for f in missing:
            label = F.INVENTORY_LABELS[f]
            errors.append(_file_error(
                "missing_column", f"Danh mục thiếu cột «{label}».",
                f"Thêm cột «{label}» vào dòng tiêu đề cột (dòng {header_rownum}) và điền cho "
                "từng hồ sơ, rồi gửi lại.", row=header_rownum, field_=label))
        # still count data rows so the report shows the size of the rejected list
    _RowParser(result, cols, today, count_only=bool(missing)).run(
        rows[cols.last_header_idx + 1:], on_rows)
    return result


def read_sheet_records(data: bytes, filename: str, headers: dict[str, str]
                       ) -> tuple[list[str] | None, list[tuple[int, dict[str, str]]]]:
    """Any simple sheet (XLSX/XLS/CSV, legacy fonts converted): the first row among the
    first HEADER_SCAN_ROWS with two or more cells whose folded text is a key of
    ``headers`` is the header; returns (header cells, [(row number, {field: text})])."""
    kind = _kind(data, filename)
    if kind == "csv":
        tables, _, _ = _read_csv(data)
    else:
        tables = _read_xlsx(data) if kind == "xlsx" else _read_xls(data)
        L.convert_cells([cells for t in tables for _, cells in t.rows])
        for t in tables:
            t.rows = [(rn, _norm(cells)) for rn, cells in t.rows]
    for t in tables:
        for idx, (_, cells) in enumerate(t.rows[:HEADER_SCAN_ROWS]):
            cols = {i: headers[fold(_to_text(v))] for i, v in enumerate(cells)
                    if fold(_to_text(v)) in headers}
            if len(cols) >= 2:
                out = []
                for rn, row in t.rows[idx + 1:]:
                    rec = {f: _to_text(row[i]) for i, f in cols.items() if i < len(row)}
                    if any(rec.values()):
                        out.append((rn, rec))
                return [_to_text(v) for v in cells], out
    return None, []


class _RowParser:
    def __init__(self, result: ParsedList, cols: _Columns, today: date, count_only: bool):
        self.r = result
        self.c = cols
        self.today = today
        self.count_only = count_only
        self.seen: dict[tuple[str, str], int] = {}
        self._hdr_cols = [i for i, x in enumerate(cols.header_folds) if x]
        self._hdr_need = max(2, len(self._hdr_cols) // 2)
        self._digitless_hdr = {i for i in self._hdr_cols
                               if not _DIGIT_RE.search(cols.header_folds[i])}
        self._last_col = max(cols.by_field.values(), default=-1)
        # per-list constants, computed once instead of once per row
        self._allowed_retention = "; ".join(f"{r.code} {r.label}" for r in F.RETENTION.values())
        self._coarse_now = (date(today.year, 12, 31),
                            date(today.year, today.month,
                                 monthrange(today.year, today.month)[1]))
        self._date_fields = {
            "start": "start_date" if self.col("start_date") is not None else "date_range",
            "end": "end_date" if self.col("end_date") is not None else "date_range"}

    # helpers
    def col(self, f: str) -> int | None:
        return self.c.by_field.get(f)

    def header(self, f: str) -> str:
        i = self.col(f)
        if i is not None and self.c.headers[i]:
            return self.c.headers[i]
        return F.INVENTORY_LABELS[f]

    def run(self, rows: list[tuple[int, list[Any]]],
            on_rows: Callable[[list[InventoryRow]], None] | None = None) -> None:
        out = self.r.rows
        handed = 0  # rows already given to on_rows
        for rn, cells in rows:
            texts = [v if v.__class__ is str else _to_text(v) for v in cells]
            reason = self.skip_reason(texts)
            if reason:
                self.r.skipped.append((rn, reason))
                continue
            self.r.total_rows += 1
            if not self.count_only:
                self.parse_row(rn, cells, texts)
                if on_rows is not None and len(out) - handed >= ROW_BATCH:
                    on_rows(out[handed:])
                    handed = len(out)
        if on_rows is not None and len(out) > handed:
            on_rows(out[handed:])

    def skip_reason(self, texts: list[str]) -> str | None:
        nonempty = {i: t for i, t in enumerate(texts) if t}
        if not nonempty:
            return "Dòng trống"
        hf = self.c.header_folds
        hdr_cols = self._hdr_cols
        need = self._hdr_need
        # empty cells are misses for free: look only at filled header columns, and stop
        # folding cells as soon as a repeated header is no longer possible
        n = len(texts)
        filled = [i for i in hdr_cols if i < n and texts[i]]
        if hdr_cols and len(filled) >= need:
            same, left = 0, len(filled)
            digitless = self._digitless_hdr
            for i in filled:
                if same + left < need:
                    break
                left -= 1
                t = texts[i]
                # a digit survives folding, so a cell with one cannot be (the end of) a
                # header without digits: skip folding it (numbers, dates, most titles)
                if i in digitless and _DIGIT_RE.search(t):
                    continue
                f = fold(t)
                if f and (f == hf[i] or hf[i].endswith(f)):
                    same += 1
            if same >= need:
                return "Dòng tiêu đề cột lặp lại"
        if _is_column_numbers(texts):
            return "Dòng đánh số cột"
        ncol, tcol, scol = self.col("notation"), self.col("title"), self.col("stt")
        notation = nonempty.get(ncol, "") if ncol is not None else ""
        title = nonempty.get(tcol, "") if tcol is not None else ""
        # the first cell holding words (a subtotal row may start with numbers); the dict
        # is in column order, so the first hit is the smallest index
        first_i = next((i for i, t in nonempty.items() if not _NUMERIC_RE.fullmatch(t)),
                       None)
        if first_i is None:
            first_i = next(iter(nonempty))
        first = nonempty[first_i]
        if notation and title and not _is_subtotal(first):
            return None  # an ordinary data row: nothing below can skip it
        preview = " | ".join(nonempty.values())[:80]
        if _is_subtotal(first) and (not title or tcol == first_i or _is_count_words(title)) and (
            not notation or ncol == first_i
        ):
            return f"Dòng cộng/tổng: «{preview}»"
        if scol is not None and set(nonempty) == {scol}:
            if _STT_RE.fullmatch(nonempty[scol]):
                return "Dòng chỉ có số thứ tự, không có nội dung"
            return f"Dòng tiêu đề nhóm: «{preview}»"
        if not notation and not title:
            substantive = ("start_date", "end_date", "date_range", "retention", "access_mode",
                           "sheet_count", "page_count", "doc_count")
            if not any(self.col(f) in nonempty for f in substantive if self.col(f) is not None):
                return f"Dòng không có số ký hiệu và tiêu đề hồ sơ (tiêu đề nhóm, chữ ký…): «{preview}»"
        if not notation and title and set(nonempty) <= {tcol, scol} and _is_heading(title):
            return f"Dòng tiêu đề nhóm: «{preview}»"
        return None

    def parse_row(self, rn: int, cells: list[Any], texts: list[str]) -> None:
        errs: list[RowError] = []
        raw = dict(zip(self.c.raw_keys, texts))
        if len(texts) < len(self.c.raw_keys):
            for key in self.c.raw_keys[len(texts):]:
                raw[key] = ""
        by_field = self.c.by_field
        ncells = len(cells)

        # the row's cells and texts by field, once: plain dict lookups below
        if ncells > self._last_col:  # the usual case: every mapped column is there
            row_c = {f: cells[i] for f, i in by_field.items()}
            row_t = {f: texts[i] for f, i in by_field.items()}
        else:
            row_c = {f: cells[i] for f, i in by_field.items() if i < ncells}
            row_t = {f: texts[i] for f, i in by_field.items() if i < ncells}
        cell = row_c.get  # missing → None
        tget = row_t.get

        def err(f: str, value: str, problem: str, fix: str, code: str) -> None:
            errs.append(RowError(rn, self.header(f), value, problem, fix, code))

        for f, t in row_t.items():
            if t[:1] == "#" and _EXCEL_ERROR_RE.match(t):
                err(f, t, f"Ô «{self.header(f)}» chứa lỗi công thức Excel {t}.",
                    "Thay công thức bằng giá trị đúng (sao chép, dán giá trị) rồi gửi lại.",
                    "excel_error")

        # notation / title
        notation = tget("notation", "")
        title = tget("title", "")
        for f, val, limit, example in (
            ("notation", notation, F.MAX_NOTATION, "ví dụ: 01 hoặc 15/HS-VP"),
            ("title", title, F.MAX_TITLE, "nội dung chính của hồ sơ"),
        ):
            label = F.INVENTORY_LABELS[f]
            if not val:
                err(f, "", f"Thiếu {label.lower()}.",
                    f"Điền {label.lower()} ({example}) vào cột «{self.header(f)}».", "required")
            elif len(val) > limit:
                err(f, val, f"{label} dài {len(val)} ký tự, vượt quá giới hạn {limit} ký tự.",
                    f"Rút gọn còn tối đa {limit} ký tự; phần giải thích thêm ghi vào cột "
                    "«Ghi chú».", "too_long")

        # dates
        start = end = None
        start_v, end_v, range_v = cell("start_date"), cell("end_date"), cell("date_range")
        fix_date = ("Ghi ngày theo dạng ngày/tháng/năm đủ 4 chữ số năm (ví dụ 05/06/2019), "
                    "hoặc chỉ năm (2019), hoặc khoảng năm (2019-2021).")
        try:
            if start_v is None and end_v is None and range_v is not None:
                per = _parse_period(range_v)
                if per:
                    start, end = per
                else:
                    start = _parse_date_value(range_v, end=False)
                    end = _parse_date_value(range_v, end=True)
        except _DateError as e:
            err("date_range", _to_text(range_v), str(e), fix_date, "bad_date")
        for f, v, is_end in (("start_date", start_v, False), ("end_date", end_v, True)):
            if v is None:
                continue
            try:
                per = _parse_period(v)
                if per:
                    other = end_v if not is_end else start_v
                    if other is not None:
                        err(f, _to_text(v),
                            f"Ô «{self.header(f)}» ghi cả một khoảng thời gian trong khi cột "
                            "kia cũng có ngày.",
                            f"Chỉ ghi một ngày vào cột «{self.header(f)}» "
                            "(ngày bắt đầu / kết thúc tách riêng).", "bad_date")
                        continue
                    start, end = per
                elif is_end:
                    end = _parse_date_value(v, end=True)
                else:
                    start = _parse_date_value(v, end=False)
            except _DateError as e:
                err(f, _to_text(v), str(e), fix_date, "bad_date")
        date_fields = self._date_fields
        bounded: set[str] = set()
        for which, d in (("start", start), ("end", end)):
            f = date_fields[which]
            if d is None or f in bounded:
                continue
            # "2025" / "06/2025" as an end date are read as 31/12/2025 / 30/06/2025: a
            # file of the current year or month is not "in the future"
            coarse_now = which == "end" and d in self._coarse_now
            future = d > self.today and not coarse_now
            if d.year < F.MIN_RECORD_YEAR or future:
                bounded.add(f)  # one out-of-range error per cell, not one per bound
            if d.year < F.MIN_RECORD_YEAR:
                err(f, d.strftime("%d/%m/%Y"),
                    f"Năm {d.year} quá sớm (trước năm {F.MIN_RECORD_YEAR}), có thể gõ nhầm.",
                    "Kiểm tra lại năm của hồ sơ và ghi đủ 4 chữ số.", "bad_date")
            elif future:
                err(f, d.strftime("%d/%m/%Y"),
                    f"Ngày {d.strftime('%d/%m/%Y')} ở tương lai.",
                    "Kiểm tra lại ngày tháng của hồ sơ (thường là gõ nhầm năm).", "bad_date")
        if start and end and start > end:
            f = "end_date" if self.col("end_date") is not None else date_fields["end"]
            err(f, f"{start.strftime('%d/%m/%Y')} – {end.strftime('%d/%m/%Y')}",
                f"Thời gian bắt đầu ({start.strftime('%d/%m/%Y')}) sau thời gian kết thúc "
                f"({end.strftime('%d/%m/%Y')}).",
                "Kiểm tra và đổi lại cho đúng: ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
                "date_order")

        # retention
        ret_t = tget("retention", "")
        retention = F.parse_retention(ret_t) if ret_t else None
        allowed = self._allowed_retention
        if not ret_t:
            err("retention", "", "Thiếu thời hạn bảo quản.",
                f"Ghi một trong các giá trị: {allowed} (ví dụ «Vĩnh viễn» hoặc «70 năm»).",
                "required")
        elif retention is None:
            err("retention", ret_t, f"Không nhận ra thời hạn bảo quản «{ret_t}».",
                f"Ghi một trong các giá trị: {allowed} (ví dụ «Vĩnh viễn» hoặc «70 năm»).",
                "bad_retention")

        # access mode
        acc_t = tget("access_mode", "")
        access = F.parse_access_mode(acc_t) if acc_t else F.DEFAULT_ACCESS_MODE
        if access is None:
            err("access_mode", acc_t, f"Không nhận ra chế độ sử dụng «{acc_t}».",
                "Ghi một trong ba giá trị: Công khai, Hạn chế, Mật.", "bad_access_mode")

        # counts
        counts: dict[str, int | None] = {}
        for f, unit in (("sheet_count", "tờ"), ("page_count", "trang")):
            v = cell(f)
            counts[f] = None
            if v is None:
                continue
            try:
                counts[f] = _parse_count(v)
            except ValueError:
                err(f, _to_text(v), f"Số {unit} «{_to_text(v)}» không phải số nguyên không âm.",
                    f"Ghi số {unit} bằng chữ số, ví dụ 12 hoặc «12 {unit}».", "bad_number")

        # catalog
        catalog = tget("catalog", "") or None
        if catalog is not None and not _CATALOG_RE.fullmatch(catalog):
            err("catalog", catalog,
                f"Mục lục số «{catalog}» phải là số có tối đa {F.MAX_CATALOG_DIGITS} chữ số.",
                "Ghi số mục lục (ví dụ 01) hoặc năm hình thành (ví dụ 2019).", "bad_catalog")

        # language
        lang_t = tget("language", "")
        language = F.parse_languages(lang_t) if lang_t else F.DEFAULT_LANGUAGE
        if language is None:
            err("language", lang_t, f"Không nhận ra ngôn ngữ «{lang_t}».",
                "Ghi tên ngôn ngữ, ví dụ «Tiếng Việt», «Tiếng Pháp»; nhiều ngôn ngữ cách nhau "
                "bằng dấu phẩy.", "bad_language")

        # notes
        notes = tget("notes", "") or None
        if notes and len(notes) > F.MAX_NOTES:
            err("notes", notes[:100] + "…",
                f"Ghi chú dài {len(notes)} ký tự, vượt quá giới hạn {F.MAX_NOTES} ký tự.",
                f"Rút gọn ghi chú còn tối đa {F.MAX_NOTES} ký tự.", "too_long")

        # duplicates (same notation within the same catalog)
        if notation:
            key = ((catalog or "").lstrip("0"), _WS_RE.sub("", notation.casefold()))
            first = self.seen.get(key)
            if first is None:
                self.seen[key] = rn
            else:
                where = f" (cùng mục lục «{catalog}»)" if catalog else ""
                err("notation", notation,
                    f"Số và ký hiệu hồ sơ «{notation}» trùng với dòng {first}{where}.",
                    f"Mỗi hồ sơ có một số và ký hiệu riêng: sửa lại số ký hiệu ở dòng {rn} "
                    f"hoặc dòng {first}, hoặc xóa dòng nếu nhập trùng.", "duplicate")

        if errs:
            self.r.errors.extend(errs)
            return
        box = tget("box_no", "") or None
        self.r.rows.append(InventoryRow(
            row_number=rn, box_no=box, notation=notation, title=title,
            start_date=start, end_date=end, retention_code=retention or "",
            access_mode=access or F.DEFAULT_ACCESS_MODE,
            sheet_count=counts["sheet_count"], page_count=counts["page_count"],
            catalog=catalog, language=language or F.DEFAULT_LANGUAGE, notes=notes, raw=raw,
        ))


__all__ = [
    "InventoryRow", "RowError", "ParsedList", "parse_inventory", "match_header",
    "read_sheet_records",
    "HEADER_SCAN_ROWS", "REQUIRED_COLUMNS", "FILE_LEVEL_CODES",
]
