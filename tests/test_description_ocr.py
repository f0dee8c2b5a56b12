"""`sohoa describe` end to end: pages rendered by the sample generator, real tesseract."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date

import pytest

from sohoa import cli
from sohoa.sample.documents import layout_document
from sohoa.sample.render import render_page
from sohoa.sample import text as T

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

AGENCY = {"code": "H002", "level": "district", "hdr1": "ỦY BAN NHÂN DÂN", "hdr2": "QUẬN HOÀN KIẾM",
          "place": "Hoàn Kiếm", "unit": "quận Hoàn Kiếm", "parent_unit": "", "parent_upper": ""}


def _render(tmp_path, name, doc_type, number, issued, extras, seed):
    rng = random.Random(seed)
    theme = next(t for t in T.THEMES if t["key"] == "thi_dua")
    [page] = layout_document(rng, AGENCY, theme, doc_type, 1, issued, number, extras=extras)
    job = {"path": name, "dpi": 200, "defect": None, "mode": "RGB", "angle": 0.4, "seed": seed,
           "tint": (246, 242, 228), "blur": 0.2, "quality": 85, "lines": page.lines,
           "rules": page.rules, "signature": page.signature, "seal": None,
           "scribbles": page.scribbles}
    render_page(job, str(tmp_path))
    return tmp_path / name, page


def test_describe_two_documents_with_a_handwritten_number(tmp_path, capsys):
    qd, qd_page = _render(tmp_path, "p0001.jpg", "QĐ", 155, date(2025, 6, 5),
                          {"seed": 3, "hand_number": True}, seed=1)
    cv, cv_page = _render(tmp_path, "p0002.jpg", "CV", 42, date(2025, 7, 14), {"seed": 4}, seed=2)
    assert qd_page.scribbles and not cv_page.scribbles  # the number 155 is pen strokes only
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")

    assert cli.main(["describe", "--json", str(qd), str(cv), str(bad)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    docs, errors = rows[:-1], rows[-1:]
    assert [(d["ordinal"], d["page_from"], d["page_to"]) for d in docs] == [(1, 1, 1), (2, 2, 2)]
    assert all(set(d) == {"file", *cli_keys()} for d in docs)
    qd_doc, cv_doc = docs
    assert qd_doc["type_name"] == "Quyết định" and qd_doc["code_notation"] == "QĐ-UBND"
    assert qd_doc["code_number"] is None and "code_number" in qd_doc["review"]  # never guessed
    assert qd_doc["issued_date"] == "2025-06-05"
    assert qd_doc["organ_name"] == "Ủy ban nhân dân quận Hoàn Kiếm"
    assert cv_doc["type_name"] == "Công văn" and cv_doc["code_number"] == "42"
    assert cv_doc["code_notation"] == "UBND-VP" and cv_doc["subject"].startswith("V/v ")
    assert cv_doc["issued_date"] == "2025-07-14" and cv_doc["signer"] == cv_page.meta["signer"]
    assert 0.5 < cv_doc["confidence"]["code_number"] <= 1.0
    assert errors[0]["file"] == str(bad) and errors[0]["error"]


def cli_keys():
    from sohoa.description.extract import JSON_KEYS

    return JSON_KEYS
