"""The fast paths of inventory intake give exactly what the plain ways gave.

Intake was sped up (issue 5: 50,000 rows ≤ 10 s) with shortcuts that must not change a
single outcome: the NFC/fold fast paths, the C charmaps for TCVN3 and Windows-1252, the
python-calamine workbook reader (openpyxl stays the reference), and bulk writes on
PostgreSQL (COPY for files and error rows, one INSERT ... SELECT for the events).
"""

import dataclasses
import io
import random
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Border, Side
from sohoa.core import fields as F
from sohoa.core.db.models import Agency, Event, File, InventoryRowError
from sohoa.core.db.session import session_scope
from sohoa.core.storage import LocalStorage
from sohoa.intake import inventory as I
from sohoa.intake import legacy_encodings as L
from sohoa.intake import readers
from sohoa.intake.phase import intake_list
from sqlalchemy import select

CORPUS = Path(__file__).parent / "data" / "inventory"
TODAY = date(2025, 9, 1)


# ------------------------------------------------------------- text fast paths

def _nfc_reference(value: str) -> str:  # the plain algorithm the fast path replaces
    value = unicodedata.normalize("NFC", value)
    value = F._WS_RE.sub(" ", value)
    value = F._INVISIBLE_RE.sub("", value)
    return " ".join(value.split())


def _fold_reference(value: str) -> str:
    return F._NON_ALNUM_RE.sub(" ", F._fold_slow(unicodedata.normalize("NFC", value))).strip()


def test_printable_text_holds_no_invisible_character_nor_other_whitespace():
    # what nfc()'s fast path relies on, over all of Unicode
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if c.isprintable():
            assert not F._INVISIBLE_RE.match(c) and (c == " " or not c.isspace()), hex(cp)


def test_nfc_and_fold_fast_paths_match_the_plain_algorithms():
    rng = random.Random(5)
    alphabet = (list("aAđĐ oơưÔ  \t\n\r.,-/()") + ["\u00a0", "\u200b", "\ufeff", "\x07",
                "\u0301", "\u0323", "\u0302", "ß", "İ", "Ω", "ǅ", "€", "…", "\u2003"]
                + [chr(c) for c in range(0x1EA0, 0x1EFA)])
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert F.nfc(s) == _nfc_reference(s), repr(s)
        assert F.fold(s) == _fold_reference(s), repr(s)


def test_tcvn3_charmap_and_caps_rule_match_the_plain_ways():
    def restore_caps_reference(src, out):
        letters = [c for c in src if c.isascii() and c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters) and out != src:
            return out.upper()
        return out

    rng = random.Random(7)
    alphabet = [chr(i) for i in range(0x20, 0x180)] + ["€", "…", "ồ", "A", "B", "x"]
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert L.tcvn3_to_unicode(s) == restore_caps_reference(
            s, s.translate(L._TCVN3_TABLE)), repr(s)
    data = bytes(range(256)) * 3
    assert L._decode_1252(data) == data.decode("latin-1").translate(L._LATIN1_TO_1252)
    assert L.tcvn3_to_unicode("Hå s¬") == "Hồ sơ"
    assert L.tcvn3_to_unicode("DANH MôC") == "DANH MỤC"  # .VnTimeH capitals


# ------------------------------------------------------------- workbook readers

def _both_readers(data: bytes, name: str, monkeypatch):
    fast = readers.read_xlsx_calamine(data)
    a = I.parse_inventory(data, name, today=TODAY)
    with monkeypatch.context() as m:
        m.setattr(readers, "read_xlsx_calamine", lambda d: None)  # openpyxl, the reference
        b = I.parse_inventory(data, name, today=TODAY)
    return fast, dataclasses.asdict(a), dataclasses.asdict(b)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.xlsx")))
def test_calamine_reads_the_corpus_exactly_like_openpyxl(name, monkeypatch):
    fast, a, b = _both_readers((CORPUS / name).read_bytes(), name, monkeypatch)
    assert fast is not None  # the fast reader was really used
    assert a == b


