"""OCR of scanned pages with Tesseract → text + one-page two-layer PDFs.

Design (see also ``sohoa.pdf``):

* Each page is decoded once (OpenCV), then two views are made with the *same
  geometry* (orientation fixed, deskewed):

  - the **display** view: the colour page, lightly smoothed and encoded as JPEG (quality 70) — this
    is what the archival PDF shows. Red seals and signatures stay visible: they
    are part of the record and must never be removed from the deliverable.
  - the **recognition** view: greyscale taken from the red channel (red ink →
    near white, so a red seal over text no longer hides it), red pixels forced to
    background, background normalised (divided by a large-scale background
    estimate, which flattens yellowed paper and uneven lighting).

* Tesseract runs **once** per page on the recognition view with
  ``-c textonly_pdf=1 pdf txt tsv``: one recognition pass gives the text, the
  word confidences and a PDF page holding only the invisible text layer, sized
  from ``--dpi``. The display JPEG is then placed under that text layer with
  pikepdf (DCTDecode pass-through, no re-encoding). Because both views have the
  same pixel size, the text layer lines up with the image. This is the approach
  OCRmyPDF uses ("sandwich" renderer) and it avoids a second tesseract pass.

* Orientation: the ``rotate`` hint from QC is used when given; otherwise
  Tesseract OSD (``--psm 0``) is run on a reduced copy of the page.
  ``rotation`` is the clockwise angle (0/90/180/270) applied to the scan.
  ``deskew_deg`` is the counter-clockwise angle (OpenCV convention) applied after
  that; pass the QC estimate as a hint to skip estimation.

* Failures never raise out of :func:`ocr_page`: an undecodable image gives
  ``error="decode: ..."`` and ``pdf=None``; a tesseract crash/timeout gives an
  error and, when the image decoded, an image-only PDF page (no text layer), so
  the file's PDF still shows every page.

Domain code: no Airflow import here.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEFAULT_MIN_CONF = float(os.environ.get("SOHOA_OCR_MIN_CONF", "60"))
JPEG_QUALITY = int(os.environ.get("SOHOA_OCR_JPEG_QUALITY", "70"))
# light 3x3 Gaussian (sigma 0.7) before JPEG: removes sensor noise that JPEG pays for
# (-25 % size on noisy pages), invisible at 200-300 dpi. SOHOA_OCR_DENOISE=0 disables.
JPEG_DENOISE = os.environ.get("SOHOA_OCR_DENOISE", "1") not in ("0", "false", "no")
TESSERACT = os.environ.get("SOHOA_TESSERACT", "tesseract")
A4_LONG_INCH = 297 / 25.4


# --------------------------------------------------------------------------- results


@dataclass
class PageOcr:
    page: int
    text: str  # NFC-normalised
    mean_conf: float | None  # mean word confidence 0..100 (words with conf > -1)
    word_count: int
    low_confidence: bool  # mean_conf below threshold → human review
    rotation: int  # clockwise degrees applied before recognition (0/90/180/270)
    deskew_deg: float  # counter-clockwise degrees applied after rotation
    pdf: bytes | None  # one-page PDF: page image + invisible text layer
    error: str | None = None  # reason when the page failed
    dpi: int | None = None
    width_px: int | None = None
    height_px: int | None = None
    seconds: float | None = None  # wall time spent on the page

    @property
    def ok(self) -> bool:
        return self.error is None


class OcrError(RuntimeError):
    pass


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
    b, g, r = cv2.split(image_bgr.astype(np.int16))
    return ((r - np.maximum(g, b)) > 40) & (r > 90)


def recognition_view(image_bgr: np.ndarray) -> np.ndarray:
    """Greyscale for recognition: red ink suppressed, background normalised."""
    grey = image_bgr[:, :, 2].copy()  # red channel: red ink is bright, black/blue ink dark
    grey[red_mask(image_bgr)] = 255
    h, w = grey.shape
    # background estimate on a 1/4 copy: dilate (removes dark text), then smooth
    small = cv2.resize(grey, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, (min(small.shape) // 60) | 1)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.medianBlur(bg, 5)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(grey, np.maximum(bg, 1), scale=255)
    return norm


def estimate_skew(grey: np.ndarray, max_deg: float = 6.0) -> float:
    """Counter-clockwise angle (deg) that makes text lines horizontal (projection profile)."""
    h, w = grey.shape
    scale = 800 / max(h, w)
    small = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    _, binv = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if binv.mean() < 0.5:  # (almost) blank
        return 0.0

    def score(angle: float) -> float:
        rot = _rotate_small(binv, angle, 0)
        rows = rot.sum(axis=1, dtype=np.float64)
        return float(np.var(np.diff(rows)))

    best = max(np.arange(-max_deg, max_deg + 1e-9, 0.5), key=score)
    fine = max(np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1), key=score)
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
        env=_tess_env(),
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


# --------------------------------------------------------------------------- tesseract


def _tess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    return env


def _parse_tsv(tsv: str) -> tuple[float | None, int]:
    confs: list[float] = []
    lines = tsv.splitlines()
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        try:
            conf = float(parts[10])
        except ValueError:
            continue
        if conf > -1 and parts[11].strip():
            confs.append(conf)
    if not confs:
        return None, 0
    return round(sum(confs) / len(confs), 2), len(confs)


def run_tesseract(
    recog: np.ndarray, *, lang: str, dpi: int, timeout: float, psm: int = 3
) -> tuple[str, str, bytes]:
    """One tesseract pass → (txt, tsv, text-only one-page PDF). Raises OcrError."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        src = Path(tmp) / "page.png"
        Image.fromarray(recog).save(src, dpi=(dpi, dpi), compress_level=1)
        base = Path(tmp) / "out"
        cmd = [
            TESSERACT, str(src), str(base), "-l", lang, "--psm", str(psm), "--dpi", str(dpi),
            "-c", "textonly_pdf=1", "pdf", "txt", "tsv",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=_tess_env())
        except subprocess.TimeoutExpired as exc:
            raise OcrError(f"tesseract timeout after {timeout}s") from exc
        except OSError as exc:
            raise OcrError(f"tesseract not runnable: {exc}") from exc
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            tail = " | ".join(msg[-3:]) if msg else ""
            raise OcrError(f"tesseract failed (exit {proc.returncode}): {tail}"[:500])
        try:
            txt = (base.with_suffix(".txt")).read_text("utf-8", errors="replace")
            tsv = (base.with_suffix(".tsv")).read_text("utf-8", errors="replace")
            pdf = (base.with_suffix(".pdf")).read_bytes()
        except OSError as exc:
            raise OcrError(f"tesseract produced no output: {exc}") from exc
    return txt, tsv, pdf


