"""sohoa.reporting.weekly: progress numbers and the weekly report, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sohoa.core.db.models import (
    Agency,
    Event,
    File,
    InventorySubmission,
    Page,
    PlanTarget,
    ReportRun,
    RescanRequest,
)
from sohoa.core.db.session import session_scope
from sohoa.reporting import numbers as report_numbers
from sohoa.reporting import weekly, xlsx
from sqlalchemy import func, select

AS_OF = date(2025, 9, 17)  # a Wednesday; week starts Monday 2025-09-15
SECRET = "Hồ sơ MẬT về nhân sự lãnh đạo 2019"
PUBLIC_RESCAN_TITLE = "Tập lưu công văn đi năm 2020"
LATE, RESCAN, REJECT = report_numbers.RISK_LATE, report_numbers.RISK_RESCAN, report_numbers.RISK_REJECT


def utc(y, m, d, h=5):  # 05:00 UTC = 12:00 in Hanoi, far from day boundaries
    return datetime(y, m, d, h, tzinfo=timezone.utc)


class MemStorage:
    """A tiny in-test stand-in for sohoa.core.storage.Storage."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.writes = 0

    def put_bytes(self, key, data, content_type=None):
        import hashlib

        self.objects[key] = bytes(data)
        self.writes += 1
        return hashlib.sha256(data).hexdigest()

    def get_bytes(self, key):
        return self.objects[key]

    def exists(self, key):
        return key in self.objects

    def url(self, key):
        return f"mem://{key}"


def _agency(s, code, name, level, status="active", successor=None, eff=None):
    a = Agency(code=code, name=name, level=level, status=status,
               successor_id=successor.id if successor else None, effective_date=eff)
    s.add(a)
    s.flush()
    return a


def _files(s, agency, statuses, **kw):
    out = []
    for st in statuses:
        n = sum(1 for _ in s.execute(select(File.id).where(File.agency_id == agency.id)))
        f = File(agency_id=agency.id, notation=f"{n + 1:02d}", title=kw.get("title", f"Hồ sơ {agency.code} {n + 1}"),
                 status=st, access_mode=kw.get("access_mode", "public"),
                 file_code=kw.get("file_code"))
        s.add(f)
        s.flush()
        out.append(f)
    return out


def _pages(s, f, verdicts, ocr=0, low=0, defects=None):
    ps = []
    for i, v in enumerate(verdicts, start=1):
        p = Page(file_id=f.id, page_no=i, image_key=f"img/{f.id}/{i}.tif", sha256="0" * 64,
                 qc_verdict=v, qc_defects=(defects or {}).get(i),
                 ocr_text="văn bản" if i <= ocr else None,
                 ocr_low_confidence=True if i <= low else None)
        s.add(p)
        ps.append(p)
    s.flush()
    return ps


def _ev(s, f, status, when, agency_id="file", entity="files"):
    s.add(Event(occurred_at=when, entity=entity, entity_id=f.id,
                agency_id=f.agency_id if agency_id == "file" else agency_id,
                phase="test", action="status", actor="test",
                before=None, after={"status": status}))


