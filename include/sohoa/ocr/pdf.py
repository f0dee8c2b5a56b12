"""Two-layer PDF/A-2b assembly and checks (pikepdf; no Airflow).

* :func:`page_with_image` — one page: a JPEG (DCTDecode pass-through, never
  re-encoded) drawn full-page, under an optional text-only PDF page from
  tesseract (``textonly_pdf=1``) that carries the invisible text layer.
* :func:`text_layer_pdf` — rewrites that text-only page with our own words (noise
  dropped, columns in reading order) in tesseract's embedded GlyphLessFont, so that
  search and copy-paste give the same text as is stored in the database.
* :func:`build_pdfa` — merge one-page PDFs into one PDF/A-2b file: XMP (pdfaid
  part 2 / conformance B, Dublin Core title/creator/language/identifier/coverage,
  xmp dates) with matching DocInfo, an sRGB OutputIntent, decimal page labels
  1, 2, 3…, and a trailer /ID derived from the content (deterministic: same
  inputs + same metadata → same bytes, so re-running a file is idempotent).
* :func:`blank_page_pdf` — placeholder for a page whose image could not be
  decoded, so the file keeps every page position and says why. The note is
  drawn as an image (rendered with DejaVu Sans), because visible text in a
  non-embedded font would break PDF/A.
* :func:`check_pdf` — structural checks only (this is *not* veraPDF).
"""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import unicodedata
from datetime import date, datetime, timezone

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String

SRGB_ID = "sRGB IEC61966-2.1"
CREATOR_TOOL = "sohoa OCR (tesseract + pikepdf)"


# ICC header bytes 24–35 hold the profile's creation time; littleCMS writes "now" there,
# which would make two builds of the same file differ. Pin it (the profile's content is fixed).
_ICC_DATE = slice(24, 36)
_ICC_FIXED_DATE = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)


@functools.cache
def _srgb_icc() -> bytes:
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[_ICC_DATE] = _ICC_FIXED_DATE
    return bytes(profile)


# --------------------------------------------------------------------------- pages


def page_with_image(
    jpeg: bytes,
    width_px: int,
    height_px: int,
    dpi: int,
    *,
    text_pdf: bytes | None = None,
    grey: bool = False,
) -> bytes:
    """One-page PDF showing ``jpeg`` at ``dpi`` (page size = pixels / dpi * 72 pt),
    with the text layer of ``text_pdf`` (tesseract textonly_pdf) on top if given."""
    w_pt = width_px * 72.0 / dpi
    h_pt = height_px * 72.0 / dpi
    if text_pdf is not None:
        pdf = Pdf.open(io.BytesIO(text_pdf))
        page = pdf.pages[0]
        box = [float(v) for v in page.mediabox]
        w_pt, h_pt = box[2] - box[0], box[3] - box[1]
    else:
        pdf = Pdf.new()
        pdf.add_blank_page(page_size=(w_pt, h_pt))
        page = pdf.pages[0]
    img = Stream(pdf, jpeg)
    img.Type = Name.XObject
    img.Subtype = Name.Image
    img.Width = int(width_px)
    img.Height = int(height_px)
    img.ColorSpace = Name.DeviceGray if grey else Name.DeviceRGB
    img.BitsPerComponent = 8
    img.Filter = Name.DCTDecode
    if Name.Resources not in page.obj:
        page.obj.Resources = Dictionary()
    res = page.obj.Resources
    if Name.XObject not in res:
        res.XObject = Dictionary()
    res.XObject[Name("/SohoaPageImage")] = img
    draw = Stream(pdf, f"q {w_pt:.4f} 0 0 {h_pt:.4f} 0 0 cm /SohoaPageImage Do Q\n".encode())
    page.contents_add(draw, prepend=True)
    buf = io.BytesIO()
    pdf.save(buf, compress_streams=True)
    pdf.close()
    return buf.getvalue()


