"""Synthetic sample programme: agencies, plans, inventory lists and scan deliveries.

`generate(out_dir, size, seed)` writes a complete, deterministic demo/test data set
and returns its manifest, which is also the ground truth later phases are checked
against:

    out_dir/agencies.csv, plans.csv
    out_dir/intake/<AGENCY>/danh_muc_<agency>.xlsx|.csv
    out_dir/deliveries/<AGENCY>/<safe_name(notation)>/0001.jpg ...
    out_dir/manifest.json       everything below
    out_dir/ground_truth.json   pages (text, dpi, defect), documents, bad rows, short deliveries

Manifest page records: agency, notation, page, path (relative, POSIX), dpi, mode
("RGB"/"L"), defect (None or one of DEFECTS), rotation_deg (counter-clockwise, 180 added
for upside_down), doc_type, seal, sha256 and text. `text` is the typed text in reading
order (left header column, right header column, then top to bottom; "Nơi nhận" before
the signer block), NFC, lines joined with "\n"; seal and signature are graphics, not
text; a blank page has "".

Manifest document records (issue 13: what description must read), one per document in
file order: agency, notation, ordinal, page_from, page_to, type_name, code_number,
code_notation, issued_date (ISO or None), issued_year, issued_month, organ_name, subject,
signer, signer_title, secrecy, urgency, handwritten (fields written by hand: their value
is None, as a person confirming the print reads it), appendix. A file may open with a
site map without header (type "Khác"); a blank back page belongs to the document before it.

Page layout is computed once in points (1/72 in) so the ground-truth line breaks do
not depend on the dpi a page is rendered at; rendering (Pillow text + OpenCV blur,
rotation and JPEG encoding) runs in a spawn process pool. No Airflow import here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sohoa.sample import text as T
from sohoa.core.naming import safe_name  # noqa: F401 - re-exported: one rule for folder names

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
STREETS = {_R[k]: v for k, v in T.STREETS.items()}

# A4 geometry in points; margins follow NĐ 30/2020 (top/bottom 20 mm, left 30, right 15).
PAGE_W, PAGE_H = 595.28, 841.89
MM = 72 / 25.4
LM, RM = 30 * MM, PAGE_W - 15 * MM
TOP, BOTTOM = 20 * MM, PAGE_H - 20 * MM
BODY = 14.0  # pt: body text size (13–14 pt is what OCR is tuned for)
LEAD = 1.3
SIG_H = 140.0

_FONT_FILES = {
    "liberation": {"R": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf",
                   "I": "LiberationSerif-Italic.ttf", "BI": "LiberationSerif-BoldItalic.ttf"},
    "dejavu": {"R": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf",
               "I": "DejaVuSerif-Italic.ttf", "BI": "DejaVuSerif-BoldItalic.ttf"},
}
_FONT_DIRS = {"liberation": "/usr/share/fonts/truetype/liberation2",
              "dejavu": "/usr/share/fonts/truetype/dejavu"}


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------- fonts

@lru_cache(maxsize=None)
def _font_paths() -> dict[str, str]:
    for family in ("liberation", "dejavu"):
        paths = {k: os.path.join(_FONT_DIRS[family], f) for k, f in _FONT_FILES[family].items()}
        if all(os.path.exists(p) for p in paths.values()):
            return paths
    raise RuntimeError("Không tìm thấy phông chữ có đủ dấu tiếng Việt (Liberation Serif / DejaVu Serif)")


@lru_cache(maxsize=256)
def _font(key: str, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(_font_paths()[key], px, layout_engine=ImageFont.Layout.BASIC)


_MEASURE = 8  # measure at 8 px per pt so widths in pt are precise


@lru_cache(maxsize=200_000)
def _width(text: str, key: str, size: float) -> float:
    return _font(key, round(size * _MEASURE)).getlength(text) / _MEASURE


def _wrap(text: str, key: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    words = text.split()
    space = _width(" ", key, size)
    lines, cur, cur_w = [], [], 0.0
    for w in words:
        ww = _width(w, key, size)
        limit = width - (indent if not lines else 0.0)
        if cur and cur_w + space + ww > limit:
            lines.append(" ".join(cur))
            cur, cur_w = [w], ww
        else:
            cur_w = cur_w + space + ww if cur else ww
            cur.append(w)
    if cur:
        lines.append(" ".join(cur))
    return lines


# --------------------------------------------------------------------------- layout

class _Page:
    """Positioned lines in points; lines are kept in reading order (= ground truth)."""

    def __init__(self):
        self.lines: list[tuple] = []  # (text, font, size, x0, x1, y_top, align)
        self.rules: list[tuple] = []  # (x0, x1, y, width)
        self.signature: list[tuple] | None = None
        self.seal: dict | None = None
        self.scribbles: list[list[tuple]] = []  # handwriting (blue pen strokes), not text
        self.meta: dict = {}  # what the page shows that ground truth needs (subject, signer)
        self.y = TOP

    def line(self, text, key, size, x0, x1, align, y=None):
        self.lines.append((text, key, size, x0, x1, self.y if y is None else y, align))

    def centered(self, text, key, size, x0=LM, x1=RM, lead=LEAD):
        for ln in _wrap(text, key, size, x1 - x0):
            self.line(ln, key, size, x0, x1, "c")
            self.y += size * lead

    def text(self) -> str:
        return "\n".join(ln[0] for ln in self.lines)


def _para_lines(text, key, size=BODY, indent=36.0, x0=LM, x1=RM, align="j"):
    """Wrapped paragraph as placeable lines (x0 already includes the first-line indent)."""
    out = []
    wrapped = _wrap(text, key, size, x1 - x0, indent)
    for i, ln in enumerate(wrapped):
        a = align if (align != "j" or i < len(wrapped) - 1) else "l"
        out.append((ln, key, size, x0 + (indent if i == 0 else 0.0), x1, a))
    return out


def _place(page: _Page, lines, limit: float):
    """Place as many lines as fit above `limit`; return the rest."""
    for i, (ln, key, size, x0, x1, a) in enumerate(lines):
        if page.y + size * LEAD > limit:
            return lines[i:]
        page.line(ln, key, size, x0, x1, a)
        page.y += size * LEAD
    page.y += 4
    return []


def _vn_date(d: date, place: str) -> str:
    return f"{place}, ngày {d.day} tháng {d.month} năm {d.year}"


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _person(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(T.SURNAMES)} {rng.choice(T.MIDDLE_M)} {rng.choice(T.GIVEN_M)}"
    return f"{rng.choice(T.SURNAMES)} {rng.choice(T.MIDDLE_F)} {rng.choice(T.GIVEN_F)}"


def _fill(template: str, ctx: dict, rng: random.Random) -> str:
    year = ctx["year"]
    d = date(year, rng.randint(1, 12), rng.randint(1, 28))
    values = dict(ctx)
    values.update(
        n=rng.randint(12, 480), n2=rng.randint(3, 45), area=f"{rng.randint(40, 320)},{rng.randint(1, 9)}",
        pct=rng.randint(86, 99), pct2=rng.randint(5, 15), q=rng.choice(["I", "II", "III", "IV"]),
        m=rng.randint(1, 12), floors=rng.randint(2, 6), date=f"{d.day:02d}/{d.month:02d}/{d.year}",
        money=_thousands(rng.randint(8_000, 95_000)), money2=_thousands(rng.randint(7_000, 90_000)),
        year0=year - rng.randint(10, 30), year1=year + 1,
    )
    return _nfc(template.format(**values))


def _sentences(rng, theme, ctx, k):
    # deal from a shuffled deck so a document does not repeat a sentence until it runs out
    out = []
    for _ in range(k):
        if not ctx.get("_deck"):
            ctx["_deck"] = theme["sentences"] + T.GENERIC
            rng.shuffle(ctx["_deck"])
        out.append(_fill(ctx["_deck"].pop(), ctx, rng))
    return " ".join(out)


_HEADINGS = ["I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "III. NHIỆM VỤ, GIẢI PHÁP",
             "IV. TỔ CHỨC THỰC HIỆN", "V. KIẾN NGHỊ, ĐỀ XUẤT"]


def _body_stream(rng, doc_type, theme, ctx):
    """Endless paragraphs for a document body: yields placeable line lists."""
    if doc_type == "QĐ":
        k = 1
        while True:
            yield _para_lines(f"Điều {k}. " + _sentences(rng, theme, ctx, rng.randint(1, 2)), "R")
            for j in range(rng.randint(0, 2)):
                yield _para_lines(f"{'abc'[j]}) " + _sentences(rng, theme, ctx, 1), "R")
            k += 1
    heading = 0
    n = 0
    while True:
        if doc_type in ("BC", "KH") and n % 3 == 0 and heading < len(_HEADINGS):
            yield _para_lines(_HEADINGS[heading], "B", indent=36.0, align="l")
            heading += 1
        yield _para_lines(_sentences(rng, theme, ctx, rng.randint(2, 3)), "R")
        n += 1


def _header(page: _Page, ag, doc_type, number, issued, subject, place, extras=None):
    extras = extras or {}
    lx0, lx1, rx0, rx1 = LM - 25, LM + 185, LM + 165, RM + 10
    y0 = page.y
    line1, line2 = ag["hdr1"], ag["hdr2"]
    page.line(line1, "R", 13, lx0, lx1, "c")
    page.y += 17
    page.centered(line2, "B", 13, lx0, lx1)
    mid = (lx0 + lx1) / 2
    page.rules.append((mid - 32, mid + 32, page.y + 1, 0.8))
    page.y += 8
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    code = f"{number}/{abbr}-{unit}" if abbr else f"{number}/{unit}"
    if ag["level"] == "district" and not abbr and unit == "UBND":
        code += "-VP"
    if extras.get("hand_number"):
        _handwritten_gap(page, "Số: ", " " * 10, "/" + code.split("/", 1)[1], str(number),
                         "R", 13, lx0, lx1, extras["seed"])
    else:
        page.line(f"Số: {code}", "R", 13, lx0, lx1, "c")
    page.y += 18
    if extras.get("mark"):
        page.line(extras["mark"], "B", 13, lx0, lx1, "c")
        page.y += 18
    if doc_type == "CV":
        page.centered(subject, "R", 12, lx0 + 10, lx1 - 10, lead=1.25)
    left_end = page.y
    page.y = y0
    page.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "B", 12.5, rx0, rx1, "c")
    page.y += 17
    motto = "Độc lập - Tự do - Hạnh phúc"
    page.line(motto, "B", 13.5, rx0, rx1, "c")
    page.y += 17
    half = _width(motto, "B", 13.5) / 2
    rmid = (rx0 + rx1) / 2
    page.rules.append((rmid - half, rmid + half, page.y + 1, 0.8))
    page.y += 12
    if extras.get("hand_day"):
        _handwritten_gap(page, f"{place}, ngày ", " " * 6, f" tháng {issued.month} năm {issued.year}",
                         str(issued.day), "I", 13.5, rx0, rx1, extras["seed"] + 1)
    else:
        page.line(_vn_date(issued, place), "I", 13.5, rx0, rx1, "c")
    page.y = max(left_end, page.y + 18) + 16


def _signature_block(page: _Page, rng, ag, doc_type, seal: bool, article: int):
    y = page.y + 6
    # Nơi nhận (left) first: reading order left to right.
    page.y = y
    page.line("Nơi nhận:", "BI", 12, LM, LM + 200, "l")
    page.y += 15
    superior = f"- UBND {ag['parent_unit']};" if ag["parent_unit"] else "- UBND thành phố Hà Nội;"
    first = f"- Như Điều {article};" if doc_type == "QĐ" else "- Như trên;"
    for ln in (first, superior, "- Lưu: VT."):
        page.line(ln, "R", 11, LM, LM + 200, "l")
        page.y += 14
    page.y = y
    x0, x1 = LM + 200, RM
    if ag["code"].endswith("P01"):
        roles = ["TRƯỞNG PHÒNG"]
    elif rng.random() < 0.6:
        roles = ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    else:
        roles = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    for r in roles:
        page.line(r, "B", 13, x0, x1, "c")
        page.y += 17
    cx, cy = (x0 + x1) / 2, page.y + 34
    # a cursive flourish: a drifting line with loops (sum of sines)
    f1, f2, ph = rng.uniform(2.5, 4.5), rng.uniform(1.5, 3.5), rng.uniform(0, 6.28)
    amp_x, amp_y = rng.uniform(5, 10), rng.uniform(8, 14)
    pts = []
    for i in range(72):
        t = i / 71
        x = cx - 50 + 100 * t + amp_x * math.sin(2 * math.pi * f1 * t)
        y = cy + amp_y * math.cos(2 * math.pi * f1 * t + ph) * (1 - 0.5 * t) + 6 * math.sin(2 * math.pi * f2 * t)
        pts.append((round(x, 2), round(y, 2)))
    page.signature = pts
    ring_place = ag["parent_upper"] or "TP. HÀ NỘI"
    if seal:
        page.seal = {"cx": round(cx - 40 + rng.uniform(-6, 6), 2), "cy": round(cy - 6, 2), "r": 52.0,
                     "ring": f"{ag['hdr1']} {ag['hdr2']} * {ring_place} * ",
                     "angle": round(rng.uniform(0, 360), 1)}
    page.y += 78
    name = _person(rng)
    page.line(name, "B", 14, x0, x1, "c")
    page.y += 20
    page.meta.update(signer=name, signer_title=T.SIGNER_ROLES[tuple(roles)])


# --------------------------------------------------------------------------- documents
# Issue 13: what makes a file's documents worth describing — numbers and days written by
# hand, confidentiality/urgency marks, appendices, header-less pages (maps) — and the
# per-document ground truth (``_document_truth``).

def _hand_strokes(text: str, x: float, y_top: float, size: float, seed: int) -> list[list[tuple]]:
    """Pen strokes (pt) writing ``text``'s digits by hand from (x, y_top), ``size`` tall."""
    r = random.Random(seed)
    out, cx = [], x
    slant = r.uniform(0.12, 0.25)
    for ch in text:
        glyph = T.HAND_DIGITS.get(ch)
        if glyph is None:
            cx += size * 0.5
            continue
        w = size * r.uniform(0.5, 0.62)
        y0 = y_top + r.uniform(-1.5, 1.5)
        pts = [(round(cx + gx * w + (1 - gy) * size * slant + r.uniform(-0.6, 0.6), 2),
                round(y0 + gy * size + r.uniform(-0.6, 0.6), 2)) for gx, gy in glyph]
        out.append(pts)
        cx += w + size * r.uniform(0.1, 0.2)
    return out


