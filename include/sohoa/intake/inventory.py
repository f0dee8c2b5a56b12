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
import zipfile
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from sohoa.core import fields as F
from sohoa.core.fields import fold
from sohoa.intake import legacy_encodings as L
from sohoa.intake.headers import (  # noqa: F401 - part of this module's API
    CATALOG_RE,
    DIGIT_RE,
    HEADER_SCAN_ROWS,
    NUMERIC_RE,
    STT_RE,
    WS_RE,
    Columns,
    build_columns,
    find_header,
    is_column_numbers,
    match_header,
)
from sohoa.intake.readers import file_kind, read_csv, read_xls, read_xlsx
from sohoa.intake.values import (
    EXCEL_ERROR_RE,
    DateError,
    is_count_words,
    is_heading,
    is_subtotal,
    norm_cells,
    parse_count,
    parse_date_value,
    parse_period,
    to_text,
)

ROW_BATCH = 2000  # valid rows per on_rows() call (see parse_inventory)

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
        return _parse_inventory(data, filename, today or date.today(), on_rows)
    finally:
        if was_enabled:
            gc.enable()


def _parse_inventory(data: bytes, filename: str, today: date,
                     on_rows: Callable[[list[InventoryRow]], None] | None) -> ParsedList:
    sha = hashlib.sha256(data).hexdigest()
    kind = file_kind(data, filename)
    encoding = ""
    empty = ParsedList([], [], 0, [], {}, "", sha)
    conv = L.Conversion()
    try:
        if kind == "xlsx":
            tables = read_xlsx(data)
        elif kind == "xls":
            try:
                tables = read_xls(data)
            except ImportError:
                empty.errors.append(_file_error(
                    "unreadable", "Máy chủ chưa đọc được tệp Excel cũ (.xls).",
                    "Mở tệp bằng Excel và lưu lại dạng .xlsx (Excel Workbook), rồi gửi lại.",
                    value=filename))
                return empty
        else:
            tables, encoding, conv = read_csv(data)
        if kind != "csv":  # workbook cells typed with a .Vn / VNI font
            conv = L.convert_cells([cells for t in tables for _, cells in t.rows])
            for t in tables:
                t.rows = [(rn, norm_cells(cells)) for rn, cells in t.rows]
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
        hdr = find_header(t.rows)
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
        nonblank = any(any(to_text(v) for v in cells) for _, cells in t.rows)
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
    cols = build_columns(rows, h)
    header_rownum = rows[cols.last_header_idx][0]
    for idx in range(h):
        rn, cells = rows[idx]
        text = " ".join(x for x in (to_text(v) for v in cells) if x)
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
    kind = file_kind(data, filename)
    if kind == "csv":
        tables, _, _ = read_csv(data)
    else:
        tables = read_xlsx(data) if kind == "xlsx" else read_xls(data)
        L.convert_cells([cells for t in tables for _, cells in t.rows])
        for t in tables:
            t.rows = [(rn, norm_cells(cells)) for rn, cells in t.rows]
    for t in tables:
        for idx, (_, cells) in enumerate(t.rows[:HEADER_SCAN_ROWS]):
            cols = {i: headers[fold(to_text(v))] for i, v in enumerate(cells)
                    if fold(to_text(v)) in headers}
            if len(cols) >= 2:
                out = []
                for rn, row in t.rows[idx + 1:]:
                    rec = {f: to_text(row[i]) for i, f in cols.items() if i < len(row)}
                    if any(rec.values()):
                        out.append((rn, rec))
                return [to_text(v) for v in cells], out
    return None, []


