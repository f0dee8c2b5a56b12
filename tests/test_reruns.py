"""Reruns operators can read: "Làm lại (force)" redoes unchanged work in every phase (one
forced_rerun event per item, under the operator's name), and the run note says what a
run did ("0 mới, 0 làm lại, 12 không đổi, ...") — both without Airflow."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sohoa.arrangement.phase import arrange, handover
from sohoa.core import events
from sohoa.core.db.models import Agency, Event, File, InventoryRowError, InventorySubmission
from sohoa.core.db.session import make_engine, session_scope
from sohoa.core.run_notes import outcome, run_note, total
from sohoa.core.storage import LocalStorage
from sohoa.integration.phase import integrate
from sohoa.intake.phase import intake_list
from sohoa.ocr import phase as ocr_phase
from sohoa.ocr import recognition as ocr
from sohoa.scan.phase import scan_qc

from test_integration import _programme
from test_intake import ROWS, _csv
from test_ocr_phase import P1, _add_file, _agency, _jpeg
from test_scan_phase import _setup as _scan_setup


def _forced(s, phase: str) -> list[Event]:
    return list(s.scalars(select(Event).where(Event.action == "forced_rerun",
                                              Event.phase == phase)))


def _events(s) -> int:
    return s.scalar(select(func.count()).select_from(Event))


# --------------------------------------------------------------------------- the note

def test_note_says_nothing_happened_in_numbers():
    note = run_note([outcome(unchanged=7), outcome(unchanged=5), None],
                    agencies=["G01", "G02"])
    assert note == ("Hồ sơ: 0 mới, 0 làm lại, 12 không đổi, 0 bị trả lại, 0 lỗi. "
                    "Cơ quan: G01, G02.")


def test_note_of_a_forced_run_names_the_operator_and_the_failures():
    note = run_note([outcome(done=3, redone=2, rejected=1), outcome(done=1, failed=1)],
                    unit="danh mục", agencies=["G01", "G02", "G03"], failed_agencies=["G03"],
                    force=True, operator="nguyenvana", target="G01")
    assert note.startswith("Làm lại (force) theo yêu cầu của nguyenvana cho G01. ")
    assert "Danh mục: 2 mới, 2 làm lại, 0 không đổi, 1 bị trả lại, 1 lỗi." in note
    assert "Tác vụ lỗi (1 cơ quan): G03" in note


def test_note_of_an_empty_run_and_its_length():
    assert run_note([]).endswith("Không có cơ quan nào có việc.")
    long = run_note([outcome(done=1)], agencies=[f"X{i:05d}" for i in range(400)])
    assert len(long) == 1000 and long.endswith("…")  # Airflow's limit for a run note
    assert total([{"done": 2, "extra": 9}, None, outcome(failed=1)]) == outcome(done=2, failed=1)


# --------------------------------------------------------------------------- force, per phase

def test_force_intake_reads_an_unchanged_list_again(engine, tmp_path):
    with session_scope(engine) as s:
        s.add(Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district"))
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv")
    with session_scope(engine) as s:  # an operator edited a file by hand meanwhile
        f = s.scalars(select(File).where(File.notation == "01")).one()
        listed_title, f.title = f.title, "sửa tay"
    with session_scope(engine) as s:
        assert intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv")["status"] == "unchanged"
    with session_scope(engine) as s, events.operator("nguyenvana"):
        out = intake_list(s, storage, "G01", _csv(ROWS), "danh_muc.csv", force=True)
    assert out["status"] == "reloaded" and out["error_rows"] == 1
    with session_scope(engine) as s:
        assert s.scalars(select(File).where(File.notation == "01")).one().title == listed_title
        assert s.scalar(select(func.count()).select_from(InventorySubmission)) == 1
        assert s.scalar(select(func.count()).select_from(InventoryRowError)) == 1  # not twice
        (ev,) = _forced(s, "inventory")
        assert ev.actor == "user:nguyenvana" and ev.details["reason"] == events.FORCED_REASON


def test_force_arrangement_checks_arranged_files_again(engine):
    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        for i in (1, 2):
            s.add(File(agency_id=a.id, notation=f"0{i}", title=f"Hồ sơ {i}", box_no="1",
                       retention_code="01", end_date=date(2021, 12, 31), source_row=i + 1))
    with session_scope(engine) as s:
        handover(s)
        assert arrange(s)["arranged"] == 2
    with session_scope(engine) as s:
        n = _events(s)
        assert arrange(s)["files"] == 0  # nothing to do without force
        assert _events(s) == n
    with session_scope(engine) as s, events.operator("tranthib"):
        out = arrange(s, agency="G01", file_ref="G01/01", force=True)
    assert (out["files"], out["forced"], out["arranged"]) == (1, 1, 1)
    with session_scope(engine) as s:
        assert [e.actor for e in _forced(s, "arrangement")] == ["user:tranthib"]
        assert all(f.status == "arranged" for f in s.scalars(select(File)))


def test_force_scan_qc_checks_an_unchanged_delivery_again(engine, tmp_path):
    _scan_setup(engine, tmp_path / "deliveries")
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        assert scan_qc(s, storage, tmp_path / "deliveries")["files"] == 1
    with session_scope(engine) as s:
        assert scan_qc(s, storage, tmp_path / "deliveries")["unchanged"] == 1
    with session_scope(engine) as s, events.operator("lequangc"):
        out = scan_qc(s, storage, tmp_path / "deliveries", force=True)
    assert (out["files"], out["forced"], out["unchanged"], out["rejected_files"]) == (1, 1, 0, 1)
    with session_scope(engine) as s:
        assert [e.actor for e in _forced(s, "scan_qc")] == ["user:lequangc"]
        assert s.scalars(select(File)).one().status == "qc_rejected"  # the blurred page still


def test_force_ocr_redoes_an_unchanged_file(sqlite_url, tmp_path):
    from sohoa.core.db.session import migrate

    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    storage = LocalStorage(tmp_path / "objects")
    with session_scope(engine) as s:
        _add_file(s, storage, _agency(s), "01", "TTLTHN.G01.2016.01.001",
                  [(_jpeg(ocr.render_text_page(P1, dpi=200)), {"orientation": 0})])
    with session_scope(engine) as s:
        assert ocr_phase.run_ocr(s, storage, workers=1)["files"] == 1
    with session_scope(engine) as s:
        assert ocr_phase.run_ocr(s, storage, workers=1)["skipped"] == 1
    with session_scope(engine) as s, events.operator("phamd"):
        out = ocr_phase.run_ocr(s, storage, workers=1, force=True)
    assert (out["files"], out["forced"], out["skipped"]) == (1, 1, 0)
    with session_scope(engine) as s:
        assert [e.actor for e in _forced(s, "ocr")] == ["user:phamd"]
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.action == "pdf_stored")) == 2
    engine.dispose()



def test_a_file_whose_pages_met_a_tesseract_failure_is_counted_failed(sqlite_url, tmp_path, monkeypatch):
    """Stored, tried again next run, and the run note says "1 lỗi", not "1 mới"."""
    from sohoa import pipeline
    from sohoa.core.db.session import migrate
    from sohoa.ocr import recognition
    from sohoa.ocr.words import OcrError

    migrate(sqlite_url)
    monkeypatch.setenv("SOHOA_DB_URL", sqlite_url)
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "objects"))
    monkeypatch.setenv("SOHOA_WORKERS", "1")
    engine = make_engine(sqlite_url)
    with session_scope(engine) as s:
        _add_file(s, LocalStorage(tmp_path / "objects"), _agency(s), "01", "TTLTHN.G01.2016.01.001",
                  [(_jpeg(ocr.render_text_page(P1, dpi=200)), {"orientation": 0})])

    def broken(*a, **k):
        raise OcrError("tesseract failed (exit 1): out of memory")

    with monkeypatch.context() as m:
        m.setattr(recognition, "run_tesseract", broken)
        out = pipeline.run_ocr()
    assert (out["files"], out["retry_files"], out["page_errors"]) == (1, 1, 1)
    assert out["outcome"] == outcome(failed=1)
    assert "0 mới, 0 làm lại, 0 không đổi, 0 bị trả lại, 1 lỗi" in run_note([out["outcome"]])
    again = pipeline.run_ocr()  # the next run tries the file again, and it is done
    assert (again["files"], again["retry_files"], again["page_errors"]) == (1, 0, 0)
    assert again["outcome"] == outcome(done=1)
    engine.dispose()


@pytest.mark.parametrize("operator", [None, "vanhanh"])
def test_force_integration_rewrites_unchanged_files(engine, shared_url, tmp_path, operator):
    _programme(engine)
    shared = make_engine(shared_url)
    storage = LocalStorage(tmp_path / "obj")
    with session_scope(engine) as s:
        integrate(s, shared, storage)
    with session_scope(engine) as s, events.operator(operator):
        out = integrate(s, shared, storage, agency="G01X01", force=True)
    assert (out["files"], out["forced"], out["unchanged"]) == (2, 2, 0)
    with session_scope(engine) as s:
        actors = {e.actor for e in _forced(s, "integration")}
        # no operator (a scheduled run): the task is the actor
        assert actors == ({f"user:{operator}"} if operator else {events.current_actor()})
    shared.dispose()


def test_pipeline_outcomes_feed_the_note(engine, shared_url, tmp_path, monkeypatch, db_url):
    from sohoa import pipeline

    monkeypatch.setenv("SOHOA_DB_URL", db_url)
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    _programme(engine)
    shared = make_engine(shared_url)
    first = pipeline.run_integration("G01X01", shared_engine=shared)
    again = pipeline.run_integration("G01X01", shared_engine=shared)
    forced = pipeline.run_integration("G01X01", shared_engine=shared, force=True)
    assert first["outcome"] == outcome(done=2)
    assert again["outcome"] == outcome(unchanged=2)
    assert forced["outcome"] == outcome(done=2, redone=2)
    assert "0 mới, 0 làm lại, 2 không đổi" in run_note([again["outcome"]], agencies=["G01X01"])
    shared.dispose()


DAEMON_OCR = """
import sys
from pathlib import Path

