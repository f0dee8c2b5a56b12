"""Text of OCR results: NFC + whitespace normalisation and the character error rate (CER)."""

from __future__ import annotations

import unicodedata

import numpy as np

# --------------------------------------------------------------------------- text utils


def normalize_text(text: str) -> str:
    """NFC + collapse all whitespace runs to one space, strip."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert/delete/substitute = 1); numpy row DP, O(len(a)*len(b))."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    prev = np.arange(len(b) + 1, dtype=np.int64)
    for i, ch in enumerate(a, 1):
        sub = prev[:-1] + (bb != ord(ch))
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, sub)
        # insertions: cur[j] = min(cur[j], cur[j-1] + 1) — a running minimum
        cur = np.minimum.accumulate(cur - np.arange(len(cur))) + np.arange(len(cur))
        prev = cur
    return int(prev[-1])


def cer(ref: str, hyp: str) -> float:
    """Character error rate after NFC + whitespace normalisation (0 = perfect)."""
    r, h = normalize_text(ref), normalize_text(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return levenshtein(r, h) / len(r)
