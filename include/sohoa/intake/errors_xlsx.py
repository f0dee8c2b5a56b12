"""The Vietnamese error workbook sent back to an agency for one inventory list.

Sheet "Lỗi danh mục": a title, a summary line (tổng số dòng, hợp lệ, có lỗi), then a
table Dòng | Trường | Giá trị | Lỗi | Cách sửa (bold header, wrapped text, frozen header,
landscape, fit to page width, header repeated on every printed page).
Sheet "Dòng bỏ qua": every skipped line with its reason, so the clerk can check that
nothing was dropped by mistake.

Clerk-typed values are always written as text: a value such as "=HYPERLINK(...)" is
never turned into a formula, and control characters Excel refuses are removed.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from sohoa.intake.inventory import ParsedList

SHEET_ERRORS = "Lỗi danh mục"
SHEET_SKIPPED = "Dòng bỏ qua"
HEADERS = ("Dòng", "Trường", "Giá trị", "Lỗi", "Cách sửa")
WIDTHS = (8, 26, 34, 50, 60)
HEADER_ROW = 4  # title row 1, file row 2, summary row 3, table header row 4


EXCEL_CELL_MAX = 32767  # characters Excel keeps in one cell


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_MAX:  # Excel would "repair" (empty) the whole workbook
            value = value[:EXCEL_CELL_MAX - 60] + f"… (cắt bớt: ô dài {len(value)} ký tự)"
    return value


def _put(ws, row: int, col: int, value: object, *, as_text: bool = False):
    cell = ws.cell(row=row, column=col, value=_clean(value))
    if as_text and isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the clerk typed
    return cell


def summary_counts(parsed: ParsedList) -> tuple[int, int, int]:
    """(tổng số dòng, hợp lệ, có lỗi) — data rows only."""
    total = parsed.total_rows
    # intake may add errors to parsed rows (a duplicate of an earlier list): not valid
    valid = len({r.row_number for r in parsed.rows} - set(parsed.error_rows))
    return total, valid, total - valid


def _error_sheet(ws, title: str, file_line: str, summary: str,
                 rows: list[tuple], empty: str) -> None:
    """Title, file line, summary, then the table Dòng | Trường | Giá trị | Lỗi | Cách sửa,
    set up for printing (A4 landscape, one page wide, header on every page, filter)."""
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    _put(ws, 1, 1, title, as_text=True).font = Font(bold=True, size=14)
    _put(ws, 2, 1, file_line, as_text=True)
    _put(ws, 3, 1, summary, as_text=True).font = bold
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    for col, (name, width) in enumerate(zip(HEADERS, WIDTHS), 1):
        cell = _put(ws, HEADER_ROW, col, name)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    r = HEADER_ROW
    for values in rows:
        r += 1
        for col, v in enumerate(values, 1):
            cell = _put(ws, r, col, v, as_text=col > 1)
            cell.alignment = wrap
            cell.border = border
    if not rows:
        _put(ws, HEADER_ROW + 1, 1, empty, as_text=True)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(HEADERS))}{max(r, HEADER_ROW + 1)}"


def write_error_workbook(agency_name: str, filename: str, parsed: ParsedList) -> bytes:
    total, valid, bad = summary_counts(parsed)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_ERRORS
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    note = ""
    if parsed.conversion:  # say so: the clerk should switch to a Unicode font
        note = (f"  — đã chuyển {parsed.conversion['cells']} ô từ phông "
                f"{parsed.conversion['label']} sang Unicode; lần sau xin gõ bằng phông Unicode")
    _error_sheet(
        ws, f"DANH SÁCH LỖI DANH MỤC HỒ SƠ — {agency_name}",
        f"Tệp: {filename}  (SHA-256: {parsed.sha256[:16]}…){note}",
        f"Tổng số dòng: {total}; hợp lệ: {valid}; có lỗi: {bad}; "
        f"số lỗi: {len(parsed.errors)}; dòng bỏ qua: {len(parsed.skipped)}",
        [(e.row_number or "", e.field, e.value, e.problem, e.fix)
         for e in sorted(parsed.errors, key=lambda e: (e.row_number, e.field))],
        "Không có lỗi: tất cả các dòng đều hợp lệ.")

    sk = wb.create_sheet(SHEET_SKIPPED)
    for col, (name, width) in enumerate((("Dòng", 8), ("Lý do bỏ qua", 100)), 1):
        cell = _put(sk, 1, col, name)
        cell.font = bold
        sk.column_dimensions[get_column_letter(col)].width = width
    for i, (rownum, reason) in enumerate(parsed.skipped, 2):
        _put(sk, i, 1, rownum or "")
        _put(sk, i, 2, reason, as_text=True).alignment = wrap
    sk.freeze_panes = "A2"
    sk.page_setup.orientation = "landscape"
    sk.page_setup.fitToWidth = 1
    sk.page_setup.fitToHeight = 0
    sk.sheet_properties.pageSetUpPr.fitToPage = True

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SHEET_SLIP_ERRORS = "Lỗi phiếu tin"


def write_slip_error_workbook(filename: str, sha256: str, total_rows: int,
                              errors: list[dict]) -> bytes:
    """The archivists' record-slip sheet (phiếu tin) came back with rows that could not be
    used: one line per row, with what to do. ``errors``: {row, field, value, problem, fix}."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_SLIP_ERRORS
    bad_rows = len({e["row"] for e in errors})
    _error_sheet(
        ws, "DANH SÁCH PHIẾU TIN CHƯA NHẬP ĐƯỢC",
        f"Tệp: {filename}  (SHA-256: {sha256[:16]}…)",
        f"Tổng số dòng: {total_rows}; đã nhập: {max(total_rows - bad_rows, 0)}; có lỗi: {bad_rows}",
        [(e["row"] or "", e.get("field") or "", e.get("value") or "", e["problem"], e.get("fix") or "")
         for e in sorted(errors, key=lambda e: (e["row"], e.get("field") or ""))],
        "Không có lỗi: tất cả phiếu tin đã được nhập.")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