def build_programme(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        g01 = _agency(s, "G01", "UBND quận Hoàn Kiếm", "district")
        g02 = _agency(s, "G02", "UBND phường Hàng Trống", "commune", "merged", g01, date(2025, 7, 1))
        g04 = _agency(s, "G04", "UBND phường Cầu Giấy", "commune")
        g03 = _agency(s, "G03", "UBND quận Cầu Giấy", "district", "dissolved", g04, date(2025, 7, 1))
        g05 = _agency(s, "G05", "UBND phường Dịch Vọng", "commune", "merged", g03, date(2025, 7, 1))

        # G01: one file in every status, two integrated.
        (f_inv, f_ho, f_arr, f_sc, f_qp, f_qr, f_ocr, f_int1, f_int2) = _files(
            s, g01, ["inventoried", "handed_over", "arranged", "scanned", "qc_passed",
                     "qc_rejected", "ocr_done", "integrated", "integrated"])
        f_qr.title = PUBLIC_RESCAN_TITLE
        _pages(s, f_qp, ["pass"] * 3)
        _pages(s, f_qr, ["pass", "reject"], defects={2: ["blur", "skew"]})
        _pages(s, f_int1, ["pass", "pass"], ocr=2, low=1)
        _pages(s, f_int2, ["pass"] * 4, ocr=4)
        _pages(s, f_ocr, ["fixable"], ocr=1)
        # G02 (merged into G01): a restricted rejected file.
        g02_int, g02_inv = _files(s, g02, ["integrated", "inventoried"])
        (g02_secret,) = _files(s, g02, ["qc_rejected"], title=SECRET, access_mode="mat",
                               file_code="G02.2019.01.07")
        _pages(s, g02_secret, ["reject", "reject"], defects={1: ["blur"], 2: [{"code": "cropped"}]})
        # G03 (dissolved into G04), G05 (merged into G03), G04 (active successor).
        g03_a, g03_b, g03_int = _files(s, g03, ["scanned", "scanned", "integrated"])
        _pages(s, g03_a, [None])
        _pages(s, g03_b, [None])
        _pages(s, g03_int, ["pass"], ocr=1)
        (g04_a, _g04_b) = _files(s, g04, ["inventoried", "inventoried"])
        _files(s, g05, ["handed_over"])

        # Open / closed rescan requests.
        s.add(RescanRequest(agency_id=g01.id, file_id=f_qr.id, page_no=2, reasons=["blur", "skew"],
                            opened_at=utc(2025, 9, 16)))
        s.add(RescanRequest(agency_id=g02.id, file_id=g02_secret.id, page_no=1, reasons=["blur"],
                            opened_at=utc(2025, 8, 1)))  # overdue
        s.add(RescanRequest(agency_id=g02.id, file_id=g02_secret.id, page_no=2,
                            reasons=[{"code": "cropped"}], opened_at=utc(2025, 9, 12)))
        s.add(RescanRequest(agency_id=g03.id, file_id=g03_a.id, page_no=1, reasons=["blur"],
                            status="closed", opened_at=utc(2025, 8, 1), closed_at=utc(2025, 8, 5)))

        for i, (ag, n) in enumerate([(g01, 3), (g01, 2), (g03, 1)]):
            s.add(InventorySubmission(agency_id=ag.id, filename=f"ds{i}.xlsx", object_key=f"k{i}",
                                      sha256=f"{i:064d}", total_rows=10, valid_rows=10 - n,
                                      error_rows=n))
        s.add(PlanTarget(agency_id=g01.id, target_files=20, target_pages=200, deadline=date(2025, 12, 31)))
        s.add(PlanTarget(agency_id=g02.id, target_files=5, target_pages=50, deadline=date(2025, 10, 31)))
        s.add(PlanTarget(agency_id=g03.id, target_files=4, target_pages=40, deadline=date(2025, 9, 30)))

        # Events in different weeks.
        _ev(s, f_int1, "integrated", utc(2025, 9, 16))  # this week
        _ev(s, f_int2, "integrated", utc(2025, 9, 3))  # week of 09-01
        _ev(s, f_sc, "scanned", utc(2025, 9, 9))  # week of 09-08
        # 2025-09-14 18:00 UTC is Monday 01:00 in Hanoi: this week.
        _ev(s, f_qp, "qc_passed", datetime(2025, 9, 14, 18, tzinfo=timezone.utc))
        _ev(s, f_sc, "scanned", utc(2025, 9, 18))  # after as_of: ignored
        _ev(s, g02_secret, "scanned", utc(2025, 9, 10))
        _ev(s, g02_secret, "scanned", utc(2025, 9, 11))  # same file, same week: counted once
        _ev(s, g02_secret, "qc_rejected", utc(2025, 9, 11))
        _ev(s, g02_int, "integrated", utc(2025, 8, 20))  # before the 28-day throughput window
        _ev(s, g03_int, "integrated", utc(2025, 6, 10))  # before the 8-week window
        _ev(s, g04_a, "inventoried", utc(2025, 9, 16), agency_id=None)  # agency via the file
        _ev(s, g04_a, "scanned", utc(2025, 9, 16), entity="boxes")  # not a file event
        return {a.code: a.id for a in (g01, g02, g03, g04, g05)}


def _funnel(*vals):
    return dict(zip(report_numbers.PHASES, vals))


EXPECTED_FILES = {
    "G01": _funnel(9, 8, 7, 6, 4, 1, 3, 2),
    "G02": _funnel(3, 2, 2, 2, 1, 1, 1, 1),
    "G03": _funnel(3, 3, 3, 3, 1, 0, 1, 1),
    "G04": _funnel(2, 0, 0, 0, 0, 0, 0, 0),
    "G05": _funnel(1, 1, 0, 0, 0, 0, 0, 0),
}
EXPECTED_PAGES = {
    "G01": dict(scanned=12, qc_pass=10, qc_fixable=1, qc_reject=1, awaiting_rescan=1, ocr_done=7,
                low_confidence=1),
    "G02": dict(scanned=2, qc_pass=0, qc_fixable=0, qc_reject=2, awaiting_rescan=2, ocr_done=0,
                low_confidence=0),
    "G03": dict(scanned=3, qc_pass=1, qc_fixable=0, qc_reject=0, awaiting_rescan=0, ocr_done=1,
                low_confidence=0),
    "G04": dict(scanned=0, qc_pass=0, qc_fixable=0, qc_reject=0, awaiting_rescan=0, ocr_done=0,
                low_confidence=0),
}


@pytest.fixture
def programme(engine):
    return build_programme(engine)


def _by_code(rows):
    return {r["code"]: r for r in rows}


def test_per_agency_numbers(engine, programme):
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, AS_OF)
    assert n["as_of"] == AS_OF and n["week_start"] == date(2025, 9, 15)
    ag = _by_code(n["agencies"])
    assert list(ag) == ["G01", "G02", "G03", "G04", "G05"]
    for code, files in EXPECTED_FILES.items():
        assert ag[code]["files"] == files, code
    for code, pages in EXPECTED_PAGES.items():
        got = {k: ag[code]["pages"][k] for k in pages}
        assert got == pages, code
    assert ag["G02"]["pages"]["awaiting_rescan_overdue"] == 1
    assert ag["G01"]["successor_code"] is None
    assert ag["G02"]["successor_code"] == "G01"
    assert ag["G03"]["successor_code"] == "G04"
    assert ag["G05"]["successor_code"] == "G04"  # chain G05 -> G03 -> G04
    assert ag["G01"]["rejected_inventory_rows"] == 5
    assert ag["G03"]["rejected_inventory_rows"] == 1
    assert ag["G04"]["rejected_inventory_rows"] == 0
    assert ag["G01"]["qc_reject_by_reason"] == {"blur": 1, "skew": 1}
    assert ag["G02"]["qc_reject_by_reason"] == {"blur": 1, "cropped": 1}
    assert ag["G03"]["qc_reject_by_reason"] == {}

    p1 = ag["G01"]["plan"]
    assert (p1["target_files"], p1["target_pages"], p1["deadline"]) == (20, 200, date(2025, 12, 31))
    assert p1["pct_of_plan"] == 10.0
    assert ag["G04"]["plan"]["pct_of_plan"] is None

    # Weekly counts from events (last 8 ISO weeks, Hanoi time).
    w = ag["G01"]["weekly"]
    assert len(w) == 8 and w[0]["week_start"] == date(2025, 7, 28) and w[-1]["week"] == "2025-W38"
    assert [x["integrated"] for x in w] == [0, 0, 0, 0, 0, 1, 0, 1]
    assert [x["scanned"] for x in w] == [0, 0, 0, 0, 0, 0, 1, 0]  # the 09-18 event is after as_of
    assert ag["G01"]["done_this_week"] == _funnel(0, 0, 0, 0, 1, 0, 0, 1)
    w2 = ag["G02"]["weekly"]
    assert [x["scanned"] for x in w2] == [0, 0, 0, 0, 0, 0, 1, 0]
    assert [x["integrated"] for x in w2] == [0, 0, 0, 1, 0, 0, 0, 0]
    assert ag["G04"]["done_this_week"]["inventoried"] == 1  # agency found through the file
    assert all(x["scanned"] == 0 for x in ag["G04"]["weekly"])  # box event ignored
    assert ag["G03"]["integrated_before_window"] == 1

    # Forecast: G01 integrated 2 files in the last 28 days -> 0.5/week, 18 left -> 36 weeks.
    assert ag["G01"]["throughput_per_week"] == 0.5
    assert ag["G01"]["forecast_date"] == date(2026, 5, 27)
    assert ag["G02"]["forecast_date"] is None  # its only integration is older than 28 days
    assert ag["G01"]["risk_reasons"] == [LATE, RESCAN]
    assert ag["G02"]["risk_reasons"] == [LATE, RESCAN, REJECT]
    assert ag["G03"]["risk_reasons"] == [LATE]
    assert ag["G04"]["risk_reasons"] == [] and ag["G04"]["at_risk"] is False
    assert ag["G01"]["at_risk"] is True


