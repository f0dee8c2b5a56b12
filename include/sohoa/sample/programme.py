"""The sample programme on paper: its agencies (from the real registry), plans, inventory
lists with their deliberate mistakes, files, documents and page specs — everything but
the pixels. `plan(size, seed)` is deterministic; sohoa.sample.render draws the pages
and sohoa.sample.generate writes them out."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import date, timedelta
from functools import lru_cache

from sohoa.sample import text as T
from sohoa.core.naming import safe_name
from sohoa.sample.documents import (OTHER_TRUTH, STREETS, document_extras, document_truth, fill_template,
                                    layout_document, map_page, random_person)
from sohoa.sample.typeset import nfc


INVENTORY_HEADER = [
    "STT", "Hộp số", "Số và ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu",
    "Thời gian kết thúc", "Thời hạn bảo quản", "Chế độ sử dụng", "Số lượng tờ",
    "Số lượng trang", "Ngôn ngữ", "Ghi chú",
]
AGENCY_COLUMNS = ["code", "name", "level", "parent_code", "status", "successor_code",
                  "effective_date"]
PLAN_COLUMNS = ["agency_code", "target_files", "target_pages", "deadline"]
DEFECTS = ("blank", "blurred", "skewed", "upside_down", "low_dpi")
BAD_ROW_PROBLEMS = {
    "empty_title": "Thiếu tiêu đề hồ sơ",
    "end_before_start": "Thời gian kết thúc trước thời gian bắt đầu",
    "invalid_date": "Ngày tháng không hợp lệ",
    "duplicate_notation": "Trùng số và ký hiệu hồ sơ",
}
GENERATOR_VERSION = 2  # 2: per-document ground truth, handwriting, marks, appendices, maps

# Per size: good files (with a delivery), pages per file, accepted total page range,
# how many pages carry each labelled defect, share of 300 dpi / greyscale files.
SIZES = {
    "small": {"files": 9, "pages": (3, 5), "total": (30, 40), "per_defect": 1,
              "dpi300": 1, "grey": 1},
    "full": {"files": 48, "pages": (4, 10), "total": (300, 420), "per_defect": 4,
             "dpi300": 6, "grey": 6},
}
_R = T.REAL_CODES  # sample id → real registry code (sohoa.intake.agencies.seed_rows)
XLSX_AGENCIES = {_R["G01"], _R["G01X01"], _R["G02"], _R["G02X01"]}  # the rest submit CSV
# Notation styles per agency, so parsers meet "01", "HS-01" and "01/VP" (needs safe_name).
NOTATION_STYLE = {_R["G01"]: "HS-{:02d}", _R["G02"]: "{:02d}/VP", _R["G02P01"]: "TNMT-{:02d}"}
# Where the deliberately bad inventory rows go: two in XLSX lists, two in CSV lists.
BAD_ROW_PLACES = [(_R["G01"], "invalid_date"), (_R["G02X01"], "end_before_start"),
                  (_R["G01X03"], "empty_title"), (_R["G02X02"], "duplicate_notation")]

# --------------------------------------------------------------------------- planning

def _page_seed(seed: int, *parts) -> int:
    h = hashlib.sha256(("|".join(map(str, (seed,) + parts))).encode()).digest()
    return int.from_bytes(h[:8], "big")


@lru_cache(maxsize=1)
def _registry() -> tuple:
    """The real Hanoi registry (vietnamadminunits) plus the sample's one department."""
    from sohoa.intake.agencies import RegistryRow, seed_rows

    rows = list(seed_rows("Hà Nội"))
    dept = next(a for a in T.AGENCIES if a[0] == "G02P01")
    rows.append(RegistryRow(_R["G02P01"], dept[1], dept[2], _R[dept[3]], dept[4], _R[dept[5]],
                            date.fromisoformat(dept[6])))
    return tuple(rows)


def _registry_records() -> list[dict]:
    return [{"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code or "",
             "status": r.status, "successor_code": ";".join(r.successor_codes),
             "effective_date": r.effective_date.isoformat() if r.effective_date else ""}
            for r in _registry()]


def _agencies():
    """The featured agencies: registry facts (name, status, successors) from the real
    registry, letterhead and place names from the corpus."""
    out = []
    by_code = {a[0]: a for a in T.AGENCIES}
    reg = {r.code: r for r in _registry()}
    for a in T.AGENCIES:
        sid, _name, _level, parent, _status, _succ, _eff, h1, h2, place, unit = a
        r = reg[_R[sid]]
        parent_unit = by_code[parent][10] if parent else ""
        out.append({"code": r.code, "name": r.name, "level": r.level,
                    "parent_code": r.parent_code or "", "status": r.status,
                    "successor_code": ";".join(r.successor_codes),
                    "effective_date": r.effective_date.isoformat() if r.effective_date else "",
                    "hdr1": h1, "hdr2": h2, "place": place, "unit": unit,
                    "parent_unit": parent_unit, "parent_upper": parent_unit.upper()})
    return out


