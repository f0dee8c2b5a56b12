"""Reports as of their day, in the programme's calendar (issue 10), on SQLite and PostgreSQL;
agencies without a plan (issue 11, item 5); the workbook's native charts."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from test_reports import MemStorage, _agency, _files, build_programme

from sohoa.core import calendar, events
from sohoa.core.db import counters, models, snapshots
from sohoa.core.db.models import Event, File, InventorySubmission, Page, PlanTarget, RescanRequest
from sohoa.core.db.session import session_scope
from sohoa.reporting import asof, numbers as report_numbers, weekly, xlsx
from sohoa.reporting.dashboard import create_app

UTC = timezone.utc
HANOI = "Asia/Ho_Chi_Minh"


def local(y, m, d, hh, mm=0):
    """A Hanoi wall-clock time as the aware UTC datetime the database stores."""
    return datetime(y, m, d, hh, mm, tzinfo=calendar._zone(HANOI)).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the programme's clock (calendar.now) to a Hanoi wall-clock time."""
    def set_(y, m, d, hh, mm=0):
        monkeypatch.setattr(calendar, "now",
                            lambda: datetime(y, m, d, hh, mm, tzinfo=calendar.zone()))
    monkeypatch.delenv("SOHOA_TZ", raising=False)
    return set_


# --------------------------------------------------------------------------- calendar


def test_calendar_is_one_configured_zone(monkeypatch):
    monkeypatch.delenv("SOHOA_TZ", raising=False)
    assert calendar.tz_name() == HANOI
    # Sunday 2025-09-14 23:59 and Monday 00:01 in Hanoi are 16:59 / 17:01 UTC on Sunday
    sun, mon = datetime(2025, 9, 14, 16, 59, tzinfo=UTC), datetime(2025, 9, 14, 17, 1, tzinfo=UTC)
    assert calendar.local_date(sun) == date(2025, 9, 14)
    assert calendar.local_date(mon) == date(2025, 9, 15)
    assert calendar.week_start(calendar.local_date(sun)) == date(2025, 9, 8)
    assert calendar.week_start(calendar.local_date(mon)) == date(2025, 9, 15)
    assert calendar.day_start(date(2025, 9, 15)) == datetime(2025, 9, 14, 17, tzinfo=UTC)
    assert calendar.day_end(date(2025, 9, 14)) == datetime(2025, 9, 14, 17, tzinfo=UTC)
    monkeypatch.setenv("SOHOA_TZ", "UTC")
    assert calendar.local_date(mon) == date(2025, 9, 14)
    assert calendar.day_start(date(2025, 9, 15)) == datetime(2025, 9, 15, tzinfo=UTC)
    monkeypatch.setenv("SOHOA_TZ", "Asia/Hà_Nội")
    with pytest.raises(ValueError, match="múi giờ"):
        calendar.zone()


def test_report_day_comes_from_the_run(monkeypatch):
    monkeypatch.delenv("SOHOA_TZ", raising=False)
    monday_0700 = local(2025, 9, 15, 7)  # the scheduled run's logical date (= interval end)
    assert calendar.report_day(logical_date=monday_0700, data_interval_end=monday_0700,
                               run_after=monday_0700, scheduled=True) == date(2025, 9, 14)
    # an Airflow 3 manual run has no logical date: its run_after, in Hanoi (05:00 local
    # on the 16th is 22:00 UTC on the 15th)
    assert calendar.report_day(run_after=datetime(2025, 9, 15, 22, tzinfo=UTC)) == date(2025, 9, 16)
    assert calendar.report_day(logical_date=datetime(2025, 9, 15, 22, tzinfo=UTC),
                               data_interval_end=datetime(2025, 9, 15, 22, tzinfo=UTC)) == date(2025, 9, 16)


