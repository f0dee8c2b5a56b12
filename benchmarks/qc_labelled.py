"""Benchmark: QC detection on a generated, labelled set of scan pages.

Generates >= 200 A4 pages of Vietnamese administrative text (DejaVu Serif/Sans,
Liberation Serif/Sans, 11-14 pt; 200 and 300 dpi; colour on tinted paper and grey;
JPEG quality 55-92; red seals and blue signatures; the 0.5-1.5° tilt of a normal
scan) in files of 8 pages, with one labelled defect on some pages:

  blank (pure paper, paper texture + stains, faint bleed-through of a verso),
  blurred, low_dpi (100-150 dpi), skewed (3-9°), upside_down, rotated (90/270),
  cropped (a side cut through the text), corrupt (0 bytes, truncated, garbage),
  duplicate (the same page scanned again: shifted, other JPEG quality), low_contrast
  (faded ink).

Runs sohoa.scan.qc.check_file_pages per file (the production path, tesseract OSD off so
the figures are the heuristic's own) and prints, per defect class, the share of
labelled pages where that defect was reported, and the share of good pages that were
wrongly rejected (and wrongly flagged fixable).

``--realistic``: every page as a grainy office scan — paper grain (σ 4–9 grey levels), the
scanner's own optical blur (σ up to 1 px at 300 dpi), JPEG q55–70; "blurred" pages a Gaussian
blur of only 2.5–4 px at 300 dpi (the same in mm at 200 dpi), which noise keeps looking
sharp to a high-pass measure; "cropped" pages half cut at a side as above, half cut across
their last lines (a short sheet of no standard size, the cut through a line or just under it).
The edge-blur threshold was set with benchmarks/qc_blur_sweep.py (seed 5) and the paper-size
rule from the layout rules of NĐ 30/2020, not on this set: ``--realistic --seed 12`` (the
figure reported) was not looked at while tuning.

Usage:  .venv/bin/python benchmarks/qc_labelled.py [--per-class 16] [--good 64] [--seed 3]
                                                  [--realistic]
Targets: every class >= 95 % detected; good pages wrongly rejected <= 2 %.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from sohoa.scan.qc import DEFECTS, check_file_pages  # noqa: E402
from sohoa.scan.thresholds import Thresholds  # noqa: E402

cv2.setNumThreads(1)

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]
WORDS = ("Ủy ban nhân dân thành phố Hà Nội quyết định về việc phê duyệt kế hoạch số hóa hồ sơ "
         "lưu trữ của các cơ quan tổ chức thuộc nguồn nộp lưu giai đoạn năm Điều một danh mục "
         "tài liệu được chỉnh lý và bảo quản vĩnh viễn theo quy định của pháp luật Giám đốc Sở "
         "Nội vụ chịu trách nhiệm tổ chức thực hiện kiểm tra giấy chứng nhận quyền sử dụng đất "
         "văn bản hành chính công văn tờ trình biên bản 2025 số 155/KH-UBND ngày tháng").split()
BOLD = {"/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf":
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"}
RED = (200, 30, 35)
BLUE = (30, 50, 160)


def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px)


def render(rng: random.Random, dpi: int, colour: bool, *, faded: bool = False,
           lines_max: int | None = None) -> Image.Image:
    """An upright A4 page (RGB), with header, body text, maybe a seal and a signature."""
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    tint = (rng.randint(238, 252), rng.randint(234, 248), rng.randint(218, 238)) if colour \
        else (rng.randint(236, 250),) * 3
    im = Image.new("RGB", (w, h), tint)
    d = ImageDraw.Draw(im)
    font_path = rng.choice(FONTS)
    pt = rng.uniform(11, 14)
    px = round(pt * dpi / 72)
    font = _font(font_path, px)
    ink_level = rng.randint(10, 45)
    if faded:  # faded carbon copy / weak toner: ink only 25-50 levels under the paper
        # (below ~30 levels ink is as faint as show-through: such pages come out "blank",
        # rejected all the same, and are not counted here)
        ink_level = max(0, min(tint) - rng.randint(30, 55))
    ink = (ink_level,) * 3
    margin_l, margin_r = round(rng.uniform(0.9, 1.2) * dpi), round(rng.uniform(0.6, 0.9) * dpi)
    y = round(rng.uniform(0.7, 1.0) * dpi)
    # header: agency name (bold, centred) and motto
    hf = _font(BOLD.get(font_path, font_path), px)
    for text in ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"):
        tw = d.textlength(text, font=hf)
        d.text(((w - tw) / 2, y), text, font=hf, fill=ink)
        y += round(px * 1.5)
    y += px
    step = round(px * rng.uniform(1.35, 1.7))
    n_lines = 0
    limit = h - round(rng.uniform(1.2, 3.5) * dpi)
    while y < limit and (lines_max is None or n_lines < lines_max):
        if rng.random() < 0.12:  # paragraph break
            y += step
            continue
        words: list[str] = []
        x0 = margin_l + (round(0.4 * dpi) if rng.random() < 0.15 else 0)
        target = w - margin_r - x0 - (rng.uniform(0, 0.6) * (w - margin_l - margin_r)
                                      if rng.random() < 0.2 else 0)
        while True:
            word = rng.choice(WORDS)
            if d.textlength(" ".join(words + [word]), font=font) > target:
                break
            words.append(word)
        d.text((x0, y), " ".join(words), font=font, fill=ink)
        y += step
        n_lines += 1
    if colour and rng.random() < 0.5:
        _seal(im, rng, dpi, (w * rng.uniform(0.55, 0.7), y + dpi * 0.2))
    if rng.random() < 0.5:
        _signature(im, rng, dpi, (w * 0.65, y + dpi * 0.3), BLUE if colour else (60, 60, 60))
    return im


def _seal(im: Image.Image, rng: random.Random, dpi: int, centre) -> None:
    """A red round seal stamped over the signature area (semi-transparent, uneven)."""
    r = dpi * rng.uniform(0.7, 0.85)
    layer = Image.new("L", im.size, 0)
    d = ImageDraw.Draw(layer)
    cx, cy = centre
    for k, frac in enumerate((1.0, 0.93, 0.62)):
        rr = r * frac
        d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=255, width=max(2, round(dpi / 60)))
        if k == 2:
            d.text((cx - rr * 0.6, cy - dpi * 0.06), "ỦY BAN", fill=255,
                   font=_font(FONTS[1], round(dpi / 9)))
    f = _font(FONTS[1], round(dpi / 12))
    for i in range(22):
        a = 2 * math.pi * i / 22
        d.text((cx + r * 0.78 * math.cos(a), cy + r * 0.78 * math.sin(a)), "ỦBND"[i % 4], fill=255,
               font=f)
    alpha = np.asarray(layer, np.float32) / 255 * rng.uniform(0.6, 0.85)
    base = np.asarray(im, np.float32)
    red = np.array(RED, np.float32)
    out = base * (1 - alpha[..., None]) + base * (red / 255) * alpha[..., None]
    im.paste(Image.fromarray(out.clip(0, 255).astype(np.uint8)))


def _signature(im: Image.Image, rng: random.Random, dpi: int, start, colour) -> None:
    d = ImageDraw.Draw(im)
    x, y = start
    pts = []
    for i in range(40):
        x += dpi * 0.03
        y += math.sin(i * rng.uniform(0.5, 0.9)) * dpi * 0.05
        pts.append((x, y))
    d.line(pts, fill=colour, width=max(2, dpi // 70))


def tilt(im: Image.Image, deg: float) -> Image.Image:
    paper = im.getpixel((5, 5))
    return im.rotate(deg, resample=Image.BICUBIC, fillcolor=paper)


def jpeg(im: Image.Image, dpi: int, quality: int, grey: bool) -> bytes:
    buf = io.BytesIO()
    (im.convert("L") if grey else im).save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def blank_page(rng: random.Random, dpi: int, colour: bool, kind: int) -> Image.Image:
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    base = np.full((h, w, 3), [rng.randint(236, 250), rng.randint(232, 246), rng.randint(215, 236)],
                   np.float32)
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    if kind >= 1:  # paper grain, fibres and a stain
        base += nrng.normal(0, 4, (h, w, 1)).astype(np.float32)
        base += (4 * np.sin(np.arange(w) / rng.uniform(6, 14)))[None, :, None]
        yy, xx = np.mgrid[0:h:8, 0:w:8]
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        stain = np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (dpi * 1.5) ** 2))) * 30
        base -= cv2.resize(stain.astype(np.float32), (w, h))[..., None]
    if kind >= 2:  # the verso's text showing through, mirrored and diffused
        verso = render(rng, dpi, False).transpose(Image.FLIP_LEFT_RIGHT).filter(
            ImageFilter.GaussianBlur(dpi / 120))
        v = np.asarray(verso.convert("L"), np.float32)
        base -= ((v.max() - v) * rng.uniform(0.06, 0.1))[..., None]
    im = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    return im if colour else im.convert("L").convert("RGB")


def grain(im: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Paper grain and sensor noise: per-pixel grey noise of ``sigma`` levels."""
    a = np.asarray(im, np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, a.shape[:2]).astype(np.float32)
    return Image.fromarray((a + (noise[..., None] if a.ndim == 3 else noise)).clip(0, 255).astype(np.uint8))


