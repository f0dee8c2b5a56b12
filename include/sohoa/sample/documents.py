"""Administrative documents laid out on typeset pages: letterhead, number and notation,
date line, subject, body, signature block and seal (NĐ 30/2020), hand-written numbers,
confidentiality/urgency marks, appendices and header-less map pages; and each
document's ground truth, which the description phase is checked against."""

from __future__ import annotations

import math
import random
import re
from datetime import date

from sohoa.sample import text as T
from sohoa.sample.typeset import (BODY, BOTTOM, LEAD, LM, RM, SIG_H, TOP, Page, nfc, para_lines,
                                  place_lines, text_width)

# letterhead streets per real agency code
STREETS = {T.REAL_CODES[k]: v for k, v in T.STREETS.items()}


def _vn_date(d: date, place: str) -> str:
    """NĐ 30/2020 (as TT 01/2011 before it): a leading zero for days below 10 and months 1-2."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def random_person(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(T.SURNAMES)} {rng.choice(T.MIDDLE_M)} {rng.choice(T.GIVEN_M)}"
    return f"{rng.choice(T.SURNAMES)} {rng.choice(T.MIDDLE_F)} {rng.choice(T.GIVEN_F)}"


def fill_template(template: str, ctx: dict, rng: random.Random) -> str:
    year = ctx["year"]
    d = date(year, rng.randint(1, 12), rng.randint(1, 28))
    values = dict(ctx)
    values.update(
        n=rng.randint(12, 480), n2=rng.randint(3, 45), area=f"{rng.randint(40, 320)},{rng.randint(1, 9)}",
        pct=rng.randint(86, 99), pct2=rng.randint(5, 15), q=rng.choice(["I", "II", "III", "IV"]),
        m=rng.randint(1, 12), floors=rng.randint(2, 6), date=f"{d.day:02d}/{d.month:02d}/{d.year}",
        money=_thousands(rng.randint(8_000, 95_000)), money2=_thousands(rng.randint(7_000, 90_000)),
        year0=year - rng.randint(10, 30), year1=year + 1,
    )
    return nfc(template.format(**values))


def _sentences(rng, theme, ctx, k):
    # deal from a shuffled deck so a document does not repeat a sentence until it runs out
    out = []
    for _ in range(k):
        if not ctx.get("_deck"):
            ctx["_deck"] = theme["sentences"] + T.GENERIC
            rng.shuffle(ctx["_deck"])
        out.append(fill_template(ctx["_deck"].pop(), ctx, rng))
    return " ".join(out)


_HEADINGS = ["I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "III. NHIỆM VỤ, GIẢI PHÁP",
             "IV. TỔ CHỨC THỰC HIỆN", "V. KIẾN NGHỊ, ĐỀ XUẤT"]


def _body_stream(rng, doc_type, theme, ctx):
    """Endless paragraphs for a document body: yields placeable line lists."""
    if doc_type == "QĐ":
        k = 1
        while True:
            yield para_lines(f"Điều {k}. " + _sentences(rng, theme, ctx, rng.randint(1, 2)), "R")
            for j in range(rng.randint(0, 2)):
                yield para_lines(f"{'abc'[j]}) " + _sentences(rng, theme, ctx, 1), "R")
            k += 1
    heading = 0
    n = 0
    while True:
        if doc_type in ("BC", "KH") and n % 3 == 0 and heading < len(_HEADINGS):
            yield para_lines(_HEADINGS[heading], "B", indent=36.0, align="l")
            heading += 1
        yield para_lines(_sentences(rng, theme, ctx, rng.randint(2, 3)), "R")
        n += 1


def _header(page: Page, ag, doc_type, number, issued, subject, place, extras=None):
    extras = extras or {}
    lx0, lx1, rx0, rx1 = LM - 25, LM + 185, LM + 165, RM + 10
    y0 = page.y
    line1, line2 = ag["hdr1"], ag["hdr2"]
    page.line(line1, "R", 13, lx0, lx1, "c")
    page.y += 17
    page.centered(line2, "B", 13, lx0, lx1)
    mid = (lx0 + lx1) / 2
    page.rules.append((mid - 32, mid + 32, page.y + 1, 0.8))
    page.y += 8
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    code = f"{number}/{abbr}-{unit}" if abbr else f"{number}/{unit}"
    if ag["level"] == "district" and not abbr and unit == "UBND":
        code += "-VP"
    if extras.get("hand_number"):
        _handwritten_gap(page, "Số: ", " " * 10, "/" + code.split("/", 1)[1], str(number),
                         "R", 13, lx0, lx1, extras["seed"])
    else:
        page.line(f"Số: {code}", "R", 13, lx0, lx1, "c")
    page.y += 18
    if extras.get("mark"):
        page.line(extras["mark"], "B", 13, lx0, lx1, "c")
        page.y += 18
    if doc_type == "CV":
        page.centered(subject, "R", 12, lx0 + 10, lx1 - 10, lead=1.25)
    left_end = page.y
    page.y = y0
    page.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "B", 12.5, rx0, rx1, "c")
    page.y += 17
    motto = "Độc lập - Tự do - Hạnh phúc"
    page.line(motto, "B", 13.5, rx0, rx1, "c")
    page.y += 17
    half = text_width(motto, "B", 13.5) / 2
    rmid = (rx0 + rx1) / 2
    page.rules.append((rmid - half, rmid + half, page.y + 1, 0.8))
    page.y += 12
    if extras.get("hand_day"):
        _handwritten_gap(page, f"{place}, ngày ", " " * 6, f" tháng {issued.month:02d} năm {issued.year}" if issued.month < 3
                         else f" tháng {issued.month} năm {issued.year}",
                         str(issued.day), "I", 13.5, rx0, rx1, extras["seed"] + 1)
    else:
        page.line(_vn_date(issued, place), "I", 13.5, rx0, rx1, "c")
    page.y = max(left_end, page.y + 18) + 16


def _signature_block(page: Page, rng, ag, doc_type, seal: bool, article: int):
    y = page.y + 6
    # Nơi nhận (left) first: reading order left to right.
    page.y = y
    page.line("Nơi nhận:", "BI", 12, LM, LM + 200, "l")
    page.y += 15
    superior = f"- UBND {ag['parent_unit']};" if ag["parent_unit"] else "- UBND thành phố Hà Nội;"
    first = f"- Như Điều {article};" if doc_type == "QĐ" else "- Như trên;"
    for ln in (first, superior, "- Lưu: VT."):
        page.line(ln, "R", 11, LM, LM + 200, "l")
        page.y += 14
    page.y = y
    x0, x1 = LM + 200, RM
    if ag["code"].endswith("P01"):
        roles = ["TRƯỞNG PHÒNG"]
    elif rng.random() < 0.6:
        roles = ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    else:
        roles = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    for r in roles:
        page.line(r, "B", 13, x0, x1, "c")
        page.y += 17
    cx, cy = (x0 + x1) / 2, page.y + 34
    # a cursive flourish: a drifting line with loops (sum of sines)
    f1, f2, ph = rng.uniform(2.5, 4.5), rng.uniform(1.5, 3.5), rng.uniform(0, 6.28)
    amp_x, amp_y = rng.uniform(5, 10), rng.uniform(8, 14)
    pts = []
    for i in range(72):
        t = i / 71
        x = cx - 50 + 100 * t + amp_x * math.sin(2 * math.pi * f1 * t)
        y = cy + amp_y * math.cos(2 * math.pi * f1 * t + ph) * (1 - 0.5 * t) + 6 * math.sin(2 * math.pi * f2 * t)
        pts.append((round(x, 2), round(y, 2)))
    page.signature = pts
    ring_place = ag["parent_upper"] or "TP. HÀ NỘI"
    if seal:
        page.seal = {"cx": round(cx - 40 + rng.uniform(-6, 6), 2), "cy": round(cy - 6, 2), "r": 52.0,
                     "ring": f"{ag['hdr1']} {ag['hdr2']} * {ring_place} * ",
                     "angle": round(rng.uniform(0, 360), 1)}
    page.y += 78
    name = random_person(rng)
    page.line(name, "B", 14, x0, x1, "c")
    page.y += 20
    page.meta.update(signer=name, signer_title=T.SIGNER_ROLES[tuple(roles)])


# --------------------------------------------------------------------------- documents
# Issue 13: what makes a file's documents worth describing — numbers and days written by
# hand, confidentiality/urgency marks, appendices, header-less pages (maps) — and the
# per-document ground truth (``document_truth``).

def _hand_strokes(text: str, x: float, y_top: float, size: float, seed: int) -> list[list[tuple]]:
    """Pen strokes (pt) writing ``text``'s digits by hand from (x, y_top), ``size`` tall."""
    r = random.Random(seed)
    out, cx = [], x
    slant = r.uniform(0.12, 0.25)
    for ch in text:
        glyph = T.HAND_DIGITS.get(ch)
        if glyph is None:
            cx += size * 0.5
            continue
        w = size * r.uniform(0.5, 0.62)
        y0 = y_top + r.uniform(-1.5, 1.5)
        pts = [(round(cx + gx * w + (1 - gy) * size * slant + r.uniform(-0.6, 0.6), 2),
                round(y0 + gy * size + r.uniform(-0.6, 0.6), 2)) for gx, gy in glyph]
        out.append(pts)
        cx += w + size * r.uniform(0.1, 0.2)
    return out


