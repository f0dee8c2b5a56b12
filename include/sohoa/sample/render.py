"""Pixels for the sample's page specs: one ink-density channel (0 = paper, 255 = ink)
blurred, rotated and degraded as a real scanner would, coloured marks (signature, seal)
blended in, grain and JPEG encoding with the page's dpi in the JFIF header."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from sohoa.sample.typeset import load_font


# --------------------------------------------------------------------------- rendering
# Rendering works on one "ink density" channel (0 = paper, 255 = full ink) so blur and
# rotation touch one plane instead of three; colour is applied at the end. Coloured
# marks (signature, seal) are small regions rotated on their own and blended in.

_INK = (28, 26, 34)
_BLUE = (30, 45, 140)
_RED = (196, 28, 40)
_GRAIN: dict = {}


def _grain(w: int, h: int):
    """Sensor grain tile, fixed per size, so a page costs a slice instead of fresh noise."""
    import numpy as np

    key = (w, h)
    if key not in _GRAIN:
        rng = np.random.default_rng(20250701 + w)
        _GRAIN[key] = rng.integers(0, 10, size=(h + 64, w + 64), dtype=np.uint8)
    return _GRAIN[key]


def _seal_mask(seal: dict, s: float):
    from PIL import Image, ImageDraw

    r = seal["r"] * s
    size = int(2 * r + 8)
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    c = size / 2
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(2, round(2.2 * s)))
    ri = r * 0.72
    d.ellipse((c - ri, c - ri, c + ri, c + ri), outline=255, width=max(1, round(0.9 * s)))
    star = []
    for i in range(10):
        rad = r * 0.28 if i % 2 == 0 else r * 0.11
        a = math.pi / 2 + i * math.pi / 5
        star.append((c + rad * math.cos(a), c - rad * math.sin(a)))
    d.polygon(star, fill=255)
    ring = seal["ring"]
    rt = (r + ri) / 2
    font = load_font("B", max(6, round(min(r * 0.17, 2 * math.pi * rt / len(ring) * 1.25))))
    step = 2 * math.pi / len(ring)
    for i, ch in enumerate(ring):
        if ch == " ":
            continue
        theta = i * step + math.radians(seal["angle"])
        box = font.getbbox(ch)
        cw, chh = max(1, box[2] - box[0]), max(1, box[3] - box[1])
        glyph = Image.new("L", (cw + 4, chh + 4), 0)
        ImageDraw.Draw(glyph).text((2 - box[0], 2 - box[1]), ch, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(theta), resample=Image.BILINEAR, expand=True)
        gx = c + rt * math.sin(theta) - glyph.width / 2
        gy = c - rt * math.cos(theta) - glyph.height / 2
        mask.paste(255, (int(gx), int(gy)), glyph)
    return mask, seal["cx"] * s, seal["cy"] * s


def _signature_mask(points, s: float):
    from PIL import Image, ImageDraw

    xs, ys = [x * s for x, _ in points], [y * s for _, y in points]
    pad = 12
    x0, y0 = min(xs) - pad, min(ys) - pad
    w, h = int(max(xs) - x0 + pad), int(max(ys) - y0 + pad)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).line([(x - x0, y - y0) for x, y in zip(xs, ys)], fill=255,
                              width=max(2, round(1.1 * s)), joint="curve")
    return mask, x0 + w / 2, y0 + h / 2


def _jfif_dpi(data: bytes, dpi: int) -> bytes:
    """Write the dpi into the JFIF APP0 density fields of an encoded JPEG."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        return data[:13] + bytes([1]) + dpi.to_bytes(2, "big") * 2 + data[18:]
    raise ValueError("JPEG without JFIF header")


