"""Legacy Vietnamese encodings → Unicode NFC: TCVN3 (ABC, ".Vn" fonts), VNI-Windows, Windows-1258.

Clerks still type lists with the pre-Unicode fonts. Their text reaches us in two ways:

* inside an .xlsx / .xls cell: Excel stored the font's bytes as the Windows-1252
  characters with the same code ("Hå s¬" is TCVN3 for "Hồ sơ", "Hoà sô" is VNI);
* in a CSV file: raw bytes in TCVN3, VNI or Windows-1258 (cp1258).

Detection scores every candidate reading by how Vietnamese it looks (characters outside
the Vietnamese alphabet, syllables with two tone marks) and keeps the best; a cell that
already holds a Unicode-only Vietnamese letter (ă, đ, ơ, ư, ạ…ỹ) is Unicode for sure,
because the legacy fonts can only produce Windows-1252 characters. Ties keep the text
as it is, except that a document-wide winner decides ambiguous cells (a short "Cá" in a
TCVN3 list is TCVN3 too). Every conversion is counted so intake can record it.

Capitals with a tone mark: TCVN3's one-byte font has no code for them. Converters (the
npm package ``vietnamese-conversion``'s ``toTCVN3``, UniKey's "ABC" output) write the
capital base letter followed by the lower-case toned vowel ("Ủy" → "Uñy" = "U"+"ủ",
"Ố" → "¤è" = "Ô"+"ố"): such a pair is read back as the one capital (no Vietnamese
syllable starts with the same vowel twice), whatever the case of the rest of the cell.

Limits (documented, not guessed away): TCVN3's upper-case font (.VnTimeH) stores
capitals with the lower-case codes, so the converter upper-cases a cell only when its
plain letters are all capitals; VNI for DOS and VIQR are not handled.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

UNICODE = "unicode"
TCVN3 = "tcvn3"
VNI = "vni"
CP1258 = "cp1258"
#: Human (Vietnamese) names of the encodings, for reports and error workbooks.
LABELS = {UNICODE: "Unicode", TCVN3: "TCVN3 (ABC, phông .Vn)", VNI: "VNI-Windows",
          CP1258: "Windows-1258", "utf-8": "Unicode (UTF-8)", "utf-8-sig": "Unicode (UTF-8)",
          "utf-16": "Unicode (UTF-16)", "latin-1": "Latin-1"}

# ----------------------------------------------------------------- alphabets

_TONES = {"": "", "s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TONE_MARKS = frozenset(_TONES.values()) - {""}
_BASES = "aăâeêioôơuưy"


def _compose(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + _TONES[tone])


#: Every Vietnamese letter (NFC), lower and upper case, plus đ/Đ.
VIETNAMESE_LETTERS = frozenset(
    ch for b in _BASES for t in _TONES for ch in (_compose(b, t), _compose(b, t).upper())
) | {"đ", "Đ"} | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Letters only Unicode can hold (never produced by a Windows-1252 reading of a legacy font).
_UNICODE_ONLY = frozenset(ch for ch in VIETNAMESE_LETTERS if ord(ch) > 0xFF)
_UNICODE_ONLY_RE = re.compile("[" + "".join(sorted(_UNICODE_ONLY)) + "]")
_TONED = frozenset(ch for ch in VIETNAMESE_LETTERS
                   if _TONE_MARKS & set(unicodedata.normalize("NFD", ch)))

# ----------------------------------------------------------------- TCVN3 (ABC)
# .VnTime code (as the Windows-1252 character Excel shows) → Unicode, lower-case set
# plus the seven capitals the lower-case font holds.
_TCVN3_PAIRS = (
    "àµ á¸ ả¶ ã· ạ¹ ă¨ ằ» ắ¾ ẳ¼ ẵ½ ặÆ â© ầÇ ấÊ ẩÈ ẫÉ ậË đ® èÌ éÐ ẻÎ ẽÏ ẹÑ "
    "êª ềÒ ếÕ ểÓ ễÔ ệÖ ì× íÝ ỉØ ĩÜ ịÞ òß óã ỏá õâ ọä ô« ồå ốè ổæ ỗç ộé "
    "ơ¬ ờê ớí ởë ỡì ợî ùï úó ủñ ũò ụô ư\u00ad ừõ ứø ửö ữ÷ ựù ỳú ýý ỷû ỹü ỵþ "
    "Ă¡ Â¢ Đ§ Ê£ Ô¤ Ơ¥ Ư¦"
).split()
TCVN3_TO_UNICODE: dict[str, str] = {p[1]: p[0] for p in _TCVN3_PAIRS}
UNICODE_TO_TCVN3: dict[str, str] = {p[0]: p[1] for p in _TCVN3_PAIRS}
_TCVN3_TABLE = str.maketrans(TCVN3_TO_UNICODE)
# every TCVN3 code is a Latin-1 character: for Latin-1 text a 256-entry charmap does the
# same translation in C, an order of magnitude faster than str.translate with a dict
assert all(len(k) == 1 and ord(k) <= 0xFF and len(v) == 1 for k, v in TCVN3_TO_UNICODE.items())
_TCVN3_CHARMAP = "".join(TCVN3_TO_UNICODE.get(chr(i), chr(i)) for i in range(256))
#: "U" + "ủ" → "Ủ": a capital base letter then its lower-case toned vowel is one capital.
TCVN3_CAPITAL_PAIRS: dict[str, str] = {
    base.upper() + _compose(base, t): _compose(base, t).upper()
    for base in _BASES for t in _TONES if t
}
_TCVN3_PAIR_RE = re.compile("|".join(TCVN3_CAPITAL_PAIRS))

# ----------------------------------------------------------------- VNI-Windows
# A toned/modified vowel is its base letter followed by one mark character; some
# letters are a single character. Lower case below; capitals use the upper-case marks.
_VNI_MARKS = {"s": "ù", "f": "ø", "r": "û", "x": "õ", "j": "ï"}
_VNI_HAT = {"": "â", "s": "á", "f": "à", "r": "å", "x": "ã", "j": "ä"}  # â ê ô
_VNI_BREVE = {"": "ê", "s": "é", "f": "è", "r": "ú", "x": "ü", "j": "ë"}  # ă


def _vni_lower() -> dict[str, str]:
    out: dict[str, str] = {"đ": "ñ", "ơ": "ô", "ư": "ö", "í": "í", "ì": "ì", "ỉ": "æ",
                           "ĩ": "ó", "ị": "ò", "ỵ": "î"}
    for base in "aeouy":
        for t, m in _VNI_MARKS.items():
            if base == "y" and t == "j":
                continue  # ỵ is the single character î
            out[_compose(base, t)] = base + m
    for base, hat in (("a", "â"), ("e", "ê"), ("o", "ô")):
        for t, m in _VNI_HAT.items():
            out[_compose(hat, t)] = base + m
    for t, m in _VNI_BREVE.items():
        out[_compose("ă", t)] = "a" + m
    for base, single in (("ơ", "ô"), ("ư", "ö")):
        for t, m in _VNI_MARKS.items():
            if t:
                out[_compose(base, t)] = single + m
    return out


UNICODE_TO_VNI: dict[str, str] = {}
for _u, _v in _vni_lower().items():
    UNICODE_TO_VNI[_u] = _v
    UNICODE_TO_VNI[_u.upper()] = _v.upper()
VNI_TO_UNICODE: dict[str, str] = {v: u for u, v in UNICODE_TO_VNI.items()}
_VNI_RE = re.compile("|".join(sorted(map(re.escape, VNI_TO_UNICODE), key=len, reverse=True)))
_VNI_ENC_TABLE = str.maketrans(UNICODE_TO_VNI)


# ----------------------------------------------------------------- converters


def tcvn3_to_unicode(text: str) -> str:
    """``tcvn3_to_unicode("Hå s¬") == "Hồ sơ"``. Capitals typed with .VnTimeH come back
    upper-case when the cell's plain letters are all capitals."""
    try:
        out = codecs.charmap_decode(text.encode("latin-1"), "strict", _TCVN3_CHARMAP)[0]
    except UnicodeEncodeError:  # a character above U+00FF (€, …): the general way
        out = text.translate(_TCVN3_TABLE)
    # (also when nothing else changed: "Yý" is TCVN3 for "Ý", ý being its own code)
    out = _TCVN3_PAIR_RE.sub(lambda m: TCVN3_CAPITAL_PAIRS[m.group(0)], out)
    return _restore_caps(text, out)


