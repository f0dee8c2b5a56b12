"""Per-page scan quality control (kiểm tra chất lượng ảnh quét).

Every page image delivered by the scanning team is measured with OpenCV on a small
grey working copy (``Thresholds.work_dpi``, 100 dpi by default) and gets a verdict:

* ``reject``  – corrupt, blank, blurred, low_dpi, cropped, low_contrast, or skewed
  beyond ``max_skew_fixable_deg``: the page goes back to the rescan queue;
* ``fixable`` – upside_down, rotated (90/270), skewed up to the fixable limit, or a
  duplicate of an earlier page of the same file: ``PageCheck.fix`` says what the
  automatic fix does;
* ``pass``    – nothing found.

Conventions (all angles in degrees, image shown with y pointing down):

* ``metrics["skew_deg"]`` is the counter-clockwise rotation of the text lines as seen
  on screen, i.e. the angle you would pass to ``PIL.Image.rotate`` on a straight page
  to produce this one. ``fix["deskew_deg"] = -skew_deg`` is the angle to pass to
  ``PIL.Image.rotate`` (counter-clockwise positive) to straighten it.
* ``metrics["orientation"]`` (0/90/180/270) is the counter-clockwise rotation of the
  content relative to upright (``np.rot90(upright, k)`` has orientation ``90*k``);
  ``fix["rotate"]`` is the counter-clockwise angle that makes it upright (apply it
  before ``deskew_deg``).

Upside-down detection is a cheap heuristic on the horizontal projection profile of
each deskewed text line: in Latin-script (and especially Vietnamese) print, more ink
sits above the x-height band (ascenders, capitals, diacritics) than below it
(descenders, the odd dot-below). Only when that is inconclusive is tesseract OSD
asked (if installed). No Airflow import here.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from sohoa.scan import inputs as scan_input
from sohoa.scan import sharpness
from sohoa.scan.thresholds import Thresholds, paper_size
from sohoa.scan.inputs import COLOUR_BITS, estimate_dpi, valid_dpi

__all__ = [
    "DEFECTS",
    "IMAGE_SUFFIXES",
    "PageCheck",
    "Thresholds",
    "check_file_pages",
    "check_image",
    "check_path",
    "load_pages",
    "corrupt_page",
    "make_derivative",
    "mark_duplicates",
    "qc_cli",
]

DEFECTS = (
    "blank",
    "blurred",
    "low_dpi",
    "skewed",
    "upside_down",
    "rotated",
    "cropped",
    "corrupt",
    "duplicate",
    "low_contrast",
)
REJECT_DEFECTS = frozenset({"corrupt", "blank", "blurred", "low_dpi", "cropped", "low_contrast"})
IMAGE_SUFFIXES = scan_input.SUFFIXES  # images and PDFs accepted in a delivery


# --------------------------------------------------------------------------- result


@dataclass
class PageCheck:
    source: str
    page: int
    verdict: str
    defects: list[str] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    reasons_vi: list[str] = field(default_factory=list)
    error: str | None = None
    fix: dict = field(default_factory=dict)
    # internal: 256-px ink-density thumbnail used to confirm pHash duplicates
    _fingerprint: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        return {
            "file": self.source,
            "page": self.page,
            "verdict": self.verdict,
            "defects": list(self.defects),
            "metrics": _jsonable(self.metrics),
            "reasons": list(self.reasons_vi),
            "error": self.error,
            "fix": _jsonable(self.fix),
        }


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        if isinstance(v, tuple):
            v = list(v)
        out[k] = v
    return out


def _verdict(defects: list[str]) -> str:
    if not defects:
        return "pass"
    if any(d in REJECT_DEFECTS for d in defects):
        return "reject"
    return "fixable"


def corrupt_page(source: str, page: int, error: str) -> PageCheck:
    return PageCheck(
        source=source,
        page=page,
        verdict="reject",
        defects=["corrupt"],
        metrics={},
        reasons_vi=[scan_input.reason_vi(error)],  # Vietnamese, no exception names
        error=error,
        fix={},
    )


# --------------------------------------------------------------------------- loading
# Decoding (JPEG/TIFF/PNG/JPEG 2000/PDF, bad inputs) lives in sohoa.scan.inputs.

def load_pages(
    path: Path | str,
) -> Iterator[tuple[int, np.ndarray | None, tuple[float, float] | None, str | None]]:
    """Yield ``(page_no, image_bgr_or_gray, dpi, error)`` for every page of an image file.

    JPEG/PNG/TIFF (multi-page TIFF page by page). Unreadable, 0-byte, truncated or
    oversized (decompression-bomb) input yields an entry with ``image=None`` and an
    error message instead of raising. ``dpi`` is None when the file has none.
    """
    for p in scan_input.iter_pages(path, fast=False, thresholds=Thresholds()):
        yield p.page, p.image, p.dpi, p.error


# --------------------------------------------------------------------------- measuring


def _to_grey(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        a = image.astype(np.float64)
        if image.dtype == np.uint16:
            a = a / 257.0
        elif a.max() <= 1.0 and a.min() >= 0.0 and image.dtype.kind == "f":
            a = a * 255.0
        image = np.clip(a, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"unsupported image shape {image.shape}")


def _profile_search(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peakiness of the projection profile of points (xs, ys) along lines at each angle.

    Profile coordinate for angle a: y*cos(a) + x*sin(a) (points rotated clockwise by a,
    so lines drawn counter-clockwise by a on screen become horizontal). Returns
    (sum(h^2) — maximal at the text-line angle, and sum(h^2) * extent / N^2 — 1 for a
    uniform spread, larger when ink is in lines, comparable between directions).
    """
    rad = np.deg2rad(angles)[:, None]
    proj = ys[None, :] * np.cos(rad) + xs[None, :] * np.sin(rad)
    proj = np.rint(proj).astype(np.int64)
    lo = proj.min(axis=1, keepdims=True)
    proj -= lo
    width = int(proj.max()) + 1
    idx = proj + np.arange(len(angles))[:, None] * width
    hist = np.bincount(idx.ravel(), minlength=width * len(angles)).reshape(len(angles), width)
    n = float(len(xs))
    extent = np.maximum((hist > 0).sum(axis=1), 1)
    raw = (hist.astype(np.float64) ** 2).sum(axis=1)
    return raw, raw * extent / (n * n)


