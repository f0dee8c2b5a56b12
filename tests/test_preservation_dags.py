"""The aip_build and fixity_audit DAGs run for real (dag.test()) on a small programme."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import preservation_data as pdata
from sohoa.core.db.models import Aip, Event, FixityRun
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.core.storage import get_storage


@pytest.fixture(scope="module")
def airflow_db():
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   capture_output=True)


def test_aip_build_and_fixity_audit_dags(airflow_db, tmp_path, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    db_url = f"sqlite:///{tmp_path / 'sohoa.db'}"
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOHOA_DB_URL", db_url)
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "objects"))
    monkeypatch.setenv("SOHOA_REPLICA_ROOT", str(tmp_path / "second"))
    migrate(db_url)
    engine = make_engine(db_url)
    store = get_storage()
    with session_scope(engine) as s:
        pdata.integrated_file(s, store, code="G01", seq=1)
        pdata.integrated_file(s, store, code="G02", seq=2, container=True)
    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags"))

    assert bag.dags["aip_build"].test().state == "success"
    with session_scope(engine) as s:
        aips = s.scalars(select(Aip)).all()
        assert len(aips) == 2 and all(store.replica.exists(a.object_key) for a in aips)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)
                        .where(Event.action == "aip_built")) == 2

    assert bag.dags["fixity_audit"].test().state == "success"
    with session_scope(engine) as s:
        runs = {r.scope: r for r in s.scalars(select(FixityRun))}
        assert set(runs) == {"agency:G01", "agency:G02", "programme"}
        assert all(r.status == "done" and r.ok == r.checked for r in runs.values())
        assert runs["agency:G01"].checked == 3 + 1 + 1 + 1  # pages, derivative, PDF, AIP

    # the run notes count what these runs did: packages, then objects (not "0 mới")
    from sohoa import pipeline
    from sohoa.core.run_notes import run_note

    again = pipeline.run_aips()
    assert run_note([again["outcome"]], agencies=["G01", "G02"]).startswith(
        "Hồ sơ: 0 mới, 0 làm lại, 2 không đổi, 0 bị trả lại, 0 lỗi.")
    audit = pipeline.run_fixity("G01")
    note = run_note([audit["outcome"]], agencies=["G01"])
    assert note.startswith(f"Kiểm tra toàn vẹn: {audit['checked']} đối tượng, "
                           f"{audit['checked']} đúng, 0 đã sửa từ bản còn tốt, "
                           "0 chưa sửa được, 0 MẤT.")
    assert audit["checked"] == 6