def unicode_to_tcvn3(text: str, *, capital_pairs: bool = False) -> str:
    """Inverse for the letters TCVN3 can hold (lower case + Ă Â Đ Ê Ô Ơ Ư); capitals with
    a tone are written with the lower-case code, as the .VnTimeH font does, or with
    ``capital_pairs`` as the capital base then the lower-case toned vowel ("Ủ" → "Uñ"),
    as ``vietnamese-conversion``'s ``toTCVN3`` does."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch not in UNICODE_TO_TCVN3 and ch in VIETNAMESE_LETTERS and not ch.isascii():
            low = ch.lower()
            if capital_pairs and ch != low and low in _TONED:
                base = _strip_tone(low).upper()
                out.append(UNICODE_TO_TCVN3.get(base, base))
            ch = low
        out.append(UNICODE_TO_TCVN3.get(ch, ch))
    return "".join(out)


def unicode_to_cp1258(text: str) -> str:
    """Text as Windows-1258 would store it (base letter + combining tone); for tests and
    sample lists. Encode the result with ``.encode("cp1258")``."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in d if c in _TONE_MARKS)
            out.append(unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONE_MARKS))
                       + tones)
    return "".join(out)


def vni_to_unicode(text: str) -> str:
    """``vni_to_unicode("Hoà sô") == "Hồ sơ"``."""
    return _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group(0)], text)


