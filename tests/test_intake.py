"""Inventory intake into the database: nothing lost, idempotent, corrections as events."""

import io

import openpyxl
from sohoa.core.db.models import Agency, Event, File, InventoryRowError, InventorySubmission
from sohoa.core.db.session import session_scope
from sohoa.core.storage import LocalStorage
from sohoa.intake.phase import intake_list
from sqlalchemy import select

HEADER = "STT,Hộp số,Số và ký hiệu hồ sơ,Tiêu đề hồ sơ,Thời gian bắt đầu,Thời gian kết thúc," \
         "Thời hạn bảo quản,Chế độ sử dụng,Số lượng tờ,Số lượng trang,Ngôn ngữ,Ghi chú"
ROWS = [
    "1,1,01,Tập lưu văn bản đi năm 2021,01/01/2021,31/12/2021,Vĩnh viễn,Công khai,50,60,Tiếng Việt,",
    "2,1,02,Hồ sơ hội nghị tổng kết năm 2021,05/01/2022,20/01/2022,20 năm,Hạn chế,10,12,Tiếng Việt,",
    "3,2,03,,01/02/2022,31/03/2022,10 năm,Công khai,5,5,Tiếng Việt,",  # no title
]


def _csv(rows):
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def _setup(engine):
    with session_scope(engine) as s:
        s.add(Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district"))


def test_intake_loads_good_rows_and_keeps_bad_ones(engine, tmp_path):
    _setup(engine)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        out = intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv")
    assert (out["valid_rows"], out["error_rows"], out["created"]) == (2, 1, 2)
    with session_scope(engine) as s:
        files = {f.notation: f for f in s.scalars(select(File))}
        assert set(files) == {"01", "02"}
        assert files["02"].access_mode == "restricted"
        assert files["01"].retention_code == "01" and files["01"].page_count == 60
        errs = s.scalars(select(InventoryRowError)).all()
        assert [(e.row_number, e.code) for e in errs] == [(4, "required")]
        sub = s.scalars(select(InventorySubmission)).one()
        assert storage.get_bytes(sub.object_key) == _csv(ROWS)  # raw list archived
    wb = openpyxl.load_workbook(io.BytesIO(storage.get_bytes(out["error_report_key"])))
    text = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "Tiêu đề hồ sơ" in text


def test_same_file_again_changes_nothing(engine, tmp_path):
    _setup(engine)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv")
    with session_scope(engine) as s:
        n = len(s.scalars(select(Event)).all())
        out = intake_list(s, storage, "G01", _csv(ROWS), "danh_muc (1).csv")
        assert out["status"] == "unchanged"
    with session_scope(engine) as s:
        assert len(s.scalars(select(Event)).all()) == n
        assert len(s.scalars(select(InventorySubmission)).all()) == 1


def test_corrected_resubmission_updates_only_what_changed(engine, tmp_path):
    _setup(engine)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv")
    fixed = [ROWS[0], ROWS[1].replace("năm 2021", "năm 2021 (bổ sung)"),
             ROWS[2].replace(",,", ",Hồ sơ tiếp dân quý I năm 2022,", 1)]
    with session_scope(engine) as s:
        out = intake_list(s, storage, "G01", _csv(fixed), "danh_muc_sua.csv")
    assert (out["created"], out["updated"], out["error_rows"]) == (1, 1, 0)
    with session_scope(engine) as s:
        ev = s.scalars(select(Event).where(Event.action == "updated")).one()
        assert ev.before == {"title": "Hồ sơ hội nghị tổng kết năm 2021"}
        assert ev.after == {"title": "Hồ sơ hội nghị tổng kết năm 2021 (bổ sung)"}
        assert len(s.scalars(select(File)).all()) == 3


def test_unknown_agency_is_a_clear_error(engine, tmp_path):
    import pytest
    from sohoa.intake.phase import IntakeError

    with pytest.raises(IntakeError, match="Không có cơ quan mã 'X99'"):
        with session_scope(engine) as s:
            intake_list(s, LocalStorage(tmp_path), "X99", _csv(ROWS), "a.csv")


def test_duplicate_against_an_earlier_list_is_kept_as_an_error(engine, tmp_path):
    _setup(engine)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        intake_list(s, storage, "G01", _csv(ROWS), "danh_muc_2021.csv")
    other = [ROWS[0].replace("Tập lưu văn bản đi", "Tập lưu văn bản đến"),  # "01" again
             "4,3,04,Hồ sơ mới,01/01/2023,31/12/2023,10 năm,Công khai,5,5,Tiếng Việt,"]
    with session_scope(engine) as s:
        out = intake_list(s, storage, "G01", _csv(other), "danh_muc_kho_2.csv")
    assert (out["created"], out["updated"], out["duplicate_rows"], out["error_rows"]) == (1, 0, 1, 1)
    with session_scope(engine) as s:
        f01 = s.scalars(select(File).where(File.notation == "01")).one()
        assert f01.title == "Tập lưu văn bản đi năm 2021"  # the earlier list's file untouched
        err = s.scalars(select(InventoryRowError).where(
            InventoryRowError.code == "duplicate_earlier")).one()
        assert err.row_number == 2 and "danh_muc_2021.csv" in err.problem
    wb = openpyxl.load_workbook(io.BytesIO(storage.get_bytes(out["error_report_key"])))
    text = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "danh_muc_2021.csv" in text


def test_legacy_font_list_is_converted_and_recorded(engine, tmp_path):
    from sohoa.intake.legacy_encodings import unicode_to_tcvn3

    _setup(engine)
    data = unicode_to_tcvn3("\n".join([HEADER, *ROWS[:2]]) + "\n").encode("latin-1")
    with session_scope(engine) as s:
        out = intake_list(s, LocalStorage(tmp_path), "G01", data, "danh_muc_tcvn3.csv")
    assert (out["valid_rows"], out["encoding"]) == (2, "tcvn3") and out["converted_cells"] == 3
    with session_scope(engine) as s:
        assert {f.title for f in s.scalars(select(File))} == {
            "Tập lưu văn bản đi năm 2021", "Hồ sơ hội nghị tổng kết năm 2021"}
        sub = s.scalars(select(InventorySubmission)).one()
        assert sub.conversion["source"] == "tcvn3" and sub.conversion["cells"] == 3
        ev = s.scalars(select(Event).where(Event.action == "received")).one()
        assert ev.details["conversion"]["source"] == "tcvn3" and ev.details["sha256"] == sub.sha256


def test_list_key_ignores_copy_and_correction_suffixes():
    from sohoa.intake.phase import list_key

    assert list_key("Danh_mục (1).xlsx") == list_key("danh muc_sua.csv") == "danh muc"
    assert list_key("danh_muc_2019.xlsx") != list_key("danh_muc_2020.xlsx")


def test_run_intake_picks_up_lists_from_folder_and_object_prefix(sqlite_url, tmp_path, monkeypatch):
    """No manual step: the scheduled scan finds new lists in both places, and a rescan
    loads nothing twice."""
    from sohoa import pipeline
    from sohoa.core.db.session import make_engine, migrate

    monkeypatch.setenv("SOHOA_DB_URL", sqlite_url)
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "obj"))
    monkeypatch.setenv("SOHOA_INTAKE_DIR", str(tmp_path / "intake"))
    monkeypatch.setenv("SOHOA_INTAKE_PREFIX", "drop/lists")
    migrate(sqlite_url)
    _setup(make_engine(sqlite_url))
    (tmp_path / "intake" / "G01").mkdir(parents=True)
    (tmp_path / "intake" / "G01" / "danh_muc.csv").write_bytes(_csv(ROWS[:1]))
    LocalStorage(tmp_path / "obj").put_bytes("drop/lists/g01/kho_2.csv", _csv(
        ["9,5,09,Hồ sơ nộp qua S3,01/01/2020,31/12/2020,10 năm,Công khai,3,3,Tiếng Việt,"]))
    out = pipeline.run_intake()
    assert (out["lists"], out["loaded"], out["failures"]) == (2, 2, [])
    with session_scope(make_engine(sqlite_url)) as s:
        assert sorted(sub.source for sub in s.scalars(select(InventorySubmission))) == ["folder", "s3"]
        assert {f.notation for f in s.scalars(select(File))} == {"01", "09"}
    assert pipeline.run_intake()["changed"] is False
