"""Tests for the synthetic sample programme (sohoa.sample.generate)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import unicodedata
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sohoa.sample import generate as sample
from sohoa.sample.generate import DEFECTS, INVENTORY_HEADER, generate, safe_name
from sohoa.sample.programme import plan_programme
from sohoa.sample.render import render_page


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample_small")
    return out, generate(out, "small", seed=7)


def _grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32)


# ------------------------------------------------------------------ determinism

def test_same_seed_same_bytes_even_without_pool(small, tmp_path):
    out, manifest = small
    again = generate(tmp_path / "again", "small", seed=7, workers=1)  # serial path
    assert again == manifest
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (out / "manifest.json").read_bytes()
    for rel in ["agencies.csv", "plans.csv"] + [inv["path"] for inv in manifest["inventory"]]:
        assert (tmp_path / "again" / rel).read_bytes() == (out / rel).read_bytes()
    for page in manifest["pages"][::7]:
        assert (tmp_path / "again" / page["path"]).read_bytes() == (out / page["path"]).read_bytes()


def test_different_seed_differs():
    a, b = plan_programme("small", 7), plan_programme("small", 8)
    assert [p["text"] for p in a["manifest"]["pages"]] != [p["text"] for p in b["manifest"]["pages"]]
    assert [f["title"] for f in a["manifest"]["files"]] != [f["title"] for f in b["manifest"]["files"]]
    ja = next(j for j in a["jobs"] if j["defect"] is None and j["dpi"] == 200)
    jb = next(j for j in b["jobs"] if j["defect"] is None and j["dpi"] == 200)
    assert render_page(ja) != render_page(jb)


# ------------------------------------------------------------------ counts and files

def test_small_counts_and_delivery_tree(small):
    out, m = small
    assert len(m["agencies"]) >= 6
    assert 8 <= len(m["files"]) <= 10
    assert 30 <= len(m["pages"]) <= 40
    for f in m["files"]:
        jpgs = sorted(p.name for p in (out / f["delivery_dir"]).glob("*.jpg"))
        assert jpgs == [f"{i:04d}.jpg" for i in range(1, f["delivered_pages"] + 1)]
        assert f["delivery_dir"].endswith("/" + safe_name(f["notation"]))
    # bad rows never have a delivery of their own
    good = {(f["agency"], f["notation"]) for f in m["files"]}
    for r in m["bad_rows"]:
        if r["problem"] != "duplicate_notation":
            assert (r["agency"], r["notation"]) not in good
            assert not (out / "deliveries" / r["agency"] / safe_name(r["notation"])).exists()
    assert {r["problem"] for r in m["bad_rows"]} == set(sample.BAD_ROW_PROBLEMS)
    restricted = [f for f in m["files"] if f["access"] == "Hạn chế"]
    assert len(restricted) >= 2


def test_every_defect_class_is_present_and_real(small):
    out, m = small
    by_defect = {d: [p for p in m["pages"] if p["defect"] == d] for d in DEFECTS}
    assert all(by_defect.values()), {d: len(v) for d, v in by_defect.items()}
    clean = [p for p in m["pages"] if p["defect"] is None]
    assert all(0.5 <= abs(p["rotation_deg"]) <= 1.5 for p in clean)
    assert all(5 <= abs(p["rotation_deg"]) <= 8 for p in by_defect["skewed"])
    assert all(p["dpi"] == 100 for p in by_defect["low_dpi"])
    assert all(p["text"] == "" and p["page"] > 1 for p in by_defect["blank"])

    ref = next(p for p in clean if p["dpi"] == 200 and p["text"].count("\n") > 20)
    ref_img = _grey(out / ref["path"])
    ink = lambda a: float((a < 128).mean())  # noqa: E731
    assert ink(_grey(out / by_defect["blank"][0]["path"])) < 0.0005 < ink(ref_img) / 20

    def sharpness(a):  # mean gradient energy: falls sharply with blur
        return float((np.diff(a, axis=1) ** 2).mean())
    blurred = next(p for p in by_defect["blurred"])
    scale = 200 / blurred["dpi"]
    assert sharpness(_grey(out / blurred["path"])) * scale < sharpness(ref_img) / 3

    # upside down: ink sits low on the page (the header is now at the bottom)
    up = _grey(out / by_defect["upside_down"][0]["path"]) < 128
    rows = np.nonzero(up.any(axis=1))[0]
    assert rows.size and rows.max() > up.shape[0] * 0.85


def test_jpeg_dpi_size_and_mode_match_manifest(small):
    out, m = small
    for p in m["pages"]:
        with Image.open(out / p["path"]) as im:
            assert im.format == "JPEG"
            assert tuple(round(v) for v in im.info["dpi"]) == (p["dpi"], p["dpi"])
            assert im.size == (round(210 / 25.4 * p["dpi"]), round(297 / 25.4 * p["dpi"]))
            assert im.mode == p["mode"]
    dpis = [p["dpi"] for p in m["pages"]]
    assert dpis.count(200) > len(dpis) / 2 and 300 in dpis
    assert Image.open(out / m["pages"][0]["path"]).size in {(1654, 2339), (2480, 3508)}


def test_ground_truth_is_nfc_and_official_layout(small):
    out, m = small
    gt = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert gt["pages"] == m["pages"]
    texts = [p["text"] for p in m["pages"]]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    firsts = [t for t in texts if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in t]
    assert firsts and all("Độc lập - Tự do - Hạnh phúc" in t for t in firsts)
    assert any("QUYẾT ĐỊNH" in t and "Về việc" in t and "Điều 1." in t for t in texts)
    assert any(p["seal"] for p in m["pages"])


# ------------------------------------------------------------------ agencies and plans

def test_agencies_are_the_real_hanoi_registry(small):
    """agencies.csv is the real 2025 reorganisation (vietnamadminunits) + one department;
    the featured agencies are real, with merges, a split and dissolutions."""
    out, m = small
    with open(out / "agencies.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == sample.AGENCY_COLUMNS
    codes = {r["code"]: r for r in rows}
    assert all(re.fullmatch(r"[A-Z0-9]{1,13}", c) for c in codes)
    assert sum(r["level"] == "district" and r["status"] == "dissolved" for r in rows) == 30 + 1
    assert sum(r["level"] == "commune" and r["status"] != "active" for r in rows) == 526
    assert sum(r["level"] == "commune" and r["status"] == "active" for r in rows) == 126
    featured = {inv["agency"] for inv in m["inventory"]}
    assert codes["H002"]["name"] == "UBND quận Hoàn Kiếm" and "H002" in featured
    statuses = {codes[c]["status"] for c in featured}
    assert {"merged", "split", "dissolved"} <= statuses
    for c in featured:
        r = codes[c]
        assert r["effective_date"] == "2025-07-01"
        for succ in r["successor_code"].split(";"):
            assert succ in codes and succ != c
    for r in rows:
        if r["status"] == "active":
            assert r["successor_code"] == ""
    from sohoa.intake.agencies import read_registry_csv

    assert len(read_registry_csv((out / "agencies.csv").read_bytes())) == len(rows)  # loads
    codes = {c: codes[c] for c in featured}

    with open(out / "plans.csv", encoding="utf-8") as fh:
        plans = list(csv.DictReader(fh))
    assert {p["agency_code"] for p in plans} == set(codes)
    for p in plans:
        assert datetime.strptime(p["deadline"], "%Y-%m-%d").year == 2026
        assert int(p["target_files"]) >= 1 and int(p["target_pages"]) >= 10


# ------------------------------------------------------------------ inventory lists

def _read_list(path: Path) -> tuple[list, list[list]]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        return rows[0], rows[1:]
    from openpyxl import load_workbook

    ws = load_workbook(path).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    title = rows[0][0]
    assert title.startswith("DANH MỤC HỒ SƠ")
    assert "A1:L1" in {str(r) for r in ws.merged_cells.ranges}
    return rows[1], [["" if v is None else str(v) for v in r] for r in rows[2:]]


def test_inventory_lists_open_with_header_and_rows(small):
    out, m = small
    formats = [inv["format"] for inv in m["inventory"]]
    assert formats.count("xlsx") >= 3 and formats.count("csv") >= 3
    listed = {}
    for inv in m["inventory"]:
        path = out / inv["path"]
        assert path.parent.name == inv["agency"]
        header, rows = _read_list(path)
        assert header == INVENTORY_HEADER
        assert len(rows) == inv["rows"]
        assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
        for i, r in enumerate(rows, 1):
            listed[(inv["agency"], i)] = r
    xlsx = next(inv for inv in m["inventory"] if inv["format"] == "xlsx")
    from openpyxl import load_workbook
    agency_name = next(a["name"] for a in m["agencies"] if a["code"] == xlsx["agency"])
    assert agency_name.upper() in load_workbook(out / xlsx["path"]).active["A1"].value

    # page count column = delivered pages, except the one short delivery
    short = {(s["agency"], s["notation"]) for s in m["short_deliveries"]}
    assert len(short) == 1
    for f in m["files"]:
        r = listed[(f["agency"], f["row"])]
        assert r[2] == f["notation"] and r[3] == f["title"]
        n_jpg = len(list((out / f["delivery_dir"]).glob("*.jpg")))
        expected = n_jpg + 1 if (f["agency"], f["notation"]) in short else n_jpg
        assert int(r[9]) == expected
        assert r[6] in {"Vĩnh viễn", "70 năm", "50 năm", "20 năm", "10 năm"}
        assert r[7] in {"Công khai", "Hạn chế"}
        start, end = (datetime.strptime(v, "%d/%m/%Y") for v in (r[4], r[5]))
        assert start <= end and len(r[2]) <= 20

    # the labelled bad rows really are bad, in the way the manifest says
    for b in m["bad_rows"]:
        r = listed[(b["agency"], b["row"])]
        if b["problem"] == "empty_title":
            assert r[3].strip() == ""
        elif b["problem"] == "invalid_date":
            with pytest.raises(ValueError):
                datetime.strptime(r[4], "%d/%m/%Y")
        elif b["problem"] == "end_before_start":
            assert datetime.strptime(r[5], "%d/%m/%Y") < datetime.strptime(r[4], "%d/%m/%Y")
        else:
            same = [k for k, v in listed.items() if k[0] == b["agency"] and v[2] == r[2]]
            assert len(same) == 2


def test_safe_name():
    assert safe_name("01/VP") == "01_VP"
    assert safe_name("HS-05") == "HS-05"
    assert safe_name(" Đ.12 / TH ") == "D.12_TH"
    assert "/" not in safe_name("../../etc") and not safe_name("../../etc").startswith(".")
    assert safe_name("///") == "_"


def test_unknown_size_rejected(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, "huge")
    assert not any(tmp_path.iterdir())


def test_rerun_in_same_folder_leaves_no_stale_pages(tmp_path, monkeypatch):
    # pixels are not the point here: stub the renderer (in-process with workers=1)
    def fake_render(args):
        job, out_dir = args
        target = Path(out_dir) / job["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(job["path"].encode())
        return job["path"], "0" * 64

    monkeypatch.setattr(sample, "render_to_disk", fake_render)
    first = generate(tmp_path, "full", seed=1, workers=1)
    stale = tmp_path / "deliveries" / "G01" / "HS-99"
    stale.mkdir(parents=True)
    second = generate(tmp_path, "small", seed=2, workers=1)
    assert not stale.exists()
    on_disk = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "deliveries").rglob("*.jpg"))
    assert on_disk == sorted(p["path"] for p in second["pages"])
    assert first["pages"] != second["pages"]


# ------------------------------------------------------------------ OCR sanity

@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_tesseract_reads_a_clean_page(small):
    import pytesseract

    if "vie" not in pytesseract.get_languages():
        pytest.skip("tesseract-ocr-vie not installed")
    out, m = small
    page = next(p for p in m["pages"] if p["defect"] is None and p["dpi"] == 200
                and p["mode"] == "RGB" and not p["seal"] and "CỘNG HÒA" in p["text"])
    with Image.open(out / page["path"]) as im:  # top 40 %: header, title, first lines
        top = im.crop((0, 0, im.width, int(im.height * 0.4)))
        text = unicodedata.normalize("NFC", pytesseract.image_to_string(top, lang="vie"))
    truth = {w.strip(".,;:()") for w in page["text"].split()}
    ocr = [w.strip(".,;:()") for w in text.split()]
    ocr = [w for w in ocr if len(w) >= 4 and not w.isdigit()]
    hits = [w for w in ocr if w in truth]
    assert len(hits) >= 12 and len(hits) >= 0.7 * len(ocr), (hits, ocr)
    assert any(not w.isascii() for w in hits)  # diacritics survive the round trip
    assert "Độc lập" in text or "Hạnh phúc" in text