def _handwritten_gap(page: Page, before: str, gap: str, after: str, value: str,
                     key: str, size: float, x0: float, x1: float, seed: int) -> None:
    """A printed line with a blank left for a handwritten value (number, day): the print
    goes in the text (ground truth), the value only as pen strokes over the gap."""
    text = before + gap + after
    page.line(text, key, size, x0, x1, "c")
    start = (x0 + x1) / 2 - text_width(text, key, size) / 2
    gx = start + text_width(before, key, size) + 2
    page.scribbles.extend(_hand_strokes(value, gx, page.y + size * 0.05, size * 0.95, seed))


def document_extras(drng: random.Random, doc_type: str, n_pages: int, seed: int) -> dict:
    """What one document carries beyond its print, drawn from its own random stream (so
    the file-level sample stays as it was): handwriting, marks, an appendix page."""
    x = {"seed": seed, "hand_number": drng.random() < 0.15, "hand_day": drng.random() < 0.2,
         "mark": None, "appendix": False}
    u = drng.random()
    if u < 0.06:
        x["mark"] = drng.choice(T.SECRECY_MARKS)
    elif u < 0.14:
        x["mark"] = drng.choice(T.URGENCY_MARKS)
    if doc_type in T.APPENDIX_TITLES and n_pages >= 2 and drng.random() < 0.45:
        x["appendix"] = True
    return x


