"""Bounded decoding of PDF image streams: the guard against decompression bombs.

A PDF image declares its size (/Width, /Height, colour space, /BitsPerComponent); what its
stream really decodes to is only known by decoding it. A 2 MB Flate stream can inflate to
gigabytes ("decompression bomb") and qpdf would inflate it whole, in memory. So before any
decoder runs, every generic filter (Flate, RunLength, ASCIIHex, ASCII85) is run here
incrementally and stopped as soon as its output passes the declared size plus a small
margin; the specialised codecs are checked on their own headers: the JPEG SOF, the JPEG 2000
SIZ, JBIG2's page and region sizes, CCITT's /Columns and /Rows. Past the bound the image is
refused (QC: ``corrupt``) and the other pages are still checked.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib

from PIL import Image

from sohoa.scan.thresholds import Thresholds


class DeclaredSizeExceeded(ValueError):
    """An embedded image stream decodes (or says it decodes) to more than its declared size."""


_FLATE = frozenset({"/FlateDecode", "/Fl"})
_RUNLENGTH = frozenset({"/RunLengthDecode", "/RL"})
_HEX = frozenset({"/ASCIIHexDecode", "/AHx"})
_A85 = frozenset({"/ASCII85Decode", "/A85"})
_LZW = frozenset({"/LZWDecode", "/LZW"})
_GENERIC = _FLATE | _RUNLENGTH | _HEX | _A85 | _LZW
_INFLATE_CHUNK = 1 << 16
_CS_COMPONENTS = {"/DeviceGray": 1, "/G": 1, "/CalGray": 1, "/Indexed": 1, "/I": 1,
                  "/Separation": 1, "/DeviceRGB": 3, "/RGB": 3, "/CalRGB": 3, "/Lab": 3,
                  "/DeviceCMYK": 4, "/CMYK": 4}


def _components(cs) -> int:
    """Colour components of a PDF colour space (unknown ones count as 4, the most)."""
    import pikepdf

    try:
        if isinstance(cs, pikepdf.Array) and len(cs):
            name = str(cs[0])
            if name == "/ICCBased":
                return max(1, min(int(cs[1].get("/N", 4)), 32))
            if name == "/DeviceN":
                return max(1, min(len(cs[1]), 32))
            return _CS_COMPONENTS.get(name, 4)
        if cs is not None:
            return _CS_COMPONENTS.get(str(cs), 4)
    except Exception:  # noqa: BLE001 - odd colour space: assume the largest
        pass
    return 4


def declared_bytes(obj, w: int, h: int) -> int:
    """Bytes of raw samples an image XObject declares: rows of width × components × bpc."""
    if obj.get("/ImageMask"):
        comps, bpc = 1, 1
    else:
        comps = _components(obj.get("/ColorSpace"))
        try:
            bpc = max(1, min(int(obj.get("/BitsPerComponent", 8)), 16))
        except Exception:  # noqa: BLE001
            bpc = 16
    return (w * comps * bpc + 7) // 8 * h


def size_bound(obj, w: int, h: int) -> int:
    """The most a generic filter may produce: the declared samples, one predictor byte per
    row (PNG predictors), 1 % and 64 KiB of slack for writers that pad."""
    n = declared_bytes(obj, w, h)
    return n + h + n // 100 + 65536


def _refuse(what: str, got: int | str, bound: int | str) -> DeclaredSizeExceeded:
    return DeclaredSizeExceeded(f"{what} goes past the declared image size ({got} > {bound}): "
                                "refused as a possible decompression bomb")


def inflate_bounded(data: bytes, bound: int, keep: bool = True) -> bytes:
    """Inflate ``data``, refusing past ``bound`` bytes; ``keep=False`` only counts (the
    last filter: nothing reads its output here), so memory stays one chunk."""
    d = zlib.decompressobj()
    out: list[bytes] = []
    n = pos = 0
    try:
        while not d.eof:
            if d.unconsumed_tail:
                buf = d.unconsumed_tail
            elif pos < len(data):
                buf = data[pos:pos + _INFLATE_CHUNK]
                pos += _INFLATE_CHUNK
            else:
                break
            # never 0 (= unlimited): n <= bound; counting, one MiB at a time is enough
            piece = d.decompress(buf, bound + 1 - n if keep else min(bound + 1 - n, 1 << 20))
            n += len(piece)
            if n > bound:
                raise _refuse("Flate stream", f"more than {bound} bytes", f"{bound} bytes")
            if keep:
                out.append(piece)
    except zlib.error:
        pass  # damaged stream: the decoder reports it; what was read stays bounded
    return b"".join(out)


def _runlength_bounded(data: bytes, bound: int) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 128:
            break
        if b < 128:
            out += data[i + 1:i + 2 + b]
            i += 2 + b
        else:
            out += data[i + 1:i + 2] * (257 - b)
            i += 2
        if len(out) > bound:
            raise _refuse("RunLength stream", f"more than {bound} bytes", f"{bound} bytes")
    return bytes(out)


def _simple_decode(f: str, data: bytes) -> bytes:
    import base64

    if f in _HEX:
        hexits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">", 1)[0])
        return bytes.fromhex((hexits + b"0" * (len(hexits) % 2)).decode())
    body = data.strip()
    if body.startswith(b"<~"):
        body = body[2:]
    return base64.a85decode(body.split(b"~>", 1)[0], ignorechars=b" \t\n\r\x0b\x0c")


def _u32(b: bytes, i: int) -> int:
    return int.from_bytes(b[i:i + 4], "big")


_JBIG2_REGION_TYPES = frozenset({4, 6, 7, 20, 22, 23, 36, 38, 39, 40, 42, 43})


def jbig2_sizes(data: bytes) -> list[tuple[int, int]]:
    """(width, height) of the page and of every region an embedded JBIG2 stream declares
    (segment headers, ITU T.88 7.2); jbig2dec allocates bitmaps of these sizes."""
    sizes, i, n = [], 0, len(data)
    while i + 11 <= n:
        seg_no = _u32(data, i)
        flags = data[i + 4]
        stype, assoc4 = flags & 0x3F, flags & 0x40
        i += 5
        count = data[i] >> 5
        if count == 7:
            count = _u32(data, i) & 0x1FFFFFFF
            i += 4 + (count + 8) // 8
        else:
            i += 1
        i += count * (1 if seg_no <= 256 else 2 if seg_no <= 65536 else 4)
        i += 4 if assoc4 else 1
        if i + 4 > n:
            break
        length = _u32(data, i)
        i += 4
        if stype == 48 and i + 8 <= n:  # page information
            sizes.append((_u32(data, i), _u32(data, i + 4)))
        elif stype in _JBIG2_REGION_TYPES and i + 8 <= n:  # region segment information
            sizes.append((_u32(data, i), _u32(data, i + 4)))
        if length == 0xFFFFFFFF:
            break  # immediate generic region of unknown length: last header we can read
        i += length
    return sizes


def _as_list(v) -> list:
    if v is None:
        return []
    try:
        return list(v)
    except TypeError:
        return [v]


def check_page_images(page, t: Thresholds | None = None) -> None:
    """:func:`check_declared_size` for every image of a page (before it is rendered)."""
    from pikepdf import PdfImage

    found = page.get_images() if hasattr(page, "get_images") else page.images
    for raw in found.values():
        try:
            img = PdfImage(raw)
        except Exception:  # noqa: BLE001 - not an image we can wrap: the renderer decides
            continue
        check_declared_size(img, t)


def check_declared_size(img, t: Thresholds | None = None) -> None:
    """Raise :class:`DeclaredSizeExceeded` when an embedded image's stream (``img``: a
    pikepdf PdfImage) decodes, or says it decodes, to more than its declared size; run
    before any decoder touches the stream. Memory: the compressed bytes plus at most the
    declared size."""
    w, h = int(img.width), int(img.height)
    obj = img.obj
    if w <= 0 or h <= 0:
        raise ValueError(f"invalid image size {w}x{h}")
    filters = [str(f) for f in img.filters]
    parms = list(img.decode_parms) if filters else []
    bound = size_bound(obj, w, h)
    data = bytes(obj.read_raw_bytes())
    i = 0
    while i < len(filters) and filters[i] in _GENERIC:
        f = filters[i]
        if f in _FLATE:
            data = inflate_bounded(data, bound, keep=i + 1 < len(filters))
        elif f in _RUNLENGTH:
            data = _runlength_bounded(data, bound)
        elif f in _LZW:
            return  # decoded by qpdf (scanners do not write LZW into PDF): not bounded here
        else:
            data = _simple_decode(f, data)
        i += 1
    if i == len(filters):
        return
    codec = filters[i]
    slack = 1.01
    if codec in ("/DCTDecode", "/DCT", "/JPXDecode"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cw, ch = Image.open(io.BytesIO(data)).size  # header only: SOF / SIZ
            except Exception:  # noqa: BLE001 - not a JPEG/JPEG 2000: the decoder says so
                return
        if cw * ch > w * h * slack + 64:
            raise _refuse(f"{codec[1:]} header", f"{cw}x{ch}", f"{w}x{h}")
    elif codec == "/JBIG2Decode":
        glob = parms[i].get("/JBIG2Globals") if i < len(parms) and parms[i] else None
        sizes = jbig2_sizes(data)
        if glob is not None:
            gdata = bytes(glob.read_raw_bytes())
            if [str(f) for f in _as_list(glob.get("/Filter"))] == ["/FlateDecode"]:
                gdata = inflate_bounded(gdata, bound)
            sizes += jbig2_sizes(gdata)
        for sw, sh in sizes:
            sh = h if sh == 0xFFFFFFFF else sh  # striped page: height comes with the stripes
            if sw * sh > w * h * slack + 64:
                raise _refuse("JBIG2 bitmap", f"{sw}x{sh}", f"{w}x{h}")
    elif codec in ("/CCITTFaxDecode", "/CCF"):
        p = parms[i] if i < len(parms) and parms[i] else {}
        cols = int(p.get("/Columns", 1728))
        rows = int(p.get("/Rows", 0))
        if cols * max(rows, 1) > w * h * slack + 64 or cols > w * slack + 8 or rows > h * slack + 8:
            raise _refuse("CCITT /Columns x /Rows", f"{cols}x{rows}", f"{w}x{h}")
