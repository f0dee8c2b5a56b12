from datetime import date

import pytest
from sohoa.core.db.models import Agency, Event
from sohoa.core.db.session import session_scope
from sohoa.intake.agencies import (
    RegistryError,
    RegistryRow,
    current_successors,
    load_registry,
    read_registry_csv,
    validate_registry,
)
from sqlalchemy import select

CSV = """code,name,level,parent_code,status,successor_code,effective_date
G01,UBND quận Hoàn Kiếm,district,,dissolved,G09,2025-07-01
G01X01,UBND phường Hàng Bạc,commune,G01,merged,G01X02,2025-07-01
G01X02,UBND phường Hoàn Kiếm,commune,G01,active,,
G09,UBND thành phố Hà Nội,city,,active,,
""".encode()


def test_read_and_rollup(engine):
    rows = read_registry_csv(CSV)
    assert [r.code for r in rows] == ["G01", "G01X01", "G01X02", "G09"]
    assert rows[1].effective_date == date(2025, 7, 1)
    with session_scope(engine) as s:
        assert load_registry(s, rows) == {"created": 4, "updated": 0, "total": 4}
        ids = {a.code: a.id for a in s.scalars(select(Agency))}
        succ = current_successors(s)
        assert succ[ids["G01X01"]] == ids["G01X02"]  # merged → successor
        assert succ[ids["G01"]] == ids["G09"]  # dissolved → the body holding its records
        assert succ[ids["G01X02"]] == ids["G01X02"]  # active → itself


def test_reload_is_idempotent_and_changes_are_events(engine):
    with session_scope(engine) as s:
        load_registry(s, read_registry_csv(CSV))
    with session_scope(engine) as s:
        assert load_registry(s, read_registry_csv(CSV))["updated"] == 0
        n_events = len(s.scalars(select(Event)).all())
    changed = CSV.replace("UBND phường Hoàn Kiếm,commune,G01,active".encode(),
                          "UBND phường Hoàn Kiếm (mới),commune,G01,active".encode())
    with session_scope(engine) as s:
        assert load_registry(s, read_registry_csv(changed))["updated"] == 1
        ev = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert ev.action == "updated" and ev.after == {"name": "UBND phường Hoàn Kiếm (mới)"}
        assert len(s.scalars(select(Event)).all()) == n_events + 1


def _row(code, successor=None, status="active"):
    return RegistryRow(code, code, "commune", None, status, successor, None)


def test_cycle_rejected_with_path():
    with pytest.raises(RegistryError, match="Vòng lặp.*A → B → A"):
        validate_registry([_row("A", "B", "merged"), _row("B", "A", "merged")])


def test_dangling_successor_rejected():
    with pytest.raises(RegistryError, match="'ZZ' không có trong danh sách"):
        validate_registry([_row("A", "ZZ", "merged")])


def test_merged_without_successor_rejected():
    with pytest.raises(RegistryError, match="thiếu cơ quan kế thừa"):
        validate_registry([_row("A", None, "dissolved")])


# ------------------------------------------------------------------ splits, history, real data


def test_split_lists_every_successor_and_default_rolls_up(engine):
    from sohoa.intake.agencies import history, successors_of

    csv_ = (CSV.decode() + "G01X04,UBND phường Tràng Tiền,commune,G01,split,\"G01X02;G09*\",2025-07-01\n"
            ).encode()
    rows = read_registry_csv(csv_)
    assert rows[-1].successor_codes == ["G09", "G01X02"]  # "*" marks the default
    with session_scope(engine) as s:
        load_registry(s, rows, source="test.csv")
        ids = {a.code: a.id for a in s.scalars(select(Agency))}
        assert successors_of(s, ids["G01X04"]) == [(ids["G09"], True), (ids["G01X02"], False)]
        assert current_successors(s)[ids["G01X04"]] == ids["G09"]
        assert [v.status for v in history(s, "G01X04")] == ["split"]
    # the default changes later: the old version is closed, not overwritten
    changed = csv_.replace(b'"G01X02;G09*"', b'"G01X02*;G09"')
    with session_scope(engine) as s:
        assert load_registry(s, read_registry_csv(changed), source="v2.csv")["updated"] == 1
        vers = history(s, "G01X04")
        assert [v.successor_codes for v in vers] == ["G09;G01X02", "G01X02;G09"]
        assert vers[0].valid_to is not None and vers[1].valid_to is None
        assert current_successors(s)[ids["G01X04"]] == ids["G01X02"]


def test_cycle_through_a_split_branch_rejected():
    rows = [_row("A", None, "split"), _row("B", "A", "merged"), _row("C")]
    rows[0].successor_codes, rows[0].successor_code = ["C", "B"], "C"
    with pytest.raises(RegistryError, match="Vòng lặp.*A → B → A"):
        validate_registry(rows)


def test_registry_xlsx_with_vietnamese_headers_and_values():
    import io

    import openpyxl
    from sohoa.intake.agencies import read_registry

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã cơ quan", "Tên cơ quan", "Cấp", "Cơ quan cấp trên", "Trạng thái",
               "Cơ quan kế thừa", "Ngày hiệu lực"])
    ws.append(["t01", "UBND thành phố Hà Nội", "Thành phố", None, "Đang hoạt động", None, None])
    ws.append(["H001", "UBND quận Ba Đình", "Quận", "T01", "Giải thể", "T01", "01/07/2025"])
    buf = io.BytesIO()
    wb.save(buf)
    rows = read_registry(buf.getvalue(), "co_quan.xlsx")
    assert [(r.code, r.level, r.status, r.successor_code, r.effective_date) for r in rows] == [
        ("T01", "city", "active", None, None),
        ("H001", "district", "dissolved", "T01", date(2025, 7, 1))]


def test_hanoi_registry_from_vietnamadminunits(engine):
    """The real 2025 reorganisation: 30 district units dissolved, 526 → 126 communes/wards."""
    from collections import Counter

    from sohoa.intake.agencies import seed_rows, successors_of

    rows = seed_rows("Hà Nội")
    kinds = Counter((r.level, r.status) for r in rows)
    assert kinds[("district", "dissolved")] == 30
    assert kinds[("commune", "merged")] + kinds[("commune", "split")] == 526
    assert kinds[("commune", "active")] == 126 and kinds[("city", "active")] == 1
    assert kinds[("commune", "split")] > 0
    by = {r.code: r for r in rows}
    assert by["H001"].name == "UBND quận Ba Đình" and by["H001"].successor_code == "T01"
    assert by["X00001"].name == "UBND phường Phúc Xá" and by["X00001"].parent_code == "H001"
    assert all(by[c].status == "active" for r in rows for c in r.successor_codes)
    split = next(r for r in rows if r.status == "split")
    assert len(split.successor_codes) >= 2
    with session_scope(engine) as s:
        assert load_registry(s, rows)["created"] == len(rows)
        ids = {a.code: a.id for a in s.scalars(select(Agency))}
        roll = current_successors(s)
        assert roll[ids["X00001"]] == ids[by["X00001"].successor_code]  # merged ward
        assert roll[ids[split.code]] == ids[split.successor_codes[0]]  # split: the default
        assert len(successors_of(s, ids[split.code])) == len(split.successor_codes)
    with session_scope(engine) as s:  # seeding again changes nothing
        n = len(s.scalars(select(Event)).all())
        assert load_registry(s, rows)["updated"] == 0
        assert len(s.scalars(select(Event)).all()) == n
