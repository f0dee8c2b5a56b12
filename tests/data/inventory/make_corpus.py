"""Regenerate the messy inventory-list corpus used by tests/test_inventory.py.

    /work/main/.venv/bin/python tests/data/inventory/make_corpus.py

The generated files are committed; the exact expected outcome of every row is written
in tests/test_inventory.py. Change both together.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).parent


def _cp1258(text: str) -> bytes:
    """Encode like Windows-1258 editors do: precomposed base letters (â, ơ, ư...) where
    the code page has them, tone marks as combining characters."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        base, marks = nfd[0], nfd[1:]
        # keep one mark (circumflex/breve/horn) precomposed with the base letter
        for i, m in enumerate(marks):
            head = unicodedata.normalize("NFC", base + m)
            if len(head) == 1:
                try:
                    out += head.encode("cp1258")
                except UnicodeEncodeError:
                    continue
                marks = marks[:i] + marks[i + 1:]
                break
        else:
            out += base.encode("cp1258")
        for m in marks:
            out += m.encode("cp1258")
    return bytes(out)


def _text(cell, value):
    cell.value = value
    cell.data_type = "s"  # keep "=..." as a typed string, not a formula


def make_xlsx_merged_title() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh mục"
    ws["A1"] = "ỦY BAN NHÂN DÂN XÃ ĐÔNG ANH"
    ws.merge_cells("A1:J1")
    ws["A2"] = "DANH MỤC HỒ SƠ NỘP LƯU NĂM 2024"
    ws.merge_cells("A2:J2")
    ws["A1"].font = ws["A2"].font = Font(bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    # row 3 left empty; shuffled headers without diacritics on row 4
    headers = ["Tieu de ho so", "THBQ", "So, ky hieu HS", "Hop so", "Ngay bat dau",
               "Ngay ket thuc", "So to", "Che do SD", "STT", "Ghi chu"]
    for c, h in enumerate(headers, 1):
        ws.cell(4, c, h)
    for c in range(1, 11):
        ws.cell(5, c, f"({c})")
    nfd = unicodedata.normalize("NFD", "Sổ đăng ký khai sinh năm 2019")
    data = {
        6: ["Hồ sơ Đại hội Đảng bộ xã nhiệm kỳ 2020-2025", "Vĩnh viễn", "01", 1,
            datetime(2020, 3, 2), datetime(2020, 3, 4), 45, "Công khai", 1, None],
        7: [nfd, "vinh vien", "02", "1", "01/01/2019", "31/12/2019", "120 tờ", "han che", 2,
            "  Bìa   rách  "],
        8: ["Hồ sơ giải quyết khiếu nại của công dân", "20 nam", "03", 2, "15/08/2021",
            "02/03/2021", 12, "Mật", 3, None],
        9: ["Báo cáo tổng kết năm 2022", "Lâu dài", None, 2, "12/05/22", None, -3, "Nội bộ",
            4, None],
        10: ["Hồ sơ trùng số", "05", "01", 3, "2023", "2023", 5, None, 5, None],
        11: ["Hồ sơ có số ký hiệu quá dài", "70 năm", "HS-2023-VANPHONG-UBND-001", 3,
             "2023", "2024", 7, "CK", 6, None],
        12: ["Hồ sơ thời hạn là công thức", "=SUM(A1)", "=2+3", 3, "2022", "2022", 1,
             None, 7, None],
        13: [None, None, None, None, None, None, 190, None, "Tổng cộng: 7 hồ sơ", None],
        15: [None, None, None, "NGƯỜI LẬP BIỂU", None, None, None, None, None,
             "Đông Anh, ngày 10 tháng 6 năm 2025"],
    }
    for r, values in data.items():
        for c, v in enumerate(values, 1):
            if isinstance(v, str) and v.startswith("="):
                _text(ws.cell(r, c), v)
            elif v is not None:
                ws.cell(r, c, v)
    ws.cell(6, 5).number_format = ws.cell(6, 6).number_format = "DD/MM/YYYY"
    extra = wb.create_sheet("Năm 2020")
    for c, h in enumerate(["Số ký hiệu", "Tiêu đề", "THBQ"], 1):
        extra.cell(1, c, h)
    for c, v in enumerate(["01", "Hồ sơ năm 2020", "Vĩnh viễn"], 1):
        extra.cell(2, c, v)
    guide = wb.create_sheet("Hướng dẫn")
    guide["A1"] = "Điền theo mẫu, mỗi hồ sơ một dòng."
    wb.save(HERE / "ubnd_xa_tieu_de_gop.xlsx")


def make_csv_semicolon() -> None:
    lines = [
        "PHÒNG TÀI CHÍNH - KẾ HOẠCH HUYỆN ĐÔNG ANH (đã giải thể);;;;;;;;",
        "DANH MỤC HỒ SƠ;;;;;;;;",
        "Mục lục số;Số và ký hiệu hồ sơ;Tiêu đề hồ sơ;Thời gian;Số tờ;Số trang;"
        "Thời hạn bảo quản;Chế độ sử dụng;Ghi chú",
        '1;01;"Hồ sơ dự toán ngân sách; năm 2019";2019;1.234;2.468 trang;70 năm;Công khai;',
        '1;02;"Hồ sơ quyết toán\n(nhiều dòng)";2019-2021;12;24;02;cong khai;'
        '"Ghi chú có ""ngoặc kép"""',
        "2;01;Hồ sơ thanh tra;2020;5 tờ;10;30 nam;Hạn chế;",
        "1;01;Hồ sơ trùng số;2019;3;6;10 năm;;",
        "1;03;Hồ sơ số tờ lẻ;2019;12,5;;50 năm;;",
        ";;;;;;;;",
        "Tổng số;;;;1.254;;;;",
    ]
    data = "\r\n".join(lines) + "\r\n"
    (HERE / "phong_tc_cham_phay.csv").write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))


