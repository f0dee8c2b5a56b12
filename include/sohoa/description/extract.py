"""Documents (văn bản) out of a file's page texts: segmentation and field reading.

Pure functions, no database and no Airflow. Input: one ``PageText`` per page, in page
order, with the OCR line records stored in ``pages.ocr_lines`` when there are any
(``sohoa.ocr.recognition.line_records``: text, conf, min_conf, bbox [x, y, w, h] in px of
the upright page). Output: ``describe_pages`` → one ``DocumentDraft`` per document.

Segmentation: a page opens a document when its top shows at least two of the NĐ 30/2020
first-page marks (national motto, "Số: …" line, place-and-date line, type title);
every other page (continuation pages with a page number on top, appendices "Phụ lục",
"Kèm theo …") stays with the document before it. Pages before the first recognised
header, or a file without any, form one document of type "Khác" flagged for review.

Fields are read from the first page's header (organ block, number and notation, date,
type title, subject) and the last page's signature block. A value written by hand, a
smudged one (low OCR confidence) or two readings that disagree give an empty field and a
review flag with a Vietnamese reason — a value is never guessed.

One header line is read by ``readings`` (number and notation, dates) and cased by
``casing`` (organ names, titles); this module finds the lines and decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sohoa.core import fields as F
from sohoa.core.fields import fold
from sohoa.description import layout as L
from sohoa.description.casing import TITLE_BY_FOLD, compose_organ, title_case
from sohoa.description.readings import (KEEP_TABLE, clean_text, find_date, find_so, fold_keep, is_upper_text,
                                        parse_issued, parse_number_notation)

#: A field read from OCR lines whose confidence (0..1) is below this is flagged.
REVIEW_CONF = 0.6
#: Digits (number, day) are accepted only from a line whose weakest word reached this
#: tesseract confidence (0..100): handwriting reads as low-confidence digits.
DIGITS_MIN_CONF = 50.0
#: Top share of the page searched for the header (with line boxes).
HEADER_ZONE = 0.42
#: Without line boxes: the first lines searched for the header.
HEADER_LINES = 16
#: Share of the page width left of which a line belongs to the left (organ) column.
LEFT_COLUMN = 0.5

FIELD_LABELS_VI = {
    "type_name": "Tên loại văn bản",
    "code_number": "Số của văn bản",
    "code_notation": "Ký hiệu của văn bản",
    "issued_date": "Ngày, tháng, năm văn bản",
    "organ_name": "Tên cơ quan, tổ chức ban hành",
    "subject": "Trích yếu nội dung",
    "signer": "Người ký",
    "signer_title": "Chức vụ người ký",
    "secrecy": "Độ mật",
    "urgency": "Độ khẩn",
}
#: The keys of ``DocumentDraft.to_json`` (the ``sohoa describe`` contract, plus "file").
JSON_KEYS = ("ordinal", "page_from", "page_to", "type_name", "code_number", "code_notation",
             "issued_date", "issued_year", "issued_month", "organ_name", "subject", "signer",
             "signer_title", "confidence", "review")


@dataclass
class PageText:
    """One page: its number in the file (1-based), text (NFC, lines joined by "\\n") and,
    when OCR made it, the line records with confidence and bbox, and the page size (px)."""

    number: int
    text: str
    lines: list[dict] | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class DocumentDraft:
    """The machine's reading of one document; ``review`` lists the fields a person must
    confirm, ``reasons`` says why (Vietnamese), ``confidence`` is per field 0..1."""

    ordinal: int
    page_from: int
    page_to: int
    type_name: str = L.OTHER_TYPE
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: date | None = None
    issued_year: int | None = None
    issued_month: int | None = None
    organ_name: str | None = None
    subject: str | None = None
    signer: str | None = None
    signer_title: str | None = None
    language: str = F.DEFAULT_LANGUAGE
    secrecy: str | None = None
    urgency: str | None = None
    confidence: dict[str, float] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def page_amount(self) -> int:
        return self.page_to - self.page_from + 1

    def flag(self, name: str, reason: str) -> None:
        if name not in self.review:
            self.review.append(name)
        self.reasons.setdefault(name, reason)

    def to_json(self) -> dict:
        """The ``sohoa describe`` object (without "file")."""
        return {
            "ordinal": self.ordinal, "page_from": self.page_from, "page_to": self.page_to,
            "type_name": self.type_name, "code_number": self.code_number,
            "code_notation": self.code_notation,
            "issued_date": self.issued_date.isoformat() if self.issued_date else None,
            "issued_year": self.issued_year, "issued_month": self.issued_month,
            "organ_name": self.organ_name, "subject": self.subject, "signer": self.signer,
            "signer_title": self.signer_title,
            "confidence": {k: round(v, 3) for k, v in self.confidence.items()},
            "review": list(self.review),
        }

    def as_dict(self) -> dict:
        """Everything, for storage: to_json() plus language, marks, page amount, reasons."""
        out = self.to_json()
        out.update(language=self.language, secrecy=self.secrecy, urgency=self.urgency,
                   page_amount=self.page_amount, reasons=dict(self.reasons))
        return out


@dataclass
class _Line:
    text: str
    fold: str
    conf: float | None = None  # 0..100 mean word confidence
    min_conf: float | None = None
    x: float | None = None  # bbox as shares of the page width/height
    y: float | None = None
    w: float | None = None
    h: float | None = None

    @property
    def cx(self) -> float | None:
        return None if self.x is None else self.x + self.w / 2

    def part(self, start: int, end: int | None = None) -> _Line:
        """A piece of this line (same confidence, same box)."""
        t = self.text[start:end]
        lead = len(t) - len(t.lstrip())
        t = t.strip()
        x, w = self.x, self.w
        if x is not None and self.text:  # the piece's share of the box, by characters
            n = len(self.text)
            x, w = x + w * (start + lead) / n, w * len(t) / n
        return _Line(t, self.fold[start + lead:start + lead + len(t)], self.conf, self.min_conf,
                     x, self.y, w, self.h)


def _page_lines(page: PageText) -> list[_Line]:
    out: list[_Line] = []
    if page.lines:
        W = page.width or max((r["bbox"][0] + r["bbox"][2] for r in page.lines if r.get("bbox")), default=0)
        H = page.height or max((r["bbox"][1] + r["bbox"][3] for r in page.lines if r.get("bbox")), default=0)
        for r in page.lines:
            t = clean_text(r.get("text") or "")
            if not t:
                continue
            bb = r.get("bbox")
            ln = _Line(t, fold_keep(t), r.get("conf"), r.get("min_conf", r.get("conf")))
            if bb and W and H:
                ln.x, ln.y, ln.w, ln.h = bb[0] / W, bb[1] / H, bb[2] / W, bb[3] / H
            out.append(ln)
        return out
    for raw in (page.text or "").splitlines():
        t = clean_text(raw)
        if t:
            out.append(_Line(t, fold_keep(t)))
    return out


def _conf01(*lines: _Line) -> float:
    """Mean confidence 0..1 of the lines a value came from (1.0 for typed text)."""
    cs = [ln.conf for ln in lines if ln.conf is not None]
    return round(sum(cs) / len(cs) / 100.0, 3) if cs else 1.0


def _digits_trusted(ln: _Line) -> bool:
    return ln.min_conf is None or ln.min_conf >= DIGITS_MIN_CONF


# --------------------------------------------------------------------------- page analysis


@dataclass
class _Header:
    organ: list[_Line] = field(default_factory=list)
    so: _Line | None = None
    so_index: int | None = None
    organ_seen: bool = False  # an upper-case line (the organ block) came before
    motto: bool = False
    date: _Line | None = None
    title: _Line | None = None
    title_index: int | None = None
    marks: list[tuple[str, str, _Line]] = field(default_factory=list)
    body_start: int = 0  # index (in the split lines) after the header block
    lines: list[_Line] = field(default_factory=list)  # the page's lines, header pieces split

    @property
    def score(self) -> int:
        return sum((self.motto, self.so is not None, self.date is not None, self.title is not None))


_APPENDIX_RE = re.compile(r"^\W*(phu\s*luc|kem\s*theo|\(?\s*ban\s*hanh\s*kem\s*theo)")
_STOP_SUBJECT_RE = re.compile(
    r"^\W*(kinh\s*gui|can\s*cu|thuc\s*hien|dieu\s*\d|chuong\s*[ivx\d]|noi\s*nhan|xet\s*de\s*nghi)")
_BARE_NOTATION_RE = re.compile(r"^\s*/\s*[0-9A-ZĐ§$][0-9A-Za-zĐđÐ&.\-]*\s*$")
_VV_RE = re.compile(r"^\W*v\s*v(\s|$)")
_HEADING_RE = re.compile(r"^\s*([IVX]+|\d+)\.\s")


_PLACE_WORD_RE = re.compile(r"^[^\W\d_]+$")


def _split_header_line(ln: _Line) -> list[_Line]:
    """Cut a line merged across the two header columns (OCR joins "UBND … NẴNG CỘNG HOÀ
    XÃ HỘI …") into its left and right pieces at the motto or the place-and-date."""
    cuts = []
    for rx in (L.MOTTO_1_RE, L.MOTTO_2_RE):
        m = rx.search(ln.fold)
        if m and m.start() > 3:
            cuts.append(m.start())
    m = find_date(ln.text)
    if m and m.start() > 3:
        # the place ("Hà Nội", "Thành phố Hồ Chí Minh") is the run of letter-only words
        # before ", ngày"; what comes before it (a notation, a mark) is the left column
        k = m.start()
        for w in reversed(list(re.finditer(r"\S+", ln.text[:m.start()]))):
            word = w.group().rstrip(",.")
            if not _PLACE_WORD_RE.match(word) or (len(word) > 1 and word.isupper()):
                break
            k = w.start()
        if 3 < k < m.start():
            cuts.append(k)
    if not cuts:
        return [ln]
    c = min(cuts)
    return [p for p in (ln.part(0, c), ln.part(c)) if p.text]


def _same_row(a: _Line, b: _Line) -> bool:
    if a.y is None or b.y is None:
        return False
    return abs((a.y + a.h / 2) - (b.y + b.h / 2)) < 0.6 * max(a.h, b.h) and b.x > a.x


def _join_so_row(pieces: list[_Line], i: int) -> _Line:
    """The "Số:" line with the pieces OCR cut off it (a wide blank left for a handwritten
    number splits "Số:        /BC-UBND" in two): later pieces on the same row, or (typed
    text) a next line starting with "/". The joined pieces leave ``pieces``."""
    so = pieces[i]
    if re.search(r"/\s*[0-9A-ZĐ§$]", so.text):
        return so
    j = i + 1
    while j < len(pieces) and j <= i + 4:
        nxt = pieces[j]
        if _same_row(so, nxt) and nxt.cx is not None and nxt.cx < LEFT_COLUMN or \
                nxt.y is None and nxt.text.startswith("/"):
            gap = " " if nxt.x is None or nxt.x - (so.x + so.w) < 0.01 else "     "
            merged = _Line(so.text + gap + nxt.text, fold_keep(so.text + gap + nxt.text),
                           _mean(so.conf, nxt.conf), _min(so.min_conf, nxt.min_conf),
                           so.x, so.y, None if so.x is None else nxt.x + nxt.w - so.x, so.h)
            pieces[i] = so = merged
            del pieces[j]
            if "/" in nxt.text:
                break
            continue
        j += 1
    return so


def _mean(a, b):
    return None if a is None or b is None else (a + b) / 2


def _min(a, b):
    return None if a is None or b is None else min(a, b)


def _mark_of(ln: _Line) -> tuple[str, str] | None:
    key = " ".join(ln.fold.split())
    hit = L.MARK_BY_FOLD.get(key)
    if hit and is_upper_text(ln.text):
        return hit
    return None


def _analyse(page: PageText) -> _Header:
    raw = _page_lines(page)
    h = _Header()
    has_boxes = any(ln.y is not None for ln in raw)
    pieces: list[_Line] = []
    for i, ln in enumerate(raw):
        in_zone = (ln.y is not None and ln.y < HEADER_ZONE) if has_boxes else i < HEADER_LINES
        pieces.extend(_split_header_line(ln) if in_zone else [ln])
    h.lines = pieces
    i = -1
    while i + 1 < len(pieces):  # (joining the "Số" row removes later pieces)
        i += 1
        ln = pieces[i]
        if not ((ln.y is not None and ln.y < HEADER_ZONE) if has_boxes else i < HEADER_LINES + 4):
            continue
        if L.MOTTO_1_RE.search(ln.fold) or L.MOTTO_2_RE.search(ln.fold):
            h.motto = True
            continue
        if h.so is None and (find_so(ln.text) is not None or h.organ_seen and _BARE_NOTATION_RE.match(ln.text)):
            h.so = _join_so_row(pieces, i)
            h.so_index = i
            continue
        if h.date is None and find_date(ln.text):
            h.date = ln
            continue
        mark = _mark_of(ln)
        if mark:
            h.marks.append((*mark, ln))
            continue
        key = " ".join(ln.fold.split())
        if h.title is None and key in L.TYPE_BY_TITLE and is_upper_text(ln.text):
            h.title, h.title_index = ln, i
        elif is_upper_text(ln.text):
            h.organ_seen = True
    # organ block: upper-case left pieces before the "Số" line (or before the title)
    end = h.so_index
    if end is None:
        end = h.title_index if h.title_index is not None else min(len(pieces), 4)
    organ = []
    for ln in pieces[:end]:
        if L.MOTTO_1_RE.search(ln.fold) or L.MOTTO_2_RE.search(ln.fold) or find_date(ln.text):
            continue
        if _mark_of(ln) or not is_upper_text(ln.text):
            continue
        if ln.cx is not None and ln.cx > LEFT_COLUMN:
            continue
        if h.so is not None and ln.y is not None and h.so.y is not None and ln.y > h.so.y - 0.5 * h.so.h:
            continue  # beside or below the number: not the organ block
        organ.append(ln)
    h.organ = organ[-3:]
    return h


def _is_first_page(h: _Header) -> bool:
    if h.score < 2:
        return False
    if h.so is None and not h.motto:
        top = [ln.fold for ln in h.lines[:4]]
        if any(_APPENDIX_RE.search(f) for f in top):
            return False
    return True


# --------------------------------------------------------------------------- fields


def _subject(h: _Header, draft: DocumentDraft) -> tuple[str | None, list[_Line]]:
    """Trích yếu: the lines under the type title, or the "V/v …" lines of a công văn (left
    column, under the number), up to the next block (a gap, "Kính gửi", "Căn cứ", a
    heading, an upper-case line) → (text, the lines it came from)."""
    lines = h.lines
    if h.title is not None:
        start = h.title_index + 1
        left_only = False
    else:
        start = None
        for i, ln in enumerate(lines[:HEADER_LINES + 6]):
            if _VV_RE.match(ln.fold):
                start, left_only = i, True
                break
        if start is None and h.so is not None and h.title is None:
            # OCR lost the "V/v": the left-column lines under the number, flagged
            i = h.lines.index(h.so) + 1
            while i < len(lines) and _mark_of(lines[i]):
                i += 1
            if i < len(lines) and not _STOP_SUBJECT_RE.match(lines[i].fold):
                start, left_only = i, True
                draft.flag("subject", "không thấy “V/v” ở đầu trích yếu: cần xác nhận")
        if start is None:
            return None, []
    got: list[_Line] = []
    for ln in lines[start:start + 8]:
        if L.MOTTO_1_RE.search(ln.fold) or L.MOTTO_2_RE.search(ln.fold) or ln is h.date:
            continue  # the right column, read in between
        if _STOP_SUBJECT_RE.match(ln.fold) or _HEADING_RE.match(ln.text) or _mark_of(ln):
            break
        if got and is_upper_text(ln.text) and not is_upper_text(got[0].text):
            break
        if left_only and ln.cx is not None and ln.cx > LEFT_COLUMN:
            continue
        if got and got[-1].y is not None and ln.y is not None:
            pitch = max(got[-1].h, 0.008)
            if ln.y - (got[-1].y + got[-1].h) > 1.2 * pitch or ln.y < got[-1].y:
                break
        elif got and ln.text[:1].isupper() and (len(ln.text) > 50 or got[-1].text.endswith((".", ";", ":"))):
            break  # typed text, no boxes: a wrapped subject goes on in lower case (or a name)
        got.append(ln)
        if len(got) >= 5:
            break
    if not got:
        return None, []
    text = " ".join(ln.text for ln in got)
    return F.nfc(text), got


_NAME_WORD_RE = re.compile(r"^[^\W\d_][^\W\d_]*$")


def _is_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 6:
        return False
    return all(_NAME_WORD_RE.match(w) and w[0].isupper() and (len(w) == 1 or not w[1:].isupper())
               for w in words)


def _signature(lines: list[_Line]) -> tuple[str | None, str | None, list[_Line], list[_Line]]:
    """(signer, signer_title, name lines, title lines) from a last page."""
    name_i = None
    for i in range(len(lines) - 1, -1, -1):
        ln = lines[i]
        if ln.cx is not None and ln.cx < 0.4:
            continue
        if _is_name(ln.text):
            # a name sits below a title block: at least one upper-case line before it
            if any(is_upper_text(x.text) and _title_like(x.text) for x in lines[max(0, i - 10):i]):
                name_i = i
                break
    if name_i is None:
        # OCR lost the title (under the seal): a name alone, right half, below "Nơi nhận"
        below = next((ln.y for ln in lines if ln.y is not None and re.match(r"^\W*noi\s*nhan", ln.fold)), None)
        for ln in reversed(lines):
            if below is not None and ln.y is not None and ln.y > below and ln.cx > 0.5 and _is_name(ln.text):
                return F.nfc(ln.text), None, [ln], []
        return None, None, [], []
    name = lines[name_i]
    titles: list[_Line] = []
    for ln in reversed(lines[max(0, name_i - 10):name_i]):
        if ln.cx is not None and ln.cx < 0.4:
            continue
        if name.y is not None and ln.y is not None and name.y - ln.y > 0.3:
            break
        if is_upper_text(ln.text) and _title_like(ln.text):
            titles.insert(0, ln)
            if L.AUTHORITY_RE.match(ln.text) or len(titles) >= 3:
                break
        elif titles:
            break
    if not titles:
        return F.nfc(name.text), None, [name], []
    cased = [title_case(t.text) for t in titles]
    if len(cased) == 2 and cased[0].startswith("KT. ") and fold(cased[1]) == fold(cased[0][4:]):
        cased[1] = f"{L.DEPUTY} {cased[1]}"  # KT. = signed by a deputy: OCR lost "PHÓ"
    return F.nfc(name.text), ", ".join(cased), [name], titles


def _title_like(text: str) -> bool:
    t = clean_text(text)
    if L.AUTHORITY_RE.match(t):
        return True
    key = fold(t)
    return any(key == k or key.startswith(k + " ") or key.startswith("pho " + k) for k in TITLE_BY_FOLD)


def _type_from_notation(notation: str | None) -> str | None:
    if not notation:
        return None
    first = notation.split("/")[-1].split("-")[0]
    return L.TYPE_BY_ABBR.get(first) or L.TYPE_BY_FOLDED_ABBR.get(fold(first))


def _language(text: str) -> str:
    """ISO 639-1 code of the document's language: Vietnamese unless the text has next to
    no Vietnamese letters and the function words of English or French (first 4000 chars)."""
    text = text[:4000]
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 40:
        return F.DEFAULT_LANGUAGE
    viet = sum(1 for c in letters if not c.isascii())
    if viet / len(letters) > 0.03:
        return "vi"
    words = set(re.findall(r"[a-z]+", text.lower()))
    if len(words & {"the", "of", "and", "to", "in", "is", "for"}) >= 3:
        return "en"
    if len(words & {"le", "la", "les", "de", "et", "des", "du"}) >= 3:
        return "fr"
    return F.DEFAULT_LANGUAGE


def _enforce_lengths(d: DocumentDraft) -> None:
    for name, limit in F.DOC_FIELD_LENGTHS.items():
        v = getattr(d, name)
        if v is None or len(v) <= limit:
            continue
        if name in ("code_number", "code_notation"):
            setattr(d, name, None)
        else:
            cut = v[:limit].rsplit(" ", 1)[0] if " " in v[:limit] else v[:limit]
            setattr(d, name, cut)
        d.flag(name, f"dài quá {limit} ký tự (giới hạn của trường {FIELD_LABELS_VI[name]})")


_KEEP_SLASH = dict(KEEP_TABLE)
_KEEP_SLASH[ord("/")] = "/"
_KEM_THEO_RE = re.compile(r"kem\s*theo\b.*?\bso\s*(\d{1,11})\s*/\s*[a-z].*?\bngay\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")


def appendix_reference(text: str) -> tuple[str, date | None] | None:
    """ "(Kèm theo Quyết định số 155/QĐ-UBND ngày 05/6/2025 …)" → ("155", 2025-06-05)."""
    m = _KEM_THEO_RE.search(text.translate(_KEEP_SLASH))
    if not m:
        return None
    try:
        when = date(int(m.group(4)), int(m.group(3)), int(m.group(2)))
    except ValueError:
        when = None
    return str(int(m.group(1))), when


def _cross_check_appendix(d: DocumentDraft, later_pages: list[list[_Line]]) -> None:
    """An appendix repeats the number and date ("Kèm theo … số 155/QĐ-UBND ngày …"): a
    second reading. When it disagrees with the header, neither is kept."""
    for lines in later_pages:
        text = " ".join(ln.text for ln in lines[:6])
        ref = appendix_reference(text)
        if ref is None:
            continue
        number, when = ref
        if d.code_number is not None and number != d.code_number:
            d.flag("code_number", f"hai cách đọc khác nhau: “{d.code_number}” ở đầu văn bản, "
                                  f"“{number}” ở phụ lục: cần nhập")
            d.code_number, d.confidence["code_number"] = None, 0.0
        if d.issued_date is not None and when is not None and when != d.issued_date:
            d.flag("issued_date", f"hai cách đọc khác nhau: {d.issued_date:%d/%m/%Y} ở đầu văn bản, "
                                  f"{when:%d/%m/%Y} ở phụ lục: cần nhập")
            d.issued_date, d.confidence["issued_date"] = None, 0.0
        return


def _read_fields(d: DocumentDraft, h: _Header, pages: list[PageText], last: list[list[_Line]]) -> None:
    """Fill ``d`` from its first page's header ``h``; ``last`` = the document's pages'
    lines, last page first (signature block)."""
    conf = d.confidence
    # type: the title, or the notation's abbreviation, or Công văn for "V/v" letters
    by_notation = None
    if h.so is not None:
        nr = parse_number_notation(h.so.text)
        c = _conf01(h.so)
        d.code_notation = nr.notation
        conf["code_notation"] = c if nr.notation else 0.0
        if nr.notation is None:
            d.flag("code_notation", nr.problem or "không đọc được ký hiệu")
        if nr.number is not None and not _digits_trusted(h.so):
            d.flag("code_number", f"số “{nr.number}” đọc không chắc (có thể viết tay hoặc mờ): cần nhập")
            conf["code_number"] = 0.0
        elif nr.number is not None:
            d.code_number = nr.number
            conf["code_number"] = c if not nr.problem else min(c, 0.5)
            if nr.problem:
                d.flag("code_number", nr.problem)
        else:
            conf["code_number"] = 0.0
            d.flag("code_number", nr.problem or "không đọc được số")
        by_notation = _type_from_notation(nr.notation)
    else:
        conf["code_number"] = conf["code_notation"] = 0.0
        d.flag("code_number", "không tìm thấy dòng “Số:”")
        d.flag("code_notation", "không tìm thấy dòng “Số:”")
    if h.title is not None:
        by_title = L.TYPE_BY_TITLE[" ".join(h.title.fold.split())]
        d.type_name, conf["type_name"] = by_title, _conf01(h.title)
        if by_notation and by_notation != by_title:
            d.flag("type_name", f"tên loại “{by_title}” khác ký hiệu ({d.code_notation}): cần xác nhận")
            conf["type_name"] = min(conf["type_name"], 0.5)
    elif by_notation:
        d.type_name, conf["type_name"] = by_notation, _conf01(h.so)
    elif h.so is not None and (d.code_notation or any(_VV_RE.match(ln.fold) for ln in h.lines[:HEADER_LINES + 6])):
        # no type title and no type in the notation ("Số: 1535/SGDĐT-CTrTT", "V/v …"): a công văn
        d.type_name, conf["type_name"] = L.CONG_VAN, _conf01(h.so)
    else:  # a header without number or type title (a petition, a form): a person decides
        d.type_name, conf["type_name"] = L.OTHER_TYPE, 0.0
        d.flag("type_name", "không nhận ra tên loại văn bản (không có tên loại, không có số ký hiệu)")
    # date
    if h.date is not None:
        dr = parse_issued(h.date.text)
        c = _conf01(h.date)
        d.issued_year, d.issued_month = dr.year, dr.month
        if dr.date is not None and not _digits_trusted(h.date):
            d.flag("issued_date", "ngày đọc không chắc (có thể viết tay hoặc mờ): cần nhập")
            conf["issued_date"] = 0.0
        elif dr.date is not None and dr.day < 10 and len(dr.day_text or "") == 1:
            # typed days below 10 carry a leading zero (NĐ 30/2020, TT 01/2011): "ngày 5" is
            # most often a day written by hand into the blank, so it is not taken
            d.flag("issued_date", f"ngày “{dr.day_text}” không có số 0 đứng trước như thể thức quy định "
                                  "(thường là ngày viết tay): cần xác nhận")
            conf["issued_date"] = 0.0
        elif dr.date is not None:
            d.issued_date, conf["issued_date"] = dr.date, c
        else:
            conf["issued_date"] = 0.0
            d.flag("issued_date", dr.problem or "không đọc được ngày")
    else:
        conf["issued_date"] = 0.0
        d.flag("issued_date", "không tìm thấy dòng địa danh, ngày tháng năm")
    _cross_check_appendix(d, last[:-1] if len(last) > 1 else [])
    # organ
    d.organ_name = compose_organ([ln.text for ln in h.organ])
    conf["organ_name"] = _conf01(*h.organ) if h.organ else 0.0
    if not d.organ_name:
        d.flag("organ_name", "không tìm thấy tên cơ quan ban hành ở góc trên bên trái")
    # subject
    d.subject, got = _subject(h, d)
    conf["subject"] = _conf01(*got) if got else 0.0
    if not d.subject:
        d.flag("subject", "không tìm thấy trích yếu")
    # signer: the last page of the document that has a signature block (an appendix
    # follows the signed page)
    for lines in last:
        signer, title, name_lines, title_lines = _signature(lines)
        if signer:
            break
    d.signer, d.signer_title = signer, title
    conf["signer"] = _conf01(*name_lines) if name_lines else 0.0
    conf["signer_title"] = _conf01(*title_lines) if title_lines else 0.0
    if not signer:
        d.flag("signer", "không tìm thấy tên người ký ở cuối văn bản")
    elif not title:
        d.flag("signer_title", "không tìm thấy chức vụ người ký")
    # marks
    for kind, mark, ln in h.marks:
        if kind == "secrecy" and d.secrecy is None:
            d.secrecy = mark
            conf["secrecy"] = _conf01(ln)
            d.flag("secrecy", f"văn bản có dấu “{mark}”: không được công khai, cần xem lại chế độ sử dụng")
        elif kind == "urgency" and d.urgency is None:
            d.urgency = mark
            conf["urgency"] = _conf01(ln)
    for name, c in list(conf.items()):
        if 0 < c < REVIEW_CONF and getattr(d, name, None) is not None:
            d.flag(name, f"đọc không chắc (độ tin cậy {c:.0%}): cần xác nhận")
    d.language = _language("\n".join(p.text or "" for p in pages))
    _enforce_lengths(d)


def describe_pages(pages: list[PageText]) -> list[DocumentDraft]:
    """Split a file's pages into documents and read each one's fields.

    Every page belongs to exactly one document, in page order; ordinals are 1, 2, …
    """
    pages = sorted(pages, key=lambda p: p.number)
    if not pages:
        return []
    headers = [_analyse(p) for p in pages]
    starts = [i for i, h in enumerate(headers) if _is_first_page(h)]
    if not starts or starts[0] != 0:
        starts = [0] + starts
    docs: list[DocumentDraft] = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(pages)
        d = DocumentDraft(ordinal=k + 1, page_from=pages[s].number, page_to=pages[e - 1].number)
        h = headers[s]
        if _is_first_page(h):
            _read_fields(d, h, pages[s:e], [headers[i].lines for i in range(e - 1, s - 1, -1)])
        else:
            d.type_name = L.OTHER_TYPE
            d.confidence["type_name"] = 0.0
            d.flag("type_name", "không nhận ra phần đầu văn bản (quốc hiệu, số, ngày, tên loại): "
                                "cần xác định loại và thông tin văn bản")
            d.language = _language("\n".join(p.text or "" for p in pages[s:e]))
        docs.append(d)
    return docs