def text_layer_pdf(text_pdf: bytes, lines: list[list], width_px: int, height_px: int) -> bytes:
    """Replace the content of tesseract's text-only page with our own invisible text:
    the same GlyphLessFont (embedded, Identity-H, ToUnicode identity), but only the
    words kept after noise filtering, line by line in reading order, each scaled to
    its box. ``lines``: lists of words with x0, y0, x1, y1 (pixels of the recognised
    image, ``width_px`` × ``height_px``) and text."""
    pdf = Pdf.open(io.BytesIO(text_pdf))
    page = pdf.pages[0]
    fonts = page.obj.Resources.Font
    font_name = next(iter(fonts.keys()))
    box = [float(v) for v in page.mediabox]
    sx, sy = (box[2] - box[0]) / width_px, (box[3] - box[1]) / height_px
    page_h = box[3] - box[1]
    ops = ["BT", "3 Tr"]
    for ln in lines:
        if not ln:
            continue
        heights = sorted(w.y1 - w.y0 for w in ln)
        size = max(1.0, heights[len(heights) // 2] * sy)
        ops.append(f"{font_name} {size:.2f} Tf")
        for i, w in enumerate(ln):
            text = w.text + (" " if i < len(ln) - 1 else "")
            units = len(text.encode("utf-16-be")) // 2
            width = (w.x1 - w.x0) * sx + (max(0.0, (ln[i + 1].x0 - w.x1) * sx) if i < len(ln) - 1 else 0.0)
            tz = 100.0 * width / max(1e-3, units * 0.5 * size)  # glyphs are 500/1000 em wide
            ops.append(f"1 0 0 1 {w.x0 * sx:.2f} {page_h - w.y1 * sy:.2f} Tm {tz:.2f} Tz "
                       f"<{text.encode('utf-16-be').hex().upper()}> Tj")
    ops.append("ET")
    page.obj.Contents = pdf.make_stream(("\n".join(ops) + "\n").encode("ascii"))
    buf = io.BytesIO()
    pdf.save(buf, compress_streams=True)
    pdf.close()
    return buf.getvalue()


def blank_page_pdf(width_pt: float = 595.0, height_pt: float = 842.0, note: str = "") -> bytes:
    """Placeholder page (white, ``note`` drawn as an image) for a page that failed to decode."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    dpi = 100
    w, h = int(round(width_pt / 72 * dpi)), int(round(height_pt / 72 * dpi))
    im = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(im)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 16)
    except OSError:
        font = ImageFont.load_default()
    text = unicodedata.normalize("NFC", note or "Trang không có ảnh")
    y = 60
    for i in range(0, len(text), 60):
        draw.text((50, y), text[i : i + 60], fill=0, font=font)
        y += 24
    ok, buf = cv2.imencode(".jpg", np.asarray(im), [cv2.IMWRITE_JPEG_QUALITY, 60])
    return page_with_image(buf.tobytes(), w, h, dpi, grey=True)


# --------------------------------------------------------------------------- documents


def _iso(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    s = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):  # dd/mm/yyyy is the TT 02/2019 form
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            pass
    return s


def _lang_code(lang: str | None) -> str:
    lang = (lang or "vi").strip()
    return {"vie": "vi", "eng": "en", "vie+eng": "vi", "tiếng việt": "vi"}.get(lang.lower(), lang)


def build_pdfa(page_pdfs: list[bytes], *, metadata: dict) -> bytes:
    """Merge one-page PDFs into one PDF/A-2b file.

    metadata keys: file_code, title, agency, language, start_date, end_date; optional
    ``created`` (datetime; default now, UTC) and ``subject``/``keywords``.
    """
    if not page_pdfs:
        raise ValueError("build_pdfa needs at least one page")
    out = Pdf.new()
    sources = []
    try:
        for data in page_pdfs:
            src = Pdf.open(io.BytesIO(data))
            sources.append(src)
            out.pages.extend(src.pages)
        created = metadata.get("created") or datetime.now(timezone.utc).replace(microsecond=0)
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        title = unicodedata.normalize("NFC", str(metadata.get("title") or metadata.get("file_code") or ""))
        agency = unicodedata.normalize("NFC", str(metadata.get("agency") or ""))
        file_code = str(metadata.get("file_code") or "")
        lang = _lang_code(metadata.get("language"))
        start, end = _iso(metadata.get("start_date")), _iso(metadata.get("end_date"))

        # OutputIntent (sRGB) — required by PDF/A for DeviceRGB content
        icc = Stream(out, _srgb_icc())
        icc.N = 3
        intent = Dictionary(
            Type=Name.OutputIntent,
            S=Name.GTS_PDFA1,
            OutputConditionIdentifier=String(SRGB_ID),
            Info=String(SRGB_ID),
            DestOutputProfile=icc,
        )
        out.Root.OutputIntents = Array([out.make_indirect(intent)])
        out.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))
        if lang:
            out.Root.Lang = String(lang)

        with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            if title:
                meta["dc:title"] = title
            if agency:
                meta["dc:creator"] = [agency]
            if lang:
                meta["dc:language"] = [lang]
            if file_code:
                meta["dc:identifier"] = file_code
            if start or end:
                meta["dc:coverage"] = f"{start or ''}/{end or ''}"  # ISO 8601 interval
            if metadata.get("subject"):
                meta["dc:description"] = unicodedata.normalize("NFC", str(metadata["subject"]))
            if metadata.get("keywords"):
                meta["pdf:Keywords"] = unicodedata.normalize("NFC", str(metadata["keywords"]))
            meta["xmp:CreateDate"] = created.isoformat()
            meta["xmp:ModifyDate"] = created.isoformat()
            meta["xmp:MetadataDate"] = created.isoformat()
            meta["xmp:CreatorTool"] = CREATOR_TOOL
            meta["pdf:Producer"] = f"pikepdf {pikepdf.__version__}"
        # DocInfo must match XMP (update_docinfo copies title/author/creator/producer;
        # set the dates explicitly in PDF date syntax)
        pdfdate = created.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")
        out.docinfo[Name.CreationDate] = String(pdfdate)
        out.docinfo[Name.ModDate] = String(pdfdate)
        if title:
            out.docinfo[Name.Title] = title
        if agency:
            out.docinfo[Name.Author] = agency
        buf = io.BytesIO()
        out.save(
            buf,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            min_version="1.7",
        )
        return buf.getvalue()
    finally:
        out.close()
        for s in sources:
            s.close()


# --------------------------------------------------------------------------- checks


def _font_problems(pdf: Pdf) -> list[str]:
    problems: set[str] = set()
    for n, page in enumerate(pdf.pages, 1):
        fonts = page.obj.get(Name.Resources, Dictionary()).get(Name.Font, Dictionary())
        for key, font in fonts.items():
            f = font
            if f.get(Name.Subtype) == Name.Type0:
                f = f.DescendantFonts[0]
            fd = f.get(Name.FontDescriptor)
            if fd is None or not any(k in fd for k in (Name.FontFile, Name.FontFile2, Name.FontFile3)):
                problems.add(f"page {n}: font {key} not embedded")
    return sorted(problems)


def check_pdf(data: bytes) -> dict:
    """Structural PDF/A-2b checks → {"pages": n, "pdfa": "2B"|None, "problems": [...], ...}."""
    problems: list[str] = []
    try:
        pdf = Pdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return {"pages": 0, "pdfa": None, "problems": ["encrypted"]}
    except Exception as exc:  # noqa: BLE001
        return {"pages": 0, "pdfa": None, "problems": [f"unreadable: {exc}"]}
    with pdf:
        n = len(pdf.pages)
        if n == 0:
            problems.append("no pages")
        if pdf.is_encrypted:
            problems.append("encrypted")
        pdfa = None
        title = None
        if Name.Metadata not in pdf.Root:
            problems.append("no XMP metadata")
        else:
            meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
            part, conf = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
            title = meta.get("dc:title")
            if part and conf:
                pdfa = f"{part}{conf}".upper()
            if part != "2":
                problems.append(f"XMP pdfaid:part is {part!r}, expected '2'")
            if (conf or "").upper() != "B":
                problems.append(f"XMP pdfaid:conformance is {conf!r}, expected 'B'")
            di_title = pdf.docinfo.get(Name.Title)
            if title and (di_title is None or str(di_title) != title):
                problems.append("DocInfo Title does not match XMP dc:title")
        intents = pdf.Root.get(Name.OutputIntents)
        if not intents or not any(
            i.get(Name.S) == Name.GTS_PDFA1 and Name.DestOutputProfile in i for i in intents
        ):
            problems.append("no PDF/A OutputIntent with an ICC profile")
        if Name.ID not in pdf.trailer:
            problems.append("no document /ID in trailer")
        if Name.JavaScript in pdf.Root.get(Name.Names, Dictionary()) or Name.OpenAction in pdf.Root:
            problems.append("JavaScript / OpenAction present")
        problems.extend(_font_problems(pdf))
        return {
            "pages": n,
            "pdfa": pdfa,
            "problems": problems,
            "title": title,
            "version": pdf.pdf_version,
            "page_labels": Name.PageLabels in pdf.Root,
        }


def pdf_text(data: bytes) -> list[str]:
    """Text per page (pdftotext, NFC) in content-stream order (``-raw``: what a viewer's
    select-all / copy gives for our text layer). Raises RuntimeError if pdftotext fails."""
    proc = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, timeout=120
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pdftotext failed: {proc.stderr.decode('utf-8', 'replace')[:300]}")
    pages = proc.stdout.decode("utf-8", "replace").split("\f")
    if pages and pages[-1].strip() == "":
        pages = pages[:-1]
    return [unicodedata.normalize("NFC", p) for p in pages]