def make_csv_cp1258() -> None:
    lines = [
        "STT,Hộp số,Số hồ sơ,Tên hồ sơ,Từ ngày,Đến ngày,Thời hạn bảo quản,Chế độ sử dụng,"
        "Số tờ,Ngôn ngữ",
        "1,1,01,Hồ sơ xây dựng nông thôn mới,01/02/2015,30/11/2016,Vĩnh viễn,Công khai,35,"
        "Tiếng Việt",
        '2,1,02,Hồ sơ đất đai thửa số 125,2010,2012,50 năm,Hạn chế,12 tờ,'
        '"Tiếng Việt, Tiếng Pháp"',
        "3,2,03,Hồ sơ cấp phép xây dựng,01/01/2017,,20 năm,mật,8,Tiếng Đức",
    ]
    data = "\r\n".join(lines) + "\r\n"
    (HERE / "xa_cu_cp1258.csv").write_bytes(_cp1258(data))


def make_xlsx_two_row_header() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "DM"
    ws["A1"] = "DANH MỤC HỒ SƠ VĂN PHÒNG HĐND-UBND"
    ws.merge_cells("A1:I1")
    top = {"A": "STT", "B": "Số, ký hiệu hồ sơ", "C": "Tiêu đề hồ sơ", "D": "Thời gian",
           "F": "Số lượng", "H": "THBQ", "I": "Ghi chú"}
    for col, v in top.items():
        ws[f"{col}2"] = v
    for col in "ABCHI":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:E2")
    ws.merge_cells("F2:G2")
    for col, v in {"D": "Bắt đầu", "E": "Kết thúc", "F": "Tờ", "G": "Trang"}.items():
        ws[f"{col}3"] = v
    ws["A4"] = "I. VĂN PHÒNG"
    ws.merge_cells("A4:I4")
    rows = {
        5: [1, "01", "Hồ sơ tiếp công dân", "2019", "2019", "12", "24 trang", "Vĩnh viễn (VV)"],
        6: [2, "02", "Hồ sơ họp giao ban", "03/01/2019", "28/12/2019", " 7 ", "14", "10 năm"],
        7: [None, None, "Cộng: 2 hồ sơ", None, None, 19, 38, None],
        9: ["II. PHÒNG TƯ PHÁP"],
        10: ["STT", "Số, ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời gian", None, "Số lượng", None,
             "THBQ", "Ghi chú"],
        11: [3, "03", "Hồ sơ chứng thực", "2020", "2020", "1.050", "2100", 5],
        12: [4],
        13: ["Tổng cộng", None, None, None, None, 1069, 2138, None],
    }
    for r, values in rows.items():
        for c, v in enumerate(values, 1):
            if v is not None:
                ws.cell(r, c, v)
    ws.merge_cells("A9:I9")
    wb.save(HERE / "van_phong_tieu_de_hai_dong.xlsx")


def make_utf16_dates() -> None:
    header = "Số ký hiệu HS\tTrích yếu\tThời gian\tTHBQ\tChế độ SD"
    cases = ["2019", "2019-2021", "2019 – 2021", "01/01/2019 - 31/12/2019", "Từ 2018 đến 2020",
             "05/2019", "ngày 5 tháng 6 năm 2019", "2019-05-06", "2021-2019", "1789", "2099",
             "12/05/19", "30/02/2020", ""]
    lines = [header]
    for i, c in enumerate(cases, 1):
        lines.append(f"{i:02d}\tHồ sơ thời gian kiểu {i}\t{c}\tVV\tCK")
    data = "\r\n".join(lines) + "\r\n"
    (HERE / "thoi_gian_unicode_text.txt").write_bytes(data.encode("utf-16"))