def test_airflow_glue_reads_the_run_context():
    from types import SimpleNamespace

    from sohoa.airflow_glue import report_day

    run = SimpleNamespace(run_type="manual", run_after=datetime(2025, 9, 15, 22, tzinfo=UTC))
    assert report_day({"dag_run": run, "logical_date": None}) == date(2025, 9, 16)
    sched = SimpleNamespace(run_type=SimpleNamespace(value="scheduled"),
                            run_after=local(2025, 9, 15, 7))
    assert report_day({"dag_run": sched, "logical_date": local(2025, 9, 15, 7),
                       "data_interval_end": local(2025, 9, 15, 7)}) == date(2025, 9, 14)


# --------------------------------------------------------------------------- weeks


def _status(s, f, status, when, before=None):
    s.add(Event(occurred_at=when, entity="files", entity_id=f.id, agency_id=f.agency_id,
                phase="test", action="status", actor="test",
                before={"status": before} if before else None, after={"status": status}))


def test_events_at_2359_and_0001_fall_in_their_weeks(engine, clock):
    with session_scope(engine) as s:
        a = _agency(s, "T01", "UBND xã Thử", "commune")
        f1, f2 = _files(s, a, ["integrated", "integrated"])
        _status(s, f1, "integrated", local(2025, 9, 14, 23, 59), "ocr_done")  # Sunday
        _status(s, f2, "integrated", local(2025, 9, 15, 0, 1), "ocr_done")  # Monday
    with session_scope(engine) as s:
        sunday = report_numbers.progress_numbers(s, date(2025, 9, 14))
        monday = report_numbers.progress_numbers(s, date(2025, 9, 15))
    assert sunday["weeks"][-1] == "2025-W37" and monday["weeks"][-1] == "2025-W38"
    assert sunday["programme"]["done_this_week"]["integrated"] == 1
    assert sunday["programme"]["files"]["integrated"] == 1  # f2 not yet integrated on Sunday
    assert monday["programme"]["done_this_week"]["integrated"] == 1  # only the 00:01 one
    assert [w["integrated"] for w in monday["programme"]["weekly"][-2:]] == [1, 1]
    assert monday["programme"]["files"]["integrated"] == 2


def test_report_built_at_0500_local_counts_that_days_work(engine, clock, tmp_path, monkeypatch):
    """05:00 in Hanoi is 22:00 UTC the day before: the report is dated today and counts
    the files integrated since midnight, like the dashboard at the same moment."""
    with session_scope(engine) as s:
        a = _agency(s, "T01", "UBND xã Thử", "commune")
        s.add(PlanTarget(agency_id=a.id, target_files=10, target_pages=100, deadline=date(2025, 12, 31)))
        files = _files(s, a, ["integrated"] * 3 + ["scanned"])
        for f in files[:3]:  # integrated at 01:00-03:00 Monday 2025-09-15 local
            _status(s, f, "integrated", local(2025, 9, 15, 1 + f.id % 3), "ocr_done")
    clock(2025, 9, 15, 5)
    monkeypatch.setenv("SOHOA_DB_URL", str(engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("SOHOA_STORAGE", "local")
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "objects"))
    from sohoa import pipeline

    out = pipeline.run_report()  # no as_of: the programme's today
    assert out["totals"]["as_of"] == "2025-09-15"
    assert out["xlsx_key"] == "reports/2025-09-15/bao_cao_tien_do_2025-09-15.xlsx"
    assert out["totals"]["done_this_week"]["integrated"] == 3
    assert out["totals"]["files"]["integrated"] == 3

    # the dashboard at the same moment agrees on every figure it shares with the report
    app = create_app(engine_factory=lambda: engine)
    got = TestClient(app).get("/api/progress").json()
    assert got["as_of"] == "2025-09-15"
    prog = got["programme"]
    for key in ("files", "pages", "rejected_inventory_rows", "qc_reject_by_reason", "plan",
                "forecast_date", "risk_reasons"):
        assert prog[key] == out["totals"][key], key
    assert prog["done_this_week"]["integrated"] == out["totals"]["done_this_week"]["integrated"]
    for key in ("agencies", "agencies_at_risk", "agencies_with_plan", "agencies_without_plan"):
        assert prog[key] == out["totals"][key], key
    page = TestClient(app).get("/").text
    assert "15/09/2025" in page