def _appendix_page(rng, ag, doc_type, number, issued, extras, page_no) -> Page:
    """An appendix (phụ lục): belongs to the document it is attached to; no header."""
    page = Page()
    title = T.DOC_TYPES[doc_type][0]
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    shown = "     " if extras.get("hand_number") else str(number)
    page.centered("Phụ lục", "B", BODY)
    page.centered(T.APPENDIX_TITLES[doc_type], "B", BODY)
    issuer = ("Ủy ban nhân dân " + ag["unit"]) if not ag["code"].endswith("P01") else ag["unit"]
    day = "   " if extras.get("hand_day") else f"{issued.day:02d}"
    page.centered(f"(Kèm theo {title.capitalize()} số {shown}/{abbr}-{unit} ngày {day}/"
                  f"{issued.month:02d}/{issued.year} của {issuer})", "I", 13, LM + 20, RM - 20)
    page.y += 10
    rows = list(T.APPENDIX_ROWS)
    rng.shuffle(rows)
    page.line("STT   Đơn vị                                        Nội dung, số lượng", "B", 13, LM, RM, "l")
    page.y += 20
    for i, row in enumerate(rows[: rng.randint(6, 10)], 1):
        page.line(f"{i}.   {row}", "R", 13, LM, LM + 260, "l")
        page.line(f"{rng.randint(2, 60)} hồ sơ", "R", 13, LM + 300, RM, "l")
        page.y += 20
    page.meta["appendix"] = True
    return page