def unicode_to_vni(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_VNI_ENC_TABLE)


def _restore_caps(src: str, out: str) -> str:
    # "the ASCII letters of src are all capitals, and there are two or more", in C:
    # no small ASCII letter (upper() changes nothing) and ≥ 2 capitals (deleted by translate)
    if out == src:
        return out
    b = src.encode("ascii", "ignore")
    if b == b.upper() and len(b) - len(b.translate(None, _ASCII_UPPER)) >= 2:
        return out.upper()
    return out


_ASCII_UPPER = bytes(range(65, 91))


_CONVERTERS = {TCVN3: tcvn3_to_unicode, VNI: vni_to_unicode}

# ----------------------------------------------------------------- detection

_WORD_RE = re.compile(r"[^\W\d_]+")


_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
# Rhymes: nuclei that need a final consonant, may take one, or end in a glide (none).
_MUST_CLOSE = "ă â iê yê oă uâ uô ươ uyê"
_MAY_CLOSE = "a e ê i o ô ơ u ư y oa oe uê uy uơ"
_OPEN_ONLY = ("ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu iêu yêu oai oao oay oeo "
              "uây uôi ươi ươu uya uyu")


def _alt(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


_SYLLABLE_RE = re.compile(
    rf"^{_ONSET}(?:(?:{_alt(_MUST_CLOSE)})(?:ch|ng|nh|[cmnpt])|(?:{_alt(_MAY_CLOSE)})"
    rf"(?:ch|ng|nh|[cmnpt])?|(?:{_alt(_OPEN_ONLY)}))$"
)


def _strip_tone(word: str) -> str:
    d = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONE_MARKS))


@lru_cache(maxsize=65536)
def badness(text: str) -> int:
    """How un-Vietnamese a (Unicode) text looks: letters/symbols outside the Vietnamese
    alphabet above ASCII, and words with a non-ASCII letter that have two tone marks, a
    capital after a small letter, or are not a Vietnamese syllable. 0 for clean text."""
    bad = len(_BAD_CHAR_RE.findall(text))
    for w in _NONASCII_WORD_RE.findall(text):
        bad += _word_bad(w)
    return bad


@lru_cache(maxsize=65536)  # a language has a few thousand syllables: check each once
def _word_bad(w: str) -> int:
    # a capital after a small letter ("cÊp") is how a legacy byte reads as Unicode
    mixed = any(a.islower() and b.isupper() for a, b in zip(w, w[1:]))
    return int(mixed or sum(ch in _TONED for ch in w) > 1
               or not _SYLLABLE_RE.match(_strip_tone(w)))


def _PUNCT_OK(ch: str) -> bool:  # noqa: N802 - reads like a predicate table
    return ch in "–—‘’“”…•°№«»·\u00a0" and ch not in TCVN3_TO_UNICODE


_OK_ABOVE_ASCII = "".join(sorted(ch for ch in VIETNAMESE_LETTERS if ord(ch) > 0x7F)) + "".join(
    ch for ch in "–—‘’“”…•°№«»·\u00a0" if ch not in TCVN3_TO_UNICODE)
_BAD_CHAR_RE = re.compile("[^\x00-\x7f" + re.escape(_OK_ABOVE_ASCII) + "]")
_NONASCII_WORD_RE = re.compile(r"[^\W\d_]*[^\x00-\x7f\W\d_][^\W\d_]*")


def _needs_look(text: str) -> bool:
    """False for text that cannot be legacy: ASCII only, or holding a Unicode-only letter."""
    if text.isascii():
        return False
    return _UNICODE_ONLY_RE.search(text) is None


@lru_cache(maxsize=65536)
def _candidates(text: str) -> tuple[tuple[str, int, str], ...]:
    """(encoding, badness, converted) for the text read as Unicode, TCVN3 and VNI."""
    out = [(UNICODE, badness(text), text)]
    for enc, conv in _CONVERTERS.items():
        c = unicodedata.normalize("NFC", conv(text))
        if c != text:
            out.append((enc, badness(c), c))
    return tuple(out)