# --------------------------------------------------------------------------- as of D


def _numbers_json(engine, day: date) -> str:
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, day)
        rescans = report_numbers.open_rescan_items(s, as_of=day)
    return json.dumps(weekly._jsonable({"numbers": n, "rescans": rescans}), sort_keys=True,
                      ensure_ascii=False)


def _more_work(engine, ids: dict[str, int]) -> None:
    """A week of work after the report's day, written as the phases write it."""
    with session_scope(engine) as s:
        f_all = s.scalars(select(File).where(File.agency_id == ids["G01"]).order_by(File.id)).all()
        by_status = {}
        for f in f_all:
            by_status.setdefault(f.status, f)
        # a file moves on, another one is integrated
        events.set_status(s, by_status["scanned"], "status", "qc_passed", phase="scan_qc",
                          action="qc_done")
        events.set_status(s, by_status["ocr_done"], "status", "integrated", phase="integration",
                          action="integrated")
        # a new list: new files (creation events) and rejected rows
        sub = InventorySubmission(agency_id=ids["G04"], filename="moi.xlsx", object_key="k-new",
                                  sha256="f" * 64, total_rows=5, valid_rows=3, error_rows=2)
        s.add(sub)
        s.flush()
        for i in range(3):
            f = File(agency_id=ids["G04"], notation=f"N{i}", title=f"Hồ sơ mới {i}",
                     status="inventoried", submission_id=sub.id)
            s.add(f)
            s.flush()
            events.record(s, entity="files", entity_id=f.id, phase="inventory",
                          action="inventoried", agency_id=f.agency_id,
                          after={"status": "inventoried", "notation": f.notation})
        # the rejected page is rescanned and passes; its rescan request closes
        qr = by_status["qc_rejected"]
        pg = s.scalars(select(Page).where(Page.file_id == qr.id, Page.qc_verdict == "reject")).first()
        before = {"verdict": pg.qc_verdict, "sha256": pg.sha256, "defects": list(pg.qc_defects or [])}
        pg.qc_verdict, pg.qc_defects, pg.sha256 = "pass", [], "1" * 64
        s.flush()
        events.record(s, entity="pages", entity_id=pg.id, phase="scan_qc", action="checked",
                      agency_id=qr.agency_id, before=before,
                      after={"verdict": "pass", "sha256": pg.sha256, "defects": []})
        req = s.scalars(select(RescanRequest).where(RescanRequest.file_id == qr.id,
                                                    RescanRequest.status == "open")).first()
        req.status, req.closed_at = "closed", datetime.now(UTC)
        events.set_status(s, qr, "status", "qc_passed", phase="scan_qc", action="qc_done")
        # a new delivery: new pages, one rejected with a new rescan request
        sc = by_status["qc_passed"]
        for no, verdict in ((10, "pass"), (11, "reject")):
            p = Page(file_id=sc.id, page_no=no, image_key=f"img/{no}", sha256=f"{no:064d}",
                     qc_verdict=verdict, qc_defects=["blank"] if verdict == "reject" else [])
            s.add(p)
            s.flush()
            events.record(s, entity="pages", entity_id=p.id, phase="scan_qc", action="checked",
                          agency_id=sc.agency_id, before=None,
                          after={"verdict": verdict, "sha256": p.sha256, "defects": p.qc_defects})
        s.add(RescanRequest(agency_id=sc.agency_id, file_id=sc.id, page_no=11, reasons=["blank"]))
        # OCR of a page, low confidence; a page removed by a shorter re-delivery
        ocr_page = s.scalars(select(Page).where(Page.file_id == sc.id, Page.ocr_text.is_(None),
                                                Page.page_no < 10)).first()
        ocr_page.ocr_text, ocr_page.ocr_low_confidence = "văn bản", True
        s.flush()
        events.record(s, entity="pages", entity_id=ocr_page.id, phase="ocr", action="recognised",
                      agency_id=sc.agency_id, before={"ocr": None, "low_confidence": False},
                      after={"ocr": "done", "low_confidence": True})
        int_file = by_status["integrated"]
        gone = s.scalars(select(Page).where(Page.file_id == int_file.id).order_by(Page.page_no.desc())).first()
        events.record(s, entity="pages", entity_id=gone.id, phase="scan_qc", action="page_removed",
                      agency_id=int_file.agency_id,
                      before={"verdict": gone.qc_verdict, "sha256": gone.sha256,
                              "defects": list(gone.qc_defects or []),
                              "ocr": "done" if gone.ocr_text is not None else None,
                              "low_confidence": bool(gone.ocr_low_confidence)}, after=None)
        s.delete(gone)


