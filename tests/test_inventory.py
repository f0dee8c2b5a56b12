"""Inventory list parsing/validation (sohoa.intake.inventory) and the error workbook
(sohoa.intake.errors_xlsx), against the messy corpus in tests/data/inventory/."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import random
import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sohoa.intake.errors_xlsx import SHEET_ERRORS, SHEET_SKIPPED, write_error_workbook
from sohoa.intake.inventory import match_header, parse_inventory

DATA = Path(__file__).parent / "data" / "inventory"
TODAY = date(2025, 6, 30)

_spec = importlib.util.spec_from_file_location("make_corpus", DATA / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


def load(name: str):
    return parse_inventory((DATA / name).read_bytes(), name, today=TODAY)


def errs(parsed, row=None):
    return sorted((e.row_number, e.code) for e in parsed.errors
                  if row is None or e.row_number == row)


def row(parsed, n):
    (r,) = [r for r in parsed.rows if r.row_number == n]
    return r


def D(y, m, d):
    return date(y, m, d)


ALL_FILES = sorted(p.name for p in DATA.iterdir() if p.suffix != ".py")


# ------------------------------------------------------------------ invariants


@pytest.mark.parametrize("name", ALL_FILES)
def test_nothing_disappears_and_bad_rows_are_not_accepted(name):
    data = (DATA / name).read_bytes()
    p = parse_inventory(data, name, today=TODAY)
    assert p.sha256 == hashlib.sha256(data).hexdigest()
    ok = {r.row_number for r in p.rows}
    bad = set(p.error_rows)
    assert not ok & bad, "a row with an error was accepted"
    if not p.file_errors or all(e.code == "extra_sheet" for e in p.file_errors):
        assert len(ok) + len(bad) == p.total_rows
    skipped = {n for n, _ in p.skipped if n}
    assert not skipped & (ok | bad)
    for e in p.errors:
        assert e.problem and e.fix and e.field
        assert unicodedata.is_normalized("NFC", e.problem + e.fix)
    for r in p.rows:
        assert r.retention_code in {"01", "02", "03", "04", "05", "06", "07"}
        assert r.access_mode in {"public", "restricted", "confidential"}
        assert unicodedata.is_normalized("NFC", r.title) and r.title == r.title.strip()


# ------------------------------------------------------------------ corpus, one file each


def test_xlsx_merged_title_rows_shuffled_headers_without_diacritics():
    p = load("ubnd_xa_tieu_de_gop.xlsx")
    assert p.sheet_name == "Danh mục" and p.header_row == 4 and p.encoding == ""
    assert p.header_map["So, ky hieu HS"] == "notation"
    assert p.header_map["Tieu de ho so"] == "title"
    assert p.header_map["THBQ"] == "retention"
    assert p.header_map["Che do SD"] == "access_mode"
    assert p.total_rows == 7  # rows 6..12
    assert [r.row_number for r in p.rows] == [6, 7]

    r6 = row(p, 6)
    assert (r6.notation, r6.box_no, r6.start_date, r6.end_date) == ("01", "1", D(2020, 3, 2),
                                                                    D(2020, 3, 4))
    assert (r6.retention_code, r6.access_mode, r6.sheet_count, r6.language) == (
        "01", "public", 45, "vi")
    assert r6.raw["Tieu de ho so"] == "Hồ sơ Đại hội Đảng bộ xã nhiệm kỳ 2020-2025"
    r7 = row(p, 7)
    assert r7.title == "Sổ đăng ký khai sinh năm 2019"  # NFD cell → NFC
    assert (r7.start_date, r7.end_date) == (D(2019, 1, 1), D(2019, 12, 31))
    assert (r7.retention_code, r7.access_mode, r7.sheet_count, r7.notes) == (
        "01", "restricted", 120, "Bìa rách")

    assert errs(p) == [
        (0, "extra_sheet"),
        (8, "date_order"),
        (9, "bad_access_mode"), (9, "bad_date"), (9, "bad_number"), (9, "bad_retention"),
        (9, "required"),
        (10, "duplicate"),
        (11, "too_long"),
        (12, "bad_retention"),
    ]
    dup = [e for e in p.errors if e.code == "duplicate"][0]
    assert "dòng 6" in dup.problem and dup.field == "So, ky hieu HS" and dup.value == "01"
    req = [e for e in p.errors if e.code == "required"][0]
    assert req.field == "So, ky hieu HS" and "Thiếu số và ký hiệu hồ sơ" in req.problem
    assert [e for e in p.errors if e.code == "bad_date"][0].value == "12/05/22"
    assert [e for e in p.errors if e.row_number == 12][0].value == "=SUM(A1)"
    assert "Năm 2020" in [e for e in p.errors if e.code == "extra_sheet"][0].problem

    skipped = dict(p.skipped)
    assert set(skipped) == {0, 1, 2, 3, 5, 13, 14, 15}
    assert "Hướng dẫn" in skipped[0]
    assert skipped[5] == "Dòng đánh số cột"
    assert skipped[13].startswith("Dòng cộng/tổng")
    assert skipped[14] == "Dòng trống"
    assert "NGƯỜI LẬP BIỂU" in skipped[15]


def test_csv_semicolons_bom_quotes_multiline_catalog_duplicates():
    p = load("phong_tc_cham_phay.csv")
    assert p.encoding == "utf-8-sig" and p.header_row == 3
    assert p.header_map["Thời gian"] == "date_range"
    assert p.total_rows == 5
    assert [r.row_number for r in p.rows] == [4, 5, 7]
    r4 = row(p, 4)
    assert r4.title == "Hồ sơ dự toán ngân sách; năm 2019"
    assert (r4.sheet_count, r4.page_count) == (1234, 2468)  # "1.234", "2.468 trang"
    assert (r4.retention_code, r4.access_mode, r4.catalog) == ("02", "public", "1")
    assert (r4.start_date, r4.end_date) == (D(2019, 1, 1), D(2019, 12, 31))
    r5 = row(p, 5)  # record spans CSV lines 5-6: numbered by its first line
    assert r5.title == "Hồ sơ quyết toán (nhiều dòng)"
    assert (r5.start_date, r5.end_date) == (D(2019, 1, 1), D(2021, 12, 31))
    assert r5.notes == 'Ghi chú có "ngoặc kép"'
    r7 = row(p, 7)  # notation 01 again, but in catalog 2: not a duplicate
    assert (r7.notation, r7.catalog, r7.retention_code, r7.access_mode, r7.sheet_count) == (
        "01", "2", "04", "restricted", 5)
    assert errs(p) == [(8, "duplicate"), (9, "bad_number")]
    dup = [e for e in p.errors if e.code == "duplicate"][0]
    assert "dòng 4" in dup.problem and "mục lục «1»" in dup.problem
    assert dict(p.skipped).keys() == {1, 2, 10, 11}
    assert dict(p.skipped)[11].startswith("Dòng cộng/tổng")


def test_csv_windows_1258():
    raw = (DATA / "xa_cu_cp1258.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    p = load("xa_cu_cp1258.csv")
    assert p.encoding == "cp1258"
    assert p.header_map["Tên hồ sơ"] == "title" and p.header_map["Từ ngày"] == "start_date"
    assert [r.row_number for r in p.rows] == [2, 3]
    r2, r3 = row(p, 2), row(p, 3)
    assert r2.title == "Hồ sơ xây dựng nông thôn mới"
    assert unicodedata.is_normalized("NFC", r2.title)
    assert (r2.box_no, r2.start_date, r2.end_date, r2.retention_code, r2.access_mode) == (
        "1", D(2015, 2, 1), D(2016, 11, 30), "01", "public")
    assert (r3.start_date, r3.end_date, r3.retention_code, r3.language, r3.sheet_count) == (
        D(2010, 1, 1), D(2012, 12, 31), "03", "vi,fr", 12)
    assert errs(p) == [(4, "bad_language")]
    assert [e.value for e in p.errors] == ["Tiếng Đức"]


def test_two_row_header_headings_subtotals_numbers_as_text():
    p = load("van_phong_tieu_de_hai_dong.xlsx")
    assert p.header_row == 3
    assert p.header_map["Thời gian / Bắt đầu"] == "start_date"
    assert p.header_map["Thời gian / Kết thúc"] == "end_date"
    assert p.header_map["Số lượng / Tờ"] == "sheet_count"
    assert p.header_map["Số lượng / Trang"] == "page_count"
    assert p.errors == []
    assert p.total_rows == 3
    got = [(r.row_number, r.notation, r.start_date, r.end_date, r.sheet_count, r.page_count,
            r.retention_code, r.access_mode) for r in p.rows]
    assert got == [
        (5, "01", D(2019, 1, 1), D(2019, 12, 31), 12, 24, "01", "restricted"),
        (6, "02", D(2019, 1, 3), D(2019, 12, 28), 7, 14, "06", "restricted"),
        (11, "03", D(2020, 1, 1), D(2020, 12, 31), 1050, 2100, "05", "restricted"),
    ]
    reasons = dict(p.skipped)
    assert set(reasons) == {1, 4, 7, 8, 9, 10, 12, 13}
    assert "I. VĂN PHÒNG" in reasons[4] and "II. PHÒNG TƯ PHÁP" in reasons[9]
    assert reasons[7].startswith("Dòng cộng/tổng") and reasons[13].startswith("Dòng cộng/tổng")
    assert reasons[10] == "Dòng tiêu đề cột lặp lại"
    assert reasons[12] == "Dòng chỉ có số thứ tự, không có nội dung"


def test_utf16_tab_dates_years_and_ranges():
    p = load("thoi_gian_unicode_text.txt")
    assert p.encoding == "utf-16"
    got = {r.row_number: (r.start_date, r.end_date) for r in p.rows}
    assert got == {
        2: (D(2019, 1, 1), D(2019, 12, 31)),  # 2019
        3: (D(2019, 1, 1), D(2021, 12, 31)),  # 2019-2021
        4: (D(2019, 1, 1), D(2021, 12, 31)),  # 2019 – 2021
        5: (D(2019, 1, 1), D(2019, 12, 31)),  # 01/01/2019 - 31/12/2019
        6: (D(2018, 1, 1), D(2020, 12, 31)),  # Từ 2018 đến 2020
        7: (D(2019, 5, 1), D(2019, 5, 31)),  # 05/2019
        8: (D(2019, 6, 5), D(2019, 6, 5)),  # ngày 5 tháng 6 năm 2019
        9: (D(2019, 5, 6), D(2019, 5, 6)),  # ISO 2019-05-06
        15: (None, None),  # empty: dates are optional
    }
    assert errs(p) == [(10, "date_order"), (11, "bad_date"), (12, "bad_date"),
                       (13, "bad_date"), (14, "bad_date")]
    by_row = {e.row_number: e for e in p.errors}
    assert "1800" in by_row[11].problem
    assert "tương lai" in by_row[12].problem
    assert "2 chữ số" in by_row[13].problem
    assert "không tồn tại" in by_row[14].problem
    assert all(r.access_mode == "public" and r.retention_code == "01" for r in p.rows)


def test_missing_required_column_rejects_whole_list_once():
    p = load("thieu_cot_thbq.csv")
    assert p.rows == []
    assert p.total_rows == 2
    assert [(e.row_number, e.code, e.field) for e in p.errors] == [
        (1, "missing_column", "Thời hạn bảo quản")]
    assert "Thêm cột" in p.errors[0].fix


def _outcome(p):
    """Every data row's exact outcome: ("ok", fields...) or ("err", codes...)."""
    out = {r.row_number: ("ok", r.notation, r.title, r.start_date, r.end_date,
                          r.retention_code, r.access_mode, r.sheet_count, r.page_count)
           for r in p.rows}
    for e in p.errors:
        out.setdefault(e.row_number, ("err",))
        out[e.row_number] += (e.code,)
    return dict(sorted(out.items()))