def classify(text: str, prior: str = UNICODE) -> tuple[str, str]:
    """(encoding, Unicode NFC text) for one cell. ``prior`` (the document's winner)
    breaks ties between readings that look equally Vietnamese."""
    if not _needs_look(text):
        return UNICODE, text
    cands = _candidates(text)
    best = min(c[1] for c in cands)
    winners = [c for c in cands if c[1] == best]
    for c in winners:
        if c[0] == prior:
            return c[0], c[2]
    return winners[0][0], winners[0][2]


@dataclass
class Conversion:
    """What was converted in one document: recorded on the submission."""

    source: str = UNICODE  # the document's dominant encoding
    cells: int = 0  # cells whose text changed
    by_encoding: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, str]] = field(default_factory=list)  # a few (before, after)

    def as_dict(self) -> dict:
        return {"source": self.source, "label": LABELS.get(self.source, self.source),
                "cells": self.cells, "by_encoding": dict(self.by_encoding),
                "examples": [list(e) for e in self.examples]}


def detect_document(texts) -> str:
    """The dominant encoding of a document's cells: the reading with the lowest total
    badness among cells that could be legacy (ties → Unicode)."""
    totals: Counter[str] = Counter()
    looked = 0
    for t in texts:
        if not isinstance(t, str) or not _needs_look(t):
            continue
        looked += 1
        cands = {enc: b for enc, b, _ in _candidates(t)}
        for enc in (UNICODE, TCVN3, VNI):
            totals[enc] += cands.get(enc, cands[UNICODE])
        if looked >= 2000:  # enough evidence; the rest follows
            break
    if not looked:
        return UNICODE
    best = min(totals.values())
    for enc in (UNICODE, TCVN3, VNI):
        if totals[enc] == best:
            return enc
    return UNICODE


def convert_cells(rows: list[list], conversion: Conversion | None = None) -> Conversion:
    """Convert, in place, every string cell of ``rows`` (lists of cells) to Unicode NFC."""
    conv = conversion or Conversion()
    conv.source = detect_document(c for r in rows for c in r)
    source_conv = _CONVERTERS.get(conv.source)
    for r in rows:
        for i, v in enumerate(r):
            if isinstance(v, str) and _needs_look(v):
                # shortcut, same answer as classify(): a clean reading in the document's
                # own encoding is among the best readings, and the prior wins ties
                if source_conv is None:
                    if badness(v) == 0:
                        continue
                    enc, new = classify(v, conv.source)
                else:
                    new = unicodedata.normalize("NFC", source_conv(v))
                    enc = conv.source
                    if badness(new) != 0:
                        enc, new = classify(v, conv.source)
                if new != v:
                    r[i] = new
                    conv.cells += 1
                    conv.by_encoding[enc] = conv.by_encoding.get(enc, 0) + 1
                    if len(conv.examples) < 5:
                        conv.examples.append((v, new))
    return conv


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and its encoding name: BOM'd UTF-8/16, strict UTF-8, else the
    best of Windows-1258 and a Windows-1252 reading (TCVN3/VNI cells are converted later
    by :func:`convert_cells`, which records which)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as1252 = _decode_1252(data)
    try:
        as1258 = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return as1252, "cp1252"
    legacy = detect_document(as1252.split())
    conv = _CONVERTERS.get(legacy)
    legacy_text = unicodedata.normalize("NFC", conv(as1252)) if conv else as1252
    sample = slice(0, 200_000)
    if badness(as1258[sample]) <= badness(legacy_text[sample]):
        return as1258, CP1258
    return as1252, "cp1252"


def _decode_1252(data: bytes) -> str:
    # cp1252 leaves 5 bytes undefined; read those as Latin-1 so nothing is lost
    return codecs.charmap_decode(data, "strict", _CP1252_CHARMAP)[0]


_LATIN1_TO_1252 = {i: bytes([i]).decode("cp1252") for i in range(0x80, 0xA0)
                   if i not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_CP1252_CHARMAP = "".join(_LATIN1_TO_1252.get(i, chr(i)) for i in range(256))  # same, in C


__all__ = [
    "UNICODE", "TCVN3", "VNI", "CP1258", "LABELS", "VIETNAMESE_LETTERS",
    "tcvn3_to_unicode", "unicode_to_tcvn3", "unicode_to_cp1258", "vni_to_unicode", "unicode_to_vni",
    "badness", "classify", "detect_document", "convert_cells", "decode_bytes", "Conversion",
]