def render_page(job: dict, out_dir: str | None = None) -> bytes:
    """Render one page spec to JPEG bytes (and write it under out_dir if given)."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw

    dpi = job["dpi"]
    s = dpi / 72.0
    W, H = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    rng = np.random.default_rng(job["seed"])
    tint = np.array(job["tint"], dtype=np.float32)

    canvas = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(canvas)
    for text, key, size, x0, x1, y, align in job["lines"]:
        font = load_font(key, max(6, round(size * s)))
        top = y * s
        if align == "j" and " " in text:
            words = text.split(" ")
            widths = [font.getlength(w) for w in words]
            gap = ((x1 - x0) * s - sum(widths)) / (len(words) - 1)
            x = x0 * s
            for w, ww in zip(words, widths):
                draw.text((x, top), w, font=font, fill=255)
                x += ww + gap
            continue
        tw = font.getlength(text)
        x = {"c": (x0 + x1) / 2 * s - tw / 2, "r": x1 * s - tw}.get(align, x0 * s)
        draw.text((x, top), text, font=font, fill=255)
    for x0, x1, y, w in job["rules"]:
        draw.line([(x0 * s, y * s), (x1 * s, y * s)], fill=255, width=max(1, round(w * s)))
    if job["defect"] == "blank":
        for _ in range(int(rng.integers(3, 9))):  # dust specks
            cx, cy, rr = int(rng.integers(0, W)), int(rng.integers(0, H)), int(rng.integers(1, 3))
            draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=110)

    # scanner optics: slight blur (strong for "blurred"), then the page's rotation
    sigma = (job["blur"] if job["defect"] != "blurred" else 1.8) * s
    angle = job["angle"]
    M = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)  # + = counter-clockwise
    ink = np.asarray(canvas)
    ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    ink = cv2.warpAffine(ink, M, (W, H), flags=cv2.INTER_LINEAR, borderValue=0)
    oy, ox = (int(v) for v in rng.integers(0, 64, size=2))
    ink = cv2.add(ink, _grain(W, H)[oy:oy + H, ox:ox + W])

    # paper: tint with low-frequency mottling
    low = tint + rng.normal(0, 3.0, size=(H // 24 + 2, W // 24 + 2, 1)) \
        + rng.normal(0, 1.2, size=(H // 24 + 2, W // 24 + 2, 3))
    paper = cv2.resize(low.clip(0, 255).astype(np.uint8), (W, H), interpolation=cv2.INTER_LINEAR)
    grey = job["mode"] == "L"
    if grey:
        paper = cv2.cvtColor(paper, cv2.COLOR_RGB2GRAY)
        k = (float(tint.mean()) - 30) / 255
        page = cv2.subtract(paper, cv2.convertScaleAbs(ink, alpha=k))
    else:
        planes = [cv2.convertScaleAbs(ink, alpha=(float(tint[c]) - _INK[c]) / 255) for c in range(3)]
        page = cv2.subtract(paper, cv2.merge(planes))

    marks = []
    if job["signature"]:
        marks.append((*_signature_mask(job["signature"], s), _BLUE, "over"))
    if job["seal"]:
        marks.append((*_seal_mask(job["seal"], s), _RED, "multiply"))
    for stroke in job.get("scribbles") or ():  # handwriting: blue pen
        marks.append((*_signature_mask(stroke, s), _BLUE, "over"))
    for mask_img, cx, cy, color, how in marks:
        m = cv2.GaussianBlur(np.asarray(mask_img), (0, 0), max(0.5, sigma))
        mh, mw = m.shape
        diag = int(math.hypot(mw, mh)) + 2
        R = cv2.getRotationMatrix2D((mw / 2, mh / 2), angle, 1.0)
        R[:, 2] += ((diag - mw) / 2, (diag - mh) / 2)
        m = cv2.warpAffine(m, R, (diag, diag), flags=cv2.INTER_LINEAR, borderValue=0)
        ncx, ncy = M @ np.array([cx, cy, 1.0])
        x0, y0 = int(ncx - diag / 2), int(ncy - diag / 2)
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + diag), min(H, y0 + diag)
        if xa >= xb or ya >= yb:
            continue
        a = m[ya - y0:yb - y0, xa - x0:xb - x0].astype(np.float32) / 255
        if how == "multiply":  # stamp ink is uneven and never fully opaque
            mott = rng.uniform(0.55, 0.9, size=(a.shape[0] // 10 + 2, a.shape[1] // 10 + 2))
            a *= cv2.resize(mott.astype(np.float32), (a.shape[1], a.shape[0]))
        else:
            a *= 0.9
        col = np.array(color, dtype=np.float32)
        if grey:
            col = np.array([col @ np.array([0.299, 0.587, 0.114], dtype=np.float32)])
        region = page[ya:yb, xa:xb].astype(np.float32)
        if not grey:
            a = a[..., None]
        if how == "multiply":
            region *= 1 - a * (1 - col / 255)
        else:
            region = region * (1 - a) + col * a
        page[ya:yb, xa:xb] = region.clip(0, 255).astype(np.uint8)

    if job["defect"] == "upside_down":
        page = cv2.flip(page, -1)
    bgr = page if grey else cv2.cvtColor(page, cv2.COLOR_RGB2BGR)
    ok, enc = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, job["quality"]])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {job['path']}")
    data = _jfif_dpi(enc.tobytes(), dpi)
    if out_dir is not None:
        target = Path(out_dir) / job["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return data


def worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)  # one process per core already


def render_to_disk(args) -> tuple[str, str]:
    job, out_dir = args
    data = render_page(job, out_dir)
    return job["path"], hashlib.sha256(data).hexdigest()