def test_tcvn3_csv_is_converted_and_recorded():
    raw = (DATA / "tcvn3_chua_chuyen_ma.csv").read_bytes()
    # bytes exactly as the .VnTime font stores them: "Hå s¬ héi nghÞ" = "Hồ sơ hội nghị"
    assert b"H\xe5 s\xac h\xe9i ngh\xde" in raw
    p = load("tcvn3_chua_chuyen_ma.csv")
    assert p.conversion["source"] == "tcvn3" and p.conversion["cells"] == 6
    assert p.header_map["Số, ký hiệu hồ sơ"] == "notation"
    assert _outcome(p) == {
        3: ("ok", "01", "Hồ sơ hội nghị tổng kết năm 2019", None, None, "01", "public", 12, None),
        4: ("ok", "02", "Sổ đăng ký văn bản đi năm 2019", None, None, "05", "restricted", 1204,
            None),
        5: ("err", "bad_retention"),  # "Mười năm" written in words
    }
    assert [e.value for e in p.errors] == ["Mười năm"]
    # the .VnTimeH title line came back in capitals; the subtotal line is skipped
    assert p.skipped[0] == (1, "Dòng trước tiêu đề cột: «DANH MỤC HỒ SƠ»")
    assert p.skipped[-1][0] == 6 and "cộng" in p.skipped[-1][1]