def test_past_report_rebuilt_after_more_work_gives_the_same_numbers(engine):
    ids = build_programme(engine)
    day = date(2025, 9, 17)
    first = _numbers_json(engine, day)
    today_before = _numbers_json(engine, calendar.today())
    _more_work(engine, ids)
    assert _numbers_json(engine, day) == first  # byte-identical
    # ...while today's numbers did change (the work is really there)
    today_after = json.loads(_numbers_json(engine, calendar.today()))
    assert json.loads(today_before)["numbers"]["programme"] != today_after["numbers"]["programme"]
    prog = today_after["numbers"]["programme"]
    then = json.loads(first)["numbers"]["programme"]
    assert prog["files"]["inventoried"] == then["files"]["inventoried"] + 3
    assert prog["rejected_inventory_rows"] == then["rejected_inventory_rows"] + 2
    # an agency's page for that day (only its own events read) agrees with the report
    with session_scope(engine) as s:
        members = report_numbers.rollup_member_ids(s, ids["G01"], day)
        page = report_numbers.progress_numbers(s, day, agency_ids=members)
    full = {r["code"]: r for r in json.loads(first)["numbers"]["agencies"]}
    mine = {r["code"]: json.loads(json.dumps(weekly._jsonable(r))) for r in page["agencies"]}
    for code in mine:
        for key in ("files", "pages", "qc_reject_by_reason", "rejected_inventory_rows"):
            assert mine[code][key] == full[code][key], (code, key)
    # the report's own numbers (totals and workbook) are those of the day too
    storage = MemStorage()
    with session_scope(engine) as s:
        out = weekly.build_weekly_report(s, storage, day)
    assert out["totals"]["files"] == then["files"] and out["totals"]["pages"] == then["pages"]


def test_counters_at_a_past_moment_equal_a_recount(engine):
    """The walked-back counters equal the counts of the files and pages as they were."""
    ids = build_programme(engine)
    with session_scope(engine) as s:
        before = report_numbers.progress_numbers(s, calendar.today())["programme"]
    _more_work(engine, ids)
    from sohoa.reporting.asof import counts_at

    with session_scope(engine) as s:
        then = counts_at(s, calendar.day_end(date(2025, 9, 17)))
        n = report_numbers.progress_numbers(s, calendar.today())["programme"]
    assert before["pages"]["scanned"] == sum(m.get("page:scanned", 0) for m in then.values())
    assert n["pages"]["scanned"] == before["pages"]["scanned"] + 2 - 1
    assert n["pages"]["qc_reject"] == before["pages"]["qc_reject"]  # one passes, one rejected
    assert n["pages"]["low_confidence"] == before["pages"]["low_confidence"] + 1


