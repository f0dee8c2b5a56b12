from datetime import date

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from sohoa import events
from sohoa.db.models import Agency, Base, Event, File
from sohoa.db.session import migrate, session_scope


def test_migration_matches_models(engine):
    """Alembic's schema has every table and column the models declare."""
    insp = inspect(engine)
    for table in Base.metadata.sorted_tables:
        cols = {c["name"] for c in insp.get_columns(table.name)}
        assert cols == {c.name for c in table.columns}, table.name


def test_migrate_is_idempotent(db_url, engine):
    migrate(db_url)  # second run changes nothing and does not fail
    assert "files" in inspect(engine).get_table_names()


def test_file_unique_per_agency_and_events(engine):
    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        f = File(agency_id=a.id, notation="01", title="Tập lưu văn bản đi năm 2021",
                 start_date=date(2021, 1, 1))
        s.add(f)
        s.flush()
        assert events.set_status(s, f, "status", "handed_over", phase="arrangement",
                                 action="handover") is True
        assert events.set_status(s, f, "status", "handed_over", phase="arrangement",
                                 action="handover") is False
    with session_scope(engine) as s:
        ev = s.scalars(select(Event)).all()
        assert len(ev) == 1
        assert ev[0].before == {"status": "inventoried"}
        assert ev[0].after == {"status": "handed_over"}
        assert ev[0].agency_id is not None
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            a = s.scalars(select(Agency)).one()
            s.add(File(agency_id=a.id, notation="01", title="trùng"))