def test_vni_legacy_xls_is_converted():
    p = load("vni_cu.xls")
    assert p.conversion["source"] == "vni" and p.conversion["by_encoding"] == {"vni": 17}
    assert _outcome(p) == {
        5: ("ok", "1", "Hồ sơ xây dựng trường mầm non xã Uy Nỗ", D(2019, 6, 5), D(2020, 12, 31),
            "01", "public", None, 34),
        6: ("ok", "2", "Tập lưu công văn đi năm 2018", D(2018, 1, 1), None, "03", "restricted",
            None, 120),
        7: ("err", "bad_date"),  # 31/02/2017
    }
    assert [n for n, _ in p.skipped] == [1, 2, 3, 8]


def test_mixed_tcvn3_and_unicode_cells_in_one_workbook():
    p = load("phong_noi_vu_tron_phong.xlsx")
    assert p.conversion["source"] == "tcvn3"
    out = _outcome(p)
    assert out == {
        3: ("ok", "NV-01", "Hồ sơ tuyển dụng công chức năm 2016", D(2016, 1, 1), D(2017, 12, 31),
            "02", "restricted", None, None),
        4: ("ok", "NV-02", "Hồ sơ thi đua khen thưởng năm 2018", D(2018, 1, 1), D(2018, 12, 31),
            "01", "restricted", None, None),  # the pasted Unicode row is left as it is
        5: ("ok", "NV-03", "Hồ sơ nâng lương năm 2019", D(2019, 1, 1), D(2019, 12, 31), "07",
            "restricted", None, None),
        6: ("err", "duplicate"),
    }


