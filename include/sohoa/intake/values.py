"""Parsing the values clerks type: cell text, dates and periods, counts, subtotal and
heading lines."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sohoa.core import fields as F
from sohoa.core.fields import fold, nfc

# ----------------------------------------------------------------- cell values

EXCEL_ERROR_RE = re.compile(r"^#(REF!|N/A|VALUE!|DIV/0!|NAME\?|NUM!|NULL!)$")


def to_text(v: Any) -> str:
    if v.__class__ is str:  # the common case first: this runs for every cell
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.strftime("%d/%m/%Y")
        return v.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return v  # readers already normalised every string cell (see norm_cells)
    return nfc(str(v))


def norm_cells(cells: Any) -> list[Any]:
    """NFC/strip every string cell once, as it is read; empty strings become None."""
    return [(nfc(v) or None) if isinstance(v, str) else v for v in cells]


# ----------------------------------------------------------------- value parsers

_SUBTOTAL_RE = re.compile(r"^(tong cong|tong so|cong|tong)(?: (.*))?$")
_SUBTOTAL_WORDS = {"ho", "so", "hs", "hop", "to", "trang", "van", "ban", "muc", "luc",
                   "cong", "nam", "gom", "co", "tat", "ca", "toan", "bo", "danh", "sach"}


def is_subtotal(text: str) -> bool:
    c = text[:1]
    if c.isascii() and c.isalnum() and c.lower() not in ("t", "c"):
        return False  # an ASCII letter/digit starts the folded text too: not "tổng"/"cộng"
    m = _SUBTOTAL_RE.match(fold(text))
    if not m:
        return False
    rest = (m.group(2) or "").split()
    return all(w.isdigit() or w in _SUBTOTAL_WORDS for w in rest)


def is_count_words(text: str) -> bool:
    """"3 hồ sơ", "25 HS": the count a subtotal line writes in the title column."""
    words = fold(text).split()
    return bool(words) and words[0].isdigit() and all(
        w.isdigit() or w in _SUBTOTAL_WORDS for w in words)


def is_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if letters and text == text.upper():
        return True
    if re.match(r"^([IVXLC]+|[A-ZĐ])[.)]\s", text):
        return True
    return bool(re.fullmatch(r"(nam|hop|muc luc)( so)? \d+", fold(text)))


class DateError(ValueError):
    pass


_D = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{4}|\d{4}"
_PERIOD_RE = re.compile(
    rf"^(?:từ|tu)?\s*({_D})\s*(?:-|–|—|→|đến|den|to)\s*({_D})$", re.IGNORECASE
)


def _mk(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise DateError(f"Ngày «{text}» không tồn tại (ngày {d}, tháng {m}, năm {y}).") from None


def _parse_date_text(text: str, end: bool) -> date:
    got = _parse_date_cached(text, end)
    if isinstance(got, str):
        raise DateError(got)
    return got


@lru_cache(maxsize=65536)  # dates repeat a lot in a list; errors cached as their message
def _parse_date_cached(text: str, end: bool) -> date | str:
    try:
        return _parse_date_text_uncached(text, end)
    except DateError as e:
        return str(e)


def _parse_date_text_uncached(text: str, end: bool) -> date:
    t = re.sub(r"\s+0{1,2}:0{2}(:0{2})?$", "", text.strip())
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", t):
        raise DateError(f"Năm trong «{text}» chỉ có 2 chữ số, không rõ thế kỷ.")
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", t):
        return _mk(int(m[3]), int(m[2]), int(m[1]), text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
        return _mk(int(m[1]), int(m[2]), int(m[3]), text)
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", t):
        y, mo = int(m[2]), int(m[1])
        if not 1 <= mo <= 12:
            raise DateError(f"Tháng {mo} trong «{text}» không tồn tại.")
        return date(y, mo, monthrange(y, mo)[1] if end else 1)
    if m := re.fullmatch(r"(?:nam )?(\d{4})", fold(t)):
        y = int(m[1])
        return date(y, 12, 31) if end else date(y, 1, 1)
    if m := re.fullmatch(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})", fold(t)):
        return _mk(int(m[3]), int(m[2]), int(m[1]), text)
    raise DateError(f"Không đọc được ngày tháng «{text}».")


def parse_date_value(v: Any, end: bool) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer() and F.MIN_RECORD_YEAR <= v <= 2200:
            y = int(v)
            return date(y, 12, 31) if end else date(y, 1, 1)
        if 20000 <= v <= 80000:  # Excel serial day number in an unformatted cell
            return date(1899, 12, 30) + timedelta(days=int(v))
        raise DateError(f"Không đọc được ngày tháng «{to_text(v)}».")
    return _parse_date_text(to_text(v), end)


def parse_period(v: Any) -> tuple[date, date] | None:
    if not isinstance(v, str):
        return None
    got = _parse_period_cached(v)
    if isinstance(got, str):
        raise DateError(got)
    return got


@lru_cache(maxsize=65536)  # date cells repeat a lot; errors cached as their message
def _parse_period_cached(v: str) -> tuple[date, date] | str | None:
    m = _PERIOD_RE.match(nfc(v))
    if not m:
        return None
    try:
        return _parse_date_text(m[1], end=False), _parse_date_text(m[2], end=True)
    except DateError as e:
        return str(e)


def parse_count(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not v.is_integer():
            raise ValueError
        n = int(v)
    else:
        n = _parse_count_text(v if v.__class__ is str else str(v))
    if n < 0:
        raise ValueError
    return n


_COUNT_RE = re.compile(r"(-?)\s*(\d{1,3}(?:\.\d{3})+|\d+)(?:\.0+)?\s*(?:tờ|to|trang|tr|t)?\.?")


@lru_cache(maxsize=8192)  # counts repeat ("12", "30 trang"); -1 = not a count
def _parse_count_text(v: str) -> int:
    m = _COUNT_RE.fullmatch(nfc(v).lower())
    if not m:
        return -1
    n = int(m[2].replace(".", ""))
    return -n if m[1] else n
