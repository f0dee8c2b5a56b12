"""Vietnamese post-correction of tesseract's words, before the text is stored, indexed and
laid into the PDF.

Tesseract's ``vie`` model misreads Vietnamese in known ways: a stacked mark lost or
swapped (ố read ó/ô: "thành phó", "sô"; ầ → â; ể → ẻ), đ for d ("địp"), the Latin Eth
Ð for Đ ("GD&ĐÐT"), a word recognised twice. All of them keep the word's *letters*: only
tone marks, hats, horns and the bar of đ change. So the candidates for a word are the
syllables of the lexicon (``data/vi_lexicon.json.gz``, built by scripts/build_vi_lexicon.py
from Viet74K, tesseract's own word list and administrative names and phrases) with the same
letters (``syllables.fold``), and one is chosen by:

* **syllable validity** (``syllables.is_syllable``): a word that is no Vietnamese syllable
  ("quôc": closed syllable without a tone) is replaced by its best candidate;
* **lexicon**: a well-formed syllable that no source knows ("địp") likewise;
* **context**: a known syllable that forms no known word with either neighbour, while a
  candidate does ("thành phó" → "thành phố", "Đảo tạo" → "Đào tạo"), is replaced only when
  tesseract itself was unsure of it (word confidence below CONTEXT_MAX_CONF; its correct
  words read ~96–97, its misreads ~80–93 on the real scans).

Everything else is left as read: names, abbreviations, numbers, words of other languages.
Every change is returned as {"line", "original", "corrected", "reason", "conf"} and kept
with the page (``pages.ocr_corrections``), so a reviewer can see and undo it.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sohoa.ocr.syllables import fold, is_syllable

DATA = Path(__file__).resolve().parent / "data" / "vi_lexicon.json.gz"
# A known word is replaced on context only when tesseract gave it less than this
# confidence (its sure words read 96–97 on real 200 dpi scans, its misreads 80–93).
CONTEXT_MAX_CONF = float(os.environ.get("SOHOA_OCR_CORRECT_MAX_CONF", "95"))
# SOHOA_OCR_POSTCORRECT=0 turns the correction off (the raw words are kept).
ENABLED = os.environ.get("SOHOA_OCR_POSTCORRECT", "1").strip().lower() not in ("0", "off", "no", "")
VERSION = "1"  # part of the OCR settings hash: bump when the rules or the lexicon change

# Frequent function and administrative words. The lexicon holds *words* (Viet74K) and names,
# so a function word rarely forms a known pair with its neighbour ("tại công văn", "có thông
# báo") while a confusable content word may ("tài", "cổ"): these are never changed on context
# alone, only when they are no syllable or unknown.
PROTECTED = frozenset("""
có của các cho và với là được để đã đang sẽ tại từ theo trong ngoài trên dưới sau trước
khi thì mà nếu hay hoặc vì do bởi về ra vào lên xuống đến tới này đó kia ấy những mọi mỗi
một hai ba bốn năm sáu bảy tám chín mười không chưa cũng vẫn còn rất đều nhau bị phải cần
nên như ở số ngày tháng năm bộ sở ban phòng thi viên sinh học
""".split())

# A capitalised word in a run of capitalised words is a name: it is corrected on context only
# after one of these (a place name: "TP. Đà Năng" → "Đà Nẵng"), never in a person's name.
PLACE_MARKERS = frozenset("tp tỉnh quận huyện xã phường thị trấn phố ubnd hđnd".split())

_PUNCT = "\"'“”‘’()[]{}<>«»,.;:!?…-–—/\\|*~_"
_BREAK = set(",.;:!?()[]{}\"“”«»…")  # punctuation that ends a word's context


def settings_key() -> str:
    """What the corrected text depends on, for the OCR phase's input hash (reruns)."""
    if not ENABLED:
        return "postcorrect=off"
    import hashlib

    digest = hashlib.sha256(DATA.read_bytes()).hexdigest()[:16] if DATA.exists() else "none"
    return f"postcorrect={VERSION}:{CONTEXT_MAX_CONF}:{digest}"


