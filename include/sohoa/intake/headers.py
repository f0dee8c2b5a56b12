"""Finding the header row of an inventory list and matching its columns to fields.

Headers with or without diacritics, any case, common abbreviations, in any order;
a header row anywhere in the first HEADER_SCAN_ROWS rows; two-row headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sohoa.core import fields as F
from sohoa.core.fields import fold
from sohoa.intake.values import to_text

HEADER_SCAN_ROWS = 15

# ------------------------------------------------------------- header matching

_EXACT: dict[str, str] = {
    "stt": "stt", "tt": "stt", "so tt": "stt", "so thu tu": "stt",
    "hop": "box_no", "hop so": "box_no", "so hop": "box_no",
    "thbq": "retention", "th bq": "retention",
    "cdsd": "access_mode",
    "to": "sheet_count", "so to": "sheet_count",
    "trang": "page_count", "so trang": "page_count",
    "ho so so": "notation", "so ho so": "notation", "so hs": "notation", "hs so": "notation",
    "so va ky hieu": "notation", "so ky hieu": "notation", "ky hieu": "notation",
    "nam": "date_range", "thoi gian": "date_range",
    "tu": "start_date", "den": "end_date",
}

# Ordered regex rules on the folded header; first match wins; None = known but unused.
_RULES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(p), f)
    for p, f in [
        (r"\bky hieu thong tin\b|\bma ho so\b|\bma phong\b|\bchu giai\b|\btu khoa\b", None),
        (r"\bthoi han\b|\bbao quan\b", "retention"),
        (r"\bche do\b|\bquyen (su dung|truy cap)\b", "access_mode"),
        (r"\bky hieu\b", "notation"),
        (r"\btieu de\b|\btrich yeu\b|\bten ho so\b|\bten hs\b", "title"),
        (r"\bbat dau\b.*\bket thuc\b|\btu ngay\b.*\bden ngay\b", "date_range"),
        (r"\bbat dau\b|\btu ngay\b", "start_date"),
        (r"\bket thuc\b|\bden ngay\b", "end_date"),
        (r"\bthoi gian\b", "date_range"),
        (r"\bmuc luc\b|\bnam hinh thanh\b", "catalog"),
        (r"\bso (luong )?to\b|\btong so to\b|\bluong to\b", "sheet_count"),
        (r"\bso (luong )?trang\b|\btong so trang\b|\bluong trang\b", "page_count"),
        (r"\bvan ban\b", "doc_count"),
        (r"\bhop\b", "box_no"),
        (r"\bngon ngu\b", "language"),
        (r"\bghi chu\b", "notes"),
        (r"^(so )?(thu )?tu$", "stt"),
    ]
]


def match_header(text: str) -> str | None:
    """Canonical field for a header cell, or None. ``match_header("So ky hieu HS")
    == "notation"``."""
    key = fold(text)
    if not key or len(key.split()) > 10:
        return None
    if key in _EXACT:
        return _EXACT[key]
    for rx, fld in _RULES:
        if rx.search(key):
            return fld
    # "Số lượng tờ (tờ)", "Tiêu đề hồ sơ (1)": drop a parenthesised tail and retry
    stripped = re.sub(r"\(.*?\)", " ", text)
    if stripped != text:
        return match_header(stripped)
    return None



# ----------------------------------------------------------------- header detection


def _row_fields(cells: list[Any]) -> dict[int, str]:
    out = {}
    for i, v in enumerate(cells):
        if isinstance(v, str) and v.strip():
            f = match_header(v)
            if f is not None:
                out[i] = f
    return out


def find_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, int] | None:
    """Index (into rows) of the best header row among the first HEADER_SCAN_ROWS rows
    and its score (distinct known fields). None if nothing looks like a header."""
    best: tuple[int, int] | None = None
    for idx, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = set(_row_fields(cells).values())
        score = len(found)
        if score >= 2 and found & {"notation", "title"}:
            if best is None or score > best[1]:
                best = (idx, score)
    return best


@dataclass
class Columns:
    by_field: dict[str, int]  # canonical field → column index (first wins)
    headers: list[str]  # display header per column ("" when none)
    header_map: dict[str, str]  # display header → canonical field
    raw_keys: list[str]  # unique key per column for InventoryRow.raw
    header_folds: list[str]
    last_header_idx: int


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def build_columns(rows: list[tuple[int, list[Any]]], h: int) -> Columns:
    top = [to_text(v) for v in rows[h][1]]
    sub: list[str] | None = None
    if h + 1 < len(rows):
        cand = [to_text(v) for v in rows[h + 1][1]]
        nonempty = [(i, t) for i, t in enumerate(cand) if t]
        parent = ""
        parents = []
        for i in range(max(len(top), len(cand))):
            t = top[i] if i < len(top) else ""
            parent = t or parent
            parents.append(parent)
        # a sub-header cell must be a header by itself ("Bắt đầu", "Tờ", "Trang"):
        # "Số ký hiệu" + "01" also matches, but only because of its parent
        matched = sum(1 for _, t in nonempty if match_header(t))
        if nonempty and matched == len(nonempty) and not is_column_numbers(cand):
            sub = cand
    width = max(len(top), len(sub or []))
    headers: list[str] = []
    fields_: list[str | None] = []
    parent = ""
    for i in range(width):
        t = top[i] if i < len(top) else ""
        parent = t or parent
        child = sub[i] if sub and i < len(sub) else ""
        if child:
            p = t or parent
            disp = f"{p} / {child}" if p else child
            f = match_header(f"{p} {child}") or match_header(child)
        else:
            disp = t
            f = match_header(t) if t else None
        headers.append(disp)
        fields_.append(f)
    by_field: dict[str, int] = {}
    header_map: dict[str, str] = {}
    raw_keys: list[str] = []
    seen: dict[str, int] = {}
    for i, (disp, f) in enumerate(zip(headers, fields_)):
        key = disp or f"Cột {_col_letter(i)}"
        if key in seen:
            seen[key] += 1
            key = f"{key} ({seen[key]})"
        else:
            seen[key] = 1
        raw_keys.append(key)
        if f is not None and f not in by_field:
            by_field[f] = i
            header_map[key] = f
    return Columns(
        by_field, headers, header_map, raw_keys,
        [fold(x) for x in headers], h + 1 if sub is not None else h,
    )


DIGIT_RE = re.compile(r"[0-9]")
CATALOG_RE = re.compile(rf"\d{{1,{F.MAX_CATALOG_DIGITS}}}")
WS_RE = re.compile(r"\s+")
_COLNUM_RE = re.compile(r"\(?\s*(\d{1,2})\s*\)?")
NUMERIC_RE = re.compile(r"[\d.,\s]+")
STT_RE = re.compile(r"\d+\.?")


def is_column_numbers(texts: list[str]) -> bool:
    vals = [t for t in texts if t]
    if len(vals) < 3:
        return False
    nums = []
    for t in vals:
        m = _COLNUM_RE.fullmatch(t)
        if not m:
            return False
        nums.append(int(m.group(1)))
    return nums == list(range(nums[0], nums[0] + len(nums)))