def test_funnel_is_cumulative(engine, programme):
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, AS_OF)
    for row in n["agencies"] + n["rollup"] + [n["programme"]]:
        f = row["files"]
        chain = [f[p] for p in ("inventoried", "handed_over", "arranged", "scanned",
                                "qc_passed", "ocr_done", "integrated")]
        assert chain == sorted(chain, reverse=True)
        assert f["scanned"] >= f["qc_passed"] + f["qc_rejected"]


def test_rollup_under_current_successor(engine, programme):
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, AS_OF)
    ru = _by_code(n["rollup"])
    assert list(ru) == ["G01", "G04"]
    assert ru["G01"]["member_codes"] == ["G01", "G02"]
    assert ru["G04"]["member_codes"] == ["G03", "G04", "G05"]
    assert ru["G01"]["files"] == _funnel(12, 10, 9, 8, 5, 2, 4, 3)
    assert ru["G04"]["files"] == _funnel(6, 4, 3, 3, 1, 0, 1, 1)
    assert ru["G01"]["pages"]["awaiting_rescan"] == 3
    assert ru["G01"]["qc_reject_by_reason"] == {"blur": 2, "cropped": 1, "skew": 1}
    assert ru["G01"]["plan"]["target_files"] == 25
    assert ru["G01"]["plan"]["deadline"] == date(2025, 12, 31)
    assert ru["G01"]["plan"]["pct_of_plan"] == 12.0
    assert ru["G04"]["plan"]["target_files"] == 4
    assert ru["G01"]["rejected_inventory_rows"] == 5
    assert ru["G04"]["rejected_inventory_rows"] == 1
    assert [x["integrated"] for x in ru["G01"]["weekly"]] == [0, 0, 0, 1, 0, 1, 0, 1]
    assert set(ru["G01"]["risk_reasons"]) == {LATE, RESCAN, REJECT}
    # ... while the merged agency keeps its own numbers in the per-agency list.
    assert _by_code(n["agencies"])["G02"]["files"]["inventoried"] == 3


