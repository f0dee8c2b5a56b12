"""OCR of scanned pages with Tesseract → text + one-page two-layer PDFs.

Design (see also ``sohoa.ocr.pdf``):

* Each page is decoded once (OpenCV), then two views are made with the *same
  geometry* (orientation fixed, deskewed):

  - the **display** view: the colour page, lightly smoothed and encoded as progressive
    JPEG (quality 60, see JPEG_QUALITY) — this
    is what the archival PDF shows. Red seals and signatures stay visible: they
    are part of the record and must never be removed from the deliverable.
  - the **recognition** view: greyscale taken from the red channel (red ink →
    near white, so a red seal over text no longer hides it), coloured ink (red
    seals, blue signatures: high chroma) forced to background, background
    normalised (divided by a large-scale background estimate, which flattens
    yellowed paper and uneven lighting), reduced to 200 dpi when finer
    (``RECOG_MAX_DPI``: fewer tone-mark confusions on 300 dpi scans, less CPU).

* Tesseract runs **once** per page on the recognition view with
  ``-c textonly_pdf=1 pdf tsv``: one recognition pass gives the words with their
  confidences and boxes, and a PDF page holding only the invisible text layer, sized
  from ``--dpi``. The stored text is rebuilt from the TSV: marks that are not print
  (very low confidence, or low confidence and an odd height) are dropped, and
  side-by-side columns (the ND 30/2020 header and signer block, which tesseract
  reads across) are read left column first (``reading_order``). Per line the mean
  and lowest word confidence are kept (``line_records``) for review. The display JPEG is then placed under that text layer with
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
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sohoa.core.progress import Progress
from sohoa.ocr import postcorrect
from sohoa.ocr.prepare import A4_LONG_INCH, Prepared, decode_image, detect_orientation, encode_jpeg, guess_dpi, prepare
from sohoa.ocr.words import (OcrError, Word, drop_noise, line_records, reading_order, run_tesseract,
                             tsv_words)

DEFAULT_MIN_CONF = float(os.environ.get("SOHOA_OCR_MIN_CONF", "60"))
# Pages up to A4 (administrative text) are shown in the PDF at 200 dpi, the national minimum
# for documents, colour kept: a 300 dpi colour A4 page is ~400 KB at q60 at full resolution,
# ~200 KB at 200 dpi (goal: median ≤ 250 KB), and recognition reads its own 200 dpi view, so
# the OCR error does not change. Larger pages (maps, drawings: ≥ 300 dpi rule) keep their
# scanned resolution. SOHOA_OCR_PDF_MAX_DPI=N sets another cap (never below 200); 0 keeps
# every page at its scanned resolution.
_PDF_CAP_ENV = os.environ.get("SOHOA_OCR_PDF_MAX_DPI", "200").strip().lower()
PDF_MAX_DPI = 0 if _PDF_CAP_ENV in ("0", "off", "") else max(200, int(_PDF_CAP_ENV))
CAP_MAX_LONG_INCH = A4_LONG_INCH * 1.1  # A4 with scanner margins; A3 maps are 16.5 in


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
    lines: list[dict] | None = None  # per line: text, conf, min_conf, bbox (line_records)
    review_reason: str | None = None  # why the page is flagged for human review
    corrections: list[dict] | None = None  # per change: line, original, corrected, reason, conf

    @property
    def ok(self) -> bool:
        return self.error is None




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


RECOG_MAX_DPI = int(os.environ.get("SOHOA_OCR_RECOG_DPI", "200"))
OSD_TRIGGER_CONF = 75.0  # below this mean confidence an unhinted page gets an OSD check


@dataclass
class _Pass:
    prep: Prepared
    tsv: str = ""
    text_pdf: bytes | None = None
    mean_conf: float | None = None
    word_count: int = 0
    sideways: float = 0.0  # share of words taller than wide
    error: str | None = None
    lines: list[dict] | None = None
    ordered: list[list[Word]] | None = None  # words kept, lines in reading order
    recog_size: tuple[int, int] | None = None  # (width, height) of the recognised image
    corrections: list[dict] | None = None  # post-corrections made (sohoa.ocr.postcorrect)


def _recognise(img, rotate, deskew_deg, lang, dpi, timeout) -> _Pass:
    prep = prepare(img, rotate=rotate, deskew_deg=deskew_deg)
    p = _Pass(prep)
    recog, rdpi = prep.recog, dpi
    if dpi > RECOG_MAX_DPI:
        # tesseract's vie model reads 13-14 pt text best near 200 dpi: finer scans are
        # reduced for recognition only (fewer tone-mark confusions, less CPU); the page
        # size in the text-layer PDF (pixels / dpi) is unchanged, so it still fits the image.
        f = RECOG_MAX_DPI / dpi
        h, w = recog.shape
        recog = cv2.resize(recog, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        rdpi = dpi * recog.shape[1] / w
    try:
        p.tsv, p.text_pdf = run_tesseract(recog, lang=lang, dpi=round(rdpi), timeout=timeout)
    except OcrError as exc:
        p.error = str(exc)
        return p
    words = drop_noise(tsv_words(p.tsv))
    p.word_count = len(words)
    p.mean_conf = round(sum(w.conf for w in words) / len(words), 2) if words else None
    p.ordered = reading_order(words)
    p.corrections = postcorrect.correct_words(p.ordered)  # in place: text, records and PDF agree
    p.lines = line_records(p.ordered, prep.recog.shape[1] / recog.shape[1])
    p.recog_size = (recog.shape[1], recog.shape[0])
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


def error_reason_vi(error: str) -> str:
    """Vietnamese reason for a failed page, for the review list (the technical error is
    kept beside it)."""
    e = error.lower()
    if e.startswith("decode"):
        return "Không đọc được ảnh trang (tệp hỏng hoặc không phải ảnh): cần quét lại"
    if "timeout" in e:
        return "Nhận dạng trang quá thời gian cho phép"
    if e.startswith("worker failed"):
        return "Tiến trình nhận dạng dừng đột ngột"
    if "tesseract" in e:
        return "Phần mềm nhận dạng (tesseract) báo lỗi"
    return "Lỗi khi nhận dạng trang"


LOW_LINE_SHARE = 0.25  # a page is reviewed when this share of its lines reads poorly


def review_reason(mean_conf: float | None, lines: list[dict], min_conf: float) -> str | None:
    """Vietnamese reason for human review, or None. Blank pages (no words) are not flagged."""
    if mean_conf is None:
        return None
    if mean_conf < min_conf:
        return f"Độ tin cậy nhận dạng thấp: {mean_conf:.0f}/100 (ngưỡng {min_conf:.0f})"
    weak = [ln for ln in lines if ln["conf"] < min_conf]
    if len(lines) >= 4 and len(weak) / len(lines) >= LOW_LINE_SHARE:
        return f"{len(weak)}/{len(lines)} dòng có độ tin cậy dưới {min_conf:.0f}"
    return None


def qc_findings(img: np.ndarray, dpi: int | None) -> tuple[int | None, float | None]:
    """(orientation, skew_deg) as QC measures them (``sohoa.scan.qc.check_image``): the
    content's counter-clockwise turn (= the clockwise turn OCR applies) and the text
    lines' counter-clockwise tilt. (None, None) when QC cannot tell."""
    from sohoa.scan import qc  # here: qc is the heavier module, only needed without hints

    try:
        m = qc.check_image(img, dpi=(dpi, dpi) if dpi else None).metrics
    except Exception:  # noqa: BLE001 - fall back to OCR's own estimates
        return None, None
    o, sk = m.get("orientation"), m.get("skew_deg")
    return (int(o) % 360 if o is not None else None), (float(sk) if sk is not None else None)


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

    from sohoa.ocr import pdf as pdfmod
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
        if rotate is None or deskew_deg is None:
            # no QC findings (CLI, PDFs): measure them the way QC does (~50 ms, cheaper
            # than our own skew search and than a wasted tesseract pass on an upside-down page)
            q_rot, q_skew = qc_findings(img, dpi)
            if deskew_deg is None and q_skew is not None:
                deskew_deg = -q_skew
        if rotate is None:
            # Orientation from QC's measure; run OSD only when the result still looks
            # wrong (low confidence, or mostly sideways words).
            guess = q_rot or 0
            first = _recognise(img, guess, deskew_deg, lang, dpi, timeout)
            best = first
            if _suspect_orientation(first):
                try:
                    rot = detect_orientation(first.prep.recog, timeout=min(timeout, 60))
                except (subprocess.SubprocessError, OSError):
                    rot = 0
                if rot:
                    second = _recognise(img, (guess + rot) % 360, deskew_deg, lang, dpi, timeout)
                    if (second.mean_conf or 0) >= (first.mean_conf or 0):
                        best = second
        else:
            best = _recognise(img, rotate, deskew_deg, lang, dpi, timeout)
        prep = best.prep
        res.rotation, res.deskew_deg = prep.rotation, prep.deskew_deg
        display, shown_dpi = prep.display, dpi
        dh, dw = display.shape[:2]
        if PDF_MAX_DPI and dpi > PDF_MAX_DPI and max(dh, dw) / dpi <= CAP_MAX_LONG_INCH:
            # a finer scan of a document page is shown at PDF_MAX_DPI (never below 200)
            f = PDF_MAX_DPI / dpi
            display = cv2.resize(display, (round(dw * f), round(dh * f)), interpolation=cv2.INTER_AREA)
            shown_dpi = PDF_MAX_DPI
        res.height_px, res.width_px = display.shape[:2]
        jpeg = encode_jpeg(display)
        if best.error:
            raise OcrError(best.error)
        # text from the TSV in reading order (columns unfolded), not tesseract's txt
        res.lines = best.lines or []
        res.corrections = best.corrections or []
        res.text = "\n".join(ln["text"] for ln in res.lines)
        res.mean_conf, res.word_count = best.mean_conf, best.word_count
        res.review_reason = review_reason(res.mean_conf, res.lines, min_conf)
        res.low_confidence = res.review_reason is not None
        text_pdf = best.text_pdf
        if best.ordered is not None and best.recog_size:
            text_pdf = pdfmod.text_layer_pdf(text_pdf, best.ordered, *best.recog_size)
        res.pdf = pdfmod.page_with_image(jpeg, res.width_px, res.height_px, shown_dpi, text_pdf=text_pdf)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the batch
        res.error = str(exc) if isinstance(exc, OcrError) else f"{type(exc).__name__}: {exc}"
        if jpeg is not None:  # keep the page image even without a text layer
            try:
                res.pdf = pdfmod.page_with_image(jpeg, res.width_px, res.height_px, shown_dpi)
            except Exception:  # noqa: BLE001
                res.pdf = None
    res.seconds = round(time.perf_counter() - t0, 3)
    return res


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one tesseract thread per process: 2 cores = 2 pages
    cv2.setNumThreads(1)