def _coarse_skew(xs: np.ndarray, ys: np.ndarray, search: float) -> tuple[float, float]:
    """(angle, peak score) of a 0.5° search over ±search on <= 5000 points."""
    if len(xs) < 50:
        return 0.0, 0.0
    step = max(1, len(xs) // 3000)
    x = xs[::step] - xs.mean()
    y = ys[::step] - ys.mean()
    angles = np.arange(-search, search + 1e-9, 0.5)
    raw, norm = _profile_search(x, y, angles)
    i = int(np.argmax(raw))
    return float(angles[i]), float(norm[i])


def _centroid_score(xs: np.ndarray, ys: np.ndarray, search: float, work_dpi: float) -> float:
    """Peakiness of the letter-centre profile across lines, best over ±search (0.5° steps)."""
    if len(xs) < 20:
        return 0.0
    angles = np.arange(-search, search + 1e-9, 0.5)
    binw = max(1.0, 0.03 * work_dpi)  # ~0.8 mm: letter centres of one line share a bin or two
    rad = np.deg2rad(angles)[:, None]
    proj = (ys[None, :] * np.cos(rad) + xs[None, :] * np.sin(rad)) / binw
    proj = (proj - proj.min(axis=1, keepdims=True)).astype(np.int64)
    width = int(proj.max()) + 1
    idx = proj + np.arange(len(angles))[:, None] * width
    hist = np.bincount(idx.ravel(), minlength=width * len(angles)).reshape(len(angles), width)
    n = float(len(xs))
    score = (hist.astype(np.float64) ** 2).sum(axis=1) * np.maximum((hist > 0).sum(axis=1), 1)
    return float(score.max() / (n * n))


def _refine_skew(xs: np.ndarray, ys: np.ndarray, start: float) -> float:
    """Refine around ``start`` in 0.1° steps with parabolic peak interpolation."""
    if len(xs) < 50:
        return 0.0
    x = xs - xs.mean()
    y = ys - ys.mean()
    fine = np.arange(start - 0.6, start + 0.6 + 1e-9, 0.1)
    s2, _ = _profile_search(x, y, fine)
    i = int(np.argmax(s2))
    ang = float(fine[i])
    if 0 < i < len(fine) - 1:
        a, b, c = s2[i - 1], s2[i], s2[i + 1]
        den = a - 2 * b + c
        if den < 0:
            ang += 0.1 * 0.5 * (a - c) / den
    return ang


def _ascender_ratio(xs: np.ndarray, ys: np.ndarray, skew: float, work_dpi: float) -> tuple[float, int]:
    """Share of off-core ink that lies above the x-height band of each text line.

    Returns (ratio, number_of_lines). Upright Latin/Vietnamese print: ratio well above
    0.5 (ascenders, capitals, diacritics above); upside down: well below.
    """
    if len(xs) < 50:
        return 0.5, 0
    rad = math.radians(skew)
    proj = ys * math.cos(rad) + xs * math.sin(rad)
    proj = np.rint(proj - proj.min()).astype(np.int64)
    prof = np.bincount(proj).astype(np.float32)
    prof = cv2.GaussianBlur(prof.reshape(-1, 1), (1, 3), 0).ravel()
    k = max(3, int(round(0.3 * work_dpi)) | 1)
    local_max = cv2.dilate(prof.reshape(-1, 1), np.ones((k, 1), np.uint8)).ravel()
    floor = 0.08 * float(np.percentile(prof[prof > 0], 95)) if np.any(prof > 0) else 0.0
    core = (prof >= 0.45 * local_max) & (prof > floor)
    # runs of core rows
    d = np.diff(np.concatenate(([0], core.astype(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    keep = (ends - starts) >= 2
    starts, ends = starts[keep], ends[keep]
    if len(starts) == 0:
        return 0.5, 0
    above = below = 0.0
    csum = np.concatenate(([0.0], np.cumsum(prof, dtype=np.float64)))
    for i, (a, b) in enumerate(zip(starts, ends)):
        hgt = b - a
        w = int(round(1.1 * hgt)) + 1
        lo = a - w
        hi = b + w
        if i > 0:
            lo = max(lo, (ends[i - 1] + a) // 2)
        if i < len(starts) - 1:
            hi = min(hi, (b + starts[i + 1]) // 2)
        lo = max(lo, 0)
        hi = min(hi, len(prof))
        above += csum[a] - csum[lo]
        below += csum[hi] - csum[b]
    tot = above + below
    return (above / tot if tot > 0 else 0.5), int(len(starts))


def _margin_cue(xs: np.ndarray, ys: np.ndarray, skew: float, work_dpi: float) -> float:
    """Share of text lines flush with the left margin minus share flush with the right.

    Vietnamese administrative text is left-aligned or justified, with short last lines of
    paragraphs and indents: more lines start at the left margin than end at the right
    one (> 0). Turned upside down the sides swap (< 0). Used only when the ascender cue
    is unsure."""
    if len(xs) < 50:
        return 0.0
    rad = math.radians(skew)
    across = ys * math.cos(rad) + xs * math.sin(rad)
    along = xs * math.cos(rad) - ys * math.sin(rad)
    band = np.floor((across - across.min()) / max(2.0, 0.12 * work_dpi)).astype(np.int64)
    order = np.argsort(band, kind="stable")
    band, along = band[order], along[order]
    cuts = np.flatnonzero(np.diff(band)) + 1
    lefts, rights = [], []
    for seg in np.split(along, cuts):
        if len(seg) >= 20:
            lefts.append(seg.min())
            rights.append(seg.max())
    if len(lefts) < 6:
        return 0.0
    lefts, rights = np.array(lefts), np.array(rights)
    tol = 0.12 * work_dpi
    left_flush = float((lefts <= np.percentile(lefts, 10) + tol).mean())
    right_flush = float((rights >= np.percentile(rights, 90) - tol).mean())
    return left_flush - right_flush


def _osd_rotation(grey: np.ndarray) -> tuple[int | None, float]:
    """tesseract OSD: (orientation in our convention or None, confidence)."""
    try:
        import pytesseract  # local import: optional dependency, slow path only

        out = pytesseract.image_to_osd(grey, config="--psm 0 -c min_characters_to_try=10",
                                       output_type=pytesseract.Output.DICT, timeout=10)
        # tesseract "rotate" is the clockwise angle that makes the page upright, which
        # equals the counter-clockwise rotation already applied to the content.
        return int(out.get("rotate", 0)) % 360, float(out.get("orientation_conf", 0.0))
    except Exception:  # noqa: BLE001 - OSD missing or failed: stay unsure
        return None, 0.0


def _phash(grey: np.ndarray) -> int:
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    d = cv2.dct(small)[:8, :8].ravel()
    med = np.median(d[1:])
    bits = 0
    for v in d:
        bits = (bits << 1) | int(v > med)
    return bits


def check_image(
    image: np.ndarray,
    *,
    dpi: tuple[float, float] | None,
    source: str = "",
    page: int = 1,
    thresholds: Thresholds | None = None,
    original_size: tuple[int, int] | None = None,
    colour_mode: str | None = None,
    kind: str = "text",
    dpi_source: str | None = None,
) -> PageCheck:
    """Measure one page and give a verdict.

    ``image``: BGR/BGRA/grey array (any size). ``dpi``: from the file metadata (or, for
    a PDF, image size over page size: ``dpi_source="pdf_page_size"``), or None to
    estimate assuming A4. ``original_size`` (width, height): size of the stored image
    when ``image`` was decoded reduced (dpi always refers to the stored image).
    ``kind``: "text" (>= min_dpi_text) or "map" (maps/drawings, >= min_dpi_maps).
    """
    t = thresholds or Thresholds()
    grey = _to_grey(np.asarray(image))
    gh, gw = grey.shape[:2]
    ow, oh = original_size or (gw, gh)
    if colour_mode is None:
        colour_mode = "L" if np.asarray(image).ndim == 2 else "RGB"

    bits = COLOUR_BITS.get(colour_mode)
    m: dict = {"width_px": int(ow), "height_px": int(oh), "colour_mode": colour_mode,
               "colour_bits": bits,
               # TT 05/2025: colour >= 24 bit. Recorded, not a defect code of its own.
               "colour_compliant": bool(bits and bits >= t.min_colour_bits
                                        and colour_mode not in ("L", "LA", "1", "P", "PA"))}
    a4 = estimate_dpi(ow, oh)
    m["dpi_a4_estimate"] = round(min(a4), 1)  # from the pixel size, if the page is A4
    vdpi = valid_dpi(dpi) if dpi is not None else None
    if vdpi:
        m["dpi_source"] = dpi_source or "metadata"
        size_mm = (ow / vdpi[0] * 25.4, oh / vdpi[1] * 25.4)
        if min(size_mm) < t.min_page_mm and min(a4) < min(vdpi):
            # e.g. a page downsampled to 100 dpi that kept its "300 dpi" tag would measure
            # 70 mm wide: trust the pixels, judge it as an A4 page
            m["dpi_metadata_x"] = round(vdpi[0], 2)
            vdpi = a4
            m["dpi_source"] = "estimated_a4_metadata_implausible"
    else:
        vdpi = a4
        m["dpi_source"] = "estimated_a4"
    m["dpi_x"], m["dpi_y"] = round(vdpi[0], 2), round(vdpi[1], 2)
    m["page_size_mm"] = [round(ow / vdpi[0] * 25.4, 1), round(oh / vdpi[1] * 25.4, 1)]

    defects: list[str] = []
    reasons: list[str] = []
    fix: dict = {}

    # resolution
    min_dpi = t.min_dpi_maps if kind == "map" else t.min_dpi_text
    if min(vdpi) < min_dpi * (1 - t.dpi_tolerance):
        defects.append("low_dpi")
        est = {"estimated_a4": " — ước tính theo khổ A4 vì ảnh không ghi dpi",
               "estimated_a4_metadata_implausible": " — dpi ghi trong tệp không khớp kích thước "
               "ảnh, ước tính theo khổ A4",
               "pdf_page_size": " — tính theo khổ trang PDF"}.get(m["dpi_source"], "")
        reasons.append(
            f"Độ phân giải thấp ({min(vdpi):.0f} dpi < {min_dpi:.0f} dpi theo TT 05/2025/TT-BNV"
            f"{est}), cần quét lại"
        )

    # working copy at ~work_dpi
    cur_dpi = min(vdpi[0] * gw / ow, vdpi[1] * gh / oh)
    scale = t.work_dpi / cur_dpi
    if scale < 0.98:
        work = cv2.resize(grey, (max(1, round(gw * scale)), max(1, round(gh * scale))),
                          interpolation=cv2.INTER_AREA)
        wdpi = t.work_dpi
    else:
        work = grey
        wdpi = cur_dpi
    H, W = work.shape
    if H < 16 or W < 16:
        defects.append("corrupt")
        reasons.append(f"Ảnh quá nhỏ ({ow}x{oh} px), không phải một trang quét, cần kiểm tra")
        return PageCheck(source, page, "reject", defects, m, reasons,
                         error=f"image too small ({ow}x{oh})", fix={})

    # 256-px grey thumbnail: pHash source and duplicate-confirmation fingerprint
    fw = 256
    thumb = cv2.resize(work, (fw, max(8, int(round(fw * H / W)))), interpolation=cv2.INTER_AREA)
    m["phash"] = f"{_phash(thumb):016x}"
    fingerprint = cv2.GaussianBlur(thumb, (0, 0), 1.5).astype(np.float32)

    # paper level and ink
    paper = float(np.percentile(work[::4, ::4], 90))
    block = max(3, int(round(0.25 * wdpi)) | 1)
    adaptive = cv2.adaptiveThreshold(work, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                     block, t.ink_local_delta)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(adaptive, connectivity=8)
    # "strong" ink: darker than the local paper (0.6-inch box mean, so uneven lighting and
    # stains do not count) by ink_strong_delta; a blob needs at least one strong pixel.
    bg_k = max(3, int(round(0.6 * wdpi)) | 1)
    local_bg = cv2.boxFilter(work, -1, (bg_k, bg_k))
    strong = cv2.compare(work, cv2.subtract(local_bg, t.ink_strong_delta), cv2.CMP_LT)
    strong = cv2.bitwise_and(strong, adaptive) > 0
    has_strong = np.bincount(labels[strong], minlength=n) > 0
    area = stats[:, cv2.CC_STAT_AREA]
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    ink_keep = has_strong & (area >= 3) & (area < 0.05 * H * W) & (bh < 0.25 * H)
    ink_keep[0] = False
    text_keep = ink_keep & (bh >= max(2, 0.02 * wdpi)) & (bh <= 0.6 * wdpi) & (bw <= 2.0 * wdpi)
    n_ink = int(ink_keep.sum())
    ink_ratio = float(area[ink_keep].sum()) / float(H * W)
    ink_mask = ink_keep[labels]
    m["ink_ratio"] = round(ink_ratio, 5)
    m["ink_components"] = n_ink
    m["paper_level"] = round(paper, 1)
    m["work_dpi"] = round(wdpi, 1)

    blank = n_ink < t.blank_min_components or ink_ratio < t.blank_max_ink_ratio
    if blank:
        # faded ink (weak toner, carbon copy) is fainter than "strong" ink but still much
        # darker than show-through: many text-like blobs at that level mean content
        faint = cv2.compare(work, cv2.subtract(local_bg, t.faint_ink_delta), cv2.CMP_LT)
        faint = cv2.bitwise_and(faint, adaptive) > 0
        has_faint = np.bincount(labels[faint], minlength=n) > 0
        faint_keep = has_faint & (area >= 3) & (area < 0.05 * H * W) & (bh < 0.25 * H)
        faint_keep[0] = False
        faint_text = faint_keep & (bh >= max(2, 0.02 * wdpi)) & (bh <= 0.6 * wdpi) & (bw <= 2.0 * wdpi)
        m["faint_components"] = int(faint_text.sum())
        if int(faint_text.sum()) >= t.faint_min_components:
            blank = False
            ink_keep, text_keep = faint_keep, faint_text
            ink_mask = ink_keep[labels]
            m["ink_components"] = n_ink = int(ink_keep.sum())
            m["ink_ratio"] = ink_ratio = round(float(area[ink_keep].sum()) / float(H * W), 5)
    if blank:
        defects.append("blank")
        reasons.append(
            f"Trang trắng hoặc gần như không có nội dung (mực {ink_ratio:.3%}, {n_ink} nét), "
            "cần đối chiếu bản gốc và quét lại nếu bị sót nội dung"
        )
        m.update(contrast=None, sharpness=None, skew_deg=None, orientation=None)
        return PageCheck(source, page, _verdict(defects), defects, m, reasons, None, fix, fingerprint)

    # contrast
    ink_level = float(np.median(work[ink_mask]))
    contrast = paper - ink_level
    m["contrast"] = round(contrast, 1)
    if contrast < t.min_contrast:
        defects.append("low_contrast")
        reasons.append(
            f"Độ tương phản thấp ({contrast:.0f} < {t.min_contrast:.0f}), cần chỉnh độ sáng/"
            "độ tương phản máy quét và quét lại"
        )

    # sharpness: Laplacian energy around ink, normalised for contrast, at work dpi
    lap = cv2.Laplacian(work, cv2.CV_16S, ksize=3)
    near = cv2.dilate(ink_mask.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    vals = lap[near].astype(np.float32)
    sharp = float(vals.var()) if vals.size else 0.0
    sharp /= max(contrast / 100.0, 0.2) ** 2
    m["sharpness"] = round(sharp, 1)
    # blur on the letters' edges at the scanned resolution (noise cannot hide it)
    # (only where strokes are several pixels wide: thresholds.blur_min_dpi; a page decoded
    # or scanned coarser is judged by the Laplacian measure alone)
    blur_mm = None
    if cur_dpi >= t.blur_min_dpi * 0.999:
        blur_mm, _ = sharpness.edge_blur_mm(grey, centroids[text_keep] * (gw / W), cur_dpi)
    m["edge_blur_mm"] = round(blur_mm, 3) if blur_mm is not None else None
    if sharp < t.min_sharpness:
        defects.append("blurred")
        reasons.append(f"Trang bị mờ, cần quét lại (độ nét {sharp:.0f} < {t.min_sharpness:.0f})")
    elif blur_mm is not None and blur_mm > t.max_edge_blur_mm:
        defects.append("blurred")
        reasons.append(f"Trang bị mờ, cần quét lại (nét chữ nhòe {blur_mm:.2f} mm, "
                       f"ngưỡng {t.max_edge_blur_mm:.2f} mm)")

    # cropping: text-sized blobs touching an image edge
    e = t.cropped_edge_px
    tx, ty = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    sides = {
        "trái": int((text_keep & (tx <= e)).sum()),
        "phải": int((text_keep & (tx + bw >= W - e)).sum()),
        "trên": int((text_keep & (ty <= e)).sum()),
        "dưới": int((text_keep & (ty + bh >= H - e)).sum()),
    }
    m["edge_blobs"] = max(sides.values())
    cut = [s for s, c in sides.items() if c >= t.cropped_min_edge_blobs]
    if cut:
        defects.append("cropped")
        reasons.append(
            f"Trang bị cắt mất mép ({', '.join(f'mép {s}: {sides[s]} nét chữ chạm mép ảnh' for s in cut)}), "
            "cần đặt lại tài liệu và quét lại đủ trang"
        )

    # a sheet of no standard size whose text runs to an edge: cut between/across its lines
    sq = max(vdpi) if m["dpi_source"].startswith("estimated") else None  # A4 guess: square dpi
    size_mm = (ow / sq * 25.4, oh / sq * 25.4) if sq else tuple(m["page_size_mm"])
    m["paper_size"] = paper_size(*size_mm, t.page_size_tolerance_mm)
    if m["paper_size"] is None and "cropped" not in defects:
        band = t.cropped_text_margin_mm / 25.4 * wdpi
        near = {"trái": int((text_keep & (tx <= band)).sum()),
                "phải": int((text_keep & (tx + bw >= W - band)).sum()),
                "trên": int((text_keep & (ty <= band)).sum()),
                "dưới": int((text_keep & (ty + bh >= H - band)).sum())}
        cut = [s for s, c in near.items() if c >= t.cropped_min_margin_blobs]
        if cut:
            defects.append("cropped")
            reasons.append(
                f"Khổ trang {size_mm[0]:.0f}×{size_mm[1]:.0f} mm không phải khổ giấy chuẩn (A4, A5, A3…) "
                f"và chữ sát mép {', '.join(cut)} (dưới {t.cropped_text_margin_mm:g} mm): trang bị cắt, "
                "cần đặt lại tài liệu và quét lại đủ trang")

    # orientation and skew on text blobs (a subsample of their pixels is plenty)
    text_mask = text_keep[labels]
    ys, xs = np.nonzero(text_mask)
    step = max(1, len(ys) // 12000)
    ys = ys[::step].astype(np.float64)
    xs = xs[::step].astype(np.float64)
    skew_h, _ = _coarse_skew(xs, ys, t.skew_search_deg)
    # line direction from the letters' centres: they sit on the text lines, whereas ink
    # pixels (ascenders, stacked diacritics, tight leading) smear a pixel profile
    cen = centroids[text_keep]
    score_h = _centroid_score(cen[:, 0], cen[:, 1], t.skew_search_deg, wdpi)
    score_v = _centroid_score(cen[:, 1], cen[:, 0], t.skew_search_deg, wdpi)
    m["line_score_h"] = round(score_h, 2)
    m["line_score_v"] = round(score_v, 2)
    rotated = score_v > t.rotated_profile_ratio * max(score_h, 1e-9)
    if rotated:
        # view the page turned 90° clockwise (np.rot90(mask, -1)): lines become horizontal
        xs, ys = (H - 1) - ys, xs
        skew_h, _ = _coarse_skew(xs, ys, t.skew_search_deg)
    skew = _refine_skew(xs, ys, skew_h)
    ratio, n_lines = _ascender_ratio(xs, ys, skew, wdpi)
    m["ascender_ratio"] = round(ratio, 3)
    m["text_lines"] = n_lines
    flipped: bool | None
    if n_lines < t.orientation_min_lines:
        flipped = None
    elif ratio >= t.orientation_upright_min:
        flipped = False
    elif ratio <= t.orientation_flipped_max:
        flipped = True
    else:
        cue = _margin_cue(xs, ys, skew, wdpi)
        m["margin_cue"] = round(cue, 3)
        flipped = (False if cue >= t.orientation_margin_cue else
                   True if cue <= -t.orientation_margin_cue else None)
    method = "profile"
    if rotated:
        orientation = 90 if flipped is not True else 270
    else:
        orientation = 180 if flipped is True else 0
    already_rejected = any(d in REJECT_DEFECTS for d in defects)
    if flipped is None and n_lines >= 1 and t.osd_fallback and not already_rejected:
        osd, conf = _osd_rotation(work)
        if osd is not None and conf >= 1.0:
            if (osd in (90, 270)) == rotated:  # consistent with the line direction
                orientation = osd
                method = "osd"
                m["osd_confidence"] = round(conf, 2)
    if flipped is None and method == "profile":
        method = "unsure"
    m["orientation"] = orientation
    m["orientation_method"] = method
    m["skew_deg"] = round(skew, 2)

    if orientation == 180:
        defects.append("upside_down")
        reasons.append("Trang bị lộn ngược (180°), hệ thống sẽ tự xoay lại")
        fix["rotate"] = 180
    elif orientation in (90, 270):
        defects.append("rotated")
        reasons.append(f"Trang bị xoay ngang ({orientation}°), hệ thống sẽ tự xoay lại")
        fix["rotate"] = (360 - orientation) % 360

    a = abs(skew)
    if a >= t.max_skew_pass_deg:
        defects.append("skewed")
        if a <= t.max_skew_fixable_deg:
            reasons.append(f"Trang bị nghiêng {skew:+.1f}°, hệ thống sẽ tự chỉnh thẳng")
            fix["deskew_deg"] = round(-skew, 2)
        else:
            reasons.append(
                f"Trang bị nghiêng quá nhiều ({skew:+.1f}°, giới hạn ±{t.max_skew_fixable_deg:g}°), "
                "cần đặt lại tài liệu và quét lại"
            )
            defects.append("_skew_reject")

    verdict = _verdict(defects)
    if "_skew_reject" in defects:
        defects.remove("_skew_reject")
        verdict = "reject"
    if verdict == "reject":
        fix = {}  # nothing is auto-fixed on a page that goes back to the scanner
    return PageCheck(source, page, verdict, defects, m, reasons, None, fix, fingerprint)


# --------------------------------------------------------------------------- files


def check_path(path: Path | str, thresholds: Thresholds | None = None,
               kind: str = "text", on_page: Callable[[], None] | None = None) -> list[PageCheck]:
    """Check every page of one delivered file (image or PDF); never raises for bad input.
    ``on_page`` is called after each page (progress display)."""
    t = thresholds or Thresholds()
    source = display_name(path)
    results: list[PageCheck] = []
    try:
        for p in scan_input.iter_pages(path, fast=True, thresholds=t):
            if results and on_page is not None:
                on_page()
            if p.error is not None or p.image is None:
                results.append(corrupt_page(source, p.page, p.error or "no image data"))
                continue
            try:
                c = check_image(p.image, dpi=p.dpi, source=source, page=p.page, thresholds=t,
                                original_size=p.original_size, colour_mode=p.colour_mode,
                                kind=kind, dpi_source=p.dpi_source)
                if p.extraction:
                    c.metrics["pdf_extraction"] = p.extraction
                if p.pdf_rotate:
                    _relative_to_stored(c, p.pdf_rotate)
                results.append(c)
            except Exception as exc:  # noqa: BLE001 - one bad page never stops the batch
                results.append(corrupt_page(source, p.page, f"analysis failed: {type(exc).__name__}: {exc}"))
    except Exception as exc:  # noqa: BLE001
        results.append(corrupt_page(source, len(results) + 1, f"{type(exc).__name__}: {exc}"))
    if not results:
        results.append(corrupt_page(source, 1, "no pages"))
    if on_page is not None:
        on_page()
    return results


def _relative_to_stored(c: PageCheck, pdf_rotate: int) -> None:
    """QC judged the PDF page as displayed (/Rotate applied); later phases read the
    embedded image as stored. Keep the displayed orientation for the operator and turn
    ``orientation``/``fix["rotate"]`` into what applies to the stored image."""
    m = c.metrics
    m["pdf_rotate"] = pdf_rotate
    if m.get("orientation") is None:
        return
    m["orientation_displayed"] = m["orientation"]
    # displayed = stored content turned clockwise by /Rotate (= counter-clockwise 360-R)
    m["orientation"] = (m["orientation"] + pdf_rotate) % 360
    if c.verdict == "fixable":
        turn = (360 - m["orientation"]) % 360
        if turn:
            c.fix["rotate"] = turn
        else:
            c.fix.pop("rotate", None)


def display_name(path: Path | str) -> str:
    """A path as text that survives JSON, the database and a terminal: file names with
    bytes that are not UTF-8 (old Windows/Vietnamese code pages) keep a visible \ufffd."""
    s = os.fspath(path)
    if isinstance(s, bytes):
        s = s.decode("utf-8", "replace")
    s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return unicodedata.normalize("NFC", s)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two fingerprints after undoing a shift (a sheet laid a few mm
    differently on the second scan): phase correlation finds it, up to 1/16 of the width."""
    if a.shape != b.shape:
        b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    lim = a.shape[1] / 16
    if 0.25 < max(abs(dx), abs(dy)) < lim:
        b = cv2.warpAffine(b, np.float32([[1, 0, -dx], [0, 1, -dy]]), (a.shape[1], a.shape[0]),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else 0.0


def mark_duplicates(checks: list[PageCheck], t: Thresholds) -> None:
    seen: list[PageCheck] = []
    for c in checks:
        if c.error or "blank" in c.defects or "phash" not in c.metrics or c._fingerprint is None:
            continue
        h = int(c.metrics["phash"], 16)
        for prev in seen:
            dist = bin(h ^ int(prev.metrics["phash"], 16)).count("1")
            if dist > t.duplicate_max_hamming:
                continue
            corr = _ncc(c._fingerprint, prev._fingerprint)
            if corr >= t.duplicate_min_correlation:
                ref = f"{prev.source}#{prev.page}"
                c.defects.append("duplicate")
                c.metrics["duplicate_of"] = ref
                c.metrics["duplicate_similarity"] = round(corr, 3)
                where = f"trang {prev.page}" + (
                    f" của {Path(prev.source).name}" if prev.source != c.source else "")
                c.reasons_vi.append(f"Trang trùng với {where} (giống {corr:.0%}), có thể bị quét hai lần")
                if c.verdict == "pass":
                    c.verdict = "fixable"
                if c.verdict == "fixable":
                    c.fix["drop_duplicate_of"] = ref
                break
        seen.append(c)


def check_file_pages(paths: list[Path] | list[str], thresholds: Thresholds | None = None,
                     on_page: Callable[[], None] | None = None) -> list[PageCheck]:
    """Check all page images of one hồ sơ (in the given order) and flag duplicates."""
    t = thresholds or Thresholds()
    checks: list[PageCheck] = []
    for p in paths:
        checks.extend(check_path(p, t, on_page=on_page))
    mark_duplicates(checks, t)
    return checks


def make_derivative(data: bytes, fix: dict) -> tuple[bytes, str] | None:
    """Apply a fixable page's ``fix`` (``rotate`` then ``deskew_deg``) to the stored page
    image → (bytes, suffix), or None when there is nothing to apply.

    Full resolution, colour kept; the canvas grows so deskewing cuts no corner and the
    new corners take the paper colour. JPEG in → JPEG q95 out (one more generation,
    visually lossless), anything else → lossless PNG. The dpi tag is carried over.
    """
    rotate = int(fix.get("rotate") or 0) % 360
    deskew = float(fix.get("deskew_deg") or 0.0)
    if not rotate and abs(deskew) < 0.05:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        fmt = (im.format or "").upper()
        dpi = valid_dpi(im.info.get("dpi"))
        img = scan_input.pil_to_array(im, grey=im.mode in ("1", "L"))
    if rotate:
        img = np.ascontiguousarray(np.rot90(img, rotate // 90))  # counter-clockwise
    if abs(deskew) >= 0.05:
        h, w = img.shape[:2]
        rad = math.radians(deskew)
        nw = int(math.ceil(w * abs(math.cos(rad)) + h * abs(math.sin(rad))))
        nh = int(math.ceil(h * abs(math.cos(rad)) + w * abs(math.sin(rad))))
        mat = cv2.getRotationMatrix2D((w / 2, h / 2), deskew, 1.0)  # + = counter-clockwise
        mat[:, 2] += ((nw - w) / 2, (nh - h) / 2)
        edge = np.concatenate([img[:8].reshape(-1, *img.shape[2:]), img[-8:].reshape(-1, *img.shape[2:])])
        paper = np.percentile(edge, 75, axis=0)
        border = tuple(float(v) for v in np.atleast_1d(paper))
        img = cv2.warpAffine(img, mat, (nw, nh), flags=cv2.INTER_CUBIC,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    rgb = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    out = io.BytesIO()
    kw = {"dpi": dpi} if dpi else {}
    if fmt == "JPEG":
        Image.fromarray(rgb).save(out, "JPEG", quality=95, **kw)
        return out.getvalue(), ".jpg"
    Image.fromarray(rgb).save(out, "PNG", **kw)
    return out.getvalue(), ".png"


def _image_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def qc_cli(paths: list[str], as_json: bool = True, thresholds: Thresholds | None = None) -> int:
    """Check files/directories; one JSON object per page on stdout (or a text table).

    A directory is one hồ sơ per sub-folder holding images or PDFs (duplicates are
    looked for within each folder); a file given directly is one hồ sơ. An unreadable
    input gives one ``reject``/``corrupt`` object with ``error``. Returns 0 when it ran,
    whatever the verdicts.
    """
    from sohoa.core.progress import Progress

    t = thresholds or Thresholds.from_env()
    out = sys.stdout
    counts = {"pass": 0, "fixable": 0, "reject": 0}
    inputs: list[list[list[Path]]] = []  # per argument, its hồ sơ, each a list of files
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            groups: dict[Path, list[Path]] = {}
            for f in _image_files(p):
                groups.setdefault(f.parent, []).append(f)
            inputs.append([groups[parent] for parent in sorted(groups)])
        else:
            inputs.append([[p]])  # a PDF/TIFF is one hồ sơ: duplicates inside
    progress = Progress("Kiểm tra ảnh", None, unit="trang", quiet=as_json)
    if progress.active:  # pages of PDFs/TIFFs counted only for the person watching
        progress.total = sum(scan_input.page_count(f) for arg in inputs for grp in arg
                             for f in grp)
    with progress:
        for groups_of_arg in inputs:
            checks = []
            for grp in groups_of_arg:
                checks.extend(check_file_pages(grp, t, on_page=progress.advance))
            _print_checks(out, checks, counts, as_json)
    if not as_json:
        out.write(f"# pass={counts['pass']} fixable={counts['fixable']} reject={counts['reject']}\n")
    out.flush()
    return 0


def _print_checks(out, checks: list[PageCheck], counts: dict, as_json: bool) -> None:
    for c in checks:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
        if as_json:
            out.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(f"{c.source}\t{c.page}\t{c.verdict}\t{','.join(c.defects) or '-'}\t"
                      f"{' | '.join(c.reasons_vi)}\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sohoa.scan.qc", description="Per-page scan QC")
    ap.add_argument("paths", nargs="+", help="image files or directories")
    ap.add_argument("--json", action="store_true", help="one JSON object per page")
    a = ap.parse_args(argv)
    return qc_cli(a.paths, a.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