def test_totals_equal_independent_sql_counts(engine, programme):
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, AS_OF)
        count = lambda q: s.execute(q).scalar_one()  # noqa: E731
        prog = n["programme"]
        assert prog["files"]["inventoried"] == count(select(func.count(File.id)))
        assert prog["files"]["integrated"] == count(
            select(func.count()).where(File.status == "integrated"))
        assert prog["files"]["qc_rejected"] == count(
            select(func.count()).where(File.status == "qc_rejected"))
        assert prog["pages"]["scanned"] == count(select(func.count(Page.id)))
        assert prog["pages"]["qc_reject"] == count(
            select(func.count()).where(Page.qc_verdict == "reject"))
        assert prog["pages"]["ocr_done"] == count(
            select(func.count()).where(Page.ocr_text.is_not(None)))
        assert prog["pages"]["awaiting_rescan"] == count(
            select(func.count()).where(RescanRequest.status == "open"))
        assert prog["rejected_inventory_rows"] == count(
            select(func.sum(InventorySubmission.error_rows)))
        assert prog["plan"]["target_files"] == count(select(func.sum(PlanTarget.target_files)))
    for part in ("agencies", "rollup"):
        for phase in report_numbers.PHASES:
            assert sum(r["files"][phase] for r in n[part]) == prog["files"][phase]
        for k in report_numbers.PAGE_KEYS:
            assert sum(r["pages"][k] for r in n[part]) == prog["pages"][k]
    assert prog["qc_reject_by_reason"] == {"blur": 2, "cropped": 1, "skew": 1}
    assert prog["done_this_week"] == _funnel(1, 0, 0, 0, 1, 0, 0, 1)
    assert prog["agencies"] == 5 and prog["agencies_at_risk"] == 3


