"""Inventory intake into the database: nothing lost, idempotent, corrections as events."""

import openpyxl
import io
from sqlalchemy import select

from sohoa.db.models import Agency, Event, File, InventoryRowError, InventorySubmission
from sohoa.db.session import session_scope
from sohoa.intake import intake_list
from sohoa.storage import LocalStorage

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

    from sohoa.intake import IntakeError

    with pytest.raises(IntakeError, match="Không có cơ quan mã 'X99'"):
        with session_scope(engine) as s:
            intake_list(s, LocalStorage(tmp_path), "X99", _csv(ROWS), "a.csv")
