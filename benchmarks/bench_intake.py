"""Inventory intake speed: a 50,000-row list parsed, validated and loaded into PostgreSQL.

    /work/main/.venv/bin/python benchmarks/bench_intake.py [--rows 50000] [--xlsx] [--legacy tcvn3]

Target (issue 5): ≤ 10 s end to end (parse + validate + load + commit) on PostgreSQL.
Baselines measured in the same process on the same bytes, so machine load cancels out:
  * floor: csv.reader over the file + COPY of bare (notation, title) rows —
    what any loader must at least do;
  * parse only: sohoa.inventory.parse_inventory.
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

from sohoa.db.models import Agency, File  # noqa: E402
from sohoa.db.session import make_engine, migrate, session_scope  # noqa: E402
from sohoa.intake import intake_list  # noqa: E402
from sohoa.inventory import parse_inventory  # noqa: E402
from sohoa.storage import LocalStorage  # noqa: E402

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
        from sohoa.legacy_encodings import unicode_to_tcvn3

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--xlsx", action="store_true", help="an .xlsx list instead of CSV")
    ap.add_argument("--legacy", choices=["tcvn3"], help="CSV typed in a legacy font")
    args = ap.parse_args()

    rows = make_rows(args.rows)
    data = make_xlsx(rows) if args.xlsx else make_csv(rows, args.legacy)
    name = "danh_muc.xlsx" if args.xlsx else "danh_muc.csv"
    print(f"list: {args.rows} rows, {len(data) / 1e6:.1f} MB, {name}"
          f"{' (' + args.legacy + ')' if args.legacy else ''}")

    url, schema = fresh_schema_url()
    try:
        migrate(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            s.add(Agency(code="H001", name="UBND quận Ba Đình", level="district"))

        # floor: read the CSV and COPY bare (notation, title) rows in, nothing else
        def floor():
            recs = list(csv.reader(io.StringIO(make_csv(rows, None).decode())))[1:]
            buf = io.StringIO()
            csv.writer(buf).writerows((r[2], r[3]) for r in recs)
            buf.seek(0)
            with engine.begin() as c:
                c.execute(text("CREATE TEMP TABLE floor_t (notation text, title text)"))
                with c.connection.driver_connection.cursor() as cur:
                    cur.copy_expert("COPY floor_t FROM STDIN WITH (FORMAT csv)", buf)
        _, fw, fc = timed(floor)

        parsed, pw, pc = timed(lambda: parse_inventory(data, name))
        storage = LocalStorage(Path("/tmp") / f"sohoa-bench-{schema}")

        def load():
            with session_scope(engine) as s:
                return intake_list(s, storage, "H001", data, name)
        out, lw, lc = timed(load)
        with session_scope(engine) as s:
            n_files = s.query(File).count()
        again, aw, _ = timed(load)
        engine.dispose()
    finally:
        drop_schema(schema)
        shutil.rmtree(Path("/tmp") / f"sohoa-bench-{schema}", ignore_errors=True)

    assert out["valid_rows"] == args.rows == n_files, (out, n_files)
    assert again["status"] == "unchanged"
    print(f"floor (csv.reader + COPY bare rows)  : wall {fw:6.2f} s  cpu {fc:6.2f} s")
    print(f"parse + validate only:                 wall {pw:6.2f} s  cpu {pc:6.2f} s"
          f"  ({len(parsed.rows)} rows)")
    print(f"END TO END intake into PostgreSQL:     wall {lw:6.2f} s  cpu {lc:6.2f} s"
          f"  ({out['created']} files created, x{lw / fw:.1f} the floor) "
          f"{'OK ≤ 10 s' if lw <= 10 else 'OVER 10 s'}")
    print(f"same file again (no change):           wall {aw:6.2f} s")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