def test_burnup_is_drawn_from_dated_events(engine):
    """An integrated file without an 'integrated' event is not back-filled into the chart."""
    with session_scope(engine) as s:
        a = _agency(s, "T01", "UBND xã Thử", "commune")
        f_old, f_new, _f_silent = _files(s, a, ["integrated", "integrated", "integrated"])
        _status(s, f_old, "integrated", local(2025, 5, 2, 9), "ocr_done")  # before the window
        _status(s, f_new, "integrated", local(2025, 9, 16, 9), "ocr_done")  # this week
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, date(2025, 9, 17))
    from sohoa.reporting.charts import burnup_points

    prog = n["programme"]
    assert prog["integrated_before_window"] == 1
    assert [v for _, v in burnup_points(prog, date(2025, 9, 17))] == [1] * 7 + [2]


# --------------------------------------------------------------------------- no plan


def test_agency_without_a_plan_is_not_on_schedule(engine):
    with session_scope(engine) as s:
        planned = _agency(s, "P01", "UBND phường Có Kế Hoạch", "commune")
        s.add(PlanTarget(agency_id=planned.id, target_files=2, target_pages=20,
                         deadline=date(2026, 12, 31)))
        _files(s, planned, ["integrated", "integrated"])  # done: on schedule
        working = _agency(s, "W01", "UBND xã Có Hồ Sơ", "commune")
        _files(s, working, ["inventoried"])
        for i in range(3):
            _agency(s, f"Z0{i}", f"UBND xã Chưa Bắt Đầu {i}", "commune")
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, date(2025, 9, 17))
        out = weekly.build_weekly_report(s, (storage := MemStorage()), date(2025, 9, 17))
    rows = {r["code"]: r for r in n["agencies"]}
    assert rows["P01"]["schedule"] == report_numbers.ON_TRACK
    assert rows["W01"]["schedule"] == report_numbers.NO_PLAN
    assert rows["Z00"]["schedule"] == report_numbers.NO_PLAN and not rows["Z00"]["at_risk"]
    prog = n["programme"]
    assert (prog["agencies_with_plan"], prog["agencies_without_plan"], prog["agencies_idle"]) == (1, 4, 3)
    assert (out["totals"]["agencies_with_plan"], out["totals"]["agencies_without_plan"]) == (1, 4)
    page = storage.get_bytes(out["html_key"]).decode()
    assert "Cơ quan chưa có kế hoạch<b>4</b>" in page
    wb = load_workbook(io.BytesIO(storage.get_bytes(out["xlsx_key"])))
    ws = wb["Tổng hợp"]
    hr = xlsx.SUMMARY_HEADER_ROW
    header = {ws.cell(row=hr, column=c).value: c for c in range(1, ws.max_column + 1)}
    cells = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=header["Cảnh báo"]).value
             for r in range(hr + 1, ws.max_row + 1)}
    assert cells["P01"] == "Đúng tiến độ" and cells["W01"] == "Chưa có kế hoạch"

    # the dashboard's default list: agencies with a plan or with work; the others one click away
    client = TestClient(create_app(engine_factory=lambda: engine))
    default = client.get("/", params={"as_of": "2025-09-17"}).text
    assert 'data-code="P01"' in default and 'data-code="W01"' in default
    assert 'data-code="Z00"' not in default
    assert "Hiện thêm 3 cơ quan chưa có kế hoạch và chưa có hồ sơ" in default
    assert "Đúng tiến độ" in default and "Chưa có kế hoạch" in default
    every = client.get("/", params={"as_of": "2025-09-17", "show": "all"}).text
    assert all(f'data-code="Z0{i}"' in every for i in range(3))
    assert client.get("/api/progress", params={"as_of": "2025-09-17"}).json()["programme"][
        "agencies_without_plan"] == 4


# --------------------------------------------------------------------------- workbook


