"""Vietnamese syllable structure, as one grammar: onset + rhyme (glide, nucleus, coda) + tone.

A written syllable is split into its tone mark (one of five, or none) and its toneless
letters; the letters must be an onset from ONSETS followed by a rhyme from RHYMES, with
the spelling rules below, and the tone must be allowed by the rhyme's ending (a syllable
closed by p, t, c or ch takes only sắc or nặng) and sit on a vowel of the nucleus where
either the old ("hoà") or the new ("hòa") convention puts it.

Used by the post-correction (``sohoa.ocr.postcorrect``) to tell a misread syllable
("quôc" — a closed syllable without tone) from a real one, and to fold a syllable to its
letters without diacritics (the key under which its confusable spellings are grouped).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# tone marks as combining characters (NFD), in the order of the Vietnamese tone names
TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0309": "hỏi", "\u0303": "ngã", "\u0323": "nặng"}
STOP_TONES = {"\u0301", "\u0323"}  # the only tones of a syllable closed by p, t, c, ch

ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")

# rhymes without glide, by nucleus (toneless, NFC)
_PLAIN = """
a ai ao au ay am an ang anh ac ach ap at
ăm ăn ăng ăc ăp ăt
âm ân âng âc âp ât âu ây
e eo em en eng ec ep et
ê êu êm ên ênh êch êp êt
i ia iu im in inh ich ip it
iêu iêm iên iêng iêc iêp iêt
y yêu yêm yên yêng yêt
o oi om on ong oc op ot oong ooc
ô ôi ôm ôn ông ôc ôp ôt
ơ ơi ơm ơn ơp ơt
u ua ui um un ung uc up ut
uôi uôm uôn uông uôc uôt
ư ưa ưi ưu ưm ưn ưng ưc ưt
ươi ươu ươm ươn ương ươc ươp ươt
"""
# rhymes with the glide /w/ (written o before a, ă, e; u before â, ê, y, ơ)
_GLIDE = """
oa oai oay oam oan oang oanh oac oach oap oat
oăm oăn oăng oăc oăt
oe oeo oen oet
uân uâng uât uây
uê uênh uêch
uơ
uy uya uyu uynh uych uyt uyn uyên uyêt
"""
PLAIN_RHYMES = frozenset(_PLAIN.split())
GLIDE_RHYMES = frozenset(_GLIDE.split())
RHYMES = PLAIN_RHYMES | GLIDE_RHYMES

VOWELS = set("aăâeêioôơuưy")
ONSETS_LONGEST_FIRST = sorted(ONSETS, key=len, reverse=True)
_FRONT = set("eêi")  # k, gh, ngh before these; c, g, ng elsewhere


def split_tone(syllable: str) -> tuple[str, str | None, int | None]:
    """(toneless letters, lower case NFC; tone mark or None; index of the letter carrying it)."""
    out: list[str] = []
    tone = pos = None
    for ch in unicodedata.normalize("NFD", syllable.lower()):
        if ch in TONES:
            if tone is not None:
                return "", "?", None  # two tone marks: not a syllable
            tone, pos = ch, len(out) - 1
        elif unicodedata.combining(ch):
            if not out:
                return "", "?", None
            out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
        else:
            out.append(ch)
    return "".join(out), tone, pos


def _onset_ok(onset: str, rhyme: str) -> bool:
    first = rhyme[0]
    if onset in ("c", "g", "ng") and first in _FRONT:
        return False
    if onset in ("k", "gh", "ngh") and first not in _FRONT and not (onset == "k" and rhyme[0] == "y"):
        return False
    if onset == "qu":
        return False  # handled by parse(): "qu" + rhyme without its written glide
    return True


def parse(letters: str) -> tuple[str, str] | None:
    """(onset, rhyme) of toneless lower-case letters, or None when they are no syllable."""
    for onset in ONSETS_LONGEST_FIRST:
        if not letters.startswith(onset):
            continue
        rhyme = letters[len(onset):]
        if onset == "qu":
            # the u of qu is the glide: "qua", "quyết", "quốc"
            if rhyme and rhyme[0] not in "uo" and (rhyme in PLAIN_RHYMES or "u" + rhyme in GLIDE_RHYMES):
                return onset, rhyme
        elif onset == "gi":
            # "gì", "gia", "giường"; the i merges with a rhyme in i: "gìn", "giếng"
            if rhyme == "" or (rhyme in RHYMES and rhyme[0] != "i") or "i" + rhyme in RHYMES:
                return onset, rhyme
        elif rhyme in RHYMES and _onset_ok(onset, rhyme):
            return onset, rhyme
    return None


def _nucleus_span(onset: str, rhyme: str) -> list[int]:
    """Indexes (within onset+rhyme) of the vowels where a tone mark may sit."""
    start = len(onset)
    letters = onset + rhyme
    idx = [i for i in range(start, len(letters)) if letters[i] in VOWELS]
    if onset == "gi" and (not rhyme or rhyme[0] not in VOWELS):
        return [1] + idx  # "gì", "gìn": the i of gi is the nucleus
    return idx


def tone_positions(onset: str, rhyme: str) -> set[int]:
    """Where the old and the new convention put the tone mark (index in onset+rhyme)."""
    letters = onset + rhyme
    vs = _nucleus_span(onset, rhyme)
    if not vs:
        return set()
    ok: set[int] = set()
    hatted = [i for i in vs if letters[i] in "ăâêôơư"]
    if hatted:  # a vowel with a hat or horn carries the tone ("thuở", "người", "quyết")
        ok.add(hatted[-1] if letters[hatted[-1]] == "ơ" and len(hatted) > 1 else hatted[0])
        ok.update(hatted)
        return ok
    closed = letters[-1] not in VOWELS
    if len(vs) == 1:
        return {vs[0]}
    if closed or len(vs) == 3:
        ok.add(vs[-1] if closed else vs[1])  # "hoàn", "toán"; "khuya" → middle
        if len(vs) == 3:
            ok.add(vs[1])
        return ok
    # two open vowels: the first ("mía", "hai", "múa"), or for a glide the second (new style
    # "hòa"/"thuý"), the old style keeping it on the first ("hoà", "thúy") — both accepted
    ok.add(vs[0])
    if rhyme[:2] in ("oa", "oe", "uy") or (onset in ("qu", "gi") and len(vs) == 2):
        ok.add(vs[1])
    return ok


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True when ``word`` (any case) is a well-formed Vietnamese syllable."""
    letters, tone, pos = split_tone(word)
    if tone == "?" or not letters or not letters.isalpha():
        return False
    parsed = parse(letters)
    if parsed is None:
        return False
    onset, rhyme = parsed
    if tone is None:
        return not (rhyme and rhyme[-1] in "ptc" or rhyme.endswith("ch"))
    if (rhyme.endswith(("p", "t", "c", "ch"))) and tone not in STOP_TONES:
        return False
    return pos in tone_positions(onset, rhyme)


def fold(word: str) -> str:
    """Letters without tone, hats or horns, đ → d, lower case: "Quốc" → "quoc"."""
    s = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def compose(onset: str, rhyme: str, tone: str | None, pos: int | None = None) -> str:
    """Write a syllable: tone mark on ``pos`` (default: the new-style position)."""
    letters = onset + rhyme
    if tone is None:
        return letters
    if pos is None:
        places = sorted(tone_positions(onset, rhyme))
        if not places:
            return letters
        pos = places[-1] if rhyme[:2] in ("oa", "oe", "uy") or onset == "qu" else places[0]
        hatted = [i for i in places if letters[i] in "ăâêôơư"]
        if hatted:
            pos = hatted[-1] if letters[hatted[-1]] == "ơ" else hatted[0]
    return unicodedata.normalize("NFC", letters[:pos + 1] + tone + letters[pos + 1:])