class _RowParser:
    def __init__(self, result: ParsedList, cols: Columns, today: date, count_only: bool):
        self.r = result
        self.c = cols
        self.today = today
        self.count_only = count_only
        self.seen: dict[tuple[str, str], int] = {}
        self._hdr_cols = [i for i, x in enumerate(cols.header_folds) if x]
        self._hdr_need = max(2, len(self._hdr_cols) // 2)
        self._digitless_hdr = {i for i in self._hdr_cols
                               if not DIGIT_RE.search(cols.header_folds[i])}
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
            texts = [v if v.__class__ is str else to_text(v) for v in cells]
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
                if i in digitless and DIGIT_RE.search(t):
                    continue
                f = fold(t)
                if f and (f == hf[i] or hf[i].endswith(f)):
                    same += 1
            if same >= need:
                return "Dòng tiêu đề cột lặp lại"
        if is_column_numbers(texts):
            return "Dòng đánh số cột"
        ncol, tcol, scol = self.col("notation"), self.col("title"), self.col("stt")
        notation = nonempty.get(ncol, "") if ncol is not None else ""
        title = nonempty.get(tcol, "") if tcol is not None else ""
        # the first cell holding words (a subtotal row may start with numbers); the dict
        # is in column order, so the first hit is the smallest index
        first_i = next((i for i, t in nonempty.items() if not NUMERIC_RE.fullmatch(t)),
                       None)
        if first_i is None:
            first_i = next(iter(nonempty))
        first = nonempty[first_i]
        if notation and title and not is_subtotal(first):
            return None  # an ordinary data row: nothing below can skip it
        preview = " | ".join(nonempty.values())[:80]
        if is_subtotal(first) and (not title or tcol == first_i or is_count_words(title)) and (
            not notation or ncol == first_i
        ):
            return f"Dòng cộng/tổng: «{preview}»"
        if scol is not None and set(nonempty) == {scol}:
            if STT_RE.fullmatch(nonempty[scol]):
                return "Dòng chỉ có số thứ tự, không có nội dung"
            return f"Dòng tiêu đề nhóm: «{preview}»"
        if not notation and not title:
            substantive = ("start_date", "end_date", "date_range", "retention", "access_mode",
                           "sheet_count", "page_count", "doc_count")
            if not any(self.col(f) in nonempty for f in substantive if self.col(f) is not None):
                return f"Dòng không có số ký hiệu và tiêu đề hồ sơ (tiêu đề nhóm, chữ ký…): «{preview}»"
        if not notation and title and set(nonempty) <= {tcol, scol} and is_heading(title):
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
            if t[:1] == "#" and EXCEL_ERROR_RE.match(t):
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
                per = parse_period(range_v)
                if per:
                    start, end = per
                else:
                    start = parse_date_value(range_v, end=False)
                    end = parse_date_value(range_v, end=True)
        except DateError as e:
            err("date_range", to_text(range_v), str(e), fix_date, "bad_date")
        for f, v, is_end in (("start_date", start_v, False), ("end_date", end_v, True)):
            if v is None:
                continue
            try:
                per = parse_period(v)
                if per:
                    other = end_v if not is_end else start_v
                    if other is not None:
                        err(f, to_text(v),
                            f"Ô «{self.header(f)}» ghi cả một khoảng thời gian trong khi cột "
                            "kia cũng có ngày.",
                            f"Chỉ ghi một ngày vào cột «{self.header(f)}» "
                            "(ngày bắt đầu / kết thúc tách riêng).", "bad_date")
                        continue
                    start, end = per
                elif is_end:
                    end = parse_date_value(v, end=True)
                else:
                    start = parse_date_value(v, end=False)
            except DateError as e:
                err(f, to_text(v), str(e), fix_date, "bad_date")
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
                counts[f] = parse_count(v)
            except ValueError:
                err(f, to_text(v), f"Số {unit} «{to_text(v)}» không phải số nguyên không âm.",
                    f"Ghi số {unit} bằng chữ số, ví dụ 12 hoặc «12 {unit}».", "bad_number")

        # catalog
        catalog = tget("catalog", "") or None
        if catalog is not None and not CATALOG_RE.fullmatch(catalog):
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
            key = ((catalog or "").lstrip("0"), WS_RE.sub("", notation.casefold()))
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
