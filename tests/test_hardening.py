"""What broke when sohoa was tried as a new user would (issue 11): one over-long CSV cell,
file-level messages that named an exception class, random bytes named .xlsx, empty files;
and a scan of every message the clerks, archivists and scanning teams read for program
exception names."""

from __future__ import annotations

import io
import os
import random
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from sohoa.core import fields as F
from sohoa.intake.errors_xlsx import write_error_workbook, write_slip_error_workbook
from sohoa.intake.inventory import UnreadableSheet, parse_inventory, read_sheet_records
from sohoa.ocr.recognition import error_reason_vi
from sohoa.scan.qc import check_path
from sohoa.scan.thresholds import Thresholds

DATA = Path(__file__).parent / "data" / "inventory"
TODAY = date(2025, 6, 30)
HEADER = "STT,Số và ký hiệu hồ sơ,Tiêu đề hồ sơ,Thời gian bắt đầu,Thời hạn bảo quản,Ghi chú"
#: what a program's exception looks like in a message a person reads
EXCEPTION_NAME = re.compile(
    r"\b[A-Z]\w*(Error|Exception|Warning|Interrupt|Exit)\b|\bBadZipFile\b|Traceback|"
    r"<_io\.|\bErrno\b|\bNoneType\b|object at 0x")


def _csv(*rows: str) -> bytes:
    return ("\r\n".join((HEADER, *rows)) + "\r\n").encode("utf-8")


# ------------------------------------------------------------------ 2. an over-long CSV cell


def test_an_oversized_csv_cell_rejects_its_row_only():
    long_title = "Hồ sơ" + " rất dài" * 25_000  # 200,005 characters: past csv's field limit
    assert len(long_title) > 131_072
    data = _csv("1,01/HS,Hồ sơ hội nghị tổng kết năm 2019,05/01/2019,Vĩnh viễn,",
                f'2,02/HS,"{long_title}",06/01/2019,70 năm,',
                "3,03/HS,Hồ sơ thi đua khen thưởng,07/01/2019,10 năm,")
    p = parse_inventory(data, "danh_muc.csv", today=TODAY)
    assert [r.notation for r in p.rows] == ["01/HS", "03/HS"]  # the rest is loaded
    assert not p.file_errors
    (e,) = p.errors
    assert (e.row_number, e.code, e.field) == (3, "too_long", "Tiêu đề hồ sơ")
    assert f"{len(long_title):,}".replace(",", ".") in e.problem
    assert f"{F.MAX_TITLE:,}".replace(",", ".") in e.problem  # DOMAIN.md's 1000 characters
    assert len(e.value) < 1000 and long_title.startswith(e.value.rstrip("…"))
    # the error workbook still opens in Excel: no cell past its 32,767 characters
    wb = openpyxl.load_workbook(io.BytesIO(write_error_workbook("UBND xã", "danh_muc.csv", p)))
    cells = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert all(len(str(v)) <= 32_767 for v in cells)
    assert any("200.005" in str(v) for v in cells)


def test_an_oversized_cell_in_a_semicolon_list_with_notes_too_long():
    notes = "x" * 300_000
    data = ("Số và ký hiệu hồ sơ;Tiêu đề hồ sơ;Thời hạn bảo quản;Ghi chú\n"
            f"01;Hồ sơ một;Vĩnh viễn;{notes}\n02;Hồ sơ hai;Vĩnh viễn;\n").encode("utf-8-sig")
    p = parse_inventory(data, "ds.csv", today=TODAY)
    assert [r.notation for r in p.rows] == ["02"]
    assert [(e.row_number, e.code) for e in p.errors] == [(2, "too_long")]
    assert f"{F.MAX_NOTES}" in p.errors[0].problem


# ------------------------------------------------------------------ 3. file-level messages


@pytest.mark.parametrize("data, name, words", [
    (b"", "danh_muc.xlsx", "trống"),
    (b"", "danh_muc.csv", "trống"),
    (b"\xef\xbb\xbf\r\n  \r\n", "danh_muc.csv", "trống"),
    (random.Random(1).randbytes(5000), "danh_muc.xlsx", "không phải bảng tính Excel"),
    (random.Random(2).randbytes(5000), "danh_muc.xls", "không phải bảng tính Excel"),
    (b"PK\x03\x04" + random.Random(3).randbytes(5000), "danh_muc.xlsx", "không mở được"),
    (b"\xd0\xcf\x11\xe0" + random.Random(4).randbytes(5000), "danh_muc.xls", "không mở được"),
])
def test_unreadable_lists_say_what_is_wrong(data, name, words):
    p = parse_inventory(data, name, today=TODAY)
    (e,) = p.errors
    assert e.code == "unreadable" and words in e.problem and name in e.problem
    assert e.fix and not EXCEPTION_NAME.search(e.problem + e.fix)
    assert "tiêu đề cột" not in e.problem  # not "no header row found"


