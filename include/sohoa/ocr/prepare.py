"""Preparing a scanned page for tesseract and for the PDF: decoding, orientation, deskew,
coloured-ink removal for the recognition view, JPEG of the display view."""

from __future__ import annotations

import io
import os
import re
import subprocess
from dataclasses import dataclass

import cv2
import numpy as np
from sohoa.ocr.words import TESSERACT, OcrError, tess_env

# JPEG quality 60, progressive (5 % smaller at the same pixels): median ≈ 235 KB per
# 200-300 dpi colour A4 page (goal ≤ 250 KB) while raw tesseract on the stored image reads
# as well as on q70 (benchmarks/ocr_size.py).
JPEG_QUALITY = int(os.environ.get("SOHOA_OCR_JPEG_QUALITY", "60"))
# light 3x3 Gaussian (sigma 0.7) before JPEG: removes sensor noise that JPEG pays for
# (-25 % size on noisy pages), invisible at 200-300 dpi. SOHOA_OCR_DENOISE=0 disables.
JPEG_DENOISE = os.environ.get("SOHOA_OCR_DENOISE", "1") not in ("0", "false", "no")
A4_LONG_INCH = 297 / 25.4

# --------------------------------------------------------------------------- decoding


def decode_image(data: bytes) -> tuple[np.ndarray, int | None]:
    """Bytes → (BGR uint8 image, dpi or None). Raises OcrError when undecodable."""
    arr = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR) if arr.size else None
    if img is None or img.size == 0 or min(img.shape[:2]) < 16:
        raise OcrError("decode: not a readable image")
    dpi = None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            d = im.info.get("dpi")
            if d and d[0] and float(d[0]) >= 50:
                dpi = int(round(float(d[0])))
    except Exception:  # noqa: BLE001 - dpi is optional metadata
        dpi = None
    return img, dpi


def guess_dpi(width: int, height: int) -> int:
    """No dpi recorded: assume an A4 page (the common case for administrative records)."""
    return int(round(max(width, height) / A4_LONG_INCH))


# --------------------------------------------------------------------------- preparation


def _rotate90(img: np.ndarray, clockwise: int) -> np.ndarray:
    clockwise %= 360
    if clockwise == 90:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if clockwise == 180:
        return cv2.rotate(img, cv2.ROTATE_180)
    if clockwise == 270:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


def _rotate_small(img: np.ndarray, angle: float, border) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def red_mask(image_bgr: np.ndarray) -> np.ndarray:
    """Pixels of red ink (seals, red stamps): R clearly above both G and B."""
    b, g, r = cv2.split(image_bgr)
    return (cv2.subtract(r, cv2.max(g, b)) > 40) & (r > 90)


# chroma (max - min channel) above which a pixel is coloured ink, not black print or
# paper: red seals (~150), blue/violet signature pens (~100) vs black text (<15) and
# yellowed paper (<35). Typed administrative text is black (NĐ 30/2020), so coloured ink
# is seals, signatures and handwritten notes, which tesseract turns into garbage words.
COLOUR_INK_CHROMA = 60


def colour_ink_mask(image_bgr: np.ndarray) -> np.ndarray:
    """Pixels of saturated coloured ink (seals, signatures) or red ink."""
    b, g, r = cv2.split(image_bgr)
    gb = cv2.max(g, b)
    chroma = cv2.subtract(cv2.max(gb, r), cv2.min(cv2.min(g, b), r))
    return (chroma > COLOUR_INK_CHROMA) | ((cv2.subtract(r, gb) > 40) & (r > 90))


