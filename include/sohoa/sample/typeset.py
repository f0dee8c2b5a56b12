"""Typesetting in points (1/72 in): the A4 page of NĐ 30/2020, its fonts with full
Vietnamese marks, word wrapping and line placement. Layout is computed once here, so the
ground-truth line breaks do not depend on the dpi a page is later rendered at."""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache



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


def nfc(s: str) -> str:
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
def load_font(key: str, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(_font_paths()[key], px, layout_engine=ImageFont.Layout.BASIC)


_MEASURE = 8  # measure at 8 px per pt so widths in pt are precise


@lru_cache(maxsize=200_000)
def text_width(text: str, key: str, size: float) -> float:
    return load_font(key, round(size * _MEASURE)).getlength(text) / _MEASURE


def _wrap(text: str, key: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    words = text.split()
    space = text_width(" ", key, size)
    lines, cur, cur_w = [], [], 0.0
    for w in words:
        ww = text_width(w, key, size)
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

class Page:
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


def para_lines(text, key, size=BODY, indent=36.0, x0=LM, x1=RM, align="j"):
    """Wrapped paragraph as placeable lines (x0 already includes the first-line indent)."""
    out = []
    wrapped = _wrap(text, key, size, x1 - x0, indent)
    for i, ln in enumerate(wrapped):
        a = align if (align != "j" or i < len(wrapped) - 1) else "l"
        out.append((ln, key, size, x0 + (indent if i == 0 else 0.0), x1, a))
    return out


def place_lines(page: Page, lines, limit: float):
    """Place as many lines as fit above `limit`; return the rest."""
    for i, (ln, key, size, x0, x1, a) in enumerate(lines):
        if page.y + size * LEAD > limit:
            return lines[i:]
        page.line(ln, key, size, x0, x1, a)
        page.y += size * LEAD
    page.y += 4
    return []