def test_workbook_has_native_charts_and_data_bars(engine):
    build_programme(engine)
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, date(2025, 9, 17))
    data = xlsx.render_xlsx(n, [])
    z = zipfile.ZipFile(io.BytesIO(data))
    charts = sorted(p for p in z.namelist() if p.startswith("xl/charts/chart"))
    assert len(charts) == 3
    kinds = [z.read(p).decode() for p in charts]
    assert "<c:barChart>" in kinds[0] and "<c:barDir val=\"bar\"/>" in kinds[0]  # funnel
    assert "<c:barChart>" in kinds[1] and "<c:barDir val=\"col\"/>" in kinds[1]  # weekly
    assert "<c:lineChart>" in kinds[2] and "Chỉ tiêu hồ sơ" in kinds[2]  # burn-up vs plan
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[1] == xlsx.CHART_SHEET
    cs = wb[xlsx.CHART_SHEET]
    # the charts' tables hold the report's numbers
    funnel = {cs.cell(row=r, column=1).value: cs.cell(row=r, column=2).value for r in range(5, 13)}
    assert funnel[report_numbers.PHASE_LABELS["integrated"]] == n["programme"]["files"]["integrated"]
    summary = wb["Tổng hợp"]
    rules = [r for cf in summary.conditional_formatting for r in cf.rules]
    assert any(r.type == "dataBar" for r in rules)
    col = [c.value for c in summary[xlsx.SUMMARY_HEADER_ROW]].index(xlsx.PCT_LABEL) + 1
    ranges = [str(cf.sqref) for cf in summary.conditional_formatting]
    from openpyxl.utils import get_column_letter

    assert any(r.startswith(get_column_letter(col)) for r in ranges)


# --------------------------------------------------------------------------- weekly snapshots

WEEK_END = datetime(2025, 9, 21, 17, tzinfo=UTC)  # Monday 2025-09-22 00:00 in Hanoi


def _snapshots(engine) -> list[datetime]:
    with engine.connect() as c:
        return snapshots.moments(c)


def _recount(engine) -> dict[int, dict[str, int]]:
    """The counters recounted from the files and pages as they are (rolled back)."""
    with engine.connect() as c:
        counters.rebuild(c)
        out = counters.read(c)
        c.rollback()
    return out


def _counts(engine, moment: datetime, agency_ids=None):
    with session_scope(engine) as s:
        return asof.counts_at(s, moment, agency_ids)


def _week_inside(engine) -> None:
    """Work dated between Wednesday 2025-09-17 and the week's end, written before any
    snapshot as an imported trail would be: a page rejected on Friday (passed by
    _more_work later), a page recognised and one delivered that week."""
    with session_scope(engine) as s:
        g01 = s.scalars(select(File.agency_id).where(File.status == "qc_rejected")
                        .order_by(File.id)).first()

        def page(status, no):
            f = s.scalars(select(File).where(File.agency_id == g01, File.status == status)
                          .order_by(File.id)).first()
            return f, s.scalars(select(Page).where(Page.file_id == f.id, Page.page_no == no)).one()

        def ev(f, p, phase, action, before, after):
            s.add(Event(occurred_at=local(2025, 9, 19, 10), entity="pages", entity_id=p.id,
                        agency_id=f.agency_id, phase=phase, action=action, actor="test",
                        before=before, after=after))

        f, p = page("qc_rejected", 2)  # rejected on Friday: passed on Wednesday
        ev(f, p, "scan_qc", "checked", {"verdict": "pass", "sha256": "9" * 64, "defects": []},
           {"verdict": "reject", "sha256": p.sha256, "defects": list(p.qc_defects)})
        f, p = page("integrated", 2)  # recognised on Friday
        ev(f, p, "ocr", "recognised", {"ocr": None, "low_confidence": False},
           {"ocr": "done", "low_confidence": False})
        f, p = page("qc_passed", 3)  # delivered on Friday
        ev(f, p, "scan_qc", "checked", None,
           {"verdict": "pass", "sha256": p.sha256, "defects": []})


