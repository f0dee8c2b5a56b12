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

    return qc_cli(args.paths, as_json=args.json)  # --json: no progress line either


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


def cmd_describe(args) -> int:
    from sohoa.core.config import get_settings
    from sohoa.description.describe import describe_cli

    settings = get_settings()
    return describe_cli(args.paths, as_json=args.json, lang=args.lang or settings.ocr_lang,
                        workers=settings.workers)


def cmd_pipeline(args) -> int:
    from sohoa.core import events
    from sohoa.pipeline import run_all

    with events.operator(getpass.getuser() if args.force else None):
        _print(run_all(args.agency, args.file, force=args.force))  # the summary on stdout, progress on stderr
    return 0


def cmd_report(args) -> int:
    from sohoa.pipeline import prepare_database, run_report

    prepare_database()
    _print(run_report(date.fromisoformat(args.as_of) if args.as_of else None))
    return 0


def cmd_aip(args) -> int:
    from sohoa.pipeline import prepare_database, run_aips

    prepare_database()
    out = run_aips(args.agency, args.file)
    _print(out)
    return 1 if out["failed"] else 0


def cmd_fixity(args) -> int:
    import os

    from sohoa.pipeline import prepare_database, run_fixity

    if args.batch:
        os.environ["SOHOA_FIXITY_BATCH"] = str(args.batch)
    prepare_database()
    try:
        out = run_fixity(args.agency, args.file)
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    bad = out["lost"] + out["unrepaired"]
    if args.json:
        _print(out)
    else:
        print(f"Kiểm tra toàn vẹn ({out['scope']}): {out['checked']} đối tượng, "
              f"{out['bytes'] / 1e6:.1f} MB, {out['ok']} tốt, {out['repaired']} đã sửa từ bản "
              f"còn tốt, {out['unrepaired']} chưa sửa được, {out['lost']} MẤT.")
        for f in out["open_findings"]:
            print(f"  {f['key']}: {f['reason']}")
    if out["lost"]:
        print(f"CẢNH BÁO: {out['lost']} đối tượng bị MẤT (cả hai bản đều hỏng).", file=sys.stderr)
    return 1 if bad else 0