def _handwritten_gap(page: _Page, before: str, gap: str, after: str, value: str,
                     key: str, size: float, x0: float, x1: float, seed: int) -> None:
    """A printed line with a blank left for a handwritten value (number, day): the print
    goes in the text (ground truth), the value only as pen strokes over the gap."""
    text = before + gap + after
    page.line(text, key, size, x0, x1, "c")
    start = (x0 + x1) / 2 - _width(text, key, size) / 2
    gx = start + _width(before, key, size) + 2
    page.scribbles.extend(_hand_strokes(value, gx, page.y + size * 0.05, size * 0.95, seed))


def _document_extras(drng: random.Random, doc_type: str, n_pages: int, seed: int) -> dict:
    """What one document carries beyond its print, drawn from its own random stream (so
    the file-level sample stays as it was): handwriting, marks, an appendix page."""
    x = {"seed": seed, "hand_number": drng.random() < 0.15, "hand_day": drng.random() < 0.2,
         "mark": None, "appendix": False}
    u = drng.random()
    if u < 0.06:
        x["mark"] = drng.choice(T.SECRECY_MARKS)
    elif u < 0.14:
        x["mark"] = drng.choice(T.URGENCY_MARKS)
    if doc_type in T.APPENDIX_TITLES and n_pages >= 2 and drng.random() < 0.45:
        x["appendix"] = True
    return x