def test_a_snapshot_is_the_full_walk_back(engine):
    """Snapshot-based numbers == full walk-back == recount, byte for byte, before and after
    a week of work; the page rejected inside the snapshotted week needs the events after
    the snapshot (its first one after it) as much as those before."""
    ids = build_programme(engine)
    _week_inside(engine)
    day = date(2025, 9, 17)
    recount = _recount(engine)  # nothing has happened since the week's end yet
    with asof.full_walk():
        walked = _numbers_json(engine, day)
        assert _counts(engine, WEEK_END) == recount
    assert _snapshots(engine) == []
    assert _numbers_json(engine, day) == walked  # the first build takes the week's snapshot
    assert _snapshots(engine) == [WEEK_END]
    assert _numbers_json(engine, day) == walked  # ... and the next one starts from it
    # the week's work is inside the snapshot, not in Wednesday's numbers
    then = json.loads(walked)["numbers"]["programme"]["pages"]
    total = {}
    for m in recount.values():
        for k, n in m.items():
            total[k] = total.get(k, 0) + n
    assert then["scanned"] == total["page:scanned"] - 1  # delivered on Friday
    assert then["ocr_done"] == total["page:ocr_done"] - 1  # recognised on Friday
    assert then["qc_reject"] == total["page:qc_reject"] - 1  # rejected on Friday

    _more_work(engine, ids)
    assert _snapshots(engine) == [WEEK_END]  # work written now leaves it as it is
    assert _numbers_json(engine, day) == walked
    assert _counts(engine, WEEK_END) == recount  # served by the snapshot
    with asof.full_walk():
        assert _numbers_json(engine, day) == walked
        assert _counts(engine, WEEK_END) == recount
    # Sunday's report is the snapshot itself; an agency's page reads only its share
    sunday = _numbers_json(engine, date(2025, 9, 21))
    with asof.full_walk():
        assert _numbers_json(engine, date(2025, 9, 21)) == sunday
    with session_scope(engine) as s:
        members = report_numbers.rollup_member_ids(s, ids["G01"], day)
        page = report_numbers.progress_numbers(s, day, agency_ids=members)
    full = {r["code"]: r for r in json.loads(walked)["numbers"]["agencies"]}
    for r in page["agencies"]:
        for key in ("files", "pages", "qc_reject_by_reason"):
            assert json.loads(json.dumps(weekly._jsonable(r[key]))) == full[r["code"]][key]


def test_no_snapshot_of_a_week_that_has_not_ended(engine, monkeypatch):
    build_programme(engine)
    day = date(2025, 9, 17)
    for now in (WEEK_END - timedelta(minutes=1),  # Sunday 23:59 in Hanoi
                WEEK_END + asof.SNAPSHOT_GRACE - timedelta(minutes=1)):  # ended, too recently
        monkeypatch.setattr(models, "utcnow", lambda now=now: now)
        _numbers_json(engine, day)
        with session_scope(engine) as s:
            assert asof.take(s, WEEK_END) is None
        assert _snapshots(engine) == []
    monkeypatch.setattr(models, "utcnow", lambda: WEEK_END + asof.SNAPSHOT_GRACE)
    _numbers_json(engine, day)
    assert _snapshots(engine) == [WEEK_END]
    # today's numbers walk nothing back: they are the counters as they are
    monkeypatch.setattr(models, "utcnow", lambda: datetime.now(UTC))
    with session_scope(engine) as s:
        assert asof.counts_at(s, calendar.day_end(calendar.today())) == counters.read(s.connection())


