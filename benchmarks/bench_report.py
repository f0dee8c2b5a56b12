"""Benchmark: weekly report and dashboard on the city-sized programme in PostgreSQL.

Needs the programme of benchmarks/scale_programme.py (600 agencies, 2 M files, 20 M
pages, a year of events). Measures, in one process:

* baseline: the direct aggregation the counters replace (pages JOIN files GROUP BY
  agency, 20 M rows), and a trivial round trip;
* the weekly report: sohoa.reporting.weekly.build_weekly_report (numbers + XLSX + HTML into a
  temporary local store; the transaction is rolled back);
* the dashboard (sohoa.reporting.dashboard app, HTML rendered, through an HTTP test client):
  main page, JSON endpoint, the largest agency's page, a successor's page with its
  members rolled up.

* with ``--airflow``: the same pages as a manager's browser asks for them, over HTTP from
  a real ``airflow api-server`` with the plugin (Airflow's JWT check included).

* reports rebuilt for past days (``--back 7 28``: a week and four weeks before AS_OF), three
  ways: walked back from today's counters through every event since (snapshots off, as
  before issue 10's snapshots); the first build, which stores the snapshot of the day's
  week end (the snapshots are dropped first); rebuilds from that snapshot. The numbers'
  JSON of the first and the last way are compared (they must be identical). Then the
  progress_report run's ``take_due`` (the last 8 weeks' snapshots, none there) is timed,
  and the day ``--back`` of the largest value rebuilt once more from that chain.

Usage:  .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--back 7 28] [--airflow]
(SOHOA_BENCH_DB names the programme's database when it is not ``sohoa_scale``.)
Targets: report <= 10 s, main page <= 500 ms, agency page <= 300 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))
from scale_programme import AS_OF, scale_url  # noqa: E402

from sohoa.core.db import models, snapshots  # noqa: E402
from sohoa.reporting import asof, html, weekly, xlsx  # noqa: E402
from sohoa.reporting import numbers as report_numbers  # noqa: E402
from sohoa.reporting.dashboard import create_app  # noqa: E402
from sohoa.core import calendar  # noqa: E402
from sohoa.core.storage import LocalStorage  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(median, 95th percentile, last result) over ``repeat`` calls (p95 = max below 20)."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    return statistics.median(times), min(p95, max(times)), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--back", type=int, nargs="*", default=[7, 28],
                    help="also time reports rebuilt for days this many days before AS_OF")
    ap.add_argument("--airflow", action="store_true",
                    help="also time the pages through a real airflow api-server")
    args = ap.parse_args()
    engine = create_engine(scale_url())
    with engine.connect() as c:
        sizes = c.execute(text(
            "SELECT (SELECT count(*) FROM agencies), (SELECT count(*) FROM files), "
            "(SELECT reltuples::bigint FROM pg_class WHERE relname = 'pages'), "
            "(SELECT reltuples::bigint FROM pg_class WHERE relname = 'events')")).one()
    print(f"programme: {sizes[0]} agencies, {sizes[1]:,} files, ~{sizes[2]:,} pages, "
          f"~{sizes[3]:,} events; as of {AS_OF}; load {os.getloadavg()[0]:.2f}")

    def roundtrip():
        with engine.connect() as c:
            c.execute(text("SELECT 1")).scalar()

    def direct_pages():
        with engine.connect() as c:
            return c.execute(text(
                "SELECT f.agency_id, count(*), sum(CASE WHEN p.qc_verdict = 'reject' THEN 1 ELSE 0 END) "
                "FROM pages p JOIN files f ON f.id = p.file_id GROUP BY f.agency_id")).all()

    med, worst, _ = timed(roundtrip, args.repeat)
    print(f"baseline  round trip SELECT 1                 median {med * 1000:8.1f} ms")
    med, worst, _ = timed(direct_pages, 1)
    print(f"baseline  pages JOIN files GROUP BY agency    once   {med * 1000:8.1f} ms  "
          "(what the counters replace)")

    # The programme's clock is the end of its data (its last event), so that AS_OF is
    # "today" for the report and its finished weeks are those before AS_OF's week; the
    # pages through a real api-server (--airflow) keep the real clock, where AS_OF is a
    # past day (and its week a finished one).
    with engine.connect() as c:
        data_end = c.execute(text("SELECT max(occurred_at) FROM events")).scalar()
    data_end += timedelta(seconds=1)
    print(f"clock     the programme's now: {data_end.isoformat()} (its last event)")
    with tempfile.TemporaryDirectory() as tmp, clock(data_end):
        storage = LocalStorage(Path(tmp))

        def report(day=AS_OF):
            with Session(engine) as s:
                try:
                    return weekly.build_weekly_report(s, storage, day)
                finally:
                    s.rollback()

        reps = max(2, args.repeat // 2)
        med, worst, out = timed(report, reps)
        xlsx_size = (Path(tmp) / out["xlsx_key"]).stat().st_size
        html_size = (Path(tmp) / out["html_key"]).stat().st_size
        print(f"report    build_weekly_report (x{reps})          median {med:8.2f} s   max {worst:.2f} s"
              f"  [target 10 s]  xlsx {xlsx_size / 1e6:.1f} MB, html {html_size / 1e6:.1f} MB")
        for back in args.back:
            # a past day rebuilt: walked back from today, then from its week's snapshot
            day = AS_OF - timedelta(days=back)
            drop_snapshots(engine)
            with asof.full_walk():
                med, worst, _ = timed(lambda d=day: report(d), reps)
                walked = numbers_json(engine, day)
            print(f"report    as of {day} ({back:>2} days back) walked from today (x{reps})  "
                  f"median {med:8.2f} s   max {worst:.2f} s  [target 10 s]")
            med, _, _ = timed(lambda d=day: report(d), 1)
            print(f"report    as of {day} ({back:>2} days back) first build, stores snapshot "
                  f"  once {med:8.2f} s   snapshots at {snapshot_days(engine)}")
            med, worst, _ = timed(lambda d=day: report(d), reps)
            same = numbers_json(engine, day) == walked
            print(f"report    as of {day} ({back:>2} days back) from the snapshot (x{reps})  "
                  f"median {med:8.2f} s   max {worst:.2f} s  [target 10 s]  "
                  f"numbers identical to the walk: {'yes' if same else 'NO'}")
        if args.back:
            drop_snapshots(engine)
            t = time.perf_counter()
            with Session(engine) as s:
                taken = asof.take_due(s, report_numbers.WEEKS_SHOWN)
                s.commit()
            print(f"snapshots take_due({report_numbers.WEEKS_SHOWN} weeks, none there)       "
                  f"once {time.perf_counter() - t:8.2f} s   took {len(taken)} "
                  f"({snapshot_days(engine)})")
            day = AS_OF - timedelta(days=max(args.back))
            med, worst, _ = timed(lambda d=day: report(d), reps)
            print(f"report    as of {day} ({max(args.back):>2} days back) from take_due's snapshot "
                  f"median {med:8.2f} s   max {worst:.2f} s  [target 10 s]")
        with Session(engine) as s:
            t = time.perf_counter()
            numbers = report_numbers.progress_numbers(s, AS_OF)
            t_num = time.perf_counter() - t
        t = time.perf_counter()
        xlsx.render_xlsx(numbers, [])
        t_xlsx = time.perf_counter() - t
        t = time.perf_counter()
        html.render_html(numbers, [])
        t_html = time.perf_counter() - t
        print(f"          of which: numbers {t_num:.2f} s, xlsx {t_xlsx:.2f} s, html {t_html:.2f} s")

    from fastapi.testclient import TestClient

    client = TestClient(create_app(engine_factory=lambda: engine))
    with engine.connect() as c:
        big = c.execute(text("SELECT a.code FROM files f JOIN agencies a ON a.id = f.agency_id "
                             "GROUP BY a.code ORDER BY count(*) DESC LIMIT 1")).scalar()
        succ = c.execute(text("SELECT s.code FROM agencies a JOIN agencies s ON s.id = a.successor_id "
                              "GROUP BY s.code ORDER BY count(*) DESC LIMIT 1")).scalar()
    day = AS_OF.isoformat()
    pages = [
        ("main page  /", f"/?as_of={day}", 500),
        ("main page  / (communes, by %)", f"/?as_of={day}&level=commune&sort=pct", 500),
        ("JSON       /api/progress", f"/api/progress?as_of={day}", 500),
        (f"agency     /agency/{big} (largest)", f"/agency/{big}?as_of={day}", 300),
        (f"agency     /agency/{succ} (successor)", f"/agency/{succ}?as_of={day}", 300),
        (f"JSON       /api/agency/{big}", f"/api/agency/{big}?as_of={day}", 300),
    ]
    time_pages("dashboard", client.get, pages, args.repeat)
    # The largest agency's page today: the counters as they are, nothing walked back (the
    # clock at 23:59 on AS_OF in the programme's zone; its later events are today's too).
    with clock(calendar.day_end(AS_OF) - timedelta(minutes=1)):
        time_pages("dashboard", client.get, [
            (f"agency     /agency/{big} today", f"/agency/{big}?as_of={day}", 300)], args.repeat)
    if args.airflow:
        through_airflow(pages, args.repeat)
    print(f"load after: {os.getloadavg()[0]:.2f}")


@contextlib.contextmanager
def clock(now):
    """The clock events are dated by and reports compare with (models.utcnow), set."""
    real = models.utcnow
    models.utcnow = lambda: now
    try:
        yield
    finally:
        models.utcnow = real


def drop_snapshots(engine) -> None:
    with engine.begin() as c:
        snapshots.clear(c)


def snapshot_days(engine) -> str:
    with engine.connect() as c:
        return ", ".join(f"end of {calendar.local_date(m - timedelta(microseconds=1))}"
                         for m in snapshots.moments(c)) or "none"


def numbers_json(engine, day) -> str:
    with Session(engine) as s:
        n = report_numbers.progress_numbers(s, day)
        rescans = report_numbers.open_rescan_items(s, as_of=day)
        s.rollback()
    return json.dumps(weekly._jsonable({"numbers": n, "rescans": rescans}), sort_keys=True,
                      ensure_ascii=False)


def time_pages(where: str, get, pages, repeat: int) -> None:
    """Each page once to check it answers (and warm up), then ``repeat`` timed requests."""
    for label, url, target in pages:
        r = get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        med, worst, _ = timed(lambda u=url: get(u), repeat)
        print(f"{where:<9} {label:<36} median {med * 1000:8.1f} ms  p95 {worst * 1000:7.1f} ms"
              f"  [target {target} ms]  {len(r.content) / 1e3:.0f} kB")


def through_airflow(pages, repeat: int) -> None:
    """The pages over HTTP from `airflow api-server` (one worker), logged in as a viewer."""
    import httpx

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    import airflow_server

    db_url = scale_url()
    with tempfile.TemporaryDirectory() as tmp, \
            airflow_server.api_server(Path(tmp), db_url, {"quanly": "bench-pw"}) as server:
        base = server.url
        headers = {"Authorization": f"Bearer {airflow_server.token(base, 'quanly', 'bench-pw')}"}
        with httpx.Client(base_url=f"{base}/sohoa", headers=headers, timeout=60) as http:
            time_pages("airflow", http.get, pages, repeat)


if __name__ == "__main__":
    main()