def _appendix_page(rng, ag, doc_type, number, issued, extras, page_no) -> _Page:
    """An appendix (phụ lục): belongs to the document it is attached to; no header."""
    page = _Page()
    title = T.DOC_TYPES[doc_type][0]
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    shown = "     " if extras.get("hand_number") else str(number)
    page.centered("Phụ lục", "B", BODY)
    page.centered(T.APPENDIX_TITLES[doc_type], "B", BODY)
    issuer = ("Ủy ban nhân dân " + ag["unit"]) if not ag["code"].endswith("P01") else ag["unit"]
    day = "   " if extras.get("hand_day") else f"{issued.day:02d}"
    page.centered(f"(Kèm theo {title.capitalize()} số {shown}/{abbr}-{unit} ngày {day}/"
                  f"{issued.month:02d}/{issued.year} của {issuer})", "I", 13, LM + 20, RM - 20)
    page.y += 10
    rows = list(T.APPENDIX_ROWS)
    rng.shuffle(rows)
    page.line("STT   Đơn vị                                        Nội dung, số lượng", "B", 13, LM, RM, "l")
    page.y += 20
    for i, row in enumerate(rows[: rng.randint(6, 10)], 1):
        page.line(f"{i}.   {row}", "R", 13, LM, LM + 260, "l")
        page.line(f"{rng.randint(2, 60)} hồ sơ", "R", 13, LM + 300, RM, "l")
        page.y += 20
    page.meta["appendix"] = True
    return page