def _last_line_cut(im: Image.Image, rng: random.Random, dpi: int) -> int:
    """A row in the lower part of the page through a text line or just under one."""
    rows = np.asarray(im.convert("L"), np.float32).mean(axis=1)
    h = len(rows)
    inky = rows < rows.max() - 6
    lo, hi = round(h * 0.45), round(h * 0.85)
    ends = [y for y in range(lo, hi) if inky[y] and not inky[y + 1]]  # bottoms of lines
    if not ends:
        return round(h * 0.7)
    y = rng.choice(ends)
    if rng.random() < 0.5:
        return y - rng.randint(0, round(0.04 * dpi))  # through the line
    return y + rng.randint(1, round(0.12 * dpi))  # under it: 0.1–3 mm of paper left


def make_page(label: str | None, rng: random.Random, realistic: bool = False) -> tuple[bytes, dict]:
    dpi = rng.choice((200, 300))
    colour = rng.random() < 0.6
    quality = rng.randint(55, 70) if realistic else rng.randint(55, 92)
    info = {"dpi": dpi, "colour": colour, "quality": quality}
    normal_tilt = rng.uniform(0.0, 1.5) * rng.choice((-1, 1))
    if label == "blank":
        kind = rng.randrange(3)
        info["blank_kind"] = ["pure", "texture", "bleed_through"][kind]
        return jpeg(blank_page(rng, dpi, colour, kind), dpi, quality, not colour), info
    if label == "low_dpi":
        dpi = rng.choice((100, 120, 150))
        info["dpi"] = dpi
    im = render(rng, dpi, colour, faded=label == "low_contrast")
    if label == "blurred":
        sigma = dpi / 300 * rng.uniform(2.5, 4) if realistic else dpi / 200 * rng.uniform(4.5, 7)
        im = im.filter(ImageFilter.GaussianBlur(sigma))
        info["sigma"] = round(sigma, 1)
    elif realistic:  # the scanner's own optics
        sigma = dpi / 300 * rng.uniform(0, 1.0)
        if sigma > 0.05:
            im = im.filter(ImageFilter.GaussianBlur(sigma))
        info["sigma"] = round(sigma, 2)
    if label == "skewed":
        ang = rng.uniform(3, 9) * rng.choice((-1, 1))
        im = tilt(im, ang)
        info["angle"] = round(ang, 2)
    else:
        im = tilt(im, normal_tilt)
    if label == "upside_down":
        im = im.rotate(180)
    elif label == "rotated":
        im = im.transpose(rng.choice((Image.ROTATE_90, Image.ROTATE_270)))
    elif label == "cropped":
        w, h = im.size
        side = rng.randrange(3)  # left, right, bottom cut through the text
        cut = round(rng.uniform(1.3, 2.2) * dpi)
        # the bottom cut goes through a text line (a cut between lines is a shorter page)
        rows = np.asarray(im.convert("L"), np.float32).mean(axis=1)
        lo, hi = round(h * 0.4), round(h * 0.65)
        inky = np.flatnonzero(rows[lo:hi] < rows.max() - 6) + lo
        y_cut = int(rng.choice(list(inky))) if len(inky) else round(h * 0.5)
        box = [(cut, 0, w, h), (0, 0, w - cut, h), (0, 0, w, y_cut)][side]
        info["cut"] = ["left", "right", "bottom"][side]
        if realistic and rng.random() < 0.5:
            box = (0, 0, w, _last_line_cut(im, rng, dpi))
            info["cut"] = "last_lines"
        im = im.crop(box)
        info["height_mm"] = round((box[3] - box[1]) / dpi * 25.4)
    if realistic and label != "blank":
        info["grain"] = round(rng.uniform(4, 9), 1)
        im = grain(im, rng, info["grain"])
    data = jpeg(im, dpi, quality, not colour)
    if label == "corrupt":
        kind = rng.randrange(3)
        info["corrupt_kind"] = ["zero_bytes", "truncated", "garbage"][kind]
        data = [b"", data[: len(data) // rng.randint(2, 5)],
                b"\xff\xd8\xff\xe0" + bytes(rng.randrange(256) for _ in range(3000))][kind]
    return data, info


def rescan_of(data: bytes, rng: random.Random) -> bytes:
    """The same sheet scanned again: shifted a few pixels, different JPEG quality."""
    im = Image.open(io.BytesIO(data))
    dpi = im.info.get("dpi", (200, 200))
    canvas = Image.new(im.mode, im.size, im.getpixel((3, 3)))
    canvas.paste(im, (rng.randint(-12, 12), rng.randint(-12, 12)))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=rng.randint(60, 90), dpi=dpi)
    return buf.getvalue()