def make_missing_column() -> None:
    data = "Số ký hiệu,Tiêu đề hồ sơ,Số tờ\n01,Hồ sơ A,3\n02,Hồ sơ B,4\n"
    (HERE / "thieu_cot_thbq.csv").write_bytes(data.encode("utf-8"))


def make_tcvn3() -> None:
    """CSV typed with a .VnTime (TCVN3/ABC) font, bytes as the font stores them."""
    from sohoa.intake.legacy_encodings import unicode_to_tcvn3

    lines = [
        "DANH MỤC HỒ SƠ",  # typed with .VnTimeH: capitals stored as lower-case codes
        "STT,Số, ký hiệu hồ sơ,Tiêu đề hồ sơ,Thời hạn bảo quản,Chế độ sử dụng,Số tờ",
        "1,01,Hồ sơ hội nghị tổng kết năm 2019,Vĩnh viễn,Công khai,12 tờ",
        "2,02,Sổ đăng ký văn bản đi năm 2019,20 năm,Hạn chế,1.204",
        "3,03,Hồ sơ giải quyết khiếu nại của ông Nguyễn Văn Lực,Mười năm,Mật,5",
        "Cộng,,3 hồ sơ,,,",
    ]
    lines[1] = lines[1].replace("Số, ký hiệu hồ sơ", '"Số, ký hiệu hồ sơ"')
    text = "\r\n".join(unicode_to_tcvn3(ln) for ln in lines) + "\r\n"
    (HERE / "tcvn3_chua_chuyen_ma.csv").write_bytes(text.encode("latin-1"))


VNI_ROWS = [
    ["ỦY BAN NHÂN DÂN XÃ UY NỖ"],
    ["DANH MỤC HỒ SƠ NỘP LƯU"],
    [],
    ["TT", "Hồ sơ số", "Tiêu đề", "Từ ngày", "Đến ngày", "THBQ", "Chế độ SD", "Số trang"],
    ["1", "1", "Hồ sơ xây dựng trường mầm non xã Uy Nỗ", "05/06/2019", "2020", "Vĩnh viễn",
     "Công khai", "34"],
    ["2", "2", "Tập lưu công văn đi năm 2018", "2018", "", "50 năm", "Hạn chế", "120"],
    ["3", "3", "Hồ sơ đê điều thôn Phúc Hậu", "31/02/2017", "2017", "Vĩnh viễn", "", "8"],
    ["", "", "Tổng cộng", "", "", "", "", "162"],
]


def make_vni_xls() -> None:
    """Legacy .xls typed with a VNI-Windows font (cells hold the Windows-1252 reading)."""
    import xlwt  # dev-only: the committed .xls is what tests read
    from sohoa.intake.legacy_encodings import unicode_to_vni

    wb = xlwt.Workbook(encoding="cp1252")
    ws = wb.add_sheet("DM")
    for r, cells in enumerate(VNI_ROWS):
        for c, v in enumerate(cells):
            ws.write(r, c, unicode_to_vni(v))
    wb.save(str(HERE / "vni_cu.xls"))


def make_xlsx_mixed_fonts() -> None:
    """XLSX where the header and most rows are TCVN3 but one clerk pasted Unicode rows."""
    from sohoa.intake.legacy_encodings import unicode_to_tcvn3 as t3

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([t3("PHÒNG NỘI VỤ HUYỆN ĐÔNG ANH")])
    ws.append([t3(h) for h in ("Số ký hiệu", "Trích yếu nội dung", "Thời gian", "Thời hạn BQ",
                               "Ghi chú")])
    ws.append(["NV-01", t3("Hồ sơ tuyển dụng công chức năm 2016"), "2016-2017", t3("70 năm"),
               t3("Bản chính")])
    ws.append(["NV-02", "Hồ sơ thi đua khen thưởng năm 2018", "2018", "Vĩnh viễn", "Unicode"])
    ws.append(["NV-03", t3("Hồ sơ nâng lương năm 2019"), "2019", t3("Khác"), ""])
    ws.append(["NV-01", t3("Hồ sơ tuyển dụng công chức năm 2016"), "2016", t3("70 năm"), ""])
    wb.properties.created = wb.properties.modified = datetime(2025, 8, 1, 8, 0, 0)
    wb.save(HERE / "phong_noi_vu_tron_phong.xlsx")


if __name__ == "__main__":
    make_xlsx_merged_title()
    make_csv_semicolon()
    make_csv_cp1258()
    make_xlsx_two_row_header()
    make_utf16_dates()
    make_missing_column()
    make_tcvn3()
    make_vni_xls()
    make_xlsx_mixed_fonts()
    print("corpus written to", HERE)