def _map_page(drng: random.Random) -> _Page:
    """A site map (sơ đồ) with no document header: a file part of type "Khác"."""
    page = _Page()
    page.centered(drng.choice(T.MAP_TITLES), "B", 15)
    page.centered("Tỷ lệ 1:500", "I", 12)
    x0, x1, y0, y1 = LM + 10, RM - 10, page.y + 20, BOTTOM - 80
    for a, b, y in ((x0, x1, y0), (x0, x1, y1)):
        page.rules.append((a, b, y, 1.2))
    for _ in range(drng.randint(8, 14)):
        y = drng.uniform(y0 + 10, y1 - 10)
        a = drng.uniform(x0, x1 - 120)
        page.rules.append((a, a + drng.uniform(60, 200), y, 0.8))
    page.y = y1 + 12
    page.line(f"Thửa đất số {drng.randint(10, 400)}, tờ bản đồ số {drng.randint(1, 40)}",
              "R", 12, LM, RM, "l")
    page.meta["map"] = True
    return page


def _document_truth(ag: dict, doc_type: str, number: int, issued: date, extras: dict,
                    first: _Page) -> dict:
    """Ground truth of one document as a person reads it: a handwritten number or day is
    not read (null), the issuing organ is the full name, the subject as printed."""
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    notation = f"{abbr}-{unit}" if abbr else unit
    if ag["level"] == "district" and not abbr and unit == "UBND":
        notation += "-VP"
    organ = (("Ủy ban nhân dân " + ag["unit"]) if not ag["code"].endswith("P01")
             else ag["unit"] + " huyện Đông Anh")
    mark = extras.get("mark")
    return {
        "type_name": T.DOC_TYPE_NAMES[doc_type],
        "code_number": None if extras.get("hand_number") else str(number),
        "code_notation": notation,
        "issued_date": None if extras.get("hand_day") else issued.isoformat(),
        "issued_year": issued.year, "issued_month": issued.month,
        "organ_name": organ, "subject": first.meta.get("subject"),
        "signer": first.meta.get("signer"), "signer_title": first.meta.get("signer_title"),
        "secrecy": mark if mark in T.SECRECY_MARKS else None,
        "urgency": mark if mark in T.URGENCY_MARKS else None,
        "handwritten": [k for k, f in (("code_number", "hand_number"), ("issued_date", "hand_day"))
                        if extras.get(f)],
        "appendix": bool(extras.get("appendix")),
    }


