"""Vietnamese syllable grammar and the OCR post-correction (sohoa.ocr.syllables / postcorrect)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sohoa.ocr import postcorrect as pc
from sohoa.ocr import syllables as sy

# ----------------------------------------------------------------------------- grammar

REAL = ("gì gìn giếng giữ gia quốc quý quyết quá uống người thuở hoà hòa mía khuya hoàn toán "
        "xoáy việt nghiêng kỳ của quả tuỳ tùy thuý thúy ĐÀ NẴNG ghế phố trường ngoài rượu khuyên "
        "tuấn đảm dịp nghĩa hạnh phúc độc lập chủ xã hội cộng").split()
NOT_SYLLABLES = ["quôc",  # closed by c: only sắc or nặng
                 "tâp", "mià",  # tone on the wrong vowel
                 "ce", "ka", "nge", "ghà",  # c/k, ng/ngh, g/gh spelling rules
                 "đ", "thànhh", "hoà\u0300", "HĐND", "2019", "ab"]


@pytest.mark.parametrize("word", REAL)
def test_real_syllables_are_accepted(word):
    assert sy.is_syllable(word)


@pytest.mark.parametrize("word", NOT_SYLLABLES)
def test_misspellings_are_rejected(word):
    assert not sy.is_syllable(word)


def _valid_combo(onset: str, rhyme: str) -> bool:
    return sy.parse(onset + rhyme) == (onset, rhyme)


combos = st.tuples(st.sampled_from(sy.ONSETS), st.sampled_from(sorted(sy.RHYMES))).filter(
    lambda t: _valid_combo(*t))


@settings(max_examples=300, deadline=None)
@given(combos, st.sampled_from([None, *sy.TONES]))
def test_every_grammar_syllable_parses_and_folds(combo, tone):
    onset, rhyme = combo
    closed = rhyme.endswith(("p", "t", "c", "ch"))
    word = sy.compose(onset, rhyme, tone)
    assert unicodedata.is_normalized("NFC", word)
    assert sy.is_syllable(word) == ((tone in sy.STOP_TONES) if closed else True)
    assert sy.fold(word) == sy.fold(onset + rhyme)
    assert sy.split_tone(word)[:2] == (onset + rhyme, tone)
    assert sy.is_syllable(word.upper()) == sy.is_syllable(word)


@settings(max_examples=200, deadline=None)
@given(combos, st.sampled_from(sorted(sy.TONES)), st.sampled_from(sorted(sy.TONES)))
def test_two_tone_marks_are_never_a_syllable(combo, t1, t2):
    word = sy.compose(*combo, t1)
    assert not sy.is_syllable(unicodedata.normalize("NFC", word + t2))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=2, max_size=5))
def test_consonants_only_are_no_syllable(s):
    assert not sy.is_syllable(s)


# ----------------------------------------------------------------------------- correction


@dataclass
class W:  # the fields of sohoa.ocr.words.Word that the correction reads
    text: str
    conf: float = 85.0
    x0: int = 0
    x1: int = 0


def line(*words, conf=85.0):
    out, x = [], 0
    for t in words:
        out.append(W(t, conf, x, x + 10 * len(t)))
        x += 10 * len(t) + 10
    return out


@pytest.fixture(scope="module")
def lex():
    return pc.load_lexicon()


def texts(lines):
    return [" ".join(w.text for w in ln) for ln in lines]


def test_shipped_lexicon_knows_the_administrative_words(lex):
    assert lex.pair("thành", "phố") and lex.pair("đà", "nẵng") and lex.pair("giám", "đốc")
    assert lex.known("quốc") and not lex.known("quôc")
    assert len(lex.weight) > 6000 and len(lex.bigrams) > 50000


def test_known_misreadings_are_corrected_and_recorded(lex):
    lines = [line("UBND", "THÀNH", "PHÓ", "ĐÀ", "NẴNG"), line("kỳ", "thi", "THPT", "quôc", "gia"),
             line("trong", "địp", "nghỉ", "hè"), line("Sở", "GD&ĐÐT", "yêu", "cầu")]
    got = pc.correct_words(lines, lex)
    assert texts(lines) == ["UBND THÀNH PHỐ ĐÀ NẴNG", "kỳ thi THPT quốc gia", "trong dịp nghỉ hè",
                            "Sở GD&ĐT yêu cầu"]
    by = {c["original"]: c for c in got}
    assert set(by) == {"PHÓ", "quôc", "địp", "GD&ĐÐT"}
    assert by["PHÓ"]["corrected"] == "PHỐ" and "thành phố" in by["PHÓ"]["reason"]
    assert by["quôc"]["reason"].startswith("Không phải âm tiết") and by["quôc"]["line"] == 1
    assert by["địp"]["reason"] == "Âm tiết không có trong từ điển"
    assert all(c["conf"] == 85.0 for c in got)


def test_context_flows_across_line_ends_and_keeps_punctuation(lex):
    lines = [line("trường", "học", "nghiêm", "túc", "tô"), line("chức,", "Ban", "ATGT", "TP.", "Đà", "Năng;")]
    lines[1][-1].conf = 71.0  # the less sure of "Đà Năng" ("đa năng" is a word too) is changed
    pc.correct_words(lines, lex)
    assert texts(lines) == ["trường học nghiêm túc tổ", "chức, Ban ATGT TP. Đà Nẵng;"]


def test_sure_words_protected_words_and_names_are_left_alone(lex):
    sure = [line("thành", "phó", conf=97.0)]  # tesseract was sure: no context change
    assert pc.correct_words(sure, lex) == [] and texts(sure) == ["thành phó"]
    protected = [line("tại", "công", "văn"), line("có", "thông", "báo")]  # function words
    assert pc.correct_words(protected, lex) == []
    names = [line("Phạm", "Nguyễn", "Đức", "Thành"), line("HSSV", "2019", "CTrTT", "(Chương).")]
    assert pc.correct_words(names, lex) == [] and texts(names)[0] == "Phạm Nguyễn Đức Thành"
    person = [line("Nguyễn", "Thành", "Phó")]  # lower case, "thành phó" would become "thành phố"
    assert pc.correct_words(person, lex) == [] and texts(person) == ["Nguyễn Thành Phó"]
    assert pc.correct_words(lower := [line("nguyễn", "thành", "phó")], lex) and \
        texts(lower) == ["nguyễn thành phố"]


def test_a_word_read_twice_in_the_same_place_is_dropped_but_a_printed_repeat_kept(lex):
    twice = [[W("không", 80, 0, 50), W("không", 80, 10, 60), W("lái", 90, 70, 100), W("xe", 90, 110, 130)]]
    got = pc.correct_words(twice, lex)
    assert texts(twice) == ["không lái xe"] and got[0]["corrected"] == "không"
    printed = [line("không", "không", "lái", "xe")]  # as printed in the letter: side by side
    assert pc.correct_words(printed, lex) == [] and texts(printed) == ["không không lái xe"]


def test_disabled_changes_nothing(lex, monkeypatch):
    monkeypatch.setattr(pc, "ENABLED", False)
    lines = [line("quôc", "gia")]
    assert pc.correct_words(lines, lex) == [] and texts(lines) == ["quôc gia"]
    assert pc.settings_key() == "postcorrect=off"


def test_settings_key_follows_the_lexicon_and_threshold(monkeypatch):
    k = pc.settings_key()
    monkeypatch.setattr(pc, "CONTEXT_MAX_CONF", 90.0)
    assert pc.settings_key() != k


def test_lexicon_builder_keeps_syllables_pairs_and_names():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "build_vi_lexicon", Path(__file__).resolve().parent.parent / "scripts" / "build_vi_lexicon.py")
    b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(b)
    lex = b.build(["thành phố", "a-ba-giua", "café"], ["Phố", "xyzq"], ["Đắk Lắk"], ["giám đốc"])
    assert lex["syllables"]["phố"] == 1 + 5  # Viet74K word + tesseract's list
    assert "café" not in lex["syllables"] and "xyzq" not in lex["syllables"]  # no syllables
    assert "đắk lắk" in lex["bigrams"] and lex["syllables"]["lắk"] == 3  # names kept as they are
    assert {"thành phố", "a ba", "ba giua", "giám đốc"} <= set(lex["bigrams"])


def test_ocr_page_stores_corrected_text_in_lines_and_pdf_layer():
    """Real tesseract on a rendered page whose print holds misspelt syllables ("quôc" is no
    syllable, "địp" no word): the page's text, its line records and the PDF's invisible
    text all carry the corrected words, and each change is listed with its reason."""
    from sohoa.ocr import recognition as ocr
    from sohoa.ocr.pdf import pdf_text

    img = ocr.render_text_page(["Kỳ thi trung học phổ thông quôc gia năm 2019", "trong địp nghỉ hè của học sinh"],
                               dpi=200)
    res = ocr.ocr_page(img, dpi=200, rotate=0, deskew_deg=0.0)
    assert res.ok, res.error
    assert "quốc gia" in res.text and "dịp nghỉ" in res.text and "quôc" not in res.text
    assert [ln["text"] for ln in res.lines] == res.text.split("\n")
    layer = pdf_text(res.pdf)[0]
    assert "quốc gia" in layer and "quôc" not in layer
    got = {c["original"]: c for c in res.corrections}
    assert got["quôc"]["corrected"] == "quốc" and got["quôc"]["line"] == 0
    assert got["địp"]["corrected"] == "dịp" and got["địp"]["line"] == 1