def encode_jpeg(image_bgr: np.ndarray, quality: int = JPEG_QUALITY, denoise: bool = JPEG_DENOISE) -> bytes:
    if denoise:
        image_bgr = cv2.GaussianBlur(image_bgr, (3, 3), 0.7)
    ok, buf = cv2.imencode(
        ".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    )
    if not ok:
        raise OcrError("jpeg encode failed")
    return buf.tobytes()


# --------------------------------------------------------------------------- pages


def _load(path_or_image) -> tuple[np.ndarray, int | None]:
    if isinstance(path_or_image, np.ndarray):
        img = path_or_image
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
        return np.ascontiguousarray(img.astype(np.uint8, copy=False)), None
    if isinstance(path_or_image, (bytes, bytearray, memoryview)):
        return decode_image(bytes(path_or_image))
    try:
        data = Path(path_or_image).read_bytes()
    except OSError as exc:
        raise OcrError(f"decode: cannot read {path_or_image}: {exc.strerror or exc}") from exc
    return decode_image(data)


OSD_TRIGGER_CONF = 75.0  # below this mean confidence an unhinted page gets an OSD check


@dataclass
class _Pass:
    prep: Prepared
    txt: str = ""
    tsv: str = ""
    text_pdf: bytes | None = None
    mean_conf: float | None = None
    word_count: int = 0
    sideways: float = 0.0  # share of words taller than wide
    error: str | None = None


def _recognise(img, rotate, deskew_deg, lang, dpi, timeout) -> _Pass:
    prep = prepare(img, rotate=rotate, deskew_deg=deskew_deg)
    p = _Pass(prep)
    try:
        p.txt, p.tsv, p.text_pdf = run_tesseract(prep.recog, lang=lang, dpi=dpi, timeout=timeout)
    except OcrError as exc:
        p.error = str(exc)
        return p
    p.mean_conf, p.word_count = _parse_tsv(p.tsv)
    p.sideways = _sideways_share(p.tsv)
    return p


def _suspect_orientation(p: _Pass) -> bool:
    if p.error:
        return False  # a crash/timeout is not an orientation problem; don't double the cost
    if p.word_count == 0:
        return False  # blank page: nothing to orient
    return (p.mean_conf or 0) < OSD_TRIGGER_CONF or p.sideways > 0.5


def _sideways_share(tsv: str) -> float:
    tall = total = 0
    for line in tsv.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 12 or parts[0] != "5" or len(parts[11].strip()) < 3:
            continue
        w, h = int(parts[8]), int(parts[9])
        total += 1
        tall += h > 1.5 * w
    return tall / total if total else 0.0


def ocr_page(
    path_or_image,
    *,
    page: int = 1,
    lang: str = "vie",
    dpi: int | None = None,
    rotate: int | None = None,
    deskew_deg: float | None = None,
    timeout: int = 120,
    min_conf: float = DEFAULT_MIN_CONF,
) -> PageOcr:
    """OCR one page (path, encoded bytes or BGR array). Never raises for bad input."""
    import time

    from . import pdf as pdfmod

    t0 = time.perf_counter()
    res = PageOcr(page, "", None, 0, False, 0, 0.0, None, None)
    try:
        img, file_dpi = _load(path_or_image)
    except OcrError as exc:
        res.error = str(exc)
        res.seconds = round(time.perf_counter() - t0, 3)
        return res
    h0, w0 = img.shape[:2]
    dpi = int(dpi or file_dpi or guess_dpi(w0, h0))
    res.dpi = dpi
    jpeg = None
    try:
        if rotate is None:
            # Orientation "only when needed": recognise as scanned first; run OSD only
            # when the result looks wrong (low confidence, or mostly sideways words).
            first = _recognise(img, 0, deskew_deg, lang, dpi, timeout)
            best = first
            if _suspect_orientation(first):
                try:
                    rot = detect_orientation(first.prep.recog, timeout=min(timeout, 60))
                except (subprocess.SubprocessError, OSError):
                    rot = 0
                if rot:
                    second = _recognise(img, rot, deskew_deg, lang, dpi, timeout)
                    if (second.mean_conf or 0) >= (first.mean_conf or 0):
                        best = second
        else:
            best = _recognise(img, rotate, deskew_deg, lang, dpi, timeout)
        prep = best.prep
        res.rotation, res.deskew_deg = prep.rotation, prep.deskew_deg
        res.height_px, res.width_px = prep.display.shape[:2]
        jpeg = encode_jpeg(prep.display)
        if best.error:
            raise OcrError(best.error)
        res.text = unicodedata.normalize("NFC", best.txt).replace("\f", "").strip()
        res.mean_conf, res.word_count = best.mean_conf, best.word_count
        res.low_confidence = res.mean_conf is not None and res.mean_conf < min_conf
        res.pdf = pdfmod.page_with_image(jpeg, res.width_px, res.height_px, dpi, text_pdf=best.text_pdf)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the batch
        res.error = str(exc) if isinstance(exc, OcrError) else f"{type(exc).__name__}: {exc}"
        if jpeg is not None:  # keep the page image even without a text layer
            try:
                res.pdf = pdfmod.page_with_image(jpeg, res.width_px, res.height_px, dpi)
            except Exception:  # noqa: BLE001
                res.pdf = None
    res.seconds = round(time.perf_counter() - t0, 3)
    return res


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cv2.setNumThreads(1)


def _ocr_job(args: tuple) -> PageOcr:
    path, page, kwargs = args
    return ocr_page(path, page=page, **kwargs)


def ocr_pages(
    paths: list[Path],
    *,
    lang: str = "vie",
    workers: int = 2,
    hints: dict[int, dict] | None = None,
    timeout: int = 120,
    min_conf: float = DEFAULT_MIN_CONF,
) -> list[PageOcr]:
    """OCR many pages in a process pool; results in input order, page = 1-based position.

    ``hints`` maps page number (1-based) → {"rotate", "deskew_deg", "dpi"} from QC.
    A failing page (or even a crashed worker) gives that page an ``error``.
    """
    hints = hints or {}
    jobs = []
    for i, p in enumerate(paths, 1):
        h = hints.get(i, {})
        kw = {"lang": lang, "timeout": timeout, "min_conf": min_conf}
        for key in ("rotate", "deskew_deg", "dpi"):
            if h.get(key) is not None:
                kw[key] = h[key]
        jobs.append((str(p) if not isinstance(p, (bytes, np.ndarray)) else p, i, kw))
    if workers <= 1 or len(jobs) <= 1:
        _worker_init_env_only()
        return [_ocr_job(j) for j in jobs]
    import multiprocessing as mp

    ctx = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    results: list[PageOcr] = []
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init) as ex:
        futures = [ex.submit(_ocr_job, j) for j in jobs]
        for (_, page, _), fut in zip(jobs, futures):
            try:
                results.append(fut.result())
            except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool
                results.append(
                    PageOcr(page, "", None, 0, False, 0, 0.0, None, f"worker failed: {type(exc).__name__}: {exc}")
                )
    return results