@dataclass(frozen=True)
class Lexicon:
    weight: dict[str, int]
    bigrams: frozenset[str]
    by_fold: dict[str, tuple[str, ...]]
    names: frozenset[str] = frozenset()  # syllable pairs of place names

    def known(self, syl: str) -> bool:
        return syl in self.weight

    def pair(self, a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and f"{a} {b}" in self.bigrams


@lru_cache(maxsize=4)
def load_lexicon(path: Path = DATA) -> Lexicon:
    raw = json.loads(gzip.decompress(Path(path).read_bytes()))
    weight = {unicodedata.normalize("NFC", k): int(v) for k, v in raw["syllables"].items()}
    by_fold: dict[str, list[str]] = {}
    for s in weight:
        by_fold.setdefault(fold(s), []).append(s)
    return Lexicon(weight, frozenset(raw["bigrams"]), {k: tuple(v) for k, v in by_fold.items()},
                   frozenset(raw.get("names", ())))


def _split(token: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation)."""
    i, j = 0, len(token)
    while i < j and token[i] in _PUNCT:
        i += 1
    while j > i and token[j - 1] in _PUNCT:
        j -= 1
    return token[:i], token[i:j], token[j:]


def _recase(word: str, like: str) -> str:
    if len(like) > 1 and like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _fix_chars(text: str) -> tuple[str, str | None]:
    """Latin Eth (Ð, ð: not Vietnamese) → Đ/đ; "ĐÐ" (one glyph read twice) → "Đ"."""
    if "Ð" not in text and "ð" not in text:
        return text, None
    fixed = text.replace("ĐÐ", "Đ").replace("ÐĐ", "Đ").replace("Ð", "Đ").replace("ð", "đ")
    return fixed, "Ký tự Ð (Eth, không có trong tiếng Việt) đọc thay cho Đ"


def choose(lex: Lexicon, word: str, prev: str | None, nxt: str | None, conf: float,
           prev_alts: tuple[str, ...] = (), next_alts: tuple[str, ...] = (),
           in_name: bool = False) -> tuple[str, str] | None:
    """(correction, Vietnamese reason) for one lower-case syllable between its neighbours
    (lower case, None at a break), or None to keep it. ``prev_alts``/``next_alts``: the
    readings of a neighbour that tesseract was no surer of — if the word forms a known pair
    with one of them ("Đà Năng": "đà nẵng"), the neighbour is the one to correct.
    ``in_name``: the word and a neighbour are capitalised (a name: "Trần Nguyễn"): only the
    pairs of place names count as context, so a person's name is not "corrected" into words."""
    pair = (lambda a, b: a is not None and b is not None and f"{a} {b}" in lex.names) if in_name else lex.pair
    cands = lex.by_fold.get(fold(word), ())
    if not cands or (len(cands) == 1 and cands[0] == word):
        return None

    def ctx(c: str) -> int:
        return pair(prev, c) + pair(c, nxt)

    def score(c: str) -> float:
        return 3.0 * ctx(c) + math.log1p(lex.weight.get(c, 0))

    best = max(cands, key=lambda c: (score(c), c))
    if best == word:
        return None
    if not is_syllable(word):
        return best, "Không phải âm tiết tiếng Việt hợp lệ"
    if not lex.known(word):
        if ctx(best) or lex.weight[best] >= 3:
            return best, "Âm tiết không có trong từ điển"
        return None
    if word in PROTECTED:
        return None
    loose = any(pair(a, word) for a in prev_alts) or any(pair(word, b) for b in next_alts)
    if conf < CONTEXT_MAX_CONF and ctx(best) > ctx(word) and ctx(word) == 0 and not loose:
        seen = f"{prev} {best}" if pair(prev, best) else f"{best} {nxt}"
        return best, f"Ngữ cảnh: «{seen}» có trong từ điển, «{word}» không ghép được"
    return None


def correct_words(lines: list[list], lex: Lexicon | None = None) -> list[dict]:
    """Correct the words (objects with ``text``, ``conf``, ``x0``, ``x1``) of a page's
    lines in reading order, in place; the text flows across line ends. Returns the
    corrections made."""
    if not ENABLED:
        return []
    lex = lex or load_lexicon()
    out: list[dict] = []
    # 1. characters, and a word read twice over the same place (boxes overlapping)
    for li, ln in enumerate(lines):
        keep = []
        for w in ln:
            fixed, why = _fix_chars(w.text)
            if why:
                out.append({"line": li, "original": w.text, "corrected": fixed, "reason": why,
                            "conf": round(w.conf, 1)})
                w.text = fixed
            if keep and keep[-1].text == w.text and w.x0 < keep[-1].x1 - 0.3 * (keep[-1].x1 - keep[-1].x0):
                out.append({"line": li, "original": f"{w.text} {w.text}", "corrected": w.text,
                            "reason": "Một từ được nhận dạng hai lần tại cùng vị trí",
                            "conf": round(w.conf, 1)})
                continue
            keep.append(w)
        ln[:] = keep
    # 2. syllables, in context
    flat = [(li, w) for li, ln in enumerate(lines) for w in ln]
    parts = [_split(w.text) for _, w in flat]
    cores = [p[1].lower() if p[1].isalpha() else None for p in parts]
    for i, ((li, w), (lead, core, trail)) in enumerate(zip(flat, parts)):
        if cores[i] is None:
            continue
        prev = cores[i - 1] if i > 0 and not lead and not (set(parts[i - 1][2]) & _BREAK) else None
        nxt = cores[i + 1] if i + 1 < len(flat) and not (set(trail) & _BREAK) and not parts[i + 1][0] else None
        alts = [lex.by_fold.get(fold(n), ()) if n is not None and flat[k][1].conf <= w.conf else ()
                for n, k in ((prev, i - 1), (nxt, i + 1))]
        title = core[:1].isupper() and not core[1:].isupper()
        in_name = title and any(parts[k][1][:1].isupper() and parts[k][1][1:2].islower()
                                for k in (i - 1, i + 1) if 0 <= k < len(parts))
        if in_name and not any(parts[k][1].lower() in PLACE_MARKERS for k in range(max(0, i - 3), i)):
            if cores[i] in lex.weight and is_syllable(cores[i]):
                continue  # a known syllable of a person's name: left as read
        got = choose(lex, unicodedata.normalize("NFC", cores[i]), prev, nxt, w.conf, *alts,
                     in_name=in_name)
        if got is None:
            continue
        new_core = _recase(got[0], core)
        new = lead + new_core + trail
        out.append({"line": li, "original": w.text, "corrected": new, "reason": got[1],
                    "conf": round(w.conf, 1)})
        w.text = new
        cores[i] = got[0]
    return out
