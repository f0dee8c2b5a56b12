"""Thresholds for per-page scan QC (sohoa.scan.qc), each with the reason for its value.

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


# Paper sizes a delivered page may have (mm, portrait; landscape is checked too): ISO A3,
# A4, A5, ISO B4, B5, US Letter, Legal, and F4/Folio (210 × 330, common in Vietnamese offices).
STANDARD_PAPER_MM = {"A3": (297.0, 420.0), "A4": (210.0, 297.0), "A5": (148.0, 210.0),
                     "B4": (250.0, 353.0), "B5": (176.0, 250.0), "Letter": (215.9, 279.4),
                     "Legal": (215.9, 355.6), "F4": (210.0, 330.0)}


def paper_size(w_mm: float, h_mm: float, tolerance_mm: float) -> str | None:
    """Name of the standard paper size within ``tolerance_mm`` on both sides, or None."""
    short, long_ = sorted((w_mm, h_mm))
    for name, (a, b) in STANDARD_PAPER_MM.items():
        if abs(short - a) <= tolerance_mm and abs(long_ - b) <= tolerance_mm:
            return name
    return None


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
    # Faded ink (weak toner, carbon copies) can be fainter than ink_strong_delta yet is
    # well above show-through: a page "blank" by the strong rule that still has this many
    # text-sized blobs reaching faint_ink_delta is content (then rejected as low_contrast).
    # Show-through measured 10-22 levels deep after the paper's diffusion; 26 keeps a margin.
    faint_ink_delta: int = 26
    # ... four lines of text: fibres or a stain never make that many letter-sized blobs.
    faint_min_components: int = 100
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
    # ... but grain and JPEG noise keep that energy high on a blurred page, so blur is also
    # measured as the width of the letters' edges at the scanned resolution, after smoothing
    # the noise (sohoa.scan.sharpness: Gaussian-equivalent sigma in mm, the same at 200 and
    # 300 dpi). Measured on rendered A4 pages with grain (σ 4–9 levels) and JPEG q55–70
    # (benchmarks/qc_blur_sweep.py, seed 5; not the labelled set): scanner-sharp
    # pages (optical blur up to 1 px at 300 dpi = 0.085 mm) read 0.01–0.10 mm, 200 dpi pages
    # sitting at the top of that range (pixel size); a Gaussian blur of 2.5 px at 300 dpi
    # (0.21 mm: visibly soft) reads ≥ 0.15, 3 px ≥ 0.18, 4 px ≥ 0.24. 0.125 sits between.
    # The Laplacian rule above stays for heavily blurred clean pages.
    max_edge_blur_mm: float = 0.125
    # The edge measure needs the letters' strokes several pixels wide: below ~150 dpi 12 pt
    # strokes are 1–2 px and every page looks soft. So JPEGs are decoded reduced (DCT
    # scaling, for speed) only down to this resolution: 300 dpi scans at 150 dpi, 200 dpi
    # scans in full (measured: a sharp 200 dpi page read 0.17 mm when decoded at 100 dpi).
    blur_min_dpi: float = 150.0

    # --- contrast -------------------------------------------------------------
    # Paper level minus median ink level (grey levels, 0-255). Black print scans at
    # 150-220; faded carbon copies / pencil ~60-100; under 60 OCR degrades sharply and
    # the operator should rescan with adjusted exposure.
    min_contrast: float = 60.0

    # A page whose dpi tag implies a short side under this many mm (A7 is 74 mm) was
    # almost surely resampled without updating its tag: it is judged by its pixel size
    # as an A4 page instead (administrative records are A4/A5; A6 is 105 mm).
    min_page_mm: float = 90.0
    # TT 05/2025/TT-BNV asks for colour >= 24 bit. Grey and bitonal scans are still
    # common in deliveries and OCR reads them fine, so this is recorded per page
    # (metrics "colour_compliant") and reported, not a reason to rescan.
    min_colour_bits: int = 24

    # --- skew -----------------------------------------------------------------
    # Up to 2° a page passes: the OCR phase measures skew again and straightens both the
    # image and the text layer of every page tilted >= 0.15° (sohoa.ocr.recognition.prepare), and
    # tesseract's line finding is unaffected at that angle, so nothing is lost. A sheet
    # laid by hand on a flatbed or fed by an ADF routinely sits 0.5-1.5° off (the sample
    # programme renders exactly that); flagging all of those would bury the real
    # problems. Measured skew error is < 0.3°, so 2° leaves a clear margin.
    max_skew_pass_deg: float = 2.0
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
    # Text lines are vertical (page turned 90/270) when the profile of letter centres
    # across vertical lines is this much peakier than across horizontal ones. Measured on
    # the labelled set (benchmarks/qc_labelled.py: 4 fonts, 200/300 dpi, seals): upright
    # pages 0.49-0.70, pages turned 90° 1.42-2.03; 1.0 sits between with margin both ways.
    rotated_profile_ratio: float = 1.0
    # ... and between them, the aligned side decides: share of lines flush left minus
    # share flush right (upright left-aligned/justified pages +0.2..+0.6, upside down the
    # opposite); within ±this it stays unsure.
    orientation_margin_cue: float = 0.15
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
    # A page cut between or across its last lines has no blob touching the edge, but it is
    # a sheet of no standard size (STANDARD_PAPER_MM: A3/A4/A5, B4/B5, Letter, Legal, F4)
    # whose text comes closer to an edge than any printed layout allows: NĐ 30/2020 margins
    # are 20–35 mm (top/bottom/left), 15–20 mm right, and page numbers sit ≥ 10 mm in.
    # So: size off every standard by more than page_size_tolerance_mm (trimmed paper and
    # scanner windows vary by a few mm) and at least cropped_min_margin_blobs text blobs
    # within cropped_text_margin_mm of one edge → cropped.
    page_size_tolerance_mm: float = 6.0
    cropped_text_margin_mm: float = 6.0
    cropped_min_margin_blobs: int = 3

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
