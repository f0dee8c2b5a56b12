from datetime import date

import pytest
from sohoa.core import events
from sohoa.core.db.models import Agency, Base, Event, File
from sohoa.core.db.session import migrate, session_scope
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError


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


# The heads of the history as it stood when the package was regrouped by phase
# (issue 12): a database at exactly these revisions must keep upgrading.
RELEASED_HEADS = {"0002_ocr", "0002_progress", "0002_qc", "0002_registry"}


def test_an_existing_database_keeps_upgrading(db_url):
    """Migration ids survive moves: a database made at the released heads upgrades."""
    from sqlalchemy import create_engine, text

    for rev in sorted(RELEASED_HEADS):
        migrate(db_url, revision=rev)
    eng = create_engine(db_url)
    with eng.connect() as c:
        assert {r[0] for r in c.execute(text("select version_num from alembic_version"))} \
            == RELEASED_HEADS
    migrate(db_url)  # to today's heads, from the older layout's revisions
    from alembic.script import ScriptDirectory
    from sohoa.core.db.session import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(db_url)).get_heads())
    with eng.connect() as c:
        now = {r[0] for r in c.execute(text("select version_num from alembic_version"))}
    eng.dispose()
    assert now == heads
    assert RELEASED_HEADS <= {r.revision for r in ScriptDirectory.from_config(
        alembic_config(db_url)).walk_revisions()}