def test_unreadable_workbook_is_reported_not_raised():
    p = parse_inventory(b"PK\x03\x04garbage", "hong.xlsx")
    assert [e.code for e in p.errors] == ["unreadable"]
    assert "hong.xlsx" in p.errors[0].problem


def test_corpus_files_match_generator(tmp_path, monkeypatch):
    """The committed CSV/TXT files are exactly what make_corpus.py writes."""
    monkeypatch.setattr(make_corpus, "HERE", tmp_path)
    make_corpus.make_csv_semicolon()
    make_corpus.make_csv_cp1258()
    make_corpus.make_utf16_dates()
    make_corpus.make_tcvn3()
    for f in tmp_path.iterdir():
        assert f.read_bytes() == (DATA / f.name).read_bytes(), f.name


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    "header, field",
    [("Số, ký hiệu hồ sơ", "notation"), ("So ky hieu HS", "notation"),
     ("SỐ VÀ KÝ HIỆU HỒ SƠ", "notation"), ("Hồ sơ số", "notation"),
     ("Tiêu đề HS", "title"), ("Tên hồ sơ", "title"), ("Trích yếu", "title"),
     ("Thời hạn BQ", "retention"), ("THBQ", "retention"), ("Thời hạn bảo quản", "retention"),
     ("Chế độ SD", "access_mode"), ("Chế độ sử dụng", "access_mode"),
     ("Số tờ", "sheet_count"), ("Số lượng tờ", "sheet_count"), ("Số trang", "page_count"),
     ("Hộp số", "box_no"), ("Hộp", "box_no"), ("Ngày bắt đầu", "start_date"),
     ("Thời gian bắt đầu", "start_date"), ("Từ ngày", "start_date"), ("Đến ngày", "end_date"),
     ("Thời gian bắt đầu và kết thúc", "date_range"), ("Thời gian", "date_range"),
     ("Mục lục số", "catalog"), ("Ngôn ngữ", "language"), ("Ghi chú", "notes"),
     ("STT", "stt"), ("Ký hiệu thông tin", None), ("Mã hồ sơ", None),
     ("DANH MỤC HỒ SƠ NỘP LƯU", None), ("", None)],
)
def test_match_header(header, field):
    assert match_header(header) == field