def recognition_view(image_bgr: np.ndarray) -> np.ndarray:
    """Greyscale for recognition: coloured ink suppressed, background normalised."""
    grey = image_bgr[:, :, 2].copy()  # red channel: red ink is bright, black ink dark
    grey[colour_ink_mask(image_bgr)] = 255
    h, w = grey.shape
    # background estimate on a 1/4 copy: dilate (removes dark text), then smooth
    small = cv2.resize(grey, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, (min(small.shape) // 60) | 1)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.medianBlur(bg, 5)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(grey, np.maximum(bg, 1), scale=255)
    return norm


def estimate_skew(grey: np.ndarray, max_deg: float = 10.0) -> float:
    """Counter-clockwise angle (deg) that makes text lines horizontal (projection profile).

    The ink pixels of an 800 px copy are projected onto the rotated vertical axis with
    ``np.bincount`` (no image rotation per candidate angle): 1° steps, then 0.1°."""
    h, w = grey.shape
    scale = 800 / max(h, w)
    small = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    _, binv = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if binv.mean() < 0.5:  # (almost) blank
        return 0.0
    ys, xs = np.nonzero(binv)
    sh, sw = binv.shape
    xs = xs.astype(np.float64) - sw / 2
    ys = ys.astype(np.float64) - sh / 2
    n = int(2 * max(sh, sw)) + 2

    def score(angle: float) -> float:
        # row of each ink pixel after an OpenCV rotation by +angle (counter-clockwise)
        a = np.radians(angle)
        rows = np.round(-np.sin(a) * xs + np.cos(a) * ys).astype(np.int64) + n // 2
        prof = np.bincount(rows, minlength=n).astype(np.float64)
        return float(np.var(np.diff(prof)))

    best = max(np.arange(-max_deg, max_deg + 1e-9, 1.0), key=score)
    fine = max(np.arange(best - 1.0, best + 1.0 + 1e-9, 0.1), key=score)
    return round(float(fine), 2)


def detect_orientation(grey: np.ndarray, timeout: int = 30) -> int:
    """Clockwise rotation (0/90/180/270) that makes the page upright, via tesseract OSD.

    Returns 0 when OSD has too little text or low confidence."""
    h, w = grey.shape
    scale = min(1.0, 1700 / max(h, w))  # OSD works on ~150 dpi A4; faster than full size
    small = grey if scale >= 1.0 else cv2.resize(grey, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", small, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    proc = subprocess.run(
        [TESSERACT, "stdin", "stdout", "--psm", "0", "-l", "osd", "--dpi", "150"],
        input=png.tobytes(),
        capture_output=True,
        timeout=timeout,
        env=tess_env(),
    )
    out = proc.stdout.decode("utf-8", "replace")
    m = re.search(r"Rotate:\s*(\d+)", out)
    c = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not m:
        return 0
    if c and float(c.group(1)) < 1.0:
        return 0
    return int(m.group(1)) % 360


@dataclass
class Prepared:
    display: np.ndarray  # colour, rotated + deskewed (goes into the PDF)
    recog: np.ndarray  # greyscale, red suppressed, background normalised (goes to tesseract)
    rotation: int
    deskew_deg: float


def prepare(
    image_bgr: np.ndarray,
    *,
    rotate: int | None = None,
    deskew_deg: float | None = None,
    osd_timeout: int = 30,
) -> Prepared:
    recog = recognition_view(image_bgr)
    if rotate is None:
        try:
            rotate = detect_orientation(recog, timeout=osd_timeout)
        except (subprocess.SubprocessError, OSError):
            rotate = 0
    rotate = int(rotate) % 360
    if rotate % 90:
        raise ValueError(f"rotate must be a multiple of 90, got {rotate}")
    display = _rotate90(image_bgr, rotate)
    recog = _rotate90(recog, rotate)
    if deskew_deg is None:
        deskew_deg = estimate_skew(recog)
    deskew_deg = float(deskew_deg)
    if abs(deskew_deg) >= 0.15:
        display = _rotate_small(display, deskew_deg, (255, 255, 255))
        recog = _rotate_small(recog, deskew_deg, 255)
    else:
        deskew_deg = 0.0
    return Prepared(display, recog, rotate, deskew_deg)


def prepare_page(
    image_bgr: np.ndarray, *, rotate: int | None = None, deskew_deg: float | None = None
) -> tuple[np.ndarray, int, float]:
    """Recognition image (greyscale, upright, deskewed, red suppressed, background
    normalised) + applied clockwise rotation + applied deskew angle."""
    p = prepare(image_bgr, rotate=rotate, deskew_deg=deskew_deg)
    return p.recog, p.rotation, p.deskew_deg



def encode_jpeg(image_bgr: np.ndarray, quality: int = JPEG_QUALITY, denoise: bool = JPEG_DENOISE) -> bytes:
    if denoise:
        image_bgr = cv2.GaussianBlur(image_bgr, (3, 3), 0.7)
    ok, buf = cv2.imencode(
        ".jpg", image_bgr,
        [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, 1, cv2.IMWRITE_JPEG_PROGRESSIVE, 1],
    )
    if not ok:
        raise OcrError("jpeg encode failed")
    return buf.tobytes()
