"""Legacy Vietnamese encodings (sohoa.intake.legacy_encodings): converters, detection, recording."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
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
    # a capital base then its toned small vowel ("Ăắ") is how converters write "Ắ"
    assume(not any(pair in text for pair in L.TCVN3_CAPITAL_PAIRS))
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


# ------------------------------------------------------------------ capitals with a tone mark
# TCVN3 has no code for a capital with a tone mark: the npm package vietnamese-conversion
# (2.0.0, ``toTCVN3(text, "unicode")``) writes the capital base then the small toned vowel.
# tests/data/inventory/tcvn3_vietnamese_conversion.csv is its output, made once with
#   const v = require('vietnamese-conversion');
#   fs.writeFileSync(out, Buffer.from(v.toTCVN3(fs.readFileSync(src, 'utf8'), 'unicode'), 'latin1'))
# and the bytes below were printed by the same call (no npm needed to run the tests).

NPM_TOTCVN3 = [
    ("Quyết định thành lập Ủy ban nhân dân xã Tiên Dương",
     "QuyÕt ®Þnh thµnh lËp Uñy ban nh©n d©n x· Tiªn D\u00ad¬ng"),
    ("ỦY BAN Ủy Ốc Ề Ẩ ÁÀẢÃẠ ĂẮ Ắ Đ ÂẤ Ơ Ớ Ư Ừ Ê Ô",
     "UñY BAN Uñy ¤èc £Ò ¢È A¸AµA¶A·A¹ ¡¡¾ ¡¾ § ¢¢Ê ¥ ¥í ¦ ¦õ £ ¤"),
    ("Ý Ỳ Ỷ Ỹ Ỵ Í Ì Ị Ĩ Ỉ Ữ Ự Ợ Ở Ệ Ậ Ặ Ẵ ĐÔNG ANH Ê Đ",
     "Yý Yú Yû Yü Yþ IÝ I× IÞ IÜ IØ ¦÷ ¦ù ¥î ¥ë £Ö ¢Ë ¡Æ ¡½ §¤NG ANH £ §"),
]


@pytest.mark.parametrize("unicode_, legacy", NPM_TOTCVN3)
def test_tcvn3_capitals_with_a_tone_as_vietnamese_conversion_writes_them(unicode_, legacy):
    assert L.tcvn3_to_unicode(legacy) == unicode_
    assert L.unicode_to_tcvn3(unicode_, capital_pairs=True) == legacy
    cells = [[legacy, "Hå s¬ héi nghÞ"]]
    L.convert_cells(cells)
    assert cells[0][0] == unicode_


def test_tcvn3_list_made_by_vietnamese_conversion_loads_with_its_capitals():
    from datetime import date

    from sohoa.intake.inventory import parse_inventory

    name = "tcvn3_vietnamese_conversion.csv"
    data = (Path(__file__).parent / "data" / "inventory" / name).read_bytes()
    assert b"U\xf1y ban" in data  # the npm bytes, unconverted
    p = parse_inventory(data, name, today=date(2025, 6, 30))
    assert not p.errors and p.conversion["source"] == "tcvn3"
    titles = [r.title for r in p.rows]
    assert titles[0] == "Quyết định thành lập Ủy ban nhân dân xã Tiên Dương"
    assert titles[1] == "ỦY BAN NHÂN DÂN HUYỆN ĐÔNG ANH: BÁO CÁO TỔNG KẾT NĂM 2019"
    assert titles[2] == "Ý kiến của Ủy ban MTTQ về Ổn định dân cư Ấp Ông Ích"
    capitals = titles[3].split(" và ")[1].split()
    assert all(len(c) == 1 and c.isupper() for c in capitals) and len(capitals) == 60
    assert not any("Uủ" in t or "Ôổ" in t for t in titles)


def _cased(word: str, how: int) -> str:
    return (word, word.capitalize(), word.upper())[how]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SYLLABLES + ["ủy", "ổn", "ấp", "ý", "ước", "ệ", "ắt"]),
                          st.integers(0, 2)), min_size=1, max_size=12))
def test_tcvn3_capital_pairs_round_trip_whatever_the_case(words):
    """Capitals with a tone come back as capitals, whatever the case of the rest of the
    cell (small, Capitalised or CAPITAL words mixed)."""
    text = " ".join(_cased(w, how) for w, how in words)
    enc = L.unicode_to_tcvn3(text, capital_pairs=True)
    enc.encode("latin-1")
    back = L.tcvn3_to_unicode(enc)
    letters = [c for c in enc if c.isascii() and c.isalpha()]
    codes = enc.translate(str.maketrans(L.TCVN3_TO_UNICODE))
    converts = codes != enc or any(p in codes for p in L.TCVN3_CAPITAL_PAIRS)
    if converts and len(letters) >= 2 and all(c.isupper() for c in letters):
        assert back == text.upper()  # the .VnTimeH all-capitals rule
    else:
        assert back == text  # (text a TCVN3 reading leaves as it is stays as it is)
    # and a document of such cells is detected and converted the same way
    cells = [[enc, "Tiªu ®Ò hå s¬"]]
    L.convert_cells(cells)
    assert cells[0][0] in (text, text.upper())