def map_page(drng: random.Random) -> Page:
    """A site map (sơ đồ) with no document header: a file part of type "Khác"."""
    page = Page()
    page.centered(drng.choice(T.MAP_TITLES), "B", 15)
    page.centered("Tỷ lệ 1:500", "I", 12)
    x0, x1, y0, y1 = LM + 10, RM - 10, page.y + 20, BOTTOM - 80
    for a, b, y in ((x0, x1, y0), (x0, x1, y1)):
        page.rules.append((a, b, y, 1.2))
    for _ in range(drng.randint(8, 14)):
        y = drng.uniform(y0 + 10, y1 - 10)
        a = drng.uniform(x0, x1 - 120)
        page.rules.append((a, a + drng.uniform(60, 200), y, 0.8))
    page.y = y1 + 12
    page.line(f"Thửa đất số {drng.randint(10, 400)}, tờ bản đồ số {drng.randint(1, 40)}",
              "R", 12, LM, RM, "l")
    page.meta["map"] = True
    return page


def document_truth(ag: dict, doc_type: str, number: int, issued: date, extras: dict,
                    first: Page) -> dict:
    """Ground truth of one document as a person reads it: a handwritten number or day is
    not read (null), the issuing organ is the full name, the subject as printed."""
    abbr = T.DOC_TYPES[doc_type][1]
    unit = "UBND" if not ag["code"].endswith("P01") else "TNMT"
    notation = f"{abbr}-{unit}" if abbr else unit
    if ag["level"] == "district" and not abbr and unit == "UBND":
        notation += "-VP"
    organ = (("Ủy ban nhân dân " + ag["unit"]) if not ag["code"].endswith("P01")
             else ag["unit"] + " huyện Đông Anh")
    mark = extras.get("mark")
    return {
        "type_name": T.DOC_TYPE_NAMES[doc_type],
        "code_number": None if extras.get("hand_number") else str(number),
        "code_notation": notation,
        "issued_date": None if extras.get("hand_day") else issued.isoformat(),
        "issued_year": issued.year, "issued_month": issued.month,
        "organ_name": organ, "subject": first.meta.get("subject"),
        "signer": first.meta.get("signer"), "signer_title": first.meta.get("signer_title"),
        "secrecy": mark if mark in T.SECRECY_MARKS else None,
        "urgency": mark if mark in T.URGENCY_MARKS else None,
        "handwritten": [k for k, f in (("code_number", "hand_number"), ("issued_date", "hand_day"))
                        if extras.get(f)],
        "appendix": bool(extras.get("appendix")),
    }


OTHER_TRUTH = {"type_name": "Khác", "code_number": None, "code_notation": None,
               "issued_date": None, "issued_year": None, "issued_month": None,
               "organ_name": None, "subject": None, "signer": None, "signer_title": None,
               "secrecy": None, "urgency": None, "handwritten": [], "appendix": False}


