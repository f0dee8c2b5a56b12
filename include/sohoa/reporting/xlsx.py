"""The weekly report as an Excel workbook (XlsxWriter): summary, roll-up, a sheet per agency."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any



from sohoa.reporting.formatting import fmt_date
from sohoa.reporting.numbers import (LEVEL_LABELS, PAGE_KEYS, PAGE_LABELS, PHASE_LABELS, PHASES,
                                     STATUS_LABELS)


# --------------------------------------------------------------------------- XLSX

SUMMARY_COLUMNS: list[tuple[str, Any, str | None, int]] = [
    ("Mã cơ quan", lambda r: r["code"], None, 14),
    ("Tên cơ quan", lambda r: r["name"], None, 36),
    ("Cấp", lambda r: LEVEL_LABELS.get(r["level"], r["level"]), None, 14),
    ("Tình trạng", lambda r: STATUS_LABELS.get(r["status"], r["status"]), None, 16),
    ("Đơn vị kế thừa hiện nay", lambda r: r.get("successor_code") or "", None, 14),
    *[(f"Hồ sơ: {PHASE_LABELS[p]}", (lambda p: lambda r: r["files"][p])(p), "#,##0", 14)  # noqa: B023 - bound by the outer lambda
      for p in PHASES],
    *[(PAGE_LABELS[k], (lambda k: lambda r: r["pages"][k])(k), "#,##0", 13) for k in PAGE_KEYS],  # noqa: B023
    ("Dòng danh mục bị trả lại", lambda r: r["rejected_inventory_rows"], "#,##0", 13),
    ("Chỉ tiêu hồ sơ", lambda r: r["plan"]["target_files"], "#,##0", 12),
    ("Chỉ tiêu trang", lambda r: r["plan"]["target_pages"], "#,##0", 12),
    ("Hạn hoàn thành", lambda r: r["plan"]["deadline"], "dd/mm/yyyy", 13),
    ("Tỷ lệ hoàn thành kế hoạch",
     lambda r: (r["files"]["integrated"] / r["plan"]["target_files"])
     if r["plan"]["target_files"] else None, "0.0%", 13),
    ("Tích hợp trong tuần", lambda r: r["done_this_week"]["integrated"], "#,##0", 12),
    ("Bình quân tích hợp/tuần (4 tuần)", lambda r: r["throughput_per_week"], "#,##0.0", 13),
    ("Dự báo hoàn thành", lambda r: r["forecast_date"], "dd/mm/yyyy", 13),
    ("Cảnh báo", lambda r: "; ".join(r["risk_reasons"]), None, 30),
]
SUMMARY_HEADER_ROW = 4

# XlsxWriter writes the workbook as a stream of rows: the city's ~600 sheets (~150 000
# cells) take about a second, against 8-12 s for openpyxl's object model. Rows and
# columns below are 0-based (XlsxWriter's convention); SUMMARY_HEADER_ROW is the
# 1-based row a reader sees.
_XLSX_STYLES = {
    "title": {"bold": True, "font_size": 14, "font_color": "#1F3864"},
    "sub": {"italic": True, "font_size": 10, "font_color": "#555555"},
    "section": {"bold": True, "font_size": 12, "font_color": "#1F4E78"},
    "head": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
             "valign": "vcenter", "align": "center", "border": 1, "border_color": "#999999"},
    "body": {"border": 1, "border_color": "#999999"},
    "total": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "border_color": "#999999"},
    "risk": {"bg_color": "#FCE4D6", "border": 1, "border_color": "#999999"},
}


class _Xlsx:
    """One report workbook: formats made once per (kind, number format), sheet names
    made safe and unique (Excel compares them case-insensitively), column widths kept
    as the widest any table on the sheet asked for."""

    def __init__(self, buf: io.BytesIO):
        import xlsxwriter

        # Cell text is data, never a formula or link (a title starting with "=" stays text).
        self.wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "default_date_format": "dd/mm/yyyy"})
        self._formats: dict[tuple[str, str | None], Any] = {}
        self._names: set[str] = set()
        self._widths: dict[Any, dict[int, float]] = {}

    def fmt(self, kind: str, num_format: str | None = None):
        key = (kind, num_format)
        if key not in self._formats:
            props = dict(_XLSX_STYLES.get(kind, {}))
            if num_format:
                props["num_format"] = num_format
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, title: str):
        for ch in '[]:*?/\\':
            title = title.replace(ch, "_")
        title = title.strip("'")[:31] or "CQ"
        base, i = title, 1
        while title.lower() in self._names:
            i += 1
            title = f"{base[:28]}_{i}"
        self._names.add(title.lower())
        ws = self.wb.add_worksheet(title)
        self._widths[ws] = {}
        return ws

    def width(self, ws, col: int, width: float) -> None:
        w = self._widths[ws]
        w[col] = max(w.get(col, 0), width)

    def close(self) -> None:
        for ws, widths in self._widths.items():
            for col, w in widths.items():
                ws.set_column(col, col, w)
        self.wb.close()


def _print_setup(ws, repeat_rows: tuple[int, int] | None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.center_horizontally()
    if repeat_rows:
        ws.repeat_rows(*repeat_rows)


def _table(x: _Xlsx, ws, top: int, columns, rows, total_row=None, risk_key=True) -> int:
    """Write a header at 0-based row ``top``, then the rows and an optional total;
    returns the next free row. A column's number format may depend on the row
    (a callable), for key/value tables mixing numbers and dates."""
    head = x.fmt("head")
    for c, (label, _g, _f, width) in enumerate(columns):
        ws.write_string(top, c, label, head)
        x.width(ws, c, width)
    ws.set_row(top, 48)
    r = top
    for item in rows + ([total_row] if total_row is not None else []):
        r += 1
        kind = ("total" if item is total_row
                else "risk" if risk_key and item.get("at_risk") else "body")
        for c, (_l, getter, num_format, _w) in enumerate(columns):
            nf = num_format(item) if callable(num_format) else num_format
            ws.write(r, c, getter(item), x.fmt(kind, nf))
    return r + 1


def render_xlsx(numbers: dict[str, Any], rescans: list[dict[str, Any]] | None = None) -> bytes:
    buf = io.BytesIO()
    x = _Xlsx(buf)
    ws = x.sheet("Tổng hợp")
    as_of, week_start = numbers["as_of"], numbers["week_start"]
    ws.write_string(0, 0, "BÁO CÁO TIẾN ĐỘ SỐ HÓA HỒ SƠ, TÀI LIỆU", x.fmt("title"))
    ws.write_string(1, 0, f"Số liệu đến ngày {fmt_date(as_of)} — tuần {numbers['weeks'][-1]} "
                          f"(từ {fmt_date(week_start)}); theo cơ quan lập hồ sơ", x.fmt("sub"))
    prog = dict(numbers["programme"], code="TỔNG", name="Toàn chương trình", level="",
                status="", successor_code="")
    hr = SUMMARY_HEADER_ROW - 1
    _table(x, ws, hr, SUMMARY_COLUMNS, numbers["agencies"], total_row=prog)
    ws.freeze_panes(hr + 1, 2)
    _print_setup(ws, (hr, hr))

    # Roll-up under today's successor.
    wr = x.sheet("Theo đơn vị kế thừa")
    wr.write_string(0, 0, "TIẾN ĐỘ GỘP THEO ĐƠN VỊ KẾ THỪA HIỆN NAY", x.fmt("title"))
    wr.write_string(1, 0, f"Số liệu đến ngày {fmt_date(as_of)}; hồ sơ của cơ quan đã sáp nhập/giải thể "
                          "gộp vào đơn vị kế thừa", x.fmt("sub"))
    cols = [SUMMARY_COLUMNS[0], SUMMARY_COLUMNS[1], SUMMARY_COLUMNS[2],
            ("Gồm các cơ quan", lambda r: ", ".join(r["member_codes"]), None, 24),
            *SUMMARY_COLUMNS[5:]]
    _table(x, wr, 3, cols, numbers["rollup"], total_row=dict(prog, member_codes=[]))
    wr.freeze_panes(4, 2)
    _print_setup(wr, (3, 3))

    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in rescans or []:
        by_agency[item["agency_code"]].append(item)
    for a in numbers["agencies"]:
        _agency_sheet(x, numbers, a, by_agency.get(a["code"], []))
    x.close()
    return buf.getvalue()


def _agency_sheet(x: _Xlsx, numbers, a, rescans) -> None:
    ws = x.sheet(a["code"])
    ws.write_string(0, 0, f"{a['code']} — {a['name']}", x.fmt("title"))
    extra = f"; hồ sơ do {a['successor_code']} tiếp nhận" if a.get("successor_code") else ""
    ws.write_string(1, 0, f"{LEVEL_LABELS.get(a['level'], a['level'])}; "
                          f"{STATUS_LABELS.get(a['status'], a['status'])}{extra}; "
                          f"số liệu đến ngày {fmt_date(numbers['as_of'])}", x.fmt("sub"))
    section = x.fmt("section")
    kv = [("Chỉ tiêu", lambda r: r[0], None, 34), ("Số lượng", lambda r: r[1], "#,##0", 16)]
    row = 3
    ws.write_string(row, 0, "Tiến độ hồ sơ (lũy kế)", section)
    row = _table(x, ws, row + 1, kv, [(PHASE_LABELS[p], a["files"][p]) for p in PHASES],
                 risk_key=False) + 1
    ws.write_string(row, 0, "Trang tài liệu", section)
    page_rows = [(PAGE_LABELS[k], a["pages"][k]) for k in PAGE_KEYS]
    page_rows.append(("Dòng danh mục bị trả lại", a["rejected_inventory_rows"]))
    row = _table(x, ws, row + 1, kv, page_rows, risk_key=False) + 1
    ws.write_string(row, 0, "Lý do loại trang", section)
    reasons = list(a["qc_reject_by_reason"].items()) or [("(không có)", 0)]
    row = _table(x, ws, row + 1, kv, reasons, risk_key=False) + 1
    ws.write_string(row, 0, "Kế hoạch và dự báo", section)
    plan = a["plan"]
    plan_rows = [  # (label, value, number format)
        ("Chỉ tiêu hồ sơ", plan["target_files"], "#,##0"),
        ("Chỉ tiêu trang", plan["target_pages"], "#,##0"),
        ("Hạn hoàn thành", plan["deadline"], "dd/mm/yyyy"),
        ("Tỷ lệ hoàn thành kế hoạch (%)", plan["pct_of_plan"], "0.0"),
        ("Bình quân tích hợp/tuần (4 tuần)", a["throughput_per_week"], "0.0"),
        ("Dự báo hoàn thành", a["forecast_date"] or "Chưa đủ số liệu", "dd/mm/yyyy"),
        ("Cảnh báo", "; ".join(a["risk_reasons"]) or "Không", "#,##0"),
    ]
    kv_plan = [("Nội dung", lambda r: r[0], None, 34),
               ("Giá trị", lambda r: r[1], lambda r: r[2], 16)]
    row = _table(x, ws, row + 1, kv_plan, plan_rows, risk_key=False) + 1
    ws.write_string(row, 0, "Hồ sơ đạt từng khâu theo tuần", section)
    wcols = [("Tuần", lambda r: r["week"], None, 34),
             *[(PHASE_LABELS[p], (lambda p: lambda r: r[p])(p), "#,##0", 14) for p in PHASES]]  # noqa: B023
    row = _table(x, ws, row + 1, wcols, a["weekly"], risk_key=False) + 1
    if rescans:
        ws.write_string(row, 0, "Trang chờ quét lại (cũ nhất trước)", section)
        rcols = [
            ("Hồ sơ (mã/ký hiệu)", lambda r: r["file"], None, 34),
            ("Tiêu đề", lambda r: "(hạn chế)" if r["restricted"] else (r["title"] or ""), None, 40),
            ("Trang", lambda r: r["page_no"], "0", 8),
            ("Lý do", lambda r: r["reasons"], None, 30),
            ("Mở từ ngày", lambda r: fmt_date(r["opened_at"]), None, 14),
        ]
        _table(x, ws, row + 1, rcols, rescans, risk_key=False)
    for col in range(2, 9):
        x.width(ws, col, 14)
    ws.freeze_panes(3, 0)
    _print_setup(ws, (0, 1))
