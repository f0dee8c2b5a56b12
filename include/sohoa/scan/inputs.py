"""Decoding what a scanning team delivers: page images or one PDF per file.

Every input becomes a sequence of ``SourcePage`` (one per page, 1-based), never an
exception: a 0-byte, truncated, corrupt, encrypted or oversized input, or one bad page
of a multi-page TIFF/PDF, yields a page with ``error`` set and the rest still comes.

* JPEG: decoded by libjpeg at 1/2, 1/4 or 1/8 scale (DCT scaling) when only the QC
  working copy is needed, so memory and time stay small whatever the scan size.
* TIFF (multi-page, LZW, Deflate, PackBits, CCITT Group 3/4, JPEG), PNG, BMP:
  Pillow, page by page; image size is checked from the header before decoding.
* JPEG 2000 (.jp2/.j2k): Pillow/OpenJPEG, decoded at a reduced resolution level.
* PDF: pikepdf. The page image embedded by the scanner is taken as it is (no
  re-rendering): DCT (JPEG) streams go straight to libjpeg like a JPEG file; CCITT,
  JBIG2 (needs the ``jbig2dec`` program), Flate, CMYK, palette (Indexed) and images
  with an alpha mask (/SMask) go through pikepdf's decoder. Resolution comes from the
  image size over the physical page size (MediaBox); the page's /Rotate is applied
  so QC sees what a reader sees (``SourcePage.pdf_rotate``). Pages that carry no
  single full-page image (vector pages, several image strips) are rendered with
  poppler's ``pdftoppm`` instead — the one case that is re-rendered.

``extract_page`` gives the bytes of one page as a stand-alone image (the embedded
JPEG stream untouched; otherwise lossless PNG) so later phases can read every page of
a multi-page TIFF or a PDF as its own object. No Airflow import here.
"""

from __future__ import annotations

import io
import math
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from PIL import Image, ImageSequence

from sohoa.scan.bounds import DeclaredSizeExceeded, check_declared_size, check_page_images
from sohoa.scan.thresholds import Thresholds

__all__ = ["PDF_SUFFIXES", "RASTER_SUFFIXES", "SUFFIXES", "DeclaredSizeExceeded", "SourcePage",
           "check_declared_size", "extract_page", "is_container", "iter_pages", "page_count",
           "reason_vi",
           "valid_dpi"]

RASTER_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".j2k", ".jpx",
                             ".bmp"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = RASTER_SUFFIXES | PDF_SUFFIXES

A4_INCH = (8.27, 11.69)  # short, long side
_JPEG_EOI = b"\xff\xd9"
# PDF user space unit: 1/72 inch.
_PT = 72.0

COLOUR_BITS = {"1": 1, "L": 8, "P": 8, "RGB": 24, "RGBA": 32, "CMYK": 32, "YCbCr": 24, "LA": 16,
               "PA": 16, "I;16": 16, "I;16B": 16, "I;16L": 16, "I": 32, "F": 32, "LAB": 24,
               "HSV": 24}


@dataclass
class SourcePage:
    page: int
    image: np.ndarray | None  # grey when decoded for QC (fast), else BGR / grey
    dpi: tuple[float, float] | None
    error: str | None
    original_size: tuple[int, int] | None = None  # (width, height) of the stored image
    colour_mode: str | None = None  # Pillow mode of the stored image ("RGB", "L", "1", ...)
    dpi_source: str | None = None  # "metadata" | "pdf_page_size"
    pdf_rotate: int = 0  # PDF /Rotate (clockwise) already applied to ``image``
    extraction: str | None = None  # how a PDF page was obtained: "embedded" | "rendered"


def valid_dpi(dpi) -> tuple[float, float] | None:
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)) or x < 10 or y < 10 or x > 10000 or y > 10000:
        return None  # JFIF "aspect only" (1:1) or garbage
    return (x, y)


def estimate_dpi(w: int, h: int) -> tuple[float, float]:
    """dpi assuming the page is A4 at 100 % scale (portrait or landscape)."""
    if w <= h:
        return (w / A4_INCH[0], h / A4_INCH[1])
    return (w / A4_INCH[1], h / A4_INCH[0])