def _worker_init_env_only() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


# --------------------------------------------------------------------------- documents


def page_pdfs(results: list[PageOcr]) -> list[bytes]:
    """One-page PDFs in order; a page without any PDF gets a placeholder stating why."""
    from . import pdf as pdfmod

    out = []
    for r in results:
        if r.pdf is not None:
            out.append(r.pdf)
        else:
            out.append(pdfmod.blank_page_pdf(595.0, 842.0, f"Trang {r.page}: {r.error or 'không có ảnh'}"))
    return out


def build_document(results: list[PageOcr], metadata: dict) -> bytes:
    """Two-layer PDF/A-2b for a whole file from per-page results (all pages kept)."""
    from . import pdf as pdfmod

    return pdfmod.build_pdfa(page_pdfs(results), metadata=metadata)


def document_text(results: list[PageOcr]) -> str:
    """Pages joined with form feeds (like pdftotext), NFC."""
    return "\f".join(r.text for r in results)


def pdf_page_images(data: bytes, out_dir: Path, stem: str) -> list[tuple[Path, int | None]]:
    """Extract the largest image of every PDF page to files → [(path, dpi)]; a page
    without an image yields a path that does not exist (→ decode error for that page)."""
    import pikepdf
    from pikepdf import PdfImage

    out: list[tuple[Path, int | None]] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            target = out_dir / f"{stem}-p{n:04d}"
            best = None
            try:
                for _name, raw in page.images.items():
                    im = PdfImage(raw)
                    if best is None or im.width * im.height > best.width * best.height:
                        best = im
            except Exception:  # noqa: BLE001
                best = None
            dpi = None
            if best is None:
                out.append((target.with_suffix(".missing"), None))
                continue
            try:
                written = Path(best.extract_to(fileprefix=str(target)))
            except Exception:  # noqa: BLE001 - unusual encodings: go through Pillow
                try:
                    written = target.with_suffix(".png")
                    best.as_pil_image().convert("RGB").save(written)
                except Exception:  # noqa: BLE001
                    out.append((target.with_suffix(".missing"), None))
                    continue
            width_in = float(page.mediabox[2] - page.mediabox[0]) / 72.0
            if width_in > 0:
                dpi = int(round(best.width / width_in))
            out.append((written, dpi))
    return out


