"""Blur of a scanned page measured on its text edges, in millimetres, so that paper grain
and JPEG noise cannot hide it.

A Laplacian (or any high-pass) energy rises with noise as much as with sharp detail: a
blurred page on grainy paper, saved at JPEG q55–70, keeps a high "sharpness". The width
of the edges of the letters does not: an edge of contrast C blurred by a Gaussian of
standard deviation s has a steepest slope of C / (s·√(2π)), whatever the noise once the
patch is smoothed. So, on small patches of full-resolution pixels centred on letters:

1. smooth with a Gaussian of DENOISE_MM (grain and JPEG blocks average out; the edge
   widens by a known amount, taken out in quadrature at the end);
2. C = the patch's ink-to-paper contrast (5th to 95th percentile); patches of weak
   contrast (seal tint, stains) are skipped;
3. the steepest slope = a high percentile of the gradient magnitude (Sobel / 8);
4. s = C / (slope·√(2π)) in pixels, the smoothing and the pixel footprint removed in
   quadrature, divided by the dpi of the measured image → mm.

QC decodes JPEGs reduced (DCT scaling to ~100–150 dpi, sohoa.scan.inputs) for speed; the
measure works on that image, so the threshold is calibrated on that production path.

The page's figure is the median over patches (a seal or a signature stroke does not move
it), reported as ``edge_blur_mm`` and compared with ``max_edge_blur_mm``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

DENOISE_MM = 0.085  # ~1 px at 300 dpi, ~0.7 px at 200 dpi: averages grain and JPEG blocks
PATCH_MM = 5.0  # a patch holds two or three letters of 11–14 pt text
MIN_PATCH_CONTRAST = 50.0  # grey levels; print on paper is 150–220
MAX_PATCHES = 24
SLOPE_PERCENTILE = 98.0  # the letters' stems: edge pixels are a few % of a patch


def edge_blur_mm(grey: np.ndarray, points: np.ndarray, dpi: float) -> tuple[float | None, int]:
    """(median Gaussian-equivalent blur of the text edges in mm, patches used).

    ``grey``: the page at its scanned resolution ``dpi``; ``points``: (x, y) pixel centres of
    letters in that image. (None, 0) when no patch has contrast enough (blank, faint)."""
    if len(points) == 0 or dpi <= 0:
        return None, 0
    half = max(6, round(PATCH_MM / 25.4 * dpi / 2))
    sd = DENOISE_MM / 25.4 * dpi
    h, w = grey.shape[:2]
    idx = np.unique(np.linspace(0, len(points) - 1, min(MAX_PATCHES, len(points))).astype(int))
    size = 2 * half
    if h < size or w < size:
        return None, 0
    patches = []
    for x, y in points[idx]:
        x0 = min(max(0, int(x) - half), w - size)
        y0 = min(max(0, int(y) - half), h - size)
        patches.append(grey[y0:y0 + size, x0:x0 + size])
    # all patches stacked into one tall image: one smoothing and one gradient pass; the rows
    # near the seams (where neighbouring patches bleed into each other) are left out below
    tall = cv2.GaussianBlur(np.vstack(patches).astype(np.float32), (0, 0), sd)
    gx = cv2.Sobel(tall, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(tall, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy)
    m = min(half - 2, int(math.ceil(3 * sd)) + 1)
    n = len(patches)
    inner = (slice(None), slice(m, size - m), slice(m, size - m))
    vals = tall.reshape(n, size, size)[inner].reshape(n, -1)
    slopes = mag.reshape(n, size, size)[inner].reshape(n, -1)
    lo, hi = np.percentile(vals, (5, 95), axis=1)
    contrast = hi - lo
    slope = np.percentile(slopes, SLOPE_PERCENTILE, axis=1) / 8.0
    ok = (contrast >= MIN_PATCH_CONTRAST) & (slope > 0)
    ests = list(contrast[ok] / (slope[ok] * math.sqrt(2 * math.pi)))
    if not ests:
        return None, 0
    s = float(np.median(ests))
    # the smoothing and the pixel's own footprint (a box of 1 px: σ = 1/√12) taken out
    blur_px = math.sqrt(max(0.0, s * s - sd * sd - 1.0 / 12.0))
    return blur_px / dpi * 25.4, len(ests)
