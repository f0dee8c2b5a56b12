"""Inventory intake speed: a 50,000-row list parsed, validated and loaded into PostgreSQL.

    /work/main/.venv/bin/python benchmarks/bench_intake.py [--rows 50000] [--xlsx] [--legacy tcvn3]
                                                            [--repeat 3]

Target (issue 5): ≤ 10 s end to end (parse + validate + load + commit) on PostgreSQL.
Baselines measured in the same process on the same bytes, so machine load cancels out:
  * floor: csv.reader over the file + COPY of bare (notation, title) rows —
    what any loader must at least do;
  * parse only: sohoa.intake.inventory.parse_inventory;
  * --xlsx: the same parse with the reference openpyxl reader (the reader before
    python-calamine), to show what the fast reader buys.
With --repeat N each measurement runs N times (a fresh schema per intake) and the best
and median are printed: the machine is shared, the best run is the least disturbed.
Prints wall and CPU seconds; quote `uptime` load with the figures (2 shared cores).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from sohoa.core.db.models import Agency, File  # noqa: E402
from sohoa.core.db.session import make_engine, migrate, session_scope  # noqa: E402
from sohoa.intake.phase import intake_list  # noqa: E402
from sohoa.intake.inventory import parse_inventory  # noqa: E402
from sohoa.core.storage import LocalStorage  # noqa: E402

PG = os.environ.get("SOHOA_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
HEADER = ["STT", "Hộp số", "Số và ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu",
          "Thời gian kết thúc", "Thời hạn bảo quản", "Chế độ sử dụng", "Số lượng tờ",
          "Số lượng trang", "Ngôn ngữ", "Ghi chú"]
SUBJECTS = ["cấp giấy chứng nhận quyền sử dụng đất", "giải quyết khiếu nại", "đăng ký hộ tịch",
            "xây dựng nông thôn mới", "thi đua khen thưởng", "tuyển dụng công chức"]


def make_rows(n: int, seed: int = 1) -> list[list]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        y = rng.randint(1990, 2024)
        rows.append([i, (i - 1) // 20 + 1, f"{i:05d}",
                     f"Hồ sơ {rng.choice(SUBJECTS)} số {i} năm {y} của hộ ông Nguyễn Văn "
                     f"{rng.choice('ABCDEGHKL')}",
                     f"{rng.randint(1, 28):02d}/{rng.randint(1, 6):02d}/{y}",
                     f"{rng.randint(1, 28):02d}/{rng.randint(7, 12):02d}/{y}",
                     rng.choice(["Vĩnh viễn", "70 năm", "20 năm", "10 năm"]),
                     rng.choice(["Công khai", "Hạn chế"]), str(rng.randint(1, 200)),
                     f"{rng.randint(1, 300)} trang", "Tiếng Việt", ""])
    return rows


def make_csv(rows: list[list], legacy: str | None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(rows)
    if legacy == "tcvn3":
        from sohoa.intake.legacy_encodings import unicode_to_tcvn3

        return unicode_to_tcvn3(buf.getvalue()).encode("latin-1")
    return buf.getvalue().encode("utf-8")


def make_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh mục")
    ws.append(["DANH MỤC HỒ SƠ"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fresh_schema_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(PG).begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    with create_engine(PG).begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def best_of(n: int, fn):
    """Run fn n times; (last result, [(wall, cpu)] sorted by wall)."""
    runs = []
    out = None
    for _ in range(n):
        out, w, c = timed(fn)
        runs.append((w, c))
    return out, sorted(runs)


def line(label: str, runs, extra: str = "") -> str:
    w, c = runs[0]
    med = runs[len(runs) // 2]
    more = f"  (median of {len(runs)}: wall {med[0]:.2f} cpu {med[1]:.2f})" if len(runs) > 1 else ""
    return f"{label:38s} wall {w:6.2f} s  cpu {c:6.2f} s{more}{extra}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--xlsx", action="store_true", help="an .xlsx list instead of CSV")
    ap.add_argument("--legacy", choices=["tcvn3"], help="CSV typed in a legacy font")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement (best shown)")
    args = ap.parse_args()

    rows = make_rows(args.rows)
    data = make_xlsx(rows) if args.xlsx else make_csv(rows, args.legacy)
    name = "danh_muc.xlsx" if args.xlsx else "danh_muc.csv"
    print(f"list: {args.rows} rows, {len(data) / 1e6:.1f} MB, {name}"
          f"{' (' + args.legacy + ')' if args.legacy else ''}")

    print("load before:", os.getloadavg())
    schemas: list[str] = []

    def fresh_engine():
        url, schema = fresh_schema_url()
        schemas.append(schema)
        migrate(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            s.add(Agency(code="H001", name="UBND quận Ba Đình", level="district"))
        return engine

    storage_dir = Path("/tmp") / f"sohoa-bench-{uuid.uuid4().hex[:8]}"
    storage = LocalStorage(storage_dir)
    try:
        engine = fresh_engine()

        # floor: read the CSV and COPY bare (notation, title) rows in, nothing else
        csv_text = make_csv(rows, None).decode()

        def floor():
            recs = list(csv.reader(io.StringIO(csv_text)))[1:]
            buf = io.StringIO()
            csv.writer(buf).writerows((r[2], r[3]) for r in recs)
            buf.seek(0)
            with engine.begin() as c:
                c.execute(text("CREATE TEMP TABLE floor_t (notation text, title text)"))
                with c.connection.driver_connection.cursor() as cur:
                    cur.copy_expert("COPY floor_t FROM STDIN WITH (FORMAT csv)", buf)
                c.execute(text("DROP TABLE floor_t"))
        _, floor_runs = best_of(args.repeat, floor)

        parsed, parse_runs = best_of(args.repeat, lambda: parse_inventory(data, name))
        ref_runs = None
        if args.xlsx:  # the reference reader, as before python-calamine
            from unittest import mock

            import sohoa.intake.inventory as inv
            with mock.patch.object(inv, "_read_xlsx_calamine", lambda d: None):
                ref, ref_runs = best_of(args.repeat, lambda: parse_inventory(data, name))
            assert len(ref.rows) == len(parsed.rows)

        results = []

        def load():
            eng = engine if not results else fresh_engine()  # every run into an empty DB
            with session_scope(eng) as s:
                out = intake_list(s, storage, "H001", data, name)
            with session_scope(eng) as s:
                results.append((out, s.query(File).count(), eng))
            return out
        out, load_runs = best_of(args.repeat, load)
        with session_scope(engine) as s:
            again, aw, _ = timed(lambda: intake_list(s, storage, "H001", data, name))
        for *_, eng in results:
            eng.dispose()
        engine.dispose()
    finally:
        for schema in schemas:
            drop_schema(schema)
        shutil.rmtree(storage_dir, ignore_errors=True)

    assert all(o["valid_rows"] == args.rows == n for o, n, _ in results), results
    assert again["status"] == "unchanged"
    fw = floor_runs[0][0]
    lw = load_runs[0][0]
    print(line("floor (csv.reader + COPY bare rows)", floor_runs))
    print(line("parse + validate only", parse_runs, f"  ({len(parsed.rows)} rows)"))
    if ref_runs:
        print(line("  same with openpyxl reader (before)", ref_runs))
    print(line("END TO END intake into PostgreSQL", load_runs,
               f"  ({out['created']} files created, x{lw / fw:.1f} the floor) "
               f"{'OK ≤ 10 s' if lw <= 10 else 'OVER 10 s'}"))
    print(f"{'same file again (no change)':38s} wall {aw:6.2f} s")
    print("load after:", os.getloadavg())


if __name__ == "__main__":
    main()
