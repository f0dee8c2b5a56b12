"""Thresholds for per-page scan QC (sohoa.qc), each with the reason for its value.

No standard gives numeric skew or blur limits (see DOMAIN.md, "Image quality"): the
resolution limits come from the national rules, everything else is the project's
choice, justified below and overridable per deployment from the environment:

    SOHOA_QC_<FIELD>=<value>      e.g. SOHOA_QC_MIN_DPI_TEXT=300, SOHOA_QC_OSD_FALLBACK=0

Measurements are taken on a working copy downscaled to ``work_dpi`` so that blur,
ink and size limits mean the same thing whatever the scan resolution.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


@dataclass(frozen=True)
class Thresholds:
    # --- resolution -----------------------------------------------------------
    # TT 05/2025/TT-BNV and NĐ 30/2020/NĐ-CP Phụ lục I: administrative documents are
    # scanned at >= 200 dpi, 100 % scale.
    min_dpi_text: float = 200.0
    # Same rules: maps and drawings (bản đồ, bản vẽ) need >= 300 dpi. Used when the
    # caller declares the page a map/drawing (check_image(..., kind="map")).
    min_dpi_maps: float = 300.0
    # TIFF stores dpi as rationals and some scanners write 199.99; accept 1 % under.
    dpi_tolerance: float = 0.01

    # --- working copy ---------------------------------------------------------
    # All measurements run on a grey copy at this resolution: 100 dpi keeps 13 pt text
    # at ~9 px x-height (enough for skew to 0.2° and for blur) and is 4x fewer pixels
    # than a 200 dpi page, which is what makes >= 20 pages/s per core possible.
    work_dpi: float = 100.0

    # --- blank ----------------------------------------------------------------
    # A pixel counts as ink only if it is this many grey levels darker than the local
    # paper (adaptive threshold C). Paper texture / scanner noise is ~3-8 levels.
    ink_local_delta: int = 12
    # ... and a blob counts as ink only if its darkest pixel is this much darker than
    # the page's paper level. Bleed-through and show-through of the verso are typically
    # 10-25 levels; printed or handwritten ink is > 60 even when faded.
    ink_strong_delta: int = 35
    # A page with fewer ink blobs than this (at work_dpi, blobs >= 3 px) is blank: one
    # short line of text already has ~30 letters; a page number or stamp alone is not a
    # content page to keep silently.
    blank_min_components: int = 25
    # ... or with less ink than this share of its area (0.05 % ≈ a short signature).
    blank_max_ink_ratio: float = 0.0005

    # --- blur -----------------------------------------------------------------
    # Sharpness = variance of the 3x3 Laplacian measured only around ink (so margins do
    # not dilute it), at work_dpi, divided by (contrast/100)^2 so faint-but-sharp text is
    # not called blurred. Measured on 13 pt serif print scanned at 200 dpi: sharp ≈ 150k;
    # Gaussian blur sigma 2 px ≈ 30k (still fine for OCR), sigma 3 px ≈ 7k (letters
    # soft but legible), sigma 4 px ≈ 1k (e/c/o and diacritics merge, OCR fails).
    # 3000 sits between the last legible and the first illegible case.
    min_sharpness: float = 3000.0

    # --- contrast -------------------------------------------------------------
    # Paper level minus median ink level (grey levels, 0-255). Black print scans at
    # 150-220; faded carbon copies / pencil ~60-100; under 60 OCR degrades sharply and
    # the operator should rescan with adjusted exposure.
    min_contrast: float = 60.0

    # --- skew -----------------------------------------------------------------
    # Below 0.5° the skew is invisible to readers and harmless to OCR: pass.
    max_skew_pass_deg: float = 0.5
    # Up to 10° deskewing (one rotation of the image) loses nothing visible and OCR on
    # the deskewed page is as good as on a straight scan: fixable automatically (a page
    # whose corners the crooked feed cut off is caught separately as "cropped").
    # Beyond 10° the page was clearly fed crooked: rescan.
    max_skew_fixable_deg: float = 10.0
    # Angular range searched; text rotated beyond this is reported at this limit.
    skew_search_deg: float = 15.0

    # --- orientation ----------------------------------------------------------
    # Share of off-core ink above the x-height band on upright Latin/Vietnamese text
    # (ascenders, capitals, diacritics) is ~0.65-0.8; upside-down gives ~0.2-0.35.
    # Between the two margins the heuristic is unsure.
    orientation_upright_min: float = 0.56
    orientation_flipped_max: float = 0.44
    # Text lines are vertical (page turned 90/270) when the vertical projection profile
    # is this much peakier than the horizontal one.
    # (measured on A4 text pages: upright v/h ≈ 0.77, turned 90° v/h ≈ 1.3).
    rotated_profile_ratio: float = 1.1
    # When the heuristic is unsure, ask tesseract OSD (slow: ~0.3-1 s a page).
    osd_fallback: bool = True
    # Minimum text lines for the heuristic to decide at all.
    orientation_min_lines: int = 3

    # --- cropping -------------------------------------------------------------
    # A page is cropped when at least this many text-sized blobs touch one image edge:
    # text running off the edge means the scan window cut the page.
    cropped_min_edge_blobs: int = 6
    # Distance (px at work_dpi) from the image edge that counts as touching.
    cropped_edge_px: int = 2

    # --- duplicates -----------------------------------------------------------
    # Candidate duplicate when 64-bit DCT pHashes differ in at most this many bits ...
    duplicate_max_hamming: int = 10
    # ... confirmed when the 256-px grey thumbnails (blurred) correlate at least this much:
    # a rescan of the same page shifted a few px correlates > 0.9, two different text
    # pages with the same layout well below (pHash alone cannot tell those apart).
    duplicate_min_correlation: float = 0.85

    # --- safety ---------------------------------------------------------------
    # Decompression-bomb guard: A0 at 360 dpi is ~2e8 px; anything bigger is refused
    # before decoding (Pillow's own MAX_IMAGE_PIXELS guard is also honoured).
    max_image_pixels: int = 200_000_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Thresholds":
        """Defaults overridden by SOHOA_QC_<FIELD> variables (ValueError if unparsable)."""
        env = os.environ if environ is None else environ
        base = cls()
        changes: dict[str, object] = {}
        for f in fields(cls):
            key = f"SOHOA_QC_{f.name.upper()}"
            raw = env.get(key)
            if raw is None or raw.strip() == "":
                continue
            current = getattr(base, f.name)
            try:
                if isinstance(current, bool):
                    low = raw.strip().lower()
                    if low not in _TRUE | _FALSE:
                        raise ValueError(raw)
                    changes[f.name] = low in _TRUE
                elif isinstance(current, int):
                    changes[f.name] = int(raw)
                else:
                    changes[f.name] = float(raw)
            except ValueError as exc:
                raise ValueError(f"{key}={raw!r} is not a valid {type(current).__name__}") from exc
        return replace(base, **changes)