import billiard

from sohoa.core.db.session import make_engine, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.ocr import phase as ocr_phase


def work(url, root, q):
    try:
        with session_scope(make_engine(url)) as s:
            out = ocr_phase.run_ocr(s, LocalStorage(Path(root)), workers=2)
        q.put(("ok", out["files"], out["page_errors"]))
    except Exception as exc:
        import traceback
        q.put(("error", repr(exc) + traceback.format_exc()[-1500:], 0))


if __name__ == "__main__":
    q = billiard.Queue()
    p = billiard.Process(target=work, args=(sys.argv[1], sys.argv[2], q), daemon=True)
    p.start()
    print(repr(q.get(timeout=300)))
    p.join(timeout=60)
"""


def _ocr_in_a_fresh_interpreter(sqlite_url, tmp_path, script_text: str) -> tuple[list[str], str]:
    """One OCR-ready file in a new SQLite programme, then ``script_text`` run on it by a
    new Python (argv: database URL, objects folder): (its last stdout line, all output)."""
    import subprocess
    import sys

    from sohoa.core.db.session import migrate

    migrate(sqlite_url)
    storage = LocalStorage(tmp_path / "objects")
    with session_scope(make_engine(sqlite_url)) as s:
        _add_file(s, storage, _agency(s), "01", "TTLTHN.G01.2016.01.001",
                  [(_jpeg(ocr.render_text_page(P1, dpi=200)), {"orientation": 0})])
    script = tmp_path / "ocr_script.py"
    script.write_text(script_text)
    out = subprocess.run([sys.executable, str(script), sqlite_url, str(tmp_path / "objects")],
                         capture_output=True, text=True, timeout=600)
    return out.stdout.strip().splitlines()[-1:], out.stdout + out.stderr


def test_ocr_page_pool_starts_inside_a_daemonic_worker(sqlite_url, tmp_path):
    """Celery's prefork pool workers are daemonic billiard processes and Airflow forks the
    task from one: the OCR page pool must still start there (it did not: "daemonic
    processes are not allowed to have children", then "Pickling an AuthenticationString
    object is disallowed", both found by make celery-check). A fresh interpreter plays
    the Celery worker, as this test process may already run a forkserver of its own."""
    last, out = _ocr_in_a_fresh_interpreter(sqlite_url, tmp_path, DAEMON_OCR)
    assert last == [repr(("ok", 1, 0))], out


MAIN_RERUN_OCR = """
import sys

if __name__ != "__main__":  # a pool child running this file again, as it ran bin/airflow
    raise SystemExit("the parent's main script ran again in a page-pool child")

from sohoa.core.db.session import make_engine, session_scope
from sohoa.core.storage import LocalStorage
from sohoa.ocr import phase as ocr_phase

with session_scope(make_engine(sys.argv[1])) as s:
    out = ocr_phase.run_ocr(s, LocalStorage(sys.argv[2]), workers=2)
print(repr((out["files"], out["page_errors"])))
"""


def test_ocr_page_pool_does_not_run_the_main_script_again(sqlite_url, tmp_path):
    """In an Airflow task the main script is bin/airflow; a forkserver child that ran it
    again failed on the task's blocked database URL, so under `airflow standalone` every
    page came back "worker failed" (found by `make run`). Here the main script fails when
    run again, as Airflow's did."""
    last, out = _ocr_in_a_fresh_interpreter(sqlite_url, tmp_path, MAIN_RERUN_OCR)
    assert last == [repr((1, 0))], out


def test_report_note():
    from sohoa.core.run_notes import report_note

    note = report_note({"as_of": "2025-09-17", "files": {"inventoried": 300, "integrated": 120},
                        "agencies_at_risk": 2})
    assert note == "Báo cáo tuần ngày 17/09/2025: 120/300 hồ sơ đã tích hợp, 2 cơ quan có nguy cơ chậm."


def test_forced_agencies_include_those_already_done(engine, db_url, monkeypatch, tmp_path):
    from sohoa import pipeline

    monkeypatch.setenv("SOHOA_DB_URL", db_url)
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    _programme(engine)  # G01X01 has files, G01X02 none
    with session_scope(engine) as s:
        for f in s.scalars(select(File)):
            f.status = "integrated"
    assert pipeline.agencies_with_work(("ocr_done",), "G01X01") == []  # nothing "to do"
    assert pipeline.agencies_to_force([], "g01x01") == ["G01X01"]
    assert pipeline.agencies_to_force(["G09"]) == ["G01X01", "G09"]