def layout_document(rng, ag, theme, doc_type, n_pages, issued, number, page_offset=0, extras=None):
    """Lay out one document over exactly n_pages pages; returns the pages. ``extras``
    (see ``document_extras``): handwritten number/day, a mark, an appendix page."""
    extras = extras or {}
    appendix = bool(extras.get("appendix")) and n_pages >= 2
    if appendix:
        n_pages -= 1
    ctx = {"unit": ag["unit"], "unit_full": "Ủy ban nhân dân " + ag["unit"]
           if not ag["code"].endswith("P01") else ag["unit"] + " huyện Đông Anh",
           "place": ag["place"], "year": issued.year, "person": random_person(rng),
           "street": rng.choice(STREETS[ag["code"]])}
    subject = fill_template(rng.choice(theme["subjects"]), ctx, rng)
    if doc_type == "CV" and not subject.startswith("V/v"):
        subject = "V/v " + subject.removeprefix("Về việc ")
    if doc_type != "CV" and subject.startswith("V/v"):
        subject = "Về việc " + subject[4:]
    pages = []
    page = Page()
    _header(page, ag, doc_type, number, issued, subject, ag["place"], extras)
    page.meta["subject"] = subject
    title = T.DOC_TYPES[doc_type][0]
    if title:
        page.centered(title, "B", 14)
        page.centered(subject, "B", 14, LM + 50, RM - 50)
        mid = (LM + RM) / 2
        page.rules.append((mid - 55, mid + 55, page.y + 2, 0.8))
        page.y += 14
    else:
        page.y += 4
        page.centered("Kính gửi: " + rng.choice(["Các bộ phận chuyên môn", "Các tổ dân phố",
                                                   "Các đơn vị trực thuộc"]), "R", BODY)
        page.y += 6
    if doc_type == "QĐ":
        authority = ("TRƯỞNG PHÒNG " + ag["hdr2"].removeprefix("PHÒNG ") if ag["code"].endswith("P01")
                     else "CHỦ TỊCH ỦY BAN NHÂN DÂN " + ag["hdr2"])
        page.centered(authority, "B", BODY)
        page.y += 4
        for b in (T.BASES[0], T.BASES[T.THEME_BASE.get(theme["key"], 1)]):
            place_lines(page, para_lines(nfc(b), "I"), BOTTOM)
        proposer = ("Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân " + ag["unit"]
                    if ag["level"] == "district" else "công chức Văn phòng - Thống kê")
        place_lines(page, para_lines(f"Xét đề nghị của {proposer},", "I"), BOTTOM)
        page.centered("QUYẾT ĐỊNH:", "B", BODY)
        page.y += 4
    stream = _body_stream(rng, doc_type, theme, ctx)
    article = 0  # last "Điều k." actually placed; the closing article is k + 1

    def put(lines, limit):
        nonlocal article
        m = re.match(r"Điều (\d+)\.", lines[0][0])
        rest = place_lines(page, lines, limit)
        if m and len(rest) < len(lines):
            article = int(m.group(1))
        return rest
    closing_text = {
        "QĐ": "Điều {k}. Quyết định này có hiệu lực kể từ ngày ký. Văn phòng, các bộ phận chuyên môn "
              "và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./.",
        "CV": "Đề nghị các đơn vị nghiêm túc triển khai thực hiện./.",
    }.get(doc_type, "Trên đây là nội dung " + (title or "").lower() + " của " + ctx["unit_full"] + "./.")
    pending: list = []
    for pi in range(n_pages):
        if pi > 0:
            page = Page()
            page.line(str(pi + 1), "R", 13, LM, RM, "c", y=TOP - 28)
        last = pi == n_pages - 1
        if not last:
            while True:
                lines = pending or next(stream)
                pending = put(lines, BOTTOM)
                if pending:
                    break
        else:
            probe = para_lines(nfc(closing_text.format(k=99)), "R")
            reserve = len(probe) * BODY * LEAD + 8 + SIG_H
            if pending:
                place_lines(page, pending, BOTTOM - reserve)  # rare overflow is cut
            while True:
                lines = next(stream)
                if page.y + len(lines) * BODY * LEAD + 4 > BOTTOM - reserve:
                    break
                put(lines, BOTTOM)
            closing_no = max(article + 1, 2)
            place_lines(page, para_lines(nfc(closing_text.format(k=closing_no)), "R"), BOTTOM)
            _signature_block(page, rng, ag, doc_type, seal=rng.random() < 0.6, article=closing_no)
        pages.append(page)
    if appendix:
        pages[0].meta.update(pages[-1].meta)  # the signer is on the last page of the body
        pages.append(_appendix_page(rng, ag, doc_type, number, issued, extras, len(pages) + 1))
    else:
        pages[0].meta.update(pages[-1].meta)
    return pages
