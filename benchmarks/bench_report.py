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

Usage:  .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--airflow]
Targets: report <= 10 s, main page <= 500 ms, agency page <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))
from scale_programme import AS_OF, scale_url  # noqa: E402

from sohoa.reporting import html, weekly, xlsx  # noqa: E402
from sohoa.reporting import numbers as report_numbers  # noqa: E402
from sohoa.reporting.dashboard import create_app  # noqa: E402
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

    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalStorage(Path(tmp))

        def report():
            with Session(engine) as s:
                try:
                    return weekly.build_weekly_report(s, storage, AS_OF)
                finally:
                    s.rollback()

        reps = max(2, args.repeat // 2)
        med, worst, out = timed(report, reps)
        xlsx_size = (Path(tmp) / out["xlsx_key"]).stat().st_size
        html_size = (Path(tmp) / out["html_key"]).stat().st_size
        print(f"report    build_weekly_report (x{reps})          median {med:8.2f} s   max {worst:.2f} s"
              f"  [target 10 s]  xlsx {xlsx_size / 1e6:.1f} MB, html {html_size / 1e6:.1f} MB")
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
    if args.airflow:
        through_airflow(pages, args.repeat)
    print(f"load after: {os.getloadavg()[0]:.2f}")


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