def _workbook(error_cell: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh mục"
    ws.append(["DANH MỤC HỒ SƠ"])
    ws.append([])
    ws.append(["STT", "Số và ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu",
               "Thời gian kết thúc", "Thời hạn bảo quản", "Số lượng tờ", "Ghi chú"])
    ws.append([1, "01", "  Hồ sơ   tiếp dân ", datetime(2019, 1, 5), datetime(2019, 12, 31, 10, 30),
               "Vĩnh viễn", 12, None])
    ws.append([2, 2, "Hồ sơ hội nghị", 2019, "2020", 70, "12 tờ", True])
    ws.append([None, None, None])
    ws.append([3, "03", "Tập văn bản", "2019-2021", None, "10 năm", 1.5,
               "#N/A" if error_cell else "x"])
    ws.append(["Cộng: 3 hồ sơ"])
    thin = Side(style="thin")
    for r in range(9, 14):  # a template's bordered, empty rows: openpyxl lists them
        ws.cell(r, 2).border = Border(left=thin)
    hidden = wb.create_sheet("Ẩn")
    hidden.sheet_state = "hidden"
    hidden.append(["Số và ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời hạn bảo quản"])
    other = wb.create_sheet("Ghi chú")
    other.append(["Người lập biểu"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_calamine_gives_the_same_rows_errors_and_skipped_lines(monkeypatch):
    fast, a, b = _both_readers(_workbook(), "danh_muc.xlsx", monkeypatch)
    assert fast is not None and a == b
    assert [r["notation"] for r in a["rows"]] == ["01", "2"]
    assert a["rows"][0]["title"] == "Hồ sơ tiếp dân"
    assert [n for n, _ in a["skipped"] if n >= 9] == [9, 10, 11, 12, 13]  # bordered rows
    assert a["sheet_name"] == "Danh mục"


def test_error_cells_fall_back_to_openpyxl_and_are_still_reported(monkeypatch):
    data = _workbook(error_cell=True)
    assert readers.read_xlsx_calamine(data) is None  # calamine would drop "#N/A"
    p = I.parse_inventory(data, "danh_muc.xlsx", today=TODAY)
    assert [(e.row_number, e.code, e.value) for e in p.errors if e.code == "excel_error"] == [
        (7, "excel_error", "#N/A")]


# ------------------------------------------------------------- bulk writes

HEADER = "STT,Số và ký hiệu hồ sơ,Tiêu đề hồ sơ,Thời gian bắt đầu,Thời hạn bảo quản,Ghi chú"


def test_bulk_load_writes_one_inventoried_event_per_file(engine, tmp_path):
    with session_scope(engine) as s:
        s.add(Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district"))
    lines = [HEADER] + [f'{i},{i:03d},"Hồ sơ số {i}, ""quý"" I",05/01/2019,Vĩnh viễn,'
                        for i in range(1, 41)]
    lines += ["41,041,,05/01/2019,Vĩnh viễn,thiếu tiêu đề",
              '42,042,"Hồ sơ, có ghi chú",31/02/2019,10 năm,"a ""b"", c"']
    data = ("\n".join(lines) + "\n").encode()
    with session_scope(engine) as s:
        out = intake_list(s, LocalStorage(tmp_path), "G01", data, "danh_muc.csv")
    assert (out["created"], out["error_rows"]) == (40, 2)
    with session_scope(engine) as s:
        files = {f.id: f for f in s.scalars(select(File))}
        ev = s.scalars(select(Event).where(Event.action == "inventoried").order_by(Event.id)).all()
        assert sorted(e.entity_id for e in ev) == sorted(files)  # exactly one per file
        by_file = {e.entity_id: e for e in ev}
        for fid, f in files.items():
            e = by_file[fid]
            assert (e.entity, e.phase, e.agency_id) == ("files", "inventory", f.agency_id)
            assert e.after == {"status": "inventoried", "notation": f.notation}
            assert e.details == {"submission_id": f.submission_id, "row": f.source_row}
            assert e.actor and e.occurred_at is not None
        f7 = next(f for f in files.values() if f.notation == "007")
        assert (f7.title, f7.notes, f7.start_date, f7.source_row) == (
            'Hồ sơ số 7, "quý" I', None, date(2019, 1, 5), 8)
        assert [e.entity_id for e in ev] == sorted(
            files, key=lambda i: files[i].source_row)  # events in list order
        errs = s.scalars(select(InventoryRowError).order_by(InventoryRowError.row_number)).all()
        assert [(e.row_number, e.code, e.field, e.value) for e in errs] == [
            (42, "required", "Tiêu đề hồ sơ", ""),
            (43, "bad_date", "Thời gian bắt đầu", "31/02/2019")]
        assert all(e.problem and e.fix for e in errs)
