from datetime import date

import pytest
from sqlalchemy import select

from sohoa.agencies import (RegistryError, current_successors, load_registry, read_registry_csv,
                            validate_registry, RegistryRow)
from sohoa.db.models import Agency, Event
from sohoa.db.session import session_scope

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
