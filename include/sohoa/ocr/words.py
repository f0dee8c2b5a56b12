"""Running tesseract once per page and rebuilding its words into lines in reading order
(two-column header and signer blocks read column by column), with per-line confidences."""

from __future__ import annotations

import os
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

TESSERACT = os.environ.get("SOHOA_TESSERACT", "tesseract")

class OcrError(RuntimeError):
    pass


# --------------------------------------------------------------------------- tesseract


def tess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    return env


def _parse_tsv(tsv: str) -> tuple[float | None, int]:
    """(mean word confidence, word count) of a tesseract TSV."""
    confs = [w.conf for w in tsv_words(tsv)]
    if not confs:
        return None, 0
    return round(sum(confs) / len(confs), 2), len(confs)


@dataclass
class Word:
    line: tuple[int, int, int]  # tesseract (block, paragraph, line)
    x0: int
    y0: int
    x1: int
    y1: int
    conf: float
    text: str


def tsv_words(tsv: str) -> list[Word]:
    """Recognised words (level 5 rows with text and a confidence) in tesseract's order."""
    out: list[Word] = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        try:
            conf = float(parts[10])
            x, y, w, h = (int(v) for v in parts[6:10])
        except ValueError:
            continue
        if conf <= -1:
            continue
        text = unicodedata.normalize("NFC", parts[11].strip())
        out.append(Word((int(parts[2]), int(parts[3]), int(parts[4])), x, y, x + w, y + h, conf, text))
    return out


# Two-column blocks (the ND 30/2020 header: agency | national motto; the footer:
# "Nơi nhận" | signer) are laid out side by side, and tesseract reads them line by line
# across both columns. A gap wider than this many word heights splits a line into
# segments; runs of split lines are then read left column first, then right column.
COLUMN_GAP_HEIGHTS = 3.0


# Remnants of seals, signatures and specks come out as short words of very low
# confidence, or of low confidence and a height unlike the printed text around them.
NOISE_CONF = 30.0
NOISE_SIZE_CONF = 65.0


def drop_noise(words: list[Word]) -> list[Word]:
    """Words likely to be marks rather than print (see NOISE_CONF / NOISE_SIZE_CONF)."""
    if not words:
        return words
    height = float(np.median([w.y1 - w.y0 for w in words]))
    keep = []
    for w in words:
        h = w.y1 - w.y0
        if w.conf < NOISE_CONF:
            continue
        if w.conf < NOISE_SIZE_CONF and (h > 1.5 * height or h < 0.4 * height):
            continue
        keep.append(w)
    return keep


def _segment_line(words: list[Word], gap: float) -> list[list[Word]]:
    segs = [[words[0]]]
    for w in words[1:]:
        if w.x0 - segs[-1][-1].x1 > gap:
            segs.append([w])
        else:
            segs[-1].append(w)
    return segs


def _box(words: list[Word]) -> tuple[int, int, int, int]:
    return (min(w.x0 for w in words), min(w.y0 for w in words),
            max(w.x1 for w in words), max(w.y1 for w in words))


def reading_order(words: list[Word]) -> list[list[Word]]:
    """Text lines (lists of words) in reading order, side-by-side columns unfolded."""
    lines: list[list[Word]] = []
    for w in words:
        if lines and lines[-1][-1].line == w.line:
            lines[-1].append(w)
        else:
            lines.append([w])
    if not lines:
        return []
    height = float(np.median([w.y1 - w.y0 for w in words]))
    gap = max(COLUMN_GAP_HEIGHTS * height, 8.0)
    segs = [_segment_line(ln, gap) for ln in lines]
    out: list[list[Word]] = []
    i = 0
    while i < len(lines):
        if len(segs[i]) != 2:  # one column, or a table row: keep tesseract's order
            out.extend(segs[i] if len(segs[i]) > 2 else [lines[i]])
            i += 1
            continue
        g0, g1 = _box(segs[i][0])[2], _box(segs[i][1])[0]  # the white gutter
        left, right = [segs[i][0]], [segs[i][1]]
        bottom = _box(lines[i])[3]
        j = i + 1
        while j < len(lines):
            x0, y0, x1, y1 = _box(lines[j])
            if y0 - bottom > 3 * height:  # a wide vertical gap ends the two-column block
                break
            if len(segs[j]) == 2 and _box(segs[j][0])[2] < g1 and _box(segs[j][1])[0] > g0:
                left.append(segs[j][0])
                right.append(segs[j][1])
            elif len(segs[j]) == 1 and x1 <= g1 and x0 < g0:
                left.append(segs[j][0])
            elif len(segs[j]) == 1 and x0 >= g0 and x1 > g1:
                right.append(segs[j][0])
            else:
                break
            bottom = y1
            j += 1
        out.extend(left + right)
        i = j
    return out


def line_records(ordered: list[list[Word]], scale: float = 1.0) -> list[dict]:
    """Per line: text, mean and minimum word confidence, bbox [x, y, w, h] in pixels of
    the prepared (upright, deskewed) page image shown in the PDF (``scale`` = its width
    over the recognised image's) — what is stored for review."""
    recs = []
    for ln in ordered:
        x0, y0, x1, y1 = (round(v * scale) for v in _box(ln))
        confs = [w.conf for w in ln]
        recs.append({"text": " ".join(w.text for w in ln),
                     "conf": round(sum(confs) / len(confs), 1), "min_conf": round(min(confs), 1),
                     "bbox": [x0, y0, x1 - x0, y1 - y0]})
    return recs


def run_tesseract(
    recog: np.ndarray, *, lang: str, dpi: int, timeout: float, psm: int = 3
) -> tuple[str, bytes]:
    """One tesseract pass → (tsv, text-only one-page PDF). Raises OcrError.

    The text is rebuilt from the TSV (``reading_order``), so no txt output is asked for."""

    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        src = Path(tmp) / "page.pgm"  # uncompressed: no encode/decode work; dpi via --dpi
        if not cv2.imwrite(str(src), recog):
            raise OcrError("cannot write the recognition image")
        base = Path(tmp) / "out"
        cmd = [
            TESSERACT, str(src), str(base), "-l", lang, "--psm", str(psm), "--dpi", str(dpi),
            "-c", "textonly_pdf=1", "pdf", "tsv",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=tess_env())
        except subprocess.TimeoutExpired as exc:
            raise OcrError(f"tesseract timeout after {timeout}s") from exc
        except OSError as exc:
            raise OcrError(f"tesseract not runnable: {exc}") from exc
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            tail = " | ".join(msg[-3:]) if msg else ""
            raise OcrError(f"tesseract failed (exit {proc.returncode}): {tail}"[:500])
        try:
            tsv = (base.with_suffix(".tsv")).read_text("utf-8", errors="replace")
            pdf = (base.with_suffix(".pdf")).read_bytes()
        except OSError as exc:
            raise OcrError(f"tesseract produced no output: {exc}") from exc
    return tsv, pdf
