"""`sohoa` command line: the same operations as the DAGs, for operators outside Airflow."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path


def _print(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def cmd_db(args) -> int:
    from sohoa.core.db.session import migrate

    migrate(args.url)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def cmd_sample(args) -> int:
    from sohoa.sample.generate import generate

    manifest = generate(Path(args.out), size=args.size, seed=args.seed)
    pages = manifest.get("pages", [])
    print(f"Đã tạo dữ liệu mẫu ở {args.out}: {len(manifest.get('agencies', []))} cơ quan, "
          f"{len(pages)} trang ảnh.")
    return 0


def cmd_agencies_load(args) -> int:
    from sohoa.intake.agencies import RegistryError, load_registry_files
    from sohoa.core.db.session import migrate, session_scope

    migrate()
    try:
        with session_scope() as s:
            _print(load_registry_files(s, Path(args.csv), Path(args.plans) if args.plans else None))
    except RegistryError as exc:
        print(f"Lỗi danh mục cơ quan: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_agencies_seed(args) -> int:
    from sohoa.intake.agencies import RegistryError, load_registry, seed_rows, write_registry_csv

    try:
        rows = seed_rows(args.province)
    except RegistryError as exc:
        print(f"Lỗi danh mục cơ quan: {exc}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_bytes(write_registry_csv(rows))
        print(f"Đã ghi {len(rows)} cơ quan vào {args.out}")
        return 0
    from sohoa.core.db.session import migrate, session_scope

    migrate()
    with session_scope() as s:
        _print(load_registry(s, rows, source=f"vietnamadminunits:{args.province}"))
    return 0


def cmd_intake(args) -> int:
    from sohoa.core.db.session import migrate, session_scope
    from sohoa.intake.phase import IntakeError, intake_list
    from sohoa.core.storage import get_storage

    migrate()
    path = Path(args.file)
    try:
        with session_scope() as s:
            _print(intake_list(s, get_storage(), args.agency, path.read_bytes(), path.name))
    except IntakeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def cmd_qc(args) -> int:
    from sohoa.scan.qc import qc_cli

    return qc_cli(args.paths, as_json=args.json)


def cmd_rescan(args) -> int:
    from sohoa.core.db.session import migrate, session_scope
    from sohoa.scan.phase import format_queue, rescan_queue

    migrate()
    with session_scope() as s:
        rows = rescan_queue(s, agency=args.agency, station=args.station)
    if args.json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
    else:
        sys.stdout.write(format_queue(rows))
    return 0


def cmd_ocr(args) -> int:
    from sohoa.ocr.recognition import ocr_cli

    from sohoa.core.config import get_settings

    settings = get_settings()  # SOHOA_OCR_LANG / SOHOA_WORKERS unless --lang is given
    return ocr_cli(args.paths, args.out, lang=args.lang or settings.ocr_lang, workers=settings.workers)


def cmd_pipeline(args) -> int:
    from sohoa.core import events
    from sohoa.pipeline import run_all

    with events.operator(getpass.getuser() if args.force else None):
        _print(run_all(args.agency, args.file, force=args.force))
    return 0


def cmd_report(args) -> int:
    from sohoa.pipeline import prepare_database, run_report

    prepare_database()
    _print(run_report(date.fromisoformat(args.as_of) if args.as_of else None))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sohoa", description="Số hóa hồ sơ lưu trữ")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("db", help="bring the project database schema up to date")
    s.add_argument("action", choices=["upgrade"])
    s.add_argument("--url", default=None)
    s.set_defaults(func=cmd_db)

    s = sub.add_parser("sample", help="generate the synthetic sample programme")
    s.add_argument("--out", required=True)
    s.add_argument("--size", choices=["small", "full"], default="full")
    s.add_argument("--seed", type=int, default=7)
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("agencies", help="agency registry")
    asub = s.add_subparsers(dest="action", required=True)
    a = asub.add_parser("load", help="load agencies (and plans) from CSV")
    a.add_argument("csv")
    a.add_argument("--plans")
    a.set_defaults(func=cmd_agencies_load)
    a = asub.add_parser("seed", help="build a province's real registry (vietnamadminunits)")
    a.add_argument("--province", default="Hà Nội")
    a.add_argument("--out", help="write the registry CSV here instead of loading it")
    a.set_defaults(func=cmd_agencies_seed)

    s = sub.add_parser("intake", help="load one inventory list for an agency")
    s.add_argument("file")
    s.add_argument("--agency", required=True)
    s.set_defaults(func=cmd_intake)

    s = sub.add_parser("qc", help="check scanned page images")
    s.add_argument("paths", nargs="+")
    s.add_argument("--json", action="store_true", help="one JSON object per page")
    s.set_defaults(func=cmd_qc)

    s = sub.add_parser("rescan", help="rescan queue (trang cần quét lại) per agency and station")
    s.add_argument("--agency")
    s.add_argument("--station")
    s.add_argument("--json", action="store_true", help="one JSON object per page")
    s.set_defaults(func=cmd_rescan)

    s = sub.add_parser("ocr", help="OCR images/PDFs to .txt and searchable PDF/A")
    s.add_argument("paths", nargs="+")
    s.add_argument("--out", required=True)
    s.add_argument("--lang", default=None,
                   help="tesseract languages, e.g. vie or vie+eng (default: $SOHOA_OCR_LANG or vie)")
    s.set_defaults(func=cmd_ocr)

    s = sub.add_parser("pipeline", help="run every phase once, without Airflow")
    s.add_argument("--agency")
    s.add_argument("--file")
    s.add_argument("--force", action="store_true",
                   help="làm lại (force): redo even what is unchanged")
    s.set_defaults(func=cmd_pipeline)

    s = sub.add_parser("report", help="build the weekly progress report")
    s.add_argument("--as-of")
    s.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
