"""Reading an inventory list file (CSV in any encoding, XLSX, XLS) into tables of cells.

CSV: delimiter chosen by which yields the best header; encoding UTF-8 (BOM or not),
UTF-16 with BOM, else cp1258 or cp1252, whichever looks more Vietnamese. XLSX through
python-calamine with openpyxl as fallback; .xls through xlrd.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from sohoa.intake import legacy_encodings as L
from sohoa.intake.headers import find_header
from sohoa.intake.values import norm_cells

SNIFF_LINES = 200  # CSV lines looked at to choose the delimiter


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
        out.append((prev + 1, norm_cells(rec)))
        prev = reader.line_num
    return out


def read_csv(data: bytes) -> tuple[list[_Table], str, L.Conversion]:
    text, encoding, conv = _decode(data)
    # choose the delimiter on the first lines only, then read the whole file once
    head = "".join(text.splitlines(keepends=True)[:SNIFF_LINES])
    best: tuple[tuple[int, int], str] | None = None
    for delim in (",", ";", "\t", "|"):
        try:
            rows = _csv_rows(head, delim)
        except csv.Error:
            continue
        header = find_header(rows)
        score = header[1] if header else 0
        widths = [len(r) for _, r in rows if len(r) > 1]
        consistency = max((widths.count(w) for w in set(widths)), default=0)
        key = (score, consistency)
        if best is None or key > best[0]:
            best = (key, delim)
    if best is None:
        raise ValueError("csv")
    return [_Table("", _csv_rows(text, best[1]))], encoding, conv


def read_xlsx(data: bytes) -> list[_Table]:
    """Fast path: python-calamine (Rust) reads the cell values ~10x faster than openpyxl.
    openpyxl stays the reference reader and is used whenever calamine would not give the
    same cells: calamine not installed or failing, error cells (#N/A… calamine drops
    them), ISO-date cells, or a sheet whose rows we cannot line up."""
    try:
        tables = read_xlsx_calamine(data)
    except Exception:  # noqa: BLE001 - any trouble: the reference reader decides
        tables = None
    return tables if tables is not None else _read_xlsx_openpyxl(data)


_XL_ROW_RE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_XL_SPECIAL_CELL_RE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\bt="[ed]"')
_XL_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def read_xlsx_calamine(data: bytes) -> list[_Table] | None:
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


def read_xls(data: bytes) -> list[_Table]:
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


def file_kind(data: bytes, filename: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"
