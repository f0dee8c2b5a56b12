"""A reviewer answers a real human-in-the-loop task: `airflow dags test description_review`
runs against a live `airflow api-server`; the form appears under Required actions
(`GET .../hitlDetails`) pre-filled with the machine's reading and a page-image link the
plugin serves; the answer goes in through `PATCH .../hitlDetails`, as the UI sends it,
and lands in the project database with the reviewer's user name."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import airflow_server
import httpx
import pytest
from sqlalchemy import select

from sohoa.core.db.models import Document, Event
from sohoa.core.db.session import make_engine, migrate, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.description import phase as dphase
from test_description_phase import TB_LINES, TB_TEXT, _make_file

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "luutru", "Matkhau-LT-2025"


def test_reviewer_answers_the_required_action(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'sohoa.db'}"
    migrate(db_url)
    engine = make_engine(db_url)
    storage = LocalStorage(tmp_path / "home" / "objects")
    _make_file(engine, storage, [(TB_TEXT, TB_LINES)])
    with session_scope(engine) as s:
        dphase.describe(s, storage)
        doc = s.scalar(select(Document))
        assert doc.code_number is None and doc.review_state == "pending"
    with airflow_server.api_server(tmp_path, db_url, {USER: PASSWORD}, role="admin",
                                   dags_folder=ROOT / "dags", startup_timeout=300) as server:
        proc = subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test",
                                 "description_review"], env=server.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            tok = airflow_server.token(server.url, USER, PASSWORD)
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tok}"},
                              timeout=60) as http:
                detail = None
                deadline = time.monotonic() + 240
                while detail is None:
                    assert proc.poll() is None, proc.stdout.read()[-3000:]
                    assert time.monotonic() < deadline, "no Required action appeared"
                    r = http.get("/api/v2/dags/description_review/dagRuns/~/hitlDetails")
                    if r.status_code == 200 and r.json()["hitl_details"]:
                        detail = r.json()["hitl_details"][0]
                    else:
                        time.sleep(1)
                ti = detail["task_instance"]
                assert ti["task_id"] == "review" and ti["rendered_map_index"] == "G01"
                assert detail["options"] == ["Xác nhận", "Để sau"]
                params = detail["params"]
                key_no, key_not = f"vb{doc.id}__code_number", f"vb{doc.id}__code_notation"
                assert params[key_no]["value"] is None  # handwritten: not pre-filled
                assert params[key_not]["value"] == "TB-UBND"
                link = next(part.split(")")[0] for part in detail["body"].split("](")[1:]
                            if "/sohoa/pages/" in part)
                img = http.get(link.replace(server.url, ""))
                assert img.status_code == 200 and img.content.startswith(b"\x89PNG")
                answer = {k: v["value"] for k, v in params.items()}
                answer[key_no] = "17"
                r = http.patch(f"/api/v2/dags/description_review/dagRuns/{ti['dag_run_id']}"
                               f"/taskInstances/review/{ti['map_index']}/hitlDetails",
                               json={"chosen_options": ["Xác nhận"], "params_input": answer})
                assert r.status_code == 200, r.text
                assert r.json()["responded_by"]["name"] == USER
            out, _ = proc.communicate(timeout=240)
            assert proc.returncode == 0, out[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
    with session_scope(engine) as s:
        doc = s.get(Document, doc.id)
        assert doc.code_number == "17" and doc.review_state == "confirmed"
        assert doc.confirmed["code_number"]["by"] == USER
        ev = s.scalars(select(Event).where(Event.action == "confirmed")).all()
        assert ev and {e.actor for e in ev} == {f"user:{USER}"}
    engine.dispose()