GENERATOR_VERSION = 3


def generate(root: Path, labels: list, rng: random.Random, n_dup: int, realistic: bool = False) -> list:
    files: list[list[tuple[Path, str | None, dict]]] = []
    per_file = 8
    for fi in range(math.ceil(len(labels) / per_file)):
        folder = root / f"file_{fi:03d}"
        folder.mkdir(exist_ok=True)
        entries = []
        for j, label in enumerate(labels[fi * per_file:(fi + 1) * per_file]):
            data, info = make_page(label, random.Random(rng.randrange(1 << 30)), realistic)
            p = folder / f"{j + 1:04d}.jpg"
            p.write_bytes(data)
            entries.append((p, label, info))
        files.append(entries)
    # duplicates: a good page of a file scanned again at the end of the same file
    for i in range(n_dup):
        entries = files[i % len(files)]
        src = next((e for e in entries if e[1] is None), None)
        if src is None:
            src_data, info = make_page(None, random.Random(rng.randrange(1 << 30)), realistic)
            sp = entries[0][0].parent / "0000.jpg"
            sp.write_bytes(src_data)
            entries.insert(0, (sp, None, info))
            src = entries[0]
        p = src[0].parent / f"{len(entries) + 1:04d}.jpg"
        p.write_bytes(rescan_of(src[0].read_bytes(), random.Random(rng.randrange(1 << 30))))
        entries.append((p, "duplicate", {"of": src[0].name}))
    return files


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=16)
    ap.add_argument("--good", type=int, default=64)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--keep", help="write the set to this folder (reused when run again)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--realistic", action="store_true",
                    help="grain, scanner blur and JPEG q55-70 on every page; mild blur; last-line cuts")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    labels: list[str | None] = [None] * a.good
    for d in DEFECTS:
        if d != "duplicate":
            labels += [d] * a.per_class
    rng.shuffle(labels)
    n_dup = a.per_class
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(a.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        index = root / "labels.json"
        key = [a.per_class, a.good, a.seed, GENERATOR_VERSION, a.realistic]
        if index.exists() and json.loads(index.read_text())["key"] == key:
            files = [[(root / e[0], e[1], e[2]) for e in entries]
                     for entries in json.loads(index.read_text())["files"]]
        else:
            files = generate(root, labels, rng, n_dup, a.realistic)
            index.write_text(json.dumps({"key": key, "files": [
                [(str(e[0].relative_to(root)), e[1], e[2]) for e in entries] for entries in files]}))
        gen_s = time.perf_counter() - t0

        t = Thresholds(osd_fallback=False)
        hits: Counter = Counter()
        totals: Counter = Counter()
        good = good_reject = good_fixable = 0
        confusion: dict[str, Counter] = defaultdict(Counter)
        misses = []
        t1, c1 = time.perf_counter(), time.process_time()
        n_pages = 0
        for entries in files:
            checks = check_file_pages([e[0] for e in entries], t)
            assert len(checks) == len(entries)
            for (path, label, info), c in zip(entries, checks):
                n_pages += 1
                for dfx in c.defects:
                    confusion[label or "good"][dfx] += 1
                if label is None:
                    good += 1
                    good_reject += c.verdict == "reject"
                    good_fixable += c.verdict == "fixable"
                    if c.verdict != "pass":
                        misses.append(("good", path.name, c.defects, info, c.metrics))
                else:
                    totals[label] += 1
                    if label in c.defects:
                        hits[label] += 1
                    else:
                        misses.append((label, path.name, c.defects, info, c.metrics))
        qc_s, qc_cpu = time.perf_counter() - t1, time.process_time() - c1

    print(f"labelled set{' (realistic noise)' if a.realistic else ''}: {n_pages} pages in "
          f"{len(files)} files (seed {a.seed}), "
          f"generated in {gen_s:.0f} s; QC {qc_s:.1f} s wall, {qc_cpu:.1f} s CPU "
          f"({n_pages / qc_cpu:.1f} pages/s per core); load {os.getloadavg()[0]:.1f}")
    print(f"{'class':<14}{'pages':>6}{'detected':>10}{'rate':>8}")
    ok = True
    for d in DEFECTS:
        rate = hits[d] / totals[d] if totals[d] else float("nan")
        ok &= rate >= 0.95
        print(f"{d:<14}{totals[d]:>6}{hits[d]:>10}{rate:>8.1%}")
    fr = good_reject / good
    ok &= fr <= 0.02
    print(f"{'good':<14}{good:>6}  wrongly rejected {good_reject} ({fr:.1%}), "
          f"flagged fixable {good_fixable} ({good_fixable / good:.1%})")
    print("other defects reported per class:",
          {k: dict(v) for k, v in confusion.items() if any(x != k for x in v)})
    if a.verbose:
        for m in misses:
            print("MISS", m[0], m[1], m[2], m[3],
                  {k: m[4].get(k) for k in ("skew_deg", "sharpness", "contrast", "ink_components",
                                            "ink_ratio", "orientation", "ascender_ratio",
                                            "line_score_h", "line_score_v", "edge_blobs",
                                            "edge_blur_mm", "paper_size", "page_size_mm")})
    print("targets (>= 95 % per class, <= 2 % good rejected):", "MET" if ok else "NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