def cmd_restore(args) -> int:
    from sohoa.core.db.session import session_scope
    from sohoa.core.storage import get_storage
    from sohoa.pipeline import prepare_database
    from sohoa.preservation.restore import RestoreError, restore

    prepare_database()
    try:
        with session_scope() as s:
            out = restore(s, get_storage(), args.file, Path(args.to))
    except RestoreError as exc:
        print(f"Không khôi phục được: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _print(out)
    else:
        print(f"Đã khôi phục {out['file']} vào {out['to']}: {out['originals']} tệp gốc, "
              f"{out['access']} tệp PDF/A, {out['files_verified']} tệp đã kiểm tra SHA-256"
              + ("." if out["ok"] else f", {len(out['bad'])} tệp SAI:"))
        for r in out["bad"]:
            print(f"  {r['path']}: {r['problem']}")
    return 0 if out["ok"] else 1


def cmd_review_export(args) -> int:
    from sohoa.core.db.session import migrate, session_scope
    from sohoa.core.naming import safe_name
    from sohoa.description.review import export_xlsx

    migrate()
    base = (args.base_url or "").rstrip("/")
    with session_scope() as s:
        data, n = export_xlsx(s, args.agency,
                              page_url=lambda pid: f"{base}/sohoa/pages/{pid}/image")
    out = Path(args.out or f"kiem_tra_van_ban_{safe_name(args.agency.upper())}.xlsx")
    out.write_bytes(data)
    print(f"Đã ghi {n} mục chờ kiểm tra của {args.agency.upper()} vào {out}")
    return 0


def cmd_review_import(args) -> int:
    from sohoa.core.db.session import migrate, session_scope
    from sohoa.core.events import current_actor
    from sohoa.core.storage import get_storage
    from sohoa.description.review import import_xlsx

    migrate()
    user = args.user or current_actor().split(":", 1)[-1]
    try:
        with session_scope() as s:
            out = import_xlsx(s, get_storage(), Path(args.file).read_bytes(), user=user)
    except ValueError as exc:
        print(f"Không nhập được: {exc}", file=sys.stderr)
        return 2
    _print(out)
    print(f"Đã xác nhận {out['confirmed']} trường, chấp nhận {out['accepted_pages']} trang; "
          f"{len(out['rejected'])} giá trị bị từ chối (xem lý do ở trên).", file=sys.stderr)
    return 1 if out["rejected"] else 0


def _shared_engine():
    from sohoa.core.config import get_settings

    if get_settings().shared_conn_id:  # through the Postgres provider's hook, as the DAGs
        from sohoa.airflow_glue import shared_engine

        return shared_engine()
    from sohoa.pipeline import shared_engine_from_settings

    return shared_engine_from_settings()


def cmd_shared(args) -> int:
    from sohoa.integration.contract import contract_version, migrate_shared

    engine = _shared_engine()
    revision = migrate_shared(engine)
    print(f"CSDL dùng chung: lược đồ phiên bản {contract_version(engine)} (revision {revision}).")
    return 0


KIND_LABELS = {"file": "Hồ sơ", "document": "Văn bản"}


def cmd_search(args) -> int:
    from sohoa.integration.contract import ensure_contract
    from sohoa.integration.search import search

    try:
        start = date.fromisoformat(args.date_from) if args.date_from else None
        end = date.fromisoformat(args.date_to) if args.date_to else None
    except ValueError:
        print("Ngày phải có dạng YYYY-MM-DD", file=sys.stderr)
        return 2
    engine = ensure_contract(_shared_engine())
    rows = search(engine, args.query, agency=args.agency, doc_type=args.type, date_from=start,
                  date_to=end, level=args.level, limit=args.limit)
    if args.json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False, default=str))
        return 0
    if not rows:
        print("Không tìm thấy kết quả.")
        return 0
    for r in rows:
        ref = r["doc_code"] or r["file_code"]
        extra = " ".join(x for x in (r["doc_type"], r["number_notation"]) if x)
        when = r["start_date"].isoformat() if r["start_date"] else ""
        print(f"{KIND_LABELS[r['kind']]:<8} {ref:<32} {when:<10} {r['creating_agency_code']:<8} "
              f"{extra} {r['title']}".rstrip())
    print(f"{len(rows)} kết quả.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sohoa", description="Số hóa hồ sơ lưu trữ",
        epilog="Long commands (qc, ocr, pipeline) show a progress line on stderr when it is a "
               "terminal; none with --json, --no-progress or SOHOA_PROGRESS=0.")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress line on stderr (also: --json, SOHOA_PROGRESS=0)")
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

    s = sub.add_parser("describe", help="documents (văn bản) and their metadata in PDFs/page images")
    s.add_argument("paths", nargs="+", help="PDFs, page images (in page order) or folders")
    s.add_argument("--json", action="store_true", help="one JSON object per document")
    s.add_argument("--lang", default=None, help="tesseract languages (default: $SOHOA_OCR_LANG or vie)")
    s.set_defaults(func=cmd_describe)

    s = sub.add_parser("pipeline", help="run every phase once, without Airflow")
    s.add_argument("--agency")
    s.add_argument("--file")
    s.add_argument("--json", action="store_true",
                   help="machine use: only the JSON summary, no progress line")
    s.add_argument("--force", action="store_true",
                   help="làm lại (force): redo even what is unchanged")
    s.set_defaults(func=cmd_pipeline)

    s = sub.add_parser("aip", help="build the E-ARK AIPs of integrated files")
    s.add_argument("--agency")
    s.add_argument("--file")
    s.set_defaults(func=cmd_aip)

    s = sub.add_parser("fixity", help="re-hash every stored object, repair from the second copy")
    s.add_argument("--agency", help="one agency's objects (CHUNG: the programme's reports)")
    s.add_argument("--file", help="one file's objects (file code or AGENCY/notation)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--batch", type=int, help="objects per batch (SOHOA_FIXITY_BATCH)")
    s.set_defaults(func=cmd_fixity)

    s = sub.add_parser("restore", help="rebuild a file's originals and PDF/A from its AIP")
    s.add_argument("--file", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("review", help="documents' fields waiting for a person (Excel, bulk)")
    rsub = s.add_subparsers(dest="action", required=True)
    r = rsub.add_parser("export", help="write an agency's pending fields to an Excel sheet")
    r.add_argument("--agency", required=True)
    r.add_argument("--out", help="file to write (default kiem_tra_van_ban_<AGENCY>.xlsx)")
    r.add_argument("--base-url", default="", help="Airflow address for the page-image links, "
                   "e.g. http://127.0.0.1:8080")
    r.set_defaults(func=cmd_review_export)
    r = rsub.add_parser("import", help="apply a filled review sheet (validated, with events)")
    r.add_argument("file")
    r.add_argument("--user", help="reviewer's name when the sheet's column is empty")
    r.set_defaults(func=cmd_review_import)

    s = sub.add_parser("shared", help="the shared database (CSDL dùng chung)")
    s.add_argument("action", choices=["migrate"])
    s.set_defaults(func=cmd_shared)

    s = sub.add_parser("search", help="search the shared database (accent-insensitive)")
    s.add_argument("query", help='words, "a phrase", -excluded, or a number/notation (155/QĐ-UBND)')
    s.add_argument("--agency", help="agency code (includes the agencies merged into it)")
    s.add_argument("--type", help="document type, e.g. 'Quyết định'")
    s.add_argument("--from", dest="date_from", help="from date YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", help="to date YYYY-MM-DD")
    s.add_argument("--level", choices=["public", "restricted", "confidential"], default="public",
                   help="reader level whose records may be shown (default public)")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true", help="one JSON object per result")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("report", help="build the weekly progress report")
    s.add_argument("--as-of")
    s.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.no_progress or getattr(args, "json", False):
        from sohoa.core.progress import set_quiet

        set_quiet(True)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