def test_a_csv_named_xls_is_still_read():
    """Clerks' tools save CSV text under .xls: that is read, not called 'not Excel'."""
    p = parse_inventory(_csv("1,01,Hồ sơ một,2019,Vĩnh viễn,"), "danh_muc.xls", today=TODAY)
    assert [r.notation for r in p.rows] == ["01"] and not p.errors


def test_unreadable_record_slip_sheet_is_reported_not_raised():
    for data, name in ((b"", "phieu_tin.xlsx"), (os.urandom(2000), "phieu_tin.xlsx"),
                       (b"PK\x03\x04" + os.urandom(2000), "phieu_tin.xlsx")):
        with pytest.raises(UnreadableSheet) as exc:
            read_sheet_records(data, name, {"ma co quan": "agency", "so va ky hieu ho so": "notation"})
        assert name in exc.value.problem and exc.value.fix
        assert not EXCEPTION_NAME.search(exc.value.problem + exc.value.fix)


# ------------------------------------------------------------------ 3. the scan for exception names


def _bad_lists() -> list[tuple[bytes, str]]:
    good = (DATA / "ubnd_xa_tieu_de_gop.xlsx").read_bytes()
    rnd = random.Random(11)
    truncated_zip = good[: len(good) // 2]
    broken_xml = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(broken_xml, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 3]
            dst.writestr(item, body)
    return [
        (b"", "a.xlsx"), (b"", "a.csv"), (rnd.randbytes(4000), "a.xlsx"),
        (rnd.randbytes(4000), "a.csv"), (rnd.randbytes(4000), "a.xls"),
        (b"PK\x03\x04" + rnd.randbytes(4000), "a.xlsx"), (truncated_zip, "a.xlsx"),
        (broken_xml.getvalue(), "a.xlsx"), (b"\xd0\xcf\x11\xe0" + rnd.randbytes(4000), "a.xls"),
        (b"\x00" * 3000, "a.csv"), ("\ufeffabc".encode("utf-16"), "a.csv"),
        (_csv(f'1,01,"{"x" * 200_000}",2019,Vĩnh viễn,', "2,02,Hồ sơ,31/02/2019,99 năm,",
              "3,,,,,", "4,04,=HYPERLINK(\"http://x\";\"bấm\"),2019/13/45,Vĩnh viễn,#N/A"),
         "a.csv"),
    ]


def _messages_of_list(data: bytes, name: str) -> list[str]:
    p = parse_inventory(data, name, today=TODAY)
    out = [m for e in p.errors for m in (e.problem, e.fix, e.field)]
    out += [reason for _, reason in p.skipped]
    wb = openpyxl.load_workbook(io.BytesIO(write_error_workbook("UBND xã A", name, p)))
    values = {e.value for e in p.errors}  # what the clerk typed is theirs, not a message
    out += [str(c.value) for ws in wb for row in ws.iter_rows() for c in row
            if c.value is not None and c.value not in values]
    return out


def _bad_images(tmp: Path) -> list[Path]:
    rnd = random.Random(5)
    jpg = io.BytesIO()
    Image.new("L", (800, 1100), 240).save(jpg, "JPEG")
    files = {"rong.jpg": b"", "ngau_nhien.jpg": rnd.randbytes(3000),
             "cut.jpg": jpg.getvalue()[:2000], "ngau_nhien.pdf": b"%PDF-1.4\n" + rnd.randbytes(3000),
             "khong_phai.pdf": rnd.randbytes(3000), "ngau_nhien.tif": b"II*\x00" + rnd.randbytes(3000),
             "ngau_nhien.png": b"\x89PNG\r\n\x1a\n" + rnd.randbytes(3000),
             "ngau_nhien.jp2": b"\x00\x00\x00\x0cjP  \r\n\x87\n" + rnd.randbytes(3000)}
    out = []
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        out.append(tmp / name)
    return out


def test_no_message_a_person_reads_names_an_exception(tmp_path):
    """Every problem, fix, skip reason and error-workbook cell of the corpus and of a set of
    bad lists; the archivists' slip error list; every QC reason of bad page files (what the
    scanning team reads on its rescan list); OCR review reasons."""
    messages: list[str] = []
    corpus = sorted(p for p in DATA.iterdir() if p.suffix != ".py")
    for path in corpus:
        messages += _messages_of_list(path.read_bytes(), path.name)
    for data, name in _bad_lists():
        messages += _messages_of_list(data, name)
    for data, name in _bad_lists()[:6]:
        try:
            read_sheet_records(data, name, {"ma co quan": "agency", "ma ho so": "file_code"})
        except UnreadableSheet as exc:
            messages += [exc.problem, exc.fix]
    slip = write_slip_error_workbook("phieu.xlsx", "0" * 64, 3, [
        {"row": 0, "problem": m, "fix": "x"} for m in messages[:3]])
    wb = openpyxl.load_workbook(io.BytesIO(slip))
    messages += [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]
    t = Thresholds(osd_fallback=False)
    for path in _bad_images(tmp_path):
        for c in check_path(path, t):
            assert c.verdict == "reject" and c.reasons_vi
            messages += c.reasons_vi
    for err in ("decode: cannot identify image", "tesseract not runnable: [Errno 2]",
                "worker failed: KeyError: 'x'", "ValueError: boom"):
        messages.append(error_reason_vi(err))
    assert len(messages) > 200
    named = sorted({m for m in messages if EXCEPTION_NAME.search(m)})
    assert not named, named[:10]


# ------------------------------------------------------------------ 6. text that looks like a formula

FORMULAS = ['=HYPERLINK("http://x.example/a";"bấm")', "+84 912 345 678", "-1+2", "@SUM(A1:A9)",
            "=1+1", "\t=cmd"]
# a formula inside a cell (<c><f>…</f></c>); a data bar's range (<xm:f> in the x14
# conditional-format extension) is the bar's own reference, not a cell's content
_F_ELEMENT = re.compile(rb"<(?:\w+:)?c\b[^>]*>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?f[\s>/]", re.S)


def _formula_cells(xlsx: bytes) -> list[str]:
    """Formula cells of a workbook, from the XML itself and as openpyxl reads it."""
    found = []
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and _F_ELEMENT.search(z.read(name)):
                found.append(name)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    found += [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row
              if c.data_type == "f"]
    return found


def _texts(xlsx: bytes) -> set[str]:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    return {c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_formula_like_text_is_stored_as_given_and_written_as_text():
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'
    rows = [f"{i},{q(v[:20])},{q(v)},2019,Vĩnh viễn,{q(v)}" for i, v in enumerate(FORMULAS, 1)]
    rows.append('9,"=A1",' + '"' + "=" * 1200 + '",2019,Vĩnh viễn,')  # too long: an error line
    p = parse_inventory(_csv(*rows), "=danh_muc.csv", today=TODAY)
    stored = {r.title for r in p.rows}
    assert {v.strip() for v in FORMULAS} <= stored  # stored as given (NFC, stripped)
    book = write_error_workbook('=HYPERLINK("http://x";"cơ quan")', "=danh_muc.csv", p)
    assert not _formula_cells(book)
    assert any(t.startswith("=====") for t in _texts(book))
    slips = write_slip_error_workbook("=phieu.xlsx", "0" * 64, len(FORMULAS), [
        {"row": i, "field": v, "value": v, "problem": v, "fix": v} for i, v in enumerate(FORMULAS, 2)])
    assert not _formula_cells(slips)
    assert {v for v in FORMULAS if not v.startswith("\t")} <= _texts(slips)


def test_weekly_report_workbook_keeps_formula_like_text(engine):
    from sohoa.core.db.models import Agency, File
    from sohoa.core.db.session import session_scope
    from sohoa.reporting import numbers as report_numbers
    from sohoa.reporting.xlsx import render_xlsx

    with session_scope(engine) as s:
        a = Agency(code="F01", name=FORMULAS[0], level="commune", status="active")
        s.add(a)
        s.flush()
        for v in FORMULAS:
            s.add(File(agency_id=a.id, notation=v[:20], title=v, status="inventoried",
                       access_mode="public"))
        s.flush()
        n = report_numbers.progress_numbers(s, date(2025, 9, 17))
    rescans = [{"agency_code": "F01", "file": v[:20], "restricted": False, "title": v,
                "page_no": 1, "reasons": v, "opened_at": None} for v in FORMULAS]
    book = render_xlsx(n, rescans)
    assert not _formula_cells(book)
    assert FORMULAS[0] in _texts(book) and "@SUM(A1:A9)" in _texts(book)


def test_registry_csv_export_keeps_formula_like_names_as_text():
    """Rule for the CSV files sohoa writes for people (exports): a text cell that would
    start a formula gets a leading apostrophe (Excel shows it as text); sohoa takes it off
    when reading the file back, so the round trip is exact."""
    import csv

    from sohoa.core.fields import csv_text, from_csv_text
    from sohoa.intake.agencies import RegistryRow, read_registry_csv, write_registry_csv

    rows = [RegistryRow("X01", "Sở A", "department", None, "active", None, None),
            RegistryRow("X02", FORMULAS[0], "commune", "X01", "active", None, None),
            RegistryRow("X03", "-Ban quản lý", "commune", "X01", "active", None, None)]
    out = write_registry_csv(rows)
    cells = [c for rec in csv.reader(io.StringIO(out.decode("utf-8"))) for c in rec]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'" + FORMULAS[0] in cells
    back = read_registry_csv(out)
    assert [(r.code, r.name) for r in back] == [(r.code, r.name) for r in rows]
    for v in FORMULAS + ["'quoted", "'=already", "plain", ""]:
        assert from_csv_text(csv_text(v)) == v