def test_an_event_dated_inside_a_snapshot_drops_it(engine):
    """Events are written with the time they are written, so a new event dated before a
    snapshot is a back-dated one (an imported trail, a repair): the trigger drops every
    snapshot it changes, in the writing transaction, and the next report takes it again."""
    build_programme(engine)
    day = date(2025, 9, 17)
    _numbers_json(engine, day)
    assert _snapshots(engine) == [WEEK_END]
    with session_scope(engine) as s:  # an event written now
        f = s.scalars(select(File).where(File.status == "scanned").order_by(File.id)).first()
        events.set_status(s, f, "status", "qc_passed", phase="scan_qc", action="qc_done")
    assert _snapshots(engine) == [WEEK_END]
    with session_scope(engine) as s:  # a file's status change dated inside the week
        f = s.scalars(select(File).where(File.status == "scanned").order_by(File.id)).first()
        f.status = "qc_rejected"
        s.add(Event(occurred_at=local(2025, 9, 20, 9), entity="files", entity_id=f.id,
                    agency_id=f.agency_id, phase="scan_qc", action="qc_done", actor="import",
                    before={"status": "scanned"}, after={"status": "qc_rejected"}))
        s.flush()
        assert snapshots.moments(s.connection()) == []
    with asof.full_walk():
        walked = _numbers_json(engine, day)
        at_end = _counts(engine, WEEK_END)
    assert _numbers_json(engine, day) == walked
    assert _snapshots(engine) == [WEEK_END]  # taken again, with the change in it
    assert _counts(engine, WEEK_END) == at_end
    # a lost guard trigger (a SQLite table rebuild drops triggers): its snapshots go too
    with engine.begin() as c:
        snapshots.uninstall(c)
    with session_scope(engine) as s:
        report_numbers.progress_numbers(s, date(2025, 9, 10))
        assert snapshots.installed(s.connection())
    assert WEEK_END not in _snapshots(engine)


def test_due_snapshots_are_taken_newest_first(engine, monkeypatch):
    """The progress_report run takes the missing snapshots of the last weeks; each one is
    walked back from the one after it and equals the full walk-back at its moment."""
    build_programme(engine)
    _week_inside(engine)
    monkeypatch.setattr(models, "utcnow", lambda: local(2025, 9, 24, 12))
    with session_scope(engine) as s:
        taken = asof.take_due(s, 3)
    assert taken == [WEEK_END, WEEK_END - timedelta(days=7), WEEK_END - timedelta(days=14)]
    for moment in taken:
        with asof.full_walk():
            walked = _counts(engine, moment)
        assert _counts(engine, moment) == walked
    with session_scope(engine) as s:
        assert asof.take_due(s, 3) == []  # nothing missing


def test_no_snapshot_while_an_older_transaction_has_written_events(engine, monkeypatch):
    """On PostgreSQL a transaction that started before the week's end and has written
    events without committing them yet would change the week: no snapshot until it ends."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; SNAPSHOT_GRACE covers it")
    build_programme(engine)
    at = datetime(2030, 1, 6, 17, tzinfo=UTC)  # a week's end after this transaction began
    monkeypatch.setattr(models, "utcnow", lambda: at + timedelta(days=2))
    with engine.connect() as other:
        other.execute(text("INSERT INTO events (occurred_at, entity, phase, action, actor) "
                           "VALUES (now(), 'files', 'test', 'test', 'test')"))
        with session_scope(engine) as s:
            assert asof.take(s, at) is None
        other.rollback()
    with session_scope(engine) as s:
        assert asof.take(s, at) is not None
    assert at in _snapshots(engine)


def test_a_page_accepted_in_review_after_the_day_counts_as_rejected_then(engine):
    """An archivist's QC override (description review) is a QC change too: the day before
    it, the page was rejected, with its reasons."""
    from sohoa.description import review

    build_programme(engine)
    day = date(2025, 9, 17)
    with asof.full_walk():
        first = _numbers_json(engine, day)
    with session_scope(engine) as s:
        req = s.scalars(select(RescanRequest).where(RescanRequest.status == "open")
                        .order_by(RescanRequest.id)).first()
        out = review.apply_answers(s, MemStorage(), review.answers_from_form(
            {f"qc{req.id}__accept": True,
             f"qc{req.id}__reason": "Bản giấy gốc đã mờ, không quét tốt hơn được"}, "archivist"))
    assert out["accepted_pages"] == 1
    now = json.loads(_numbers_json(engine, calendar.today()))["numbers"]["programme"]
    then = json.loads(first)["numbers"]["programme"]
    assert now["pages"]["qc_reject"] == then["pages"]["qc_reject"] - 1
    with asof.full_walk():
        assert _numbers_json(engine, day) == first
    assert _numbers_json(engine, day) == first  # and from the week's snapshot