OTHER_TRUTH = {"type_name": "Khác", "code_number": None, "code_notation": None,
               "issued_date": None, "issued_year": None, "issued_month": None,
               "organ_name": None, "subject": None, "signer": None, "signer_title": None,
               "secrecy": None, "urgency": None, "handwritten": [], "appendix": False}


def _layout_document(rng, ag, theme, doc_type, n_pages, issued, number, page_offset=0, extras=None):
    """Lay out one document over exactly n_pages pages; returns the pages. ``extras``
    (see ``_document_extras``): handwritten number/day, a mark, an appendix page."""
    extras = extras or {}
    appendix = bool(extras.get("appendix")) and n_pages >= 2
    if appendix:
        n_pages -= 1
    ctx = {"unit": ag["unit"], "unit_full": "Ủy ban nhân dân " + ag["unit"]
           if not ag["code"].endswith("P01") else ag["unit"] + " huyện Đông Anh",
           "place": ag["place"], "year": issued.year, "person": _person(rng),
           "street": rng.choice(STREETS[ag["code"]])}
    subject = _fill(rng.choice(theme["subjects"]), ctx, rng)
    if doc_type == "CV" and not subject.startswith("V/v"):
        subject = "V/v " + subject.removeprefix("Về việc ")
    if doc_type != "CV" and subject.startswith("V/v"):
        subject = "Về việc " + subject[4:]
    pages = []
    page = _Page()
    _header(page, ag, doc_type, number, issued, subject, ag["place"], extras)
    page.meta["subject"] = subject
    title = T.DOC_TYPES[doc_type][0]
    if title:
        page.centered(title, "B", 14)
        page.centered(subject, "B", 14, LM + 50, RM - 50)
        mid = (LM + RM) / 2
        page.rules.append((mid - 55, mid + 55, page.y + 2, 0.8))
        page.y += 14
    else:
        page.y += 4
        page.centered("Kính gửi: " + rng.choice(["Các bộ phận chuyên môn", "Các tổ dân phố",
                                                   "Các đơn vị trực thuộc"]), "R", BODY)
        page.y += 6
    if doc_type == "QĐ":
        authority = ("TRƯỞNG PHÒNG " + ag["hdr2"].removeprefix("PHÒNG ") if ag["code"].endswith("P01")
                     else "CHỦ TỊCH ỦY BAN NHÂN DÂN " + ag["hdr2"])
        page.centered(authority, "B", BODY)
        page.y += 4
        for b in (T.BASES[0], T.BASES[T.THEME_BASE.get(theme["key"], 1)]):
            _place(page, _para_lines(_nfc(b), "I"), BOTTOM)
        proposer = ("Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân " + ag["unit"]
                    if ag["level"] == "district" else "công chức Văn phòng - Thống kê")
        _place(page, _para_lines(f"Xét đề nghị của {proposer},", "I"), BOTTOM)
        page.centered("QUYẾT ĐỊNH:", "B", BODY)
        page.y += 4
    stream = _body_stream(rng, doc_type, theme, ctx)
    article = 0  # last "Điều k." actually placed; the closing article is k + 1

    def put(lines, limit):
        nonlocal article
        m = re.match(r"Điều (\d+)\.", lines[0][0])
        rest = _place(page, lines, limit)
        if m and len(rest) < len(lines):
            article = int(m.group(1))
        return rest
    closing_text = {
        "QĐ": "Điều {k}. Quyết định này có hiệu lực kể từ ngày ký. Văn phòng, các bộ phận chuyên môn "
              "và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./.",
        "CV": "Đề nghị các đơn vị nghiêm túc triển khai thực hiện./.",
    }.get(doc_type, "Trên đây là nội dung " + (title or "").lower() + " của " + ctx["unit_full"] + "./.")
    pending: list = []
    for pi in range(n_pages):
        if pi > 0:
            page = _Page()
            page.line(str(pi + 1), "R", 13, LM, RM, "c", y=TOP - 28)
        last = pi == n_pages - 1
        if not last:
            while True:
                lines = pending or next(stream)
                pending = put(lines, BOTTOM)
                if pending:
                    break
        else:
            probe = _para_lines(_nfc(closing_text.format(k=99)), "R")
            reserve = len(probe) * BODY * LEAD + 8 + SIG_H
            if pending:
                _place(page, pending, BOTTOM - reserve)  # rare overflow is cut
            while True:
                lines = next(stream)
                if page.y + len(lines) * BODY * LEAD + 4 > BOTTOM - reserve:
                    break
                put(lines, BOTTOM)
            closing_no = max(article + 1, 2)
            _place(page, _para_lines(_nfc(closing_text.format(k=closing_no)), "R"), BOTTOM)
            _signature_block(page, rng, ag, doc_type, seal=rng.random() < 0.6, article=closing_no)
        pages.append(page)
    if appendix:
        pages[0].meta.update(pages[-1].meta)  # the signer is on the last page of the body
        pages.append(_appendix_page(rng, ag, doc_type, number, issued, extras, len(pages) + 1))
    else:
        pages[0].meta.update(pages[-1].meta)
    return pages


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


