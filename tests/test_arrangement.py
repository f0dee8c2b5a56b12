"""Handover and arrangement: boxes reconciled, TT 05/2025 codes unique and stable."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sohoa.arrangement.phase import arrange, handover
from sohoa.core.db.models import Agency, Box, Event, File
from sohoa.core.db.session import session_scope
from sohoa.core.fields import parse_file_code_2019, parse_file_code_2025
from sqlalchemy import select


def _files(engine, n=5, code="G01"):
    with session_scope(engine) as s:
        a = Agency(code=code, name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        for i in range(1, n + 1):
            s.add(File(agency_id=a.id, notation=f"{i:02d}", title=f"Hồ sơ {i}",
                       box_no=str((i + 1) // 2), sheet_count=10, source_row=i + 1, retention_code="01",
                       end_date=date(2020 + i % 2, 12, 31)))


def test_handover_boxes_and_arrangement_codes(engine):
    _files(engine)
    with session_scope(engine) as s:
        out = handover(s)
        assert (out["files"], out["boxes"], out["discrepancies"]) == (5, 3, [])
        boxes = {b.box_no: b for b in s.scalars(select(Box))}
        assert boxes["1"].expected_files == 2 and boxes["3"].expected_files == 1
        assert boxes["1"].received_sheets == 20
    with session_scope(engine) as s:
        assert arrange(s)["codes_assigned"] == 5
        files = s.scalars(select(File).order_by(File.source_row)).all()
        parsed = [parse_file_code_2025(f.file_code) for f in files]
        assert all(p["agency_code"] == "G01" for p in parsed)
        # one sequence per (agency, year), counted from 1 in list order
        by_year = {}
        for p in parsed:
            by_year.setdefault(p["year"], []).append(p["sequence"])
        assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_year.values())
        assert all(f.status == "arranged" and f.arrangement_step == "boxed" for f in files)
        codes = [f.file_code for f in files]
    with session_scope(engine) as s:  # rerun: nothing changes, no events
        n = len(s.scalars(select(Event)).all())
        assert handover(s)["files"] == 0 and arrange(s)["files"] == 0
        assert [f.file_code for f in s.scalars(select(File).order_by(File.source_row))] == codes
        assert len(s.scalars(select(Event)).all()) == n


def test_new_files_continue_the_sequence(engine):
    _files(engine, n=2)
    with session_scope(engine) as s:
        handover(s)
        arrange(s)
        a = s.scalars(select(Agency)).one()
        s.add(File(agency_id=a.id, notation="99", title="Bổ sung", end_date=date(2021, 5, 1),
                   retention_code="04"))
    with session_scope(engine) as s:
        handover(s)
        arrange(s)
        codes = sorted(f.file_code for f in s.scalars(select(File)))
        assert len(set(codes)) == 3
        new = s.scalars(select(File).where(File.notation == "99")).one()
        assert parse_file_code_2025(new.file_code)["sequence"] == 2  # after 2021's first file


def test_tt02_2019_style_selectable(engine, monkeypatch):
    monkeypatch.setenv("SOHOA_FILE_CODE_STYLE", "2019")
    _files(engine, n=1)
    with session_scope(engine) as s:
        handover(s)
        arrange(s)
        f = s.scalars(select(File)).one()
        assert parse_file_code_2019(f.file_code)["agency_code"] == "G01"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1990, max_value=2025), min_size=1, max_size=12))
def test_codes_unique_for_any_years(tmp_path_factory, years):
    from sohoa.core.db.session import make_engine, migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('arr') / 'db.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        a = Agency(code="G02", name="UBND huyện Đông Anh", level="district")
        s.add(a)
        s.flush()
        for i, y in enumerate(years):
            s.add(File(agency_id=a.id, notation=str(i), title="x", end_date=date(y, 1, 1),
                       retention_code="06"))
    with session_scope(engine) as s:
        handover(s)
        arrange(s)
        codes = [f.file_code for f in s.scalars(select(File))]
        assert len(set(codes)) == len(years)
        assert sorted(parse_file_code_2025(c)["year"] for c in codes) == sorted(years)
    engine.dispose()


def _slip_sheet(rows):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["PHIẾU TIN HỒ SƠ"])
    ws.append(["Mã cơ quan", "Số và ký hiệu hồ sơ", "Số phiếu", "Người lập phiếu", "Ngày lập phiếu",
               "Thời hạn bảo quản", "Tổng số văn bản", "Từ khóa", "Tình trạng vật lý"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_steps_in_order_and_record_slips_from_archivists_sheet(engine):
    from sohoa.arrangement.phase import import_record_slips
    from sohoa.core.db.models import RecordSlip

    _files(engine, n=3)
    with session_scope(engine) as s:
        handover(s)
        sheet = _slip_sheet([["G01", "02", "PT-02", "Trần Thị Lan", "05/09/2025", "20 năm", 14,
                              "hội nghị", "Bình thường"],
                             ["G01", "77", "PT-77", "Trần Thị Lan", "05/09/2025", "20 năm", 1, "", ""],
                             ["G01", "03", "PT-03", "Trần Thị Lan", "05/09/2025", "Mãi mãi", 1, "", ""]])
        out = import_record_slips(s, sheet, "phieu_tin.xlsx")
        assert (out["slips"], out["updated"]) == (1, 0)
        assert [e["row"] for e in out["errors"]] == [4, 5]  # unknown file; bad retention
        assert "Mãi mãi" in out["errors"][1]["problem"]
    with session_scope(engine) as s:  # the same sheet again: nothing changes
        n = len(s.scalars(select(Event)).all())
        assert import_record_slips(s, sheet, "phieu_tin.xlsx")["slips"] == 0
        assert len(s.scalars(select(Event)).all()) == n
    with session_scope(engine) as s:
        arrange(s)
        f2 = s.scalars(select(File).where(File.notation == "02")).one()
        assert (f2.retention_code, f2.total_docs, f2.keyword) == ("05", 14, "hội nghị")
        slip = s.scalars(select(RecordSlip).where(RecordSlip.file_id == f2.id)).one()
        assert (slip.slip_no, slip.archivist, slip.entered_on) == ("PT-02", "Trần Thị Lan",
                                                                    date(2025, 9, 5))
        steps = [e.after["arrangement_step"] for e in s.scalars(
            select(Event).where(Event.entity_id == f2.id, Event.entity == "files")
            .order_by(Event.id)) if e.after and "arrangement_step" in e.after]
        assert steps == ["slip_entered", "checked", "boxed"]  # classified/formed came before
        f1 = s.scalars(select(File).where(File.notation == "01")).one()
        steps1 = [e.after["arrangement_step"] for e in s.scalars(
            select(Event).where(Event.entity_id == f1.id, Event.entity == "files")
            .order_by(Event.id)) if e.after and "arrangement_step" in e.after]
        assert steps1 == ["classified", "formed", "slip_entered", "checked", "boxed"]
        assert s.scalars(select(RecordSlip).where(RecordSlip.file_id == f1.id)).one().source_key == "danh_muc"


def test_file_failing_the_check_stays_with_reasons(engine):
    _files(engine, n=1)
    with session_scope(engine) as s:
        s.scalars(select(File)).one().retention_code = None
    with session_scope(engine) as s:
        handover(s)
        out = arrange(s)
        assert out["arranged"] == 0 and out["check_failed"][0]["reasons"] == [
            "Chưa xác định thời hạn bảo quản"]
        f = s.scalars(select(File)).one()
        assert (f.status, f.arrangement_step) == ("handed_over", "slip_entered")


def test_tt02_2019_codes_stay_unique_when_notations_share_a_token(engine, monkeypatch):
    monkeypatch.setenv("SOHOA_FILE_CODE_STYLE", "2019")
    with session_scope(engine) as s:
        a = Agency(code="G03", name="UBND xã Cổ Loa", level="commune")
        s.add(a)
        s.flush()
        for n in ("01/VP", "01-VP"):
            s.add(File(agency_id=a.id, notation=n, title="x", retention_code="01",
                       end_date=date(2019, 1, 1)))
    with session_scope(engine) as s:
        handover(s)
        arrange(s)
        codes = sorted(f.file_code for f in s.scalars(select(File)))
        assert codes == ["G03.2019.01.01VP", "G03.2019.01.01VP-2"]
        assert all(parse_file_code_2019(c)["agency_code"] == "G03" for c in codes)


def test_unusable_record_slips_come_back_as_an_excel_list(engine, db_url, tmp_path, monkeypatch):
    """The archivists get an Excel list of the slips that could not be used (row, column,
    value, problem, fix); the good slips are imported; a rerun neither duplicates it nor
    records it again."""
    import io

    import openpyxl
    from sohoa import pipeline
    from sohoa.core.storage import LocalStorage
    from sohoa.intake.errors_xlsx import SHEET_SLIP_ERRORS, write_slip_error_workbook

    monkeypatch.setenv("SOHOA_DB_URL", db_url)
    monkeypatch.setenv("SOHOA_STORAGE", "local")
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "obj"))
    monkeypatch.setenv("SOHOA_SLIPS_DIR", str(tmp_path / "phieu_tin"))
    _files(engine, n=3)
    (tmp_path / "phieu_tin").mkdir()
    (tmp_path / "phieu_tin" / "phiếu tin đợt 1.xlsx").write_bytes(_slip_sheet([
        ["G01", "02", "PT-02", "Trần Thị Lan", "05/09/2025", "20 năm", 14, "hội nghị", "Bình thường"],
        ["G01", "77", "PT-77", "Trần Thị Lan", "05/09/2025", "20 năm", 1, "", ""],
        ["G01", "03", "PT-03", "Trần Thị Lan", "05/09/2025", "Mãi mãi", "mười bốn", "", ""],
    ]))
    out = pipeline.run_arrangement()
    assert out["record_slips"] == 1
    [key] = out["record_slip_error_reports"]
    assert key.startswith("record-slips/errors/phieu_tin_dot_1_") and key.endswith("_loi.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(LocalStorage(tmp_path / "obj").get_bytes(key)))
    ws = wb[SHEET_SLIP_ERRORS]
    assert "Tổng số dòng: 3; đã nhập: 1; có lỗi: 2" in ws["A3"].value
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (4, "Hồ sơ", "G01/77"), (5, "Thời hạn bảo quản", "Mãi mãi"), (5, "Tổng số văn bản", "mười bốn")]
    assert all(r[3] and r[4] for r in rows)  # a problem and a fix on every line
    # a value that looks like a formula is written back as text
    wb2 = openpyxl.load_workbook(io.BytesIO(write_slip_error_workbook(
        "a.xlsx", "0" * 64, 1, [{"row": 2, "field": "Từ khóa", "value": "=1+1", "problem": "x"}])))
    cell = wb2[SHEET_SLIP_ERRORS].cell(row=5, column=3)
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    with session_scope(engine) as s:
        n = len(s.scalars(select(Event).where(Event.entity == "record_slips")).all())
    again = pipeline.run_arrangement()
    assert again["record_slip_error_reports"] == [key]
    with session_scope(engine) as s:
        assert len(s.scalars(select(Event).where(Event.entity == "record_slips")).all()) == n == 1