def _ocr_job(args: tuple) -> PageOcr:
    path, page, kwargs = args
    return ocr_page(path, page=page, **kwargs)


def _children_skip_main() -> None:
    """forkserver and spawn children run the parent's main script again unless it was
    started as a module. Inside an Airflow task that script is ``bin/airflow``: in a child
    it imports Airflow, which fails on the task's blocked database URL, so every page came
    back "worker failed" under ``airflow standalone``. The pool's jobs live in this module
    and need nothing from ``__main__``; a main module whose spec is named ``__main__`` is
    one multiprocessing leaves alone (``spawn._fixup_main_from_name``)."""
    import importlib.machinery

    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and getattr(main, "__file__", None):
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def make_pool(workers: int) -> ProcessPoolExecutor:
    """Process pool for pages (forkserver: safe inside threaded Airflow workers)."""
    import multiprocessing as mp

    _children_skip_main()
    ctx = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=_worker_init)


def page_jobs(
    paths: list,
    *,
    lang: str = "vie",
    hints: dict[int, dict] | None = None,
    timeout: int = 120,
    min_conf: float = DEFAULT_MIN_CONF,
) -> list[tuple]:
    """(input, page number, ocr_page kwargs) per page; ``hints`` maps page number
    (1-based) → {"rotate", "deskew_deg", "dpi"} from QC."""
    hints = hints or {}
    jobs = []
    for i, p in enumerate(paths, 1):
        h = hints.get(i, {})
        kw = {"lang": lang, "timeout": timeout, "min_conf": min_conf}
        for key in ("rotate", "deskew_deg", "dpi"):
            if h.get(key) is not None:
                kw[key] = h[key]
        jobs.append((str(p) if not isinstance(p, (bytes, np.ndarray)) else p, i, kw))
    return jobs