def _plan(size: str, seed: int) -> dict:
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
               "year": year, "year1": year + 1, "person": _person(rng),
               "street": rng.choice(STREETS[f["agency"]]), "place": ag["place"]}
        f.update(title=_fill(rng.choice(theme["titles"]), ctx, rng), start=start, end=end,
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
            pages.append((fi, 1, (_map_page(drng), "Khác")))
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
            extras = _document_extras(drng, doc_type, n, _page_seed(seed, "hand", f["agency"], f["notation"], p))
            lays = _layout_document(rng, ag, theme, doc_type, n, issued, number, extras=extras)
            for k, lay in enumerate(lays):
                pages.append((fi, p + k, (lay, doc_type)))
            file_docs.append({**_document_truth(ag, doc_type, number, issued, extras, lays[0]),
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
            "text": _nfc(lay.text()) if lay else "",
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
               "year1": year + 1, "person": _person(rng), "street": rng.choice(STREETS[code]),
               "place": ag["place"]}
        pages_n = rng.randint(3, 8)
        row = {"notation": NOTATION_STYLE.get(code, "{:02d}").format(len(rows) + 1),
               "title": _fill(theme["titles"][0], ctx, rng),
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


# --------------------------------------------------------------------------- rendering
# Rendering works on one "ink density" channel (0 = paper, 255 = full ink) so blur and
# rotation touch one plane instead of three; colour is applied at the end. Coloured
# marks (signature, seal) are small regions rotated on their own and blended in.

_INK = (28, 26, 34)
_BLUE = (30, 45, 140)
_RED = (196, 28, 40)
_GRAIN: dict = {}


def _grain(w: int, h: int):
    """Sensor grain tile, fixed per size, so a page costs a slice instead of fresh noise."""
    import numpy as np

    key = (w, h)
    if key not in _GRAIN:
        rng = np.random.default_rng(20250701 + w)
        _GRAIN[key] = rng.integers(0, 10, size=(h + 64, w + 64), dtype=np.uint8)
    return _GRAIN[key]


def _seal_mask(seal: dict, s: float):
    from PIL import Image, ImageDraw

    r = seal["r"] * s
    size = int(2 * r + 8)
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    c = size / 2
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(2, round(2.2 * s)))
    ri = r * 0.72
    d.ellipse((c - ri, c - ri, c + ri, c + ri), outline=255, width=max(1, round(0.9 * s)))
    star = []
    for i in range(10):
        rad = r * 0.28 if i % 2 == 0 else r * 0.11
        a = math.pi / 2 + i * math.pi / 5
        star.append((c + rad * math.cos(a), c - rad * math.sin(a)))
    d.polygon(star, fill=255)
    ring = seal["ring"]
    rt = (r + ri) / 2
    font = _font("B", max(6, round(min(r * 0.17, 2 * math.pi * rt / len(ring) * 1.25))))
    step = 2 * math.pi / len(ring)
    for i, ch in enumerate(ring):
        if ch == " ":
            continue
        theta = i * step + math.radians(seal["angle"])
        box = font.getbbox(ch)
        cw, chh = max(1, box[2] - box[0]), max(1, box[3] - box[1])
        glyph = Image.new("L", (cw + 4, chh + 4), 0)
        ImageDraw.Draw(glyph).text((2 - box[0], 2 - box[1]), ch, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(theta), resample=Image.BILINEAR, expand=True)
        gx = c + rt * math.sin(theta) - glyph.width / 2
        gy = c - rt * math.cos(theta) - glyph.height / 2
        mask.paste(255, (int(gx), int(gy)), glyph)
    return mask, seal["cx"] * s, seal["cy"] * s


def _signature_mask(points, s: float):
    from PIL import Image, ImageDraw

    xs, ys = [x * s for x, _ in points], [y * s for _, y in points]
    pad = 12
    x0, y0 = min(xs) - pad, min(ys) - pad
    w, h = int(max(xs) - x0 + pad), int(max(ys) - y0 + pad)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).line([(x - x0, y - y0) for x, y in zip(xs, ys)], fill=255,
                              width=max(2, round(1.1 * s)), joint="curve")
    return mask, x0 + w / 2, y0 + h / 2


def _jfif_dpi(data: bytes, dpi: int) -> bytes:
    """Write the dpi into the JFIF APP0 density fields of an encoded JPEG."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        return data[:13] + bytes([1]) + dpi.to_bytes(2, "big") * 2 + data[18:]
    raise ValueError("JPEG without JFIF header")


def _render_page(job: dict, out_dir: str | None = None) -> bytes:
    """Render one page spec to JPEG bytes (and write it under out_dir if given)."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw

    dpi = job["dpi"]
    s = dpi / 72.0
    W, H = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    rng = np.random.default_rng(job["seed"])
    tint = np.array(job["tint"], dtype=np.float32)

    canvas = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(canvas)
    for text, key, size, x0, x1, y, align in job["lines"]:
        font = _font(key, max(6, round(size * s)))
        top = y * s
        if align == "j" and " " in text:
            words = text.split(" ")
            widths = [font.getlength(w) for w in words]
            gap = ((x1 - x0) * s - sum(widths)) / (len(words) - 1)
            x = x0 * s
            for w, ww in zip(words, widths):
                draw.text((x, top), w, font=font, fill=255)
                x += ww + gap
            continue
        tw = font.getlength(text)
        x = {"c": (x0 + x1) / 2 * s - tw / 2, "r": x1 * s - tw}.get(align, x0 * s)
        draw.text((x, top), text, font=font, fill=255)
    for x0, x1, y, w in job["rules"]:
        draw.line([(x0 * s, y * s), (x1 * s, y * s)], fill=255, width=max(1, round(w * s)))
    if job["defect"] == "blank":
        for _ in range(int(rng.integers(3, 9))):  # dust specks
            cx, cy, rr = int(rng.integers(0, W)), int(rng.integers(0, H)), int(rng.integers(1, 3))
            draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=110)

    # scanner optics: slight blur (strong for "blurred"), then the page's rotation
    sigma = (job["blur"] if job["defect"] != "blurred" else 1.8) * s
    angle = job["angle"]
    M = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)  # + = counter-clockwise
    ink = np.asarray(canvas)
    ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    ink = cv2.warpAffine(ink, M, (W, H), flags=cv2.INTER_LINEAR, borderValue=0)
    oy, ox = (int(v) for v in rng.integers(0, 64, size=2))
    ink = cv2.add(ink, _grain(W, H)[oy:oy + H, ox:ox + W])

    # paper: tint with low-frequency mottling
    low = tint + rng.normal(0, 3.0, size=(H // 24 + 2, W // 24 + 2, 1)) \
        + rng.normal(0, 1.2, size=(H // 24 + 2, W // 24 + 2, 3))
    paper = cv2.resize(low.clip(0, 255).astype(np.uint8), (W, H), interpolation=cv2.INTER_LINEAR)
    grey = job["mode"] == "L"
    if grey:
        paper = cv2.cvtColor(paper, cv2.COLOR_RGB2GRAY)
        k = (float(tint.mean()) - 30) / 255
        page = cv2.subtract(paper, cv2.convertScaleAbs(ink, alpha=k))
    else:
        planes = [cv2.convertScaleAbs(ink, alpha=(float(tint[c]) - _INK[c]) / 255) for c in range(3)]
        page = cv2.subtract(paper, cv2.merge(planes))

    marks = []
    if job["signature"]:
        marks.append((*_signature_mask(job["signature"], s), _BLUE, "over"))
    if job["seal"]:
        marks.append((*_seal_mask(job["seal"], s), _RED, "multiply"))
    for stroke in job.get("scribbles") or ():  # handwriting: blue pen
        marks.append((*_signature_mask(stroke, s), _BLUE, "over"))
    for mask_img, cx, cy, color, how in marks:
        m = cv2.GaussianBlur(np.asarray(mask_img), (0, 0), max(0.5, sigma))
        mh, mw = m.shape
        diag = int(math.hypot(mw, mh)) + 2
        R = cv2.getRotationMatrix2D((mw / 2, mh / 2), angle, 1.0)
        R[:, 2] += ((diag - mw) / 2, (diag - mh) / 2)
        m = cv2.warpAffine(m, R, (diag, diag), flags=cv2.INTER_LINEAR, borderValue=0)
        ncx, ncy = M @ np.array([cx, cy, 1.0])
        x0, y0 = int(ncx - diag / 2), int(ncy - diag / 2)
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + diag), min(H, y0 + diag)
        if xa >= xb or ya >= yb:
            continue
        a = m[ya - y0:yb - y0, xa - x0:xb - x0].astype(np.float32) / 255
        if how == "multiply":  # stamp ink is uneven and never fully opaque
            mott = rng.uniform(0.55, 0.9, size=(a.shape[0] // 10 + 2, a.shape[1] // 10 + 2))
            a *= cv2.resize(mott.astype(np.float32), (a.shape[1], a.shape[0]))
        else:
            a *= 0.9
        col = np.array(color, dtype=np.float32)
        if grey:
            col = np.array([col @ np.array([0.299, 0.587, 0.114], dtype=np.float32)])
        region = page[ya:yb, xa:xb].astype(np.float32)
        if not grey:
            a = a[..., None]
        if how == "multiply":
            region *= 1 - a * (1 - col / 255)
        else:
            region = region * (1 - a) + col * a
        page[ya:yb, xa:xb] = region.clip(0, 255).astype(np.uint8)

    if job["defect"] == "upside_down":
        page = cv2.flip(page, -1)
    bgr = page if grey else cv2.cvtColor(page, cv2.COLOR_RGB2BGR)
    ok, enc = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, job["quality"]])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {job['path']}")
    data = _jfif_dpi(enc.tobytes(), dpi)
    if out_dir is not None:
        target = Path(out_dir) / job["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return data


def _worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)  # one process per core already


def _render_to_disk(args) -> tuple[str, str]:
    job, out_dir = args
    data = _render_page(job, out_dir)
    return job["path"], hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- writing

def _write_lists(out: Path, plan: dict) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    ag_by = plan["ag_by"]
    for inv in plan["manifest"]["inventory"]:
        code = inv["agency"]
        target = out / inv["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = [[r["stt"], r["box"], r["notation"], r["title"], r["start"], r["end"],
                 r["retention"], r["access"], r["sheets"], r["pages"], "Tiếng Việt", r["note"]]
                for r in plan["lists"][code]]
        if inv["format"] == "csv":
            with open(target, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(INVENTORY_HEADER)
                w.writerows(rows)
            continue
        wb = Workbook()
        ws = wb.active
        ws.title = "Danh mục"
        ws.append([f"DANH MỤC HỒ SƠ PHÔNG {ag_by[code]['name'].upper()}"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(INVENTORY_HEADER))
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append(INVENTORY_HEADER)
        for c in ws[2]:
            c.font = Font(bold=True)
        for r in rows:
            ws.append(r)
        for col, width in zip("ABCDEFGHIJKL", (6, 8, 14, 70, 14, 14, 14, 14, 10, 10, 12, 18)):
            ws.column_dimensions[col].width = width
        fixed = datetime(2025, 8, 1, 8, 0, 0)
        wb.properties.created = wb.properties.modified = fixed
        wb.properties.creator = ag_by[code]["name"]
        wb.save(target)
        _freeze_zip_times(target)


def _freeze_zip_times(path: Path) -> None:
    """Rewrite an XLSX (zip) with fixed entry times so the same seed gives the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-08-01T08:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 8, 1, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in columns})


def _clear_previous_sample(out: Path) -> None:
    """Remove the trees of an earlier sample in out (only if its manifest says so),
    so a rerun with another size or seed leaves no stale pages behind."""
    import shutil

    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(old, dict) and old.get("generator") == "sohoa.sample":
        for sub in ("deliveries", "intake"):
            shutil.rmtree(out / sub, ignore_errors=True)


def generate(out_dir: Path, size: str = "small", seed: int = 7, *, workers: int | None = None) -> dict:
    """Write the sample programme under out_dir and return its manifest.

    Deterministic for a given (size, seed): same lists, same JPEG bytes.
    `workers` = rendering processes (default: CPU count; 1 renders in-process).
    """
    out = Path(out_dir)
    plan = _plan(size, seed)  # validates size before touching the disk
    _clear_previous_sample(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = plan["manifest"]

    _write_csv(out / "agencies.csv", AGENCY_COLUMNS, manifest["agencies"])
    _write_csv(out / "plans.csv", PLAN_COLUMNS, manifest["plans"])
    _write_lists(out, plan)

    jobs = plan["jobs"]
    workers = workers or os.cpu_count() or 1
    args = [(j, str(out)) for j in sorted(jobs, key=lambda j: -j["dpi"])]  # big pages first
    if workers <= 1 or len(jobs) < 4:
        digests = dict(map(_render_to_disk, args))
    else:
        # spawn, not fork: generate() may run inside a threaded Airflow worker
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx,
                                 initializer=_worker_init) as pool:
            digests = dict(pool.map(_render_to_disk, args, chunksize=1))
    for p in manifest["pages"]:
        p["sha256"] = digests[p["path"]]

    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    truth = {k: manifest[k] for k in ("size", "seed", "pages", "documents", "bad_rows",
                                      "short_deliveries")}
    (out / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
    return manifest