HEADER_VARIANTS = {
    "notation": ["Số, ký hiệu hồ sơ", "So ky hieu HS", "số và ký hiệu hồ sơ"],
    "title": ["Tiêu đề hồ sơ", "Tên hồ sơ", "TRICH YEU"],
    "retention": ["Thời hạn BQ", "THBQ", "thoi han bao quan"],
    "access_mode": ["Chế độ SD", "che do su dung"],
    "sheet_count": ["Số tờ", "so luong to"],
    "start_date": ["Từ ngày", "Ngay bat dau"],
    "end_date": ["Đến ngày", "Thời gian kết thúc"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.sampled_from([",", ";", "\t"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1258"]), st.integers(0, 4))
def test_any_header_order_variant_delimiter_and_encoding_give_same_rows(
    rnd: random.Random, delim, encoding, title_rows
):
    cols = list(HEADER_VARIANTS)
    rnd.shuffle(cols)
    values = {"notation": "15/HS-VP", "title": "Hồ sơ quy hoạch đất đai xã Việt Hùng",
              "retention": "Vĩnh viễn", "access_mode": "Hạn chế", "sheet_count": "12 tờ",
              "start_date": "05/06/2019", "end_date": "2020"}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim)  # quotes "Số, ký hiệu hồ sơ" when delim is ","
    for _ in range(title_rows):
        w.writerow(["ỦY BAN NHÂN DÂN XÃ"])
    w.writerow([rnd.choice(HEADER_VARIANTS[c]) for c in cols])
    w.writerow([values[c] for c in cols])
    text = buf.getvalue()
    data = make_corpus._cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    p = parse_inventory(data, "x.csv", today=TODAY)
    assert p.errors == []
    assert p.encoding == encoding
    (r,) = p.rows
    assert r.row_number == title_rows + 2
    assert (r.notation, r.title, r.retention_code, r.access_mode, r.sheet_count) == (
        "15/HS-VP", "Hồ sơ quy hoạch đất đai xã Việt Hùng", "01", "restricted", 12)
    assert (r.start_date, r.end_date) == (D(2019, 6, 5), D(2020, 12, 31))


# ------------------------------------------------------------------ cell-level properties


def _one_row(**cells):
    headers = ["Số ký hiệu", "Tiêu đề", "THBQ"] + list(cells)
    values = ["01", "Hồ sơ", "VV"] + [str(v) for v in cells.values()]
    text = ";".join(headers) + "\n" + ";".join(values) + "\n"
    return parse_inventory(text.encode(), "x.csv", today=TODAY)


@given(st.dates(date(1800, 1, 1), TODAY), st.sampled_from(["/", "-", "."]))
def test_any_valid_date_round_trips(d, sep):
    p = _one_row(**{"Ngày bắt đầu": f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"})
    assert p.errors == [] and p.rows[0].start_date == d


@given(st.integers(1800, 2025), st.integers(0, 5))
def test_year_range_in_one_cell(y, span):
    end = min(y + span, 2025)
    p = _one_row(**{"Thời gian": f"{y}-{end}"})
    assert p.rows[0].start_date == date(y, 1, 1) and p.rows[0].end_date == date(end, 12, 31)
    if end > y:
        p = _one_row(**{"Thời gian": f"{end}-{y}"})
        assert errs(p) == [(2, "date_order")]


@given(st.integers(0, 10**6), st.sampled_from(["{}", "{} tờ", " {} ", "{}.0"]))
def test_counts_typed_as_text(n, fmt):
    p = _one_row(**{"Số tờ": fmt.format(n)})
    assert p.rows[0].sheet_count == n


@pytest.mark.parametrize("bad", ["-1", "12,5", "mười hai", "1.5", "#REF!"])
def test_bad_counts_rejected(bad):
    p = _one_row(**{"Số tờ": bad})
    assert p.rows == [] and {c for _, c in errs(p)} <= {"bad_number", "excel_error"}
    assert errs(p)


@given(st.integers(1, 1200))
def test_length_limits(n):
    notation, title = "N" * min(n, 40), "T" * n
    text = f"Số ký hiệu;Tiêu đề;THBQ\n{notation};{title};VV\n"
    p = parse_inventory(text.encode(), "x.csv", today=TODAY)
    n_errors = (len(notation) > 20) + (len(title) > 1000)
    assert errs(p) == [(2, "too_long")] * n_errors
    assert len(p.rows) == (n_errors == 0)


def test_empty_access_mode_fails_closed_and_language_defaults():
    p = _one_row(**{"Chế độ sử dụng": "", "Ngôn ngữ": ""})
    assert p.rows[0].access_mode == "restricted" and p.rows[0].language == "vi"


def test_duplicate_notation_ignores_case_and_spaces_and_names_first_row():
    text = "Số ký hiệu;Tiêu đề;THBQ\nhs 01;A;VV\nx;B;VV\nHS01;C;VV\nHs 01;D;VV\n"
    p = parse_inventory(text.encode(), "x.csv", today=TODAY)
    assert [r.row_number for r in p.rows] == [2, 3]
    assert errs(p) == [(4, "duplicate"), (5, "duplicate")]
    assert all("dòng 2" in e.problem for e in p.errors)


def test_excel_dates_numbers_and_serials(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Số ký hiệu", "Tiêu đề", "THBQ", "Ngày bắt đầu", "Ngày kết thúc", "Số tờ",
               "Hộp số"])
    ws.append([1, "A", 1, datetime(2019, 5, 6), 2020, 12.0, 3.0])
    ws.append([2, "B", 2, 43466, "2019", 12.5, None])  # 43466 = Excel serial of 01/01/2019
    buf = io.BytesIO()
    wb.save(buf)
    p = parse_inventory(buf.getvalue(), "a.xlsx", today=TODAY)
    r = row(p, 2)
    assert (r.notation, r.retention_code, r.start_date, r.end_date, r.sheet_count, r.box_no) == (
        "1", "01", D(2019, 5, 6), D(2020, 12, 31), 12, "3")
    assert errs(p) == [(3, "bad_number")]
    assert [e.value for e in p.errors] == ["12.5"]


# ------------------------------------------------------------------ error workbook


def test_error_workbook_lists_every_error_in_vietnamese():
    p = load("ubnd_xa_tieu_de_gop.xlsx")
    data = write_error_workbook("UBND xã Đông Anh", "ubnd_xa_tieu_de_gop.xlsx", p)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [SHEET_ERRORS, SHEET_SKIPPED]
    ws = wb[SHEET_ERRORS]
    assert "UBND xã Đông Anh" in ws["A1"].value
    summary = ws["A3"].value
    assert "Tổng số dòng: 7" in summary and "hợp lệ: 2" in summary and "có lỗi: 5" in summary
    assert [c.value for c in ws[4]] == ["Dòng", "Trường", "Giá trị", "Lỗi", "Cách sửa"]
    assert all(c.font.bold for c in ws[4])
    assert ws.freeze_panes == "A5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["E"].width >= 40
    body = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=5)]
    assert len(body) == len(p.errors)
    assert sorted({r[0] for r in body if r[0] is not None}) == p.error_rows == [8, 9, 10, 11, 12]
    for e in p.errors:
        assert (e.row_number or None, e.field, e.value or None, e.problem, e.fix) in body
    dup = [r for r in body if r[0] == 10][0]
    assert "trùng với dòng 6" in dup[3] and "Mỗi hồ sơ" in dup[4]
    # a clerk-typed "=SUM(A1)" stays text, never becomes a formula
    cell = [c for r in ws.iter_rows(min_row=5) for c in r if c.value == "=SUM(A1)"][0]
    assert cell.data_type == "s"
    sk = wb[SHEET_SKIPPED]
    assert [c.value for c in sk[1]] == ["Dòng", "Lý do bỏ qua"]
    assert sk.max_row - 1 == len(p.skipped)


def test_error_workbook_for_a_clean_list_says_so():
    p = load("van_phong_tieu_de_hai_dong.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(write_error_workbook("VP", "x.xlsx", p)))
    ws = wb[SHEET_ERRORS]
    assert "có lỗi: 0" in ws["A3"].value
    assert "Không có lỗi" in ws["A5"].value


def test_control_characters_removed_from_cells_and_workbook():
    text = "Số ký hiệu;Tiêu đề;THBQ\n01;A\u200b\x07B;\x07Lâu dài\x01\n"
    p = parse_inventory(text.encode(), "x.csv", today=TODAY)
    assert [(e.code, e.value) for e in p.errors] == [("bad_retention", "Lâu dài")]
    p.errors[0].value = "Lâu\x07 dài"  # even if a caller passes one through
    wb = openpyxl.load_workbook(io.BytesIO(write_error_workbook("A", "x.csv", p)))
    assert wb[SHEET_ERRORS]["C5"].value == "Lâu dài"
    assert wb[SHEET_ERRORS]["A5"].value == 2


def test_current_year_end_date_is_not_future():
    p = _one_row(**{"Thời gian": "2024-2025"})
    assert p.errors == [] and p.rows[0].end_date == D(2025, 12, 31)
    p = _one_row(**{"Ngày kết thúc": "15/07/2025"})
    assert errs(p) == [(2, "bad_date")]


def test_broken_legacy_xls_is_reported_not_raised():
    p = parse_inventory(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "cu.xls")
    assert [e.code for e in p.errors] == ["unreadable"] and p.rows == []


def test_error_workbook_says_a_legacy_font_was_converted():
    p = load("tcvn3_chua_chuyen_ma.csv")
    wb = openpyxl.load_workbook(io.BytesIO(write_error_workbook("UBND xã Uy Nỗ", "a.csv", p)))
    line = wb[SHEET_ERRORS]["A2"].value
    assert "TCVN3" in line and "6 ô" in line and "Unicode" in line