def test_successor_map_chain_cycle_and_dates(engine):
    with session_scope(engine) as s:
        a = _agency(s, "A", "A", "commune", "merged")
        b = _agency(s, "B", "B", "commune", "merged", a)
        a.successor_id = b.id  # cycle A <-> B, nobody active
        c = _agency(s, "C", "C", "district")
        d = _agency(s, "D", "D", "commune", "merged", c, date(2026, 1, 1))
        e = _agency(s, "E", "E", "commune", "dissolved")  # no successor
        f = _agency(s, "F", "F", "commune", "merged", d, date(2025, 1, 1))
        s.flush()
        m = report_numbers.current_successor_map(s)
        assert m[a.id] in (a.id, b.id) and m[b.id] in (a.id, b.id)
        assert m[a.id] == a.id and m[b.id] == b.id
        assert m[c.id] == c.id and m[e.id] == e.id
        assert m[d.id] == c.id and m[f.id] == c.id
        m2 = report_numbers.current_successor_map(s, as_of=date(2025, 9, 1))
        assert m2[d.id] == d.id  # merger not effective yet
        assert m2[f.id] == d.id


def _all_cell_text(wb) -> str:
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)


def test_build_weekly_report(engine, programme):
    storage = MemStorage()
    with session_scope(engine) as s:
        out = weekly.build_weekly_report(s, storage, AS_OF)
        n = report_numbers.progress_numbers(s, AS_OF)
    assert out["xlsx_key"] == "reports/2025-09-15/bao_cao_tien_do_2025-09-17.xlsx"
    assert out["html_key"] == "reports/2025-09-15/bao_cao_tien_do_2025-09-17.html"
    assert out["totals"]["files"]["inventoried"] == 18

    wb = load_workbook(io.BytesIO(storage.get_bytes(out["xlsx_key"])))
    assert wb.sheetnames[:2] == ["Tổng hợp", "Theo đơn vị kế thừa"]
    assert set(wb.sheetnames) >= {"G01", "G02", "G03", "G04", "G05"}
    ws = wb["Tổng hợp"]
    hr = xlsx.SUMMARY_HEADER_ROW
    header = {ws.cell(row=hr, column=c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(row=r, column=1).value: r for r in range(hr + 1, ws.max_row + 1)}
    assert set(rows) == {"G01", "G02", "G03", "G04", "G05", "TỔNG"}
    ag = _by_code(n["agencies"])
    for code, row in rows.items():
        src = n["programme"] if code == "TỔNG" else ag[code]
        for p in report_numbers.PHASES:
            assert ws.cell(row=row, column=header[f"Hồ sơ: {report_numbers.PHASE_LABELS[p]}"]).value == src["files"][p]
        for k in report_numbers.PAGE_KEYS:
            assert ws.cell(row=row, column=header[report_numbers.PAGE_LABELS[k]]).value == src["pages"][k]
        assert ws.cell(row=row, column=header["Dòng danh mục bị trả lại"]).value == src["rejected_inventory_rows"]
        assert ws.cell(row=row, column=header["Chỉ tiêu hồ sơ"]).value == src["plan"]["target_files"]
        pct = ws.cell(row=row, column=header["Tỷ lệ hoàn thành kế hoạch"]).value
        if src["plan"]["pct_of_plan"] is None:
            assert pct is None
        else:
            assert pct == pytest.approx(src["plan"]["pct_of_plan"] / 100, abs=5e-4)
    assert ws.cell(row=rows["G01"], column=header["Hạn hoàn thành"]).value.date() == date(2025, 12, 31)
    assert ws.cell(row=rows["G02"], column=header["Cảnh báo"]).value == "; ".join([LATE, RESCAN, REJECT])
    assert ws.freeze_panes == f"C{hr + 1}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    # one page wide (OOXML's default width 1 may be left unwritten), as tall as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${hr}:${hr}"
    assert ws.cell(row=hr, column=1).font.bold
    assert ws.cell(row=rows["G01"], column=header["Hồ sơ: Đã tích hợp CSDL dùng chung"]).number_format == "#,##0"
    xtext = _all_cell_text(wb)
    assert SECRET not in xtext
    assert PUBLIC_RESCAN_TITLE in xtext  # public titles do show in the rescan list
    assert "G02.2019.01.07" in xtext  # restricted file: code only

    page = storage.get_bytes(out["html_key"]).decode("utf-8")
    for heading in ("Báo cáo tiến độ số hóa hồ sơ", "Tổng quan toàn chương trình",
                    "Tiến độ theo cơ quan lập hồ sơ", "Tổng hợp theo đơn vị kế thừa",
                    "Trang chờ quét lại", LATE, RESCAN):
        assert heading in page
    assert "<svg" in page and "<script" not in page
    # a burn-up and a weekly chart for the programme, every roll-up unit and every agency
    burnups = page.count('aria-label="Lũy kế so với kế hoạch"')
    assert burnups == 1 + len(n["rollup"]) + len(n["agencies"])
    assert page.count('aria-label="Số hồ sơ theo tuần"') == 1 + len(n["agencies"])
    assert SECRET not in page
    assert PUBLIC_RESCAN_TITLE in page and "G02.2019.01.07" in page

    with session_scope(engine) as s:
        run = s.get(ReportRun, out["report_run_id"])
        assert run.week_start == date(2025, 9, 15)
        assert run.totals["files"]["integrated"] == 4
        ev = s.scalars(select(Event).where(Event.entity == "report_runs")).all()
        assert [(e.phase, e.action, e.entity_id) for e in ev] == [
            ("progress_report", "generated", run.id)]


def test_rerun_overwrites_same_keys_and_run(engine, programme):
    storage = MemStorage()
    with session_scope(engine) as s:
        first = weekly.build_weekly_report(s, storage, AS_OF)
    with session_scope(engine) as s:
        second = weekly.build_weekly_report(s, storage, AS_OF)
    assert (first["xlsx_key"], first["html_key"]) == (second["xlsx_key"], second["html_key"])
    assert first["report_run_id"] == second["report_run_id"]
    assert sorted(storage.objects) == sorted([first["xlsx_key"], first["html_key"]])
    with session_scope(engine) as s:
        assert s.execute(select(func.count(ReportRun.id))).scalar_one() == 1
        assert s.execute(select(func.count()).where(Event.entity == "report_runs")).scalar_one() == 2
        # Another day of the same week is a separate report.
        other = weekly.build_weekly_report(s, storage, date(2025, 9, 19))
    assert other["report_run_id"] != first["report_run_id"]
    assert other["xlsx_key"].startswith("reports/2025-09-15/")


def test_empty_database(engine):
    storage = MemStorage()
    with session_scope(engine) as s:
        n = report_numbers.progress_numbers(s, AS_OF)
        assert n["agencies"] == [] and n["rollup"] == []
        assert n["programme"]["files"]["inventoried"] == 0
        assert n["programme"]["forecast_date"] is None
        out = weekly.build_weekly_report(s, storage, AS_OF)
    assert "<svg" in storage.get_bytes(out["html_key"]).decode()


def test_with_local_storage(engine, programme, tmp_path):
    storage_mod = pytest.importorskip("sohoa.core.storage")
    if not hasattr(storage_mod, "LocalStorage"):
        pytest.skip("sohoa.core.storage.LocalStorage not available yet")
    store = storage_mod.LocalStorage(tmp_path / "objects")
    with session_scope(engine) as s:
        out = weekly.build_weekly_report(s, store, AS_OF)
    assert store.exists(out["xlsx_key"]) and store.exists(out["html_key"])
    load_workbook(io.BytesIO(store.get_bytes(out["xlsx_key"])))


def test_workbook_keeps_text_as_text_and_sheet_names_unique(engine):
    """An agency name that looks like a formula stays text, and codes that Excel would
    take for the same sheet name (case, forbidden characters) each get their own sheet."""
    with session_scope(engine) as s:
        a = _agency(s, "ab/1", '=HYPERLINK("http://x","bấm")', "commune")
        b = _agency(s, "AB_1", "Sở B", "department")
        _files(s, a, ["integrated", "inventoried"], title='=1+1')
        _files(s, b, ["scanned"])
        n = report_numbers.progress_numbers(s, AS_OF)
    wb = load_workbook(io.BytesIO(xlsx.render_xlsx(n, [])))
    agency_sheets = wb.sheetnames[2:]
    assert len(agency_sheets) == 2 and len({t.lower() for t in agency_sheets}) == 2
    assert "ab_1" in {t.lower() for t in agency_sheets}
    summary = wb["Tổng hợp"]
    names = [summary.cell(row=r, column=2).value for r in range(xlsx.SUMMARY_HEADER_ROW + 1, summary.max_row + 1)]
    assert '=HYPERLINK("http://x","bấm")' in names
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    first = wb[agency_sheets[0]]
    assert first.cell(row=1, column=1).value.endswith('=HYPERLINK("http://x","bấm")') or \
        first.cell(row=1, column=1).value.endswith("Sở B")
