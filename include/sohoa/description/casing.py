"""Vietnamese casing of what OCR gives in capitals: organ names ("UỶ BAN NHÂN DÂN PHƯỜNG
HÀNG ĐÀO" → "Uỷ ban nhân dân phường Hàng Đào", place names kept capitalised) and
titles/subjects in sentence case. Pure string functions."""

from __future__ import annotations

import re

from sohoa.core.fields import fold
from sohoa.description import layout as L
from sohoa.description.readings import clean_text


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _expand(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        key = w.rstrip(",;:")
        exp = L.ORGAN_ABBREVIATIONS.get(key) or L.ORGAN_ABBREVIATIONS.get(key.upper())
        if exp is None and key.isupper():
            exp = L.ABBREVIATION_BY_FOLD.get(fold(key).replace(" ", ""))
        out.extend(exp.split() if exp else [w])
    return out


_UNIT_FOLDS = sorted(((fold(u).split(), u) for u in L.UNIT_WORDS), key=lambda t: -len(t[0]))
_NOT_UNIT_NEXT = {"ly", "hoi", "doi", "su", "tran", "vien", "xa"}


def _unit_at(words: list[str], i: int) -> tuple[int, str] | None:
    for parts, printed in _UNIT_FOLDS:
        n = len(parts)
        if [fold(w) for w in words[i:i + n]] == parts:
            nxt = fold(words[i + n]) if i + n < len(words) else ""
            if not nxt or nxt in _NOT_UNIT_NEXT:
                return None
            if n == 1 and words[i].lower() != printed and parts[0] in ("quan", "xa"):
                # "QUAN"/"XA" without marks: OCR, or "QUẢN"/"XẢ" - only before a place name
                if not words[i + 1][:1].isupper():
                    return None
            return n, printed
    return None


def _title_word(w: str) -> str:
    return _cap(L.restore_word(w)) if w.isupper() else w


_HEADS = sorted(((fold(h).split(), h) for h in L.ORGAN_HEADS), key=lambda t: -len(t[0]))


def _case_phrase(words: list[str]) -> str:
    """Body words of an organ name, upper case → printed: the head word from the table
    ("Sở", "Phòng", "Ủy ban nhân dân"), then each part (split at "và", "-") starts with a
    capital: "SỞ GIÁO DỤC VÀ ĐÀO TẠO" → "Sở Giáo dục và Đào tạo"."""
    out: list[str] = []
    folded = [fold(w) for w in words]
    for parts, printed in _HEADS:
        if folded[:len(parts)] == parts:
            out.append(printed)
            words = words[len(parts):]
            break
    start = True
    for w in words:
        lw = L.restore_word(w) if w.isupper() or w.islower() else w
        if fold(w) in ("va",) and out:
            out.append("và")
            start = True
            continue
        if w in ("-", "–"):
            out.append("-")
            start = True
            continue
        if not w.isupper() and not w.islower():  # already cased ("Ủy", "Giáo")
            out.append(w)
            start = False
            continue
        out.append(_cap(lw) if start else lw)
        start = False
    return " ".join(out)


def organ_case(text: str) -> str:
    """ "UBND THÀNH PHỐ ĐÀ NẴNG" → "Ủy ban nhân dân thành phố Đà Nẵng";
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO" → "Sở Giáo dục và Đào tạo"."""
    words = _expand(clean_text(text).replace("TP.", "TP. ").split())
    for i in range(len(words)):
        u = _unit_at(words, i)
        if u:
            n, printed = u
            body = _case_phrase(words[:i]) if i else ""
            place = " ".join(_title_word(w) for w in words[i + n:])
            return " ".join(x for x in (body, printed, place) if x)
    return _case_phrase(words)


def _split_place(name: str) -> tuple[str, str]:
    """ "Ủy ban nhân dân thành phố Đà Nẵng" → ("Ủy ban nhân dân", "thành phố Đà Nẵng")."""
    words = name.split()
    for i in range(len(words)):
        if _unit_at(words, i):
            return " ".join(words[:i]), " ".join(words[i:])
    return name, ""


def compose_organ(lines: list[str]) -> str | None:
    """Organ block lines (top-left, upper case) → the issuing organ's full name:
    ["UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"] → "Sở Giáo dục và Đào tạo
    thành phố Đà Nẵng"; ["ỦY BAN NHÂN DÂN", "QUẬN HOÀN KIẾM"] → "Ủy ban nhân dân quận
    Hoàn Kiếm"."""
    parts = [p for p in (clean_text(re.sub(r"[\W_]+$", "", x)) for x in lines) if p]
    if not parts:
        return None
    if len(parts) == 1:
        return organ_case(parts[0])
    # the parent body on the first line, the issuing body below (wrapped over lines)
    parent, body = organ_case(parts[0]), organ_case(" ".join(parts[1:]))
    if fold(parent) in {fold(c) for c in L.COLLECTIVE_BODIES}:
        return f"{parent} {body}"  # the name alone, over two lines
    p_body, p_place = _split_place(parent)
    if fold(p_body) in {fold(c) for c in L.COLLECTIVE_BODIES} and p_place:
        b_body, b_place = _split_place(body)
        return body if b_place else f"{body} {p_place}"
    return f"{body}, {parent}"


TITLE_BY_FOLD = {fold(t): t for t in L.SIGNER_TITLES}


def title_case(text: str) -> str:
    """ "KT. GIÁM ĐỐC" → "KT. Giám đốc"; "PHÓ CHỦ TỊCH" → "Phó Chủ tịch";
    "TM. ỦY BAN NHÂN DÂN" → "TM. Ủy ban nhân dân"."""
    t = clean_text(text)
    m = L.AUTHORITY_RE.match(t)
    prefix, rest = (f"{m.group(1)}. ", m.group(2)) if m else ("", t)
    key = fold(rest)
    if key in TITLE_BY_FOLD:
        return prefix + TITLE_BY_FOLD[key]
    for printed_key, printed in TITLE_BY_FOLD.items():
        if key.startswith(printed_key + " "):  # "GIÁM ĐỐC SỞ ..."
            return prefix + printed + " " + organ_case(rest[len(printed):].strip())
    return prefix + organ_case(rest)