def plan_programme(size: str, seed: int) -> dict:
    """Everything except the pixels: lists, files, page layouts and degradations."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    cfg = SIZES[size]
    rng = random.Random(f"sohoa-sample|{seed}")
    agencies = _agencies()
    codes = [a["code"] for a in agencies]
    ag_by = {a["code"]: a for a in agencies}

    # how many good files each agency has (every agency at least one)
    per_agency = {c: 1 for c in codes}
    for _ in range(cfg["files"] - len(codes)):
        per_agency[rng.choice(codes)] += 1

    # page counts, nudged into the accepted total range
    counts = [rng.randint(*cfg["pages"]) for _ in range(cfg["files"])]
    lo, hi = cfg["total"]
    while sum(counts) < lo:
        counts[rng.randrange(len(counts))] += 1
    while sum(counts) > hi:
        i = rng.randrange(len(counts))
        counts[i] = max(3, counts[i] - 1)

    themes_by_key = {t["key"]: t for t in T.THEMES}
    files = []
    fi = 0
    for code in codes:
        ag = ag_by[code]
        style = NOTATION_STYLE.get(code, "{:02d}")
        allowed = [t for t in T.THEMES if ag["level"] == "district" or not t["district_only"]]
        if code.endswith("P01"):
            allowed = [themes_by_key[k] for k in ("dat_dai", "van_ban_di", "tong_ket", "thi_dua")]
        for j in range(per_agency[code]):
            theme = rng.choice(allowed)
            files.append({"agency": code, "notation": style.format(j + 1), "theme": theme["key"],
                          "pages": counts[fi]})
            fi += 1
    # a couple of restricted files in every size (Chế độ sử dụng = Hạn chế)
    files[0]["theme"] = "dat_dai"
    files[len(files) // 2]["theme"] = "ky_luat"

    for f in files:
        theme = themes_by_key[f["theme"]]
        ag = ag_by[f["agency"]]
        year = rng.randint(2008, 2024)
        start = date(year, rng.randint(1, 6), rng.randint(1, 28))
        end = start + timedelta(days=rng.randint(20, 200))
        ctx = {"unit": ag["unit"], "unit_full": ("Ủy ban nhân dân " + ag["unit"]) if not
               f["agency"].endswith("P01") else ag["unit"] + " huyện Đông Anh",
               "year": year, "year1": year + 1, "person": random_person(rng),
               "street": rng.choice(STREETS[f["agency"]]), "place": ag["place"]}
        f.update(title=fill_template(rng.choice(theme["titles"]), ctx, rng), start=start, end=end,
                 retention=theme["retention"], access=theme["access"],
                 note=rng.choice(T.NOTES), dpi=200, mode="RGB", year=year)

    idx = list(range(len(files)))
    rng.shuffle(idx)
    for i in idx[: cfg["dpi300"]]:
        files[i]["dpi"] = 300
    for i in idx[cfg["dpi300"]: cfg["dpi300"] + cfg["grey"]]:
        files[i]["mode"] = "L"

    # one file delivered one page short of its list
    dup_agencies = {c for c, prob in BAD_ROW_PLACES if prob == "duplicate_notation"}
    short = rng.choice([f for f in files if f["pages"] >= 3 and f["agency"] not in dup_agencies])
    for f in files:
        f["delivered"] = f["pages"] - 1 if f is short else f["pages"]

    # labelled defects on distinct pages; blank pages never open a file
    all_pages = [(fi, p) for fi, f in enumerate(files) for p in range(1, f["delivered"] + 1)]
    rng.shuffle(all_pages)
    defects: dict[tuple, str] = {}
    for d in DEFECTS:
        got = 0
        for key in all_pages:
            if key in defects or (d == "blank" and key[1] == 1):
                continue
            defects[key] = d
            got += 1
            if got == cfg["per_defect"]:
                break

    # page layouts, document by document
    pages = []
    documents: list[dict] = []  # per-document ground truth (issue 13)
    drng = random.Random(f"sohoa-sample-documents|{seed}")
    for fi, f in enumerate(files):
        ag = dict(ag_by[f["agency"]])
        theme = themes_by_key[f["theme"]]
        numbers = iter(sorted(rng.sample(range(5, 480), 12)))
        p = 1
        issued = f["start"]
        file_docs: list[dict] = []
        if f["delivered"] >= 3 and drng.random() < 0.12:  # a site map opens the file
            pages.append((fi, 1, (map_page(drng), "Khác")))
            file_docs.append({**OTHER_TRUTH, "page_from": 1, "page_to": 1})
            p = 2
        while p <= f["delivered"]:
            if defects.get((fi, p)) == "blank":
                pages.append((fi, p, None))
                if file_docs:  # a blank (back) page belongs to the document before it
                    file_docs[-1]["page_to"] = p
                p += 1
                continue
            run = 0
            while p + run <= f["delivered"] and defects.get((fi, p + run)) != "blank" and run < 3:
                run += 1
            n = min(run, rng.choice([1, 1, 2, 2, 3]))
            doc_type = rng.choice(["QĐ", "CV", "BC", "TB", "TTr", "KH"])
            if ag["code"].endswith("P01") and doc_type == "QĐ":
                doc_type = "BC"
            span = max(1, (f["end"] - issued).days)
            issued = issued + timedelta(days=rng.randint(0, min(span, 40)))
            if issued > f["end"]:
                issued = f["end"]
            number = next(numbers, 490)
            extras = document_extras(drng, doc_type, n, _page_seed(seed, "hand", f["agency"], f["notation"], p))
            lays = layout_document(rng, ag, theme, doc_type, n, issued, number, extras=extras)
            for k, lay in enumerate(lays):
                pages.append((fi, p + k, (lay, doc_type)))
            file_docs.append({**document_truth(ag, doc_type, number, issued, extras, lays[0]),
                              "page_from": p, "page_to": p + n - 1})
            p += n
        for i, d in enumerate(file_docs, 1):
            documents.append({"agency": f["agency"], "notation": f["notation"], "ordinal": i,
                              **{k: d[k] for k in ("page_from", "page_to")},
                              **{k: v for k, v in d.items() if k not in ("page_from", "page_to")}})

    jobs, page_records = [], []
    for fi, p, item in pages:
        f = files[fi]
        defect = defects.get((fi, p))
        dpi = 100 if defect == "low_dpi" else f["dpi"]
        prng = random.Random(_page_seed(seed, f["agency"], f["notation"], p))
        if defect == "skewed":
            angle = prng.uniform(5, 8) * prng.choice([-1, 1])
        else:
            angle = prng.uniform(0.5, 1.5) * prng.choice([-1, 1])
        rel = f"deliveries/{f['agency']}/{safe_name(f['notation'])}/{p:04d}.jpg"
        lay, doc_type = item if item else (None, None)
        tint = (prng.randint(236, 250), prng.randint(230, 244), prng.randint(212, 232))
        job = {
            "path": rel, "dpi": dpi, "defect": defect, "mode": f["mode"],
            "angle": round(angle, 3), "seed": _page_seed(seed, "px", f["agency"], f["notation"], p),
            "tint": tint, "blur": round(prng.uniform(0.18, 0.32), 3),
            "quality": 85,
            "lines": lay.lines if lay else [], "rules": lay.rules if lay else [],
            "signature": lay.signature if lay else None, "seal": lay.seal if lay else None,
            "scribbles": lay.scribbles if lay else [],
        }
        jobs.append(job)
        page_records.append({
            "agency": f["agency"], "notation": f["notation"], "page": p, "path": rel, "dpi": dpi,
            "defect": defect, "mode": f["mode"], "rotation_deg": job["angle"] if defect != "upside_down"
            else round(job["angle"] + 180, 3),
            "doc_type": doc_type, "seal": bool(lay and lay.seal),
            "text": nfc(lay.text()) if lay else "",
        })

    # inventory lists: good rows + the deliberately bad rows, renumbered per agency
    lists: dict[str, list[dict]] = {c: [] for c in codes}
    for f in files:
        # a file with a blank (back) page was scanned double-sided: fewer sheets than pages
        two_sided = any(defects.get((fi2, p)) == "blank" for fi2, g in enumerate(files) if g is f
                        for p in range(1, f["delivered"] + 1))
        sheets = math.ceil(f["pages"] / 2) if two_sided else f["pages"]
        lists[f["agency"]].append({
            "notation": f["notation"], "title": f["title"], "start": f["start"].strftime("%d/%m/%Y"),
            "end": f["end"].strftime("%d/%m/%Y"), "retention": f["retention"], "access": f["access"],
            "sheets": sheets, "pages": f["pages"], "note": f["note"], "_file": f})
    bad_rows = []
    for code, problem in BAD_ROW_PLACES:
        ag = ag_by[code]
        rows = lists[code]
        year = 2020 if problem == "invalid_date" else rng.randint(2010, 2022)
        theme = rng.choice([t for t in T.THEMES if ag["level"] == "district" or not t["district_only"]])
        ctx = {"unit": ag["unit"], "unit_full": "Ủy ban nhân dân " + ag["unit"], "year": year,
               "year1": year + 1, "person": random_person(rng), "street": rng.choice(STREETS[code]),
               "place": ag["place"]}
        pages_n = rng.randint(3, 8)
        row = {"notation": NOTATION_STYLE.get(code, "{:02d}").format(len(rows) + 1),
               "title": fill_template(theme["titles"][0], ctx, rng),
               "start": f"{rng.randint(1, 28):02d}/{rng.randint(1, 6):02d}/{year}",
               "end": f"{rng.randint(1, 28):02d}/{rng.randint(7, 12):02d}/{year}",
               "retention": theme["retention"], "access": theme["access"], "sheets": pages_n,
               "pages": pages_n, "note": "", "_file": None}
        value = ""
        if problem == "empty_title":
            row["title"] = ""
            field = "Tiêu đề hồ sơ"
        elif problem == "end_before_start":
            row["start"], row["end"] = f"10/09/{year}", f"15/03/{year}"
            field, value = "Thời gian kết thúc", row["end"]
        elif problem == "invalid_date":
            row["start"], row["end"] = "31/02/2020", "15/12/2020"
            field, value = "Thời gian bắt đầu", "31/02/2020"
        else:
            row["notation"] = rows[0]["notation"]
            field, value = "Số và ký hiệu hồ sơ", row["notation"]
        pos = rng.randint(1, len(rows))  # never first: a duplicate must follow its original
        rows.insert(pos, row)
        row["_bad"] = {"agency": code, "problem": problem, "field": field, "value": value,
                       "message": BAD_ROW_PROBLEMS[problem]}
    inventory, file_records = [], []
    for code in codes:
        ext = "xlsx" if code in XLSX_AGENCIES else "csv"
        rel = f"intake/{code}/danh_muc_{code.lower()}.{ext}"
        for i, row in enumerate(lists[code], start=1):
            row["stt"], row["box"] = i, (i - 1) // 2 + 1
            if row.get("_bad"):
                bad_rows.append({**row["_bad"], "row": i, "notation": row["notation"], "list": rel})
            else:
                f = row["_file"]
                file_records.append({
                    "agency": code, "notation": f["notation"], "safe_name": safe_name(f["notation"]),
                    "row": i, "list": rel, "box": row["box"], "title": f["title"],
                    "start_date": row["start"], "end_date": row["end"], "retention": f["retention"],
                    "access": f["access"], "listed_pages": f["pages"], "delivered_pages": f["delivered"],
                    "dpi": f["dpi"], "mode": f["mode"],
                    "delivery_dir": f"deliveries/{code}/{safe_name(f['notation'])}"})
        inventory.append({"agency": code, "path": rel, "format": ext, "rows": len(lists[code]),
                          "header_row": 2 if ext == "xlsx" else 1})
    for r in bad_rows:
        if r["problem"] == "duplicate_notation":
            first = next(x for x in lists[r["agency"]] if x["notation"] == r["notation"])
            r["message"] += f" (trùng với dòng {first['stt']})"

    plans = []
    deadlines = ["2026-06-30", "2026-09-30", "2026-12-31"]
    for a in agencies:
        rows = lists[a["code"]]
        pages_sum = sum(r["pages"] for r in rows)
        plans.append({"agency_code": a["code"], "target_files": len(rows) + rng.randint(0, 2),
                      "target_pages": int(math.ceil((pages_sum + rng.randint(0, 20)) / 10) * 10),
                      "deadline": "2026-03-31" if a["status"] != "active" else rng.choice(deadlines)})

    short_rec = [{"agency": short["agency"], "notation": short["notation"],
                  "listed_pages": short["pages"], "delivered_pages": short["delivered"],
                  "missing_page": short["pages"]}]
    agencies_out = _registry_records()  # the whole real registry; lists for the featured ones
    manifest = {
        "generator": "sohoa.sample", "version": GENERATOR_VERSION, "size": size, "seed": seed,
        "agencies": agencies_out, "plans": plans, "inventory": inventory, "files": file_records,
        "pages": page_records, "documents": documents, "bad_rows": bad_rows,
        "short_deliveries": short_rec,
        "counts": {"agencies": len(agencies_out), "files": len(file_records),
                   "inventory_rows": sum(len(v) for v in lists.values()),
                   "pages": len(page_records), "documents": len(documents),
                   "defects": {d: sum(1 for p in page_records if p["defect"] == d) for d in DEFECTS}},
    }
    return {"manifest": manifest, "jobs": jobs, "lists": lists, "ag_by": ag_by}
