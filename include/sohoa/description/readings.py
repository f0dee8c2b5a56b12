"""Reading one header line: "Số: 155/QĐ-UBND" into number and notation, "Hà Nội, ngày 05
tháng 3 năm 2024" into a (partial) date — as OCR gives them, with its usual misreadings
(Sô, Só, S6; Ð for Đ; a dropped accent) — plus the one-character-per-character fold the
matchers use to keep positions. Pure string functions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sohoa.core import fields as F
from sohoa.core.fields import fold
from sohoa.description import layout as L


def _fold_char(ch: str) -> str:
    f = fold(ch)
    return f[0] if f else " "


# one character in, one out: letters to their base letter, digits kept, the rest a space
KEEP_TABLE = str.maketrans({chr(c): _fold_char(chr(c)) for c in
               list(range(0x20, 0x250)) + list(range(0x1EA0, 0x1F00)) + list(range(0x2000, 0x2070))
               if chr(c) not in "0123456789abcdefghijklmnopqrstuvwxyz"})
KEEP_TABLE.update({c: " " for c in range(0x300, 0x370)})  # stray combining marks


def fold_keep(text: str) -> str:
    """Like ``fold`` but one output character per input character (positions match the
    original): lower case, no diacritics, đ → d, anything not a letter/digit → space."""
    return text.translate(KEEP_TABLE)


def clean_text(text: str) -> str:
    return F.nfc(text)


def is_upper_text(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    return sum(c.isupper() for c in letters) >= 0.8 * len(letters)


# --------------------------------------------------------------------------- parsers

# "Số:" as OCR reads it: Số, So, Sô, Só, S6, Sé, Sỗ ... followed by ':' (or ';', '.')
_SO_RE = re.compile(r"(?:^|(?<=\s))S\s?[^\s:;/]?\s?[:;]\s*")
_NOTATION_RE = re.compile(r"[0-9A-ZĐ&][0-9A-Za-zĐđ&.\-]*")
_OCR_NOTATION_FIXES = str.maketrans({"Ð": "Đ", "§": "S", "$": "S", "đ": "Đ", "–": "-", "—": "-",
                                     "‐": "-", " ": ""})
_YEAR_RE = re.compile(r"(?:1[89]|20)\d\d")


@dataclass
class NumberReading:
    number: str | None
    notation: str | None
    problem: str | None  # Vietnamese reason when the number or notation is not taken


def find_so(text: str) -> int | None:
    """Position after the "Số:" label in a line, or None."""
    m = _SO_RE.search(text)
    if not m or m.start() > 3 and "/" not in text[m.end():]:
        return None
    return m.end()


def _unique_folds(words) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for w in words:
        seen.setdefault(fold(w).replace(" ", ""), set()).add(w)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


_NOTATION_WORDS = _unique_folds(list(L.TYPE_BY_ABBR) + [k for k in L.ORGAN_ABBREVIATIONS
                                                        if k.isalpha() and k.isupper()])


def _restore_notation(notation: str) -> str:
    """OCR's "QD-UBND" → "QĐ-UBND": a segment without "Đ" whose folded form is exactly
    one known abbreviation (type or organ) gets its printed letters back ("HD" stays:
    Hướng dẫn HD or Hợp đồng HĐ)."""
    parts = notation.split("-")
    for i, part in enumerate(parts):
        if part.isascii() and part.upper() == part:
            parts[i] = _NOTATION_WORDS.get(part.lower(), part)
    return "-".join(parts)


def parse_number_notation(line: str) -> NumberReading:
    """ "Số: 155/QĐ-UBND" → ("155", "QĐ-UBND"); "Số:    /QĐ-UBND" → (None, "QĐ-UBND",
    reason); "Số: 12/2020/NĐ-CP" → ("12", "2020/NĐ-CP"). A number part that is not plain
    digits ("4/35" from handwriting) gives no number and a reason."""
    text = clean_text(line)
    pos = find_so(text)
    rest = text[pos:] if pos is not None else text
    slash = None
    for m in re.finditer(r"/", rest):
        tail = rest[m.end():].translate(_OCR_NOTATION_FIXES).rstrip(".,;:")
        if _NOTATION_RE.fullmatch(tail) and any(c.isalpha() for c in tail):
            slash, notation = m.start(), tail
            break
    if slash is None:
        # OCR dropped the slash: "7KH-UBND" = 7 / KH-UBND when a known abbreviation follows
        m = re.fullmatch(r"(\d{1,%d})\s*([A-ZĐ][0-9A-Za-zĐđ&.\-]*)" % F.MAX_CODE_NUMBER,
                         rest.strip().rstrip(".,;:").translate(_OCR_NOTATION_FIXES))
        if m:
            notation = _restore_notation(m.group(2))
            head = notation.split("-")[0]
            if head in L.TYPE_BY_ABBR or head in L.ORGAN_ABBREVIATIONS:
                return NumberReading(str(int(m.group(1))), notation,
                                     "không thấy dấu “/” giữa số và ký hiệu: cần xác nhận")
        return NumberReading(None, None, "không đọc được ký hiệu sau “Số:”")
    notation = _restore_notation(notation)
    num = rest[:slash].strip().rstrip(".,;:").strip()
    m = re.fullmatch(r"(\d+)\s*/\s*((?:1[89]|20)\d\d)", num)
    if m:  # "12/2020/NĐ-CP": the year belongs to the notation
        num, notation = m.group(1), f"{m.group(2)}/{notation}"
    if len(notation) > F.MAX_CODE_NOTATION:
        return NumberReading(None, None, f"ký hiệu dài quá {F.MAX_CODE_NOTATION} ký tự")
    if not num:
        return NumberReading(None, notation, "số để trống (thường được viết tay): cần nhập")
    if not re.fullmatch(r"\d{1,%d}" % F.MAX_CODE_NUMBER, num):
        return NumberReading(None, notation, f"số “{num}” không rõ (viết tay hoặc mờ): cần nhập")
    return NumberReading(str(int(num)) if num.isdigit() else num, notation, None)


_DATE_RE = re.compile(r"ngay\s*(?P<d>[^\s]{0,4}?)\s*thang\s*(?P<m>[^\s]{0,3}?)\s*nam\s*(?P<y>\d{4})")
_DATE_NO_DAY_RE = re.compile(r"thang\s*(?P<m>\d{1,2})\s*nam\s*(?P<y>\d{4})")


@dataclass
class DateReading:
    place: str | None
    day: int | None
    month: int | None
    year: int | None
    problem: str | None
    day_text: str | None = None  # the day as printed ("05", "5")

    @property
    def date(self) -> date | None:
        if self.day and self.month and self.year:
            try:
                return date(self.year, self.month, self.day)
            except ValueError:
                return None
        return None


def find_date(text: str) -> re.Match | None:
    """The "ngày … tháng … năm …" match on the folded line (positions = the line's)."""
    f = fold_keep(text)
    return _DATE_RE.search(f) or _DATE_NO_DAY_RE.search(f)


def parse_issued(line: str) -> DateReading:
    """ "Hà Nội, ngày 05 tháng 6 năm 2025" → place "Hà Nội", 2025-06-05; a blank day
    ("ngày   tháng 5 năm 2019") keeps year and month and gives a reason."""
    text = clean_text(line)
    m = find_date(text)
    if not m:
        return DateReading(None, None, None, None, "không tìm thấy ngày tháng năm")
    place = text[:m.start()].strip(" ,.;:") or None
    y = int(m.group("y"))
    if not F.MIN_RECORD_YEAR <= y <= 2100:
        return DateReading(place, None, None, None, f"năm {y} không hợp lệ")
    mo_s = m.group("m")
    mo = int(mo_s) if mo_s.isdigit() else None
    if mo is None or not 1 <= mo <= 12:
        return DateReading(place, None, None, y, f"tháng “{mo_s}” không rõ")
    d_s = m.groupdict().get("d")
    if not d_s:
        return DateReading(place, None, mo, y, "ngày để trống (thường được viết tay): cần nhập")
    if not d_s.isdigit():
        return DateReading(place, None, mo, y, f"ngày “{d_s}” không rõ (viết tay hoặc mờ): cần nhập")
    d = int(d_s)
    r = DateReading(place, d, mo, y, None, d_s)
    if r.date is None:
        return DateReading(place, None, mo, y, f"ngày {d}/{mo}/{y} không có thật")
    return r
