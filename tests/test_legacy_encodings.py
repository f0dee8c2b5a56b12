"""Legacy Vietnamese encodings (sohoa.intake.legacy_encodings): converters, detection, recording."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sohoa.intake import legacy_encodings as L

LOWER_VI = sorted(ch for ch in L.VIETNAMESE_LETTERS if ch.islower())
TCVN3_CAPS = list("ĂÂĐÊÔƠƯ")
SYLLABLES = ["hồ", "sơ", "tiêu", "đề", "quyết", "định", "ủy", "ban", "nhân", "dân", "phường",
             "xã", "huyện", "thời", "hạn", "bảo", "quản", "vĩnh", "viễn", "năm", "tập", "lưu",
             "văn", "bản", "đi", "đến", "giải", "quyết", "khiếu", "nại", "đất", "đai", "cấp",
             "giấy", "chứng", "nhận", "mục", "lục", "số", "ký", "hiệu", "nghị", "tổng", "kết",
             "hội", "trường", "mầm", "non", "xây", "dựng", "thi", "đua", "khen", "thưởng",
             "ngày", "tháng", "công", "khai", "hạn", "chế", "mật", "ỷ", "ỵ", "gì", "quý"]


@pytest.mark.parametrize("legacy, unicode_", [
    ("Hå s¬", "Hồ sơ"),  # TCVN3 (ABC), the classic example
    ("B¶o Th¾ng", "Bảo Thắng"),
    ("M\u00adêng Kh\u00ad¬ng", "Mường Khương"),
    ("Tiªu ®Ò hå s¬", "Tiêu đề hồ sơ"),
    ("DANH MôC Hå S¥", "DANH MỤC HỒ SƠ"),  # .VnTimeH capitals use the lower-case codes
])
def test_tcvn3_known_examples(legacy, unicode_):
    assert L.tcvn3_to_unicode(legacy) == unicode_


@pytest.mark.parametrize("legacy, unicode_", [
    ("Xin chaøo caùc baïn", "Xin chào các bạn"),
    ("Vieät Nam", "Việt Nam"),
    ("Hoà sô", "Hồ sơ"),
    ("ÑÔØNG ÑOÀNG", "ĐỜNG ĐỒNG"),
    ("thò traán", "thị trấn"),
    ("Kyø hieäu", "Kỳ hiệu"),
])
def test_vni_known_examples(legacy, unicode_):
    assert L.vni_to_unicode(legacy) == unicode_


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(LOWER_VI + TCVN3_CAPS + list(" 0123456789,.-/")),
               max_size=60))
def test_tcvn3_round_trip(text):
    enc = L.unicode_to_tcvn3(text)
    assert all(ord(c) <= 0xFF for c in enc)  # a one-byte font: fits Latin-1
    enc.encode("latin-1")
    back = L.tcvn3_to_unicode(enc)
    letters = [c for c in enc if c.isascii() and c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        assert back == text.upper()  # the all-capitals rule
    else:
        assert back == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(L.VIETNAMESE_LETTERS) + list(" 0123456789,.-/")),
               max_size=60))
def test_vni_round_trip_all_letters(text):
    enc = L.unicode_to_vni(text)
    enc.encode("cp1252")  # VNI-Windows text is Windows-1252 characters
    assert L.vni_to_unicode(enc) == text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SYLLABLES), min_size=4, max_size=14),
       st.sampled_from(["tcvn3", "vni", "cp1258", "utf-8"]))
def test_detected_and_converted_from_bytes(words, encoding):
    """A line of Vietnamese in any of the encodings comes back as the same NFC text."""
    text = " ".join(words)
    if encoding != "tcvn3":  # TCVN3 holds no toned capitals (they live in .VnTimeH)
        text = text.capitalize()
    if encoding == "tcvn3":
        data = L.unicode_to_tcvn3(text).encode("latin-1")
    elif encoding == "vni":
        data = L.unicode_to_vni(text).encode("cp1252")
    elif encoding == "cp1258":
        data = L.unicode_to_cp1258(text).encode("cp1258")
    else:
        data = text.encode("utf-8")
    decoded, _ = L.decode_bytes(data)
    cells = [[decoded]]
    conv = L.convert_cells(cells)
    if decoded != text and L.badness(decoded) == 0:
        # truly ambiguous ("Hoà hoà" is both VNI for "Hồ hồ" and valid Unicode): kept as is
        assert cells[0][0] == decoded and conv.cells == 0
        return
    assert cells[0][0] == text
    assert unicodedata.is_normalized("NFC", cells[0][0])
    if encoding in ("tcvn3", "vni") and cells[0][0] != decoded:
        assert conv.source == encoding and conv.cells == 1
        assert conv.examples == [(decoded, text)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=10))
def test_unicode_text_is_never_touched(words):
    text = " ".join(words)
    cells = [[text, text.upper(), "Công khai"]]
    conv = L.convert_cells(cells)
    assert cells == [[text, text.upper(), "Công khai"]]
    assert conv.cells == 0 and conv.source == "unicode"


def test_document_prior_decides_ambiguous_cells():
    # "Cá" is a Unicode word and also TCVN3 for "Cỏ"; in a TCVN3 document it is TCVN3
    rows = [["Tiªu ®Ò hå s¬", "Cá"], ["Hå s¬ héi nghÞ", "Sè l\u00adîng"]]
    conv = L.convert_cells(rows)
    assert rows == [["Tiêu đề hồ sơ", "Cỏ"], ["Hồ sơ hội nghị", "Số lượng"]]
    assert conv.as_dict()["label"].startswith("TCVN3") and conv.cells == 4
    assert L.convert_cells([["Cá", "Hồ sơ"]]).cells == 0  # alone, it stays Unicode