def is_container(path: Path | str) -> bool:
    """True for inputs whose pages are not stand-alone image files (PDF, multi-page TIFF)."""
    suffix = Path(path).suffix.lower()
    if suffix in PDF_SUFFIXES:
        return True
    if suffix in (".tif", ".tiff"):
        try:
            with Image.open(path) as im:
                return getattr(im, "n_frames", 1) > 1
        except Exception:  # noqa: BLE001 - unreadable: QC reports it
            return False
    return False


# --------------------------------------------------------------------------- arrays


def pil_to_array(frame: Image.Image, grey: bool) -> np.ndarray:
    """Pillow image (any mode) → grey or BGR uint8 array; alpha is flattened on white."""
    mode = frame.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(frame)
        if a.dtype != np.uint8:
            a = a.astype(np.int64)
            a = (np.clip(a, 0, 65535) >> 8) if a.max() > 255 else np.clip(a, 0, 255)
            a = a.astype(np.uint8)
        return np.ascontiguousarray(a)
    if mode == "F":
        return np.clip(np.asarray(frame, dtype=np.float32), 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in frame.info):
        # transparent areas are paper, not black ink
        rgba = frame.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(bg, rgba).convert("RGB")
        mode = "RGB"
    if grey:
        if mode != "L":
            frame = frame.convert("L") if mode in ("1", "RGB", "P") else frame.convert("RGB").convert("L")
        return np.ascontiguousarray(np.asarray(frame))
    if mode in ("L", "1"):
        return np.ascontiguousarray(np.asarray(frame.convert("L")))
    rgb = np.asarray(frame.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _jpeg_flags(dpi_min: float, fast: bool, grey_source: bool, t: Thresholds) -> int:
    if fast:
        for r, flag in ((8, cv2.IMREAD_REDUCED_GRAYSCALE_8), (4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
                        (2, cv2.IMREAD_REDUCED_GRAYSCALE_2)):
            if dpi_min / r >= max(t.work_dpi, t.blur_min_dpi) * 0.999:  # edge blur needs >= 150
                return flag | cv2.IMREAD_IGNORE_ORIENTATION
        return cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
    base = cv2.IMREAD_GRAYSCALE if grey_source else cv2.IMREAD_COLOR
    return base | cv2.IMREAD_IGNORE_ORIENTATION


def _decode_jpeg(data: bytes, dpi_min: float, fast: bool, grey_source: bool,
                 t: Thresholds) -> np.ndarray | None:
    if not data.rstrip(b"\x00").endswith(_JPEG_EOI):
        return None  # truncated: let Pillow report it precisely
    return cv2.imdecode(np.frombuffer(data, np.uint8), _jpeg_flags(dpi_min, fast, grey_source, t))


def _too_large(w: int, h: int, t: Thresholds) -> str | None:
    if w <= 0 or h <= 0:
        return f"invalid image size {w}x{h}"
    if w * h > t.max_image_pixels:
        return (f"image too large ({w}x{h} = {w * h} px > {t.max_image_pixels}), refused as a "
                "possible decompression bomb")
    return None


# --------------------------------------------------------------------------- raster files


def _iter_raster(data: bytes, fast: bool, t: Thresholds) -> Iterator[SourcePage]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bomb warnings, corrupt EXIF: we decide below
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        yield SourcePage(1, None, None, f"image too large, refused as a decompression bomb: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a recorded reason
        yield SourcePage(1, None, None, f"not a readable image: {type(exc).__name__}: {exc}")
        return

    w, h = im.size
    problem = _too_large(w, h, t)
    if problem:
        yield SourcePage(1, None, None, problem)
        return
    fmt = (im.format or "").upper()
    if fmt == "JPEG":
        dpi = valid_dpi(im.info.get("dpi"))
        img = _decode_jpeg(data, min(dpi or estimate_dpi(w, h)), fast, im.mode in ("L", "1"), t)
        if img is not None:
            yield SourcePage(1, img, dpi, None, (w, h), im.mode, "metadata" if dpi else None)
            return
    if fmt == "JPEG2000" and fast:
        # decode only the resolution level needed for the working copy (memory and time)
        dpi = valid_dpi(im.info.get("dpi"))
        eff = min(dpi or estimate_dpi(w, h))
        reduce = 0
        while reduce < 5 and eff / 2 ** (reduce + 1) >= t.work_dpi * 0.999:
            reduce += 1
        try:
            im.reduce = reduce  # Pillow's Jpeg2K plugin honours this before load()
        except Exception:  # noqa: BLE001
            pass

    page_no = 0
    n_frames = getattr(im, "n_frames", 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for frame in ImageSequence.Iterator(im):
                page_no += 1
                try:
                    fw, fh = frame.size
                    problem = _too_large(fw, fh, t)
                    if problem:
                        raise ValueError(problem)
                    dpi = valid_dpi(frame.info.get("dpi"))
                    # a reduced JPEG 2000 decode: size/dpi still describe the stored image
                    frame.load()
                    arr = pil_to_array(frame, grey=fast)
                    if fmt == "JPEG2000":
                        fw, fh = w, h
                    yield SourcePage(page_no, arr, dpi, None, (fw, fh), frame.mode,
                                     "metadata" if dpi else None)
                except Exception as exc:  # noqa: BLE001
                    yield SourcePage(page_no, None, None, f"page {page_no} undecodable: "
                                     f"{type(exc).__name__}: {exc}")
                    if n_frames <= page_no:
                        return
    except Exception as exc:  # noqa: BLE001 - broken multi-page structure
        yield SourcePage(page_no + 1, None, None, f"cannot read page {page_no + 1}: "
                         f"{type(exc).__name__}: {exc}")
        return
    if page_no == 0:
        yield SourcePage(1, None, None, "image has no pages")


# --------------------------------------------------------------------------- PDF


def _page_box_inches(page) -> tuple[float, float] | None:
    try:
        box = page.obj.get("/CropBox") or page.mediabox
        x0, y0, x1, y1 = (float(v) for v in box)
        w, h = abs(x1 - x0) / _PT, abs(y1 - y0) / _PT
        return (w, h) if w > 0.5 and h > 0.5 else None
    except Exception:  # noqa: BLE001
        return None


def _page_rotate(page) -> int:
    try:
        return int(page.obj.get("/Rotate", 0)) % 360 // 90 * 90
    except Exception:  # noqa: BLE001
        return 0


def _main_image(page):
    """The page's single full-page image as (PdfImage, name) or None (vector, strips...)."""
    from pikepdf import PdfImage

    images = []
    found = page.get_images() if hasattr(page, "get_images") else page.images
    for raw in found.values():
        try:
            images.append(PdfImage(raw))
        except Exception:  # noqa: BLE001 - e.g. an inline image we cannot wrap
            continue
    if not images:
        return None
    best = max(images, key=lambda im: im.width * im.height)
    # anything else sizeable on the page (MRC layers, strips) → render instead
    others = sum(im.width * im.height for im in images if im is not best)
    if others > 0.05 * best.width * best.height:
        return None
    return best


def _pdf_image_array(img, data_hint: float, fast: bool, t: Thresholds) -> tuple[np.ndarray, str]:
    """Decode an embedded image; JPEG streams go straight to libjpeg (scaled decode)."""
    check_declared_size(img, t)
    filters = [str(f) for f in img.filters]
    mode = None
    try:
        mode = img.mode
    except Exception:  # noqa: BLE001 - unusual colour spaces
        mode = None
    if filters == ["/DCTDecode"] and mode in ("RGB", "L") and not img.image_mask \
            and not img.obj.get("/SMask") and not img.obj.get("/Decode"):
        raw = img.obj.read_raw_bytes()
        arr = _decode_jpeg(raw, data_hint, fast, mode == "L", t)
        if arr is not None:
            return arr, mode
    if filters == ["/JPXDecode"]:
        # JPEG 2000 inside the PDF: the codestream is a .jp2/.j2k Pillow reads itself
        pil = Image.open(io.BytesIO(img.obj.read_raw_bytes()))
    else:
        pil = img.as_pil_image()
    mode = pil.mode
    smask = img.obj.get("/SMask")
    if smask is not None:
        # alpha mask: composite on white so transparent areas read as paper
        from pikepdf import PdfImage

        try:
            mask = PdfImage(smask)
            check_declared_size(mask, t)
            alpha = mask.as_pil_image().convert("L").resize(pil.size)
            base = pil.convert("RGB") if pil.mode != "L" else pil
            white = Image.new(base.mode, base.size, 255 if base.mode == "L" else (255, 255, 255))
            pil = Image.composite(base, white, alpha)
        except Exception:  # noqa: BLE001 - a broken mask: use the image alone
            pass
    if pil.mode == "CMYK":
        pil = pil.convert("RGB")
    return pil_to_array(pil, grey=fast), mode


def _render_pdf_page(path: Path, page_no: int, dpi: float, grey: bool,
                     timeout: float = 60) -> np.ndarray:
    """pdftoppm one page → array (only for pages without a single embedded scan)."""
    with tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        out = Path(tmp) / "p"
        cmd = ["pdftoppm", "-f", str(page_no), "-l", str(page_no), "-r", f"{dpi:.0f}",
               "-gray" if grey else "-png", "-singlefile", str(path), str(out)]
        if grey:
            cmd.insert(-2, "-png")
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        img = cv2.imread(str(out) + ".png", cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError("pdftoppm produced no image")
        return img


def _rot_cw(arr: np.ndarray, deg: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(arr, -(deg // 90))) if deg else arr


def _iter_pdf(path: Path, data: bytes, fast: bool, t: Thresholds) -> Iterator[SourcePage]:
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        yield SourcePage(1, None, None, "PDF is encrypted with a password: cannot read the pages")
        return
    except Exception as exc:  # noqa: BLE001
        yield SourcePage(1, None, None, f"not a readable PDF: {type(exc).__name__}: {exc}")
        return
    with pdf:
        try:
            pages = list(pdf.pages)
        except Exception as exc:  # noqa: BLE001 - broken page tree
            yield SourcePage(1, None, None, f"PDF page tree unreadable: {type(exc).__name__}: {exc}")
            return
        if not pages:
            yield SourcePage(1, None, None, "PDF has no pages")
            return
        for n, page in enumerate(pages, start=1):
            try:
                yield _pdf_page(path, n, page, fast, t)
            except DeclaredSizeExceeded as exc:
                yield SourcePage(n, None, None, f"PDF page {n}: {exc}")
            except Exception as exc:  # noqa: BLE001 - one bad page never stops the file
                yield SourcePage(n, None, None, f"PDF page {n} undecodable: {type(exc).__name__}: {exc}")


def _pdf_page(path: Path, n: int, page, fast: bool, t: Thresholds) -> SourcePage:
    rot = _page_rotate(page)
    box = _page_box_inches(page)
    img = _main_image(page)
    if img is not None:
        w, h = int(img.width), int(img.height)
        problem = _too_large(w, h, t)
        if problem:
            return SourcePage(n, None, None, problem)
        dpi = (w / box[0], h / box[1]) if box else None
        dpi = valid_dpi(dpi) if dpi else None
        arr, mode = _pdf_image_array(img, min(dpi) if dpi else min(estimate_dpi(w, h)), fast, t)
        arr = _rot_cw(arr, rot)
        size = (h, w) if rot in (90, 270) else (w, h)
        if dpi and rot in (90, 270):
            dpi = (dpi[1], dpi[0])
        return SourcePage(n, arr, dpi, None, size, mode, "pdf_page_size" if dpi else None,
                          pdf_rotate=rot, extraction="embedded")
    if box is None:
        return SourcePage(n, None, None, f"PDF page {n} has neither an image nor a page size")
    # vector page or a page made of several images: render it (pdftoppm applies /Rotate).
    # physical resolution: that of the largest image on the page (strips, MRC layers);
    # a page with no image at all is not a scan and is judged at the rendering size.
    phys = None
    try:
        from pikepdf import PdfImage

        found = page.get_images() if hasattr(page, "get_images") else page.images
        widths = [PdfImage(raw).width for raw in found.values()]
        if widths:
            phys = max(widths) / box[0]
    except Exception:  # noqa: BLE001
        pass
    render_dpi = t.work_dpi if fast else t.min_dpi_text
    if fast and phys:
        # the pixels QC measures (edge width in mm) must be at the resolution it is told:
        # a scan made of strips is rendered at its own resolution, up to the text minimum
        render_dpi = max(t.work_dpi, min(phys, t.min_dpi_text))
    phys = phys or render_dpi
    if box[0] * box[1] * render_dpi ** 2 > t.max_image_pixels:
        return SourcePage(n, None, None, f"PDF page {n} too large to render")
    check_page_images(page, t)  # the renderer would inflate every image stream
    arr = _render_pdf_page(path, n, render_dpi, grey=fast)
    bw, bh = (box[1], box[0]) if rot in (90, 270) else box
    size = (round(bw * phys), round(bh * phys))
    return SourcePage(n, arr, (phys, phys), None, size, "RGB" if arr.ndim == 3 else "L",
                      "pdf_page_size", pdf_rotate=0, extraction="rendered")


# --------------------------------------------------------------------------- reasons

#: (marker in the technical error, Vietnamese reason with what to do), first match wins.
_REASONS_VI = (
    ("0 bytes", "Không đọc được tệp ảnh: tệp rỗng (0 byte); chép lại tệp từ máy quét, nếu vẫn "
                "rỗng thì quét lại"),
    ("cannot read file", "Không mở được tệp trên ổ đĩa (quyền truy cập hoặc ổ đĩa lỗi): "
                         "kiểm tra thư mục giao nộp rồi chạy lại"),
    ("encrypted", "Tệp PDF có đặt mật khẩu nên không xem được các trang: xuất lại từ máy quét "
                  "không đặt mật khẩu"),
    ("declared image size", "Dữ liệu ảnh của trang lớn hơn nhiều so với kích thước ảnh khai báo "
                            "(có thể là tệp hỏng hoặc tệp độc hại «bom giải nén»), đã từ chối: "
                            "xuất lại tệp từ máy quét hoặc quét lại trang"),
    ("too large", "Ảnh có kích thước khai báo quá lớn so với một trang tài liệu, đã từ chối để "
                  "bảo vệ máy chủ: kiểm tra độ phân giải cài trên máy quét rồi quét lại"),
    ("decompression bomb", "Ảnh có kích thước khai báo quá lớn so với một trang tài liệu, đã từ "
                           "chối để bảo vệ máy chủ: kiểm tra cài đặt máy quét rồi quét lại"),
    ("truncated", "Tệp ảnh bị cắt cụt (thiếu phần cuối), thường do chép tệp chưa xong: chép "
                  "lại từ máy quét hoặc quét lại"),
    ("invalid image size", "Ảnh khai báo kích thước không hợp lệ: xuất lại tệp hoặc quét lại"),
    ("no %PDF header", "Tệp có đuôi .pdf nhưng không phải PDF: kiểm tra đã gửi đúng tệp chưa"),
    ("not a readable PDF", "Tệp PDF bị hỏng, không mở được: xuất lại từ máy quét rồi giao lại"),
    ("page tree", "Tệp PDF bị hỏng (không đọc được danh sách trang): xuất lại từ máy quét"),
    ("PDF has no pages", "Tệp PDF không có trang nào: xuất lại từ máy quét"),
    ("neither an image nor a page size", "Trang PDF không có ảnh quét và không có khổ trang: "
                                         "xuất lại tệp từ máy quét"),
    ("too large to render", "Trang PDF có khổ quá lớn để dựng ảnh: kiểm tra khổ trang khi xuất "
                            "PDF rồi giao lại"),
    ("cannot be extracted", "Không tách được trang này ra khỏi tệp PDF/TIFF để lưu: xuất lại tệp "
                            "từ máy quét rồi giao lại"),
    ("undecodable", "Dữ liệu ảnh của trang bị hỏng, không giải mã được: quét lại trang này"),
    ("cannot read page", "Tệp TIFF nhiều trang bị hỏng từ trang này: xuất lại tệp hoặc quét lại"),
    ("has no pages", "Tệp ảnh không có trang nào: chép lại tệp hoặc quét lại"),
    ("not a readable image", "Tệp không phải ảnh đọc được (hỏng hoặc sai định dạng): kiểm tra "
                             "đã giao đúng tệp ảnh chưa, nếu đúng thì quét lại"),
    ("analysis failed", "Không đo được chất lượng của trang này (lỗi của chương trình, không "
                        "phải của bản quét): báo cho kỹ thuật viên; trang được giữ lại chờ xử lý"),
)


def reason_vi(error: str) -> str:
    """What an archivist or the scanning team reads for a page that could not be decoded
    (``error`` is the technical reason kept for operators): what is wrong, what to do;
    never a program's exception name."""
    for marker, text in _REASONS_VI:
        if marker in error:
            return text
    return "Không đọc được tệp ảnh (hỏng hoặc sai định dạng): kiểm tra tệp hoặc quét lại"


# --------------------------------------------------------------------------- entry points


def iter_pages(path: Path | str, *, fast: bool = True,
               thresholds: Thresholds | None = None) -> Iterator[SourcePage]:
    """Every page of one delivered file; never raises for bad input."""
    t = thresholds or Thresholds()
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield SourcePage(1, None, None, f"cannot read file: {exc.strerror or exc}")
        return
    if not data:
        yield SourcePage(1, None, None, "empty file (0 bytes)")
        return
    if data[:5] == b"%PDF-" or (path.suffix.lower() in PDF_SUFFIXES and b"%PDF-" in data[:1024]):
        yield from _iter_pdf(path, data, fast, t)
    elif path.suffix.lower() in PDF_SUFFIXES:
        yield SourcePage(1, None, None, "not a readable PDF: no %PDF header")
    else:
        yield from _iter_raster(data, fast, t)


def page_count(path: Path | str) -> int:
    """Pages of one delivered file, read from its structure only (no image decoded); 1 when
    it cannot tell (QC will report the file). For progress displays."""
    path = Path(path)
    try:
        if path.suffix.lower() in PDF_SUFFIXES:
            import pikepdf

            with pikepdf.open(path) as pdf:
                return max(1, len(pdf.pages))
        if path.suffix.lower() in (".tif", ".tiff"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(path) as im:
                    return max(1, getattr(im, "n_frames", 1))
    except Exception:  # noqa: BLE001 - unreadable: one (rejected) page
        return 1
    return 1


def extract_page(path: Path | str, page: int,
                 thresholds: Thresholds | None = None) -> tuple[bytes, str]:
    """One page of a PDF or multi-page TIFF as a stand-alone image → (bytes, suffix).

    A PDF page's embedded JPEG stream is returned byte for byte (no re-encoding);
    everything else becomes a lossless PNG (CMYK converted to RGB, alpha flattened,
    PDF /Rotate *not* applied: QC's orientation metrics refer to this image).
    Raises ValueError when the page cannot be decoded.
    """
    t = thresholds or Thresholds()
    path = Path(path)
    if path.suffix.lower() in PDF_SUFFIXES:
        import pikepdf

        with pikepdf.open(path) as pdf:
            pg = pdf.pages[page - 1]
            img = _main_image(pg)
            if img is None:
                box = _page_box_inches(pg)
                if box is None:
                    raise ValueError(f"PDF page {page} has no image")
                # rendered pages come out upright: /Rotate is applied by pdftoppm
                check_page_images(pg, t)
                arr = _render_pdf_page(path, page, t.min_dpi_text, grey=False)
                return _png(arr), ".png"
            problem = _too_large(int(img.width), int(img.height), t)
            if problem:
                raise ValueError(problem)
            filters = [str(f) for f in img.filters]
            if filters == ["/DCTDecode"] and img.mode in ("RGB", "L") and not img.image_mask \
                    and not img.obj.get("/SMask") and not img.obj.get("/Decode"):
                return bytes(img.obj.read_raw_bytes()), ".jpg"
            arr, _ = _pdf_image_array(img, t.min_dpi_text, False, t)
            box = _page_box_inches(pg)
            dpi = round(img.width / box[0]) if box else None
            return _png(arr, dpi), ".png"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as im:
            im.seek(page - 1)
            problem = _too_large(*im.size, t)
            if problem:
                raise ValueError(problem)
            im.load()
            dpi = valid_dpi(im.info.get("dpi"))
            frame = im
            if frame.mode not in ("1", "L", "RGB", "RGBA", "LA", "P", "I;16", "I;16B"):
                frame = frame.convert("RGB")
            buf = io.BytesIO()
            kw = {"dpi": tuple(round(d) for d in dpi)} if dpi else {}
            frame.save(buf, "PNG", **kw)
            return buf.getvalue(), ".png"


def _png(arr: np.ndarray, dpi: float | None = None) -> bytes:
    rgb = arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    buf = io.BytesIO()
    kw = {"dpi": (dpi, dpi)} if dpi else {}
    Image.fromarray(rgb).save(buf, "PNG", **kw)
    return buf.getvalue()