def job_result(fut, page: int) -> PageOcr:
    """A future's PageOcr; a crashed worker becomes an error on that page only."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool
        return PageOcr(page, "", None, 0, False, 0, 0.0, None, f"worker failed: {type(exc).__name__}: {exc}")


def ocr_pages(
    paths: list,
    *,
    lang: str = "vie",
    workers: int = 2,
    hints: dict[int, dict] | None = None,
    timeout: int = 120,
    min_conf: float = DEFAULT_MIN_CONF,
    pool: ProcessPoolExecutor | None = None,
) -> list[PageOcr]:
    """OCR many pages in a process pool; results in input order, page = 1-based position.

    A failing page (or even a crashed worker) gives that page an ``error``. Pass ``pool``
    to reuse one pool across calls (no start-up cost per file).
    """
    jobs = page_jobs(paths, lang=lang, hints=hints, timeout=timeout, min_conf=min_conf)
    if pool is None and (workers <= 1 or len(jobs) <= 1):
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        return [_ocr_job(j) for j in jobs]
    own = pool is None
    pool = pool or make_pool(min(workers, len(jobs)))
    try:
        futures = [pool.submit(_ocr_job, j) for j in jobs]
        return [job_result(f, j[1]) for j, f in zip(jobs, futures)]
    finally:
        if own:
            pool.shutdown(cancel_futures=True)


# --------------------------------------------------------------------------- documents


def page_pdfs(results: list[PageOcr]) -> list[bytes]:
    """One-page PDFs in order; a page without any PDF gets a placeholder stating why."""
    from sohoa.ocr import pdf as pdfmod
    out = []
    for r in results:
        if r.pdf is not None:
            out.append(r.pdf)
        else:
            out.append(pdfmod.blank_page_pdf(595.0, 842.0, f"Trang {r.page}: {r.error or 'không có ảnh'}"))
    return out


def build_document(results: list[PageOcr], metadata: dict) -> bytes:
    """Two-layer PDF/A-2b for a whole file from per-page results (all pages kept)."""
    from sohoa.ocr import pdf as pdfmod
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


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a reader never sees half a PDF


def ocr_cli(paths: list[str], out_dir: str, lang: str = "vie", workers: int = 2,
            quiet: bool = False) -> int:
    """Write DIR/<stem>.txt (UTF-8 NFC, pages separated by form feed) and DIR/<stem>.pdf
    (searchable PDF/A-2b) for every input image or PDF, with the pipeline's preparation.

    All pages of all inputs share one process pool (both cores busy even for many
    one-page images). Exit code: 0 all pages read; 1 some pages failed (outputs still
    written, failed pages reported on stderr); 2 an input could not be processed at all.
    On a terminal, a progress line on stderr (pages done of total, rate, time left)
    unless ``quiet``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    code = 0
    with tempfile.TemporaryDirectory(prefix="sohoa-cli-") as tmp:
        queued: list[tuple[Path, list[tuple]]] = []
        for n, p in enumerate(map(Path, paths)):
            try:
                if p.suffix.lower() == ".pdf":
                    pages = pdf_page_images(p.read_bytes(), Path(tmp), f"{n:04d}")
                    hints = {i: {"dpi": d} for i, (_, d) in enumerate(pages, 1) if d}
                    queued.append((p, page_jobs([q for q, _ in pages], lang=lang, hints=hints)))
                else:
                    queued.append((p, page_jobs([p], lang=lang)))
            except Exception as exc:  # noqa: BLE001 - e.g. an unreadable PDF
                print(f"{p}: không xử lý được: {type(exc).__name__}: {exc}", file=sys.stderr)
                code = 2
        total = sum(len(j) for _, j in queued)
        pool = make_pool(min(workers, total)) if workers > 1 and total > 1 else None
        progress = Progress("Nhận dạng chữ", total, unit="trang", quiet=quiet)

        def counted(result: PageOcr) -> PageOcr:
            progress.advance()
            return result

        try:
            futures = [[pool.submit(_ocr_job, j) for j in jobs] if pool else None for _, jobs in queued]
            with progress:
                for (p, jobs), futs in zip(queued, futures):
                    try:
                        results = ([counted(job_result(f, j[1])) for j, f in zip(jobs, futs)]
                                   if futs else [counted(_ocr_job(j)) for j in jobs])
                        meta = {"file_code": p.stem, "title": p.stem, "language": lang}
                        _write_atomic(out / f"{p.stem}.pdf", build_document(results, meta))
                        _write_atomic(out / f"{p.stem}.txt", document_text(results).encode("utf-8"))
                    except Exception as exc:  # noqa: BLE001
                        print(f"{p}: không xử lý được: {type(exc).__name__}: {exc}", file=sys.stderr)
                        code = 2
                        continue
                    for r in results:
                        if r.error:
                            print(f"{p}: trang {r.page}: {error_reason_vi(r.error)} ({r.error})",
                                  file=sys.stderr)
                            code = max(code, 1)
                        elif r.low_confidence:
                            print(f"{p}: trang {r.page}: cần kiểm tra lại — {r.review_reason}",
                                  file=sys.stderr)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
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