def ocr_cli(paths: list[str], out_dir: str, lang: str = "vie", workers: int = 2) -> int:
    """Write DIR/<stem>.txt (UTF-8 NFC, pages separated by form feed) and DIR/<stem>.pdf
    (searchable PDF/A-2b) for every input image or PDF.

    Exit code: 0 all pages read; 1 some pages failed (outputs still written, failed
    pages reported on stderr); 2 an input could not be processed at all."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    code = 0
    for p in map(Path, paths):
        try:
            with tempfile.TemporaryDirectory(prefix="sohoa-cli-") as tmp:
                if p.suffix.lower() == ".pdf":
                    pages = pdf_page_images(p.read_bytes(), Path(tmp), p.stem)
                    hints = {i: {"dpi": d} for i, (_, d) in enumerate(pages, 1) if d}
                    results = ocr_pages([q for q, _ in pages], lang=lang, workers=workers, hints=hints)
                else:
                    results = ocr_pages([p], lang=lang, workers=1)
                meta = {"file_code": p.stem, "title": p.stem, "language": lang}
                doc = build_document(results, meta)
            (out / f"{p.stem}.pdf").write_bytes(doc)
            (out / f"{p.stem}.txt").write_text(document_text(results), encoding="utf-8")
            for r in results:
                if r.error:
                    print(f"{p}: page {r.page}: {r.error}", file=sys.stderr)
                    code = max(code, 1)
                elif r.low_confidence:
                    print(f"{p}: page {r.page}: low confidence {r.mean_conf}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001
            print(f"{p}: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 2
    return code


# --------------------------------------------------------------------------- synthetic pages


def render_text_page(
    lines: list[str],
    *,
    dpi: int = 200,
    font_pt: float = 13.5,
    font_path: str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    page_mm: tuple[float, float] = (210.0, 297.0),
    paper_rgb: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Render text lines on an (A4) page → BGR array. For tests, benchmarks and demo data."""
    from PIL import Image, ImageDraw, ImageFont

    w = int(round(page_mm[0] / 25.4 * dpi))
    h = int(round(page_mm[1] / 25.4 * dpi))
    im = Image.new("RGB", (w, h), paper_rgb)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(font_path, int(round(font_pt * dpi / 72)))
    x, y = int(25 / 25.4 * dpi), int(25 / 25.4 * dpi)
    step = int(round(font_pt * 1.6 * dpi / 72))
    for line in lines:
        draw.text((x, y), line, fill=(20, 20, 20), font=font)
        y += step
    return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)
