"""Domain constants and file codes (sohoa.core.fields)."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sohoa.core import fields as F

# ------------------------------------------------------------------ field table


def test_field_max_lengths_match_domain_table():
    f = F.FILE_FIELD_BY_TAG
    assert f["FileCode"].max_length == 30
    assert f["Identifier"].max_length == 13
    assert f["OrganId"].max_length == 13
    assert f["FileCatalog"].max_length == 4
    assert f["FileNotation"].max_length == 20
    assert f["Title"].max_length == 1000
    assert f["Maintenance"].max_length == 30
    assert f["Description"].max_length == 2000
    assert f["Format"].max_length == 50
    d = F.DOC_FIELD_BY_TAG
    assert d["DocCode"].max_length == 25
    assert d["CodeNumber"].max_length == 11
    assert d["Subject"].max_length == 500
    assert d["Mode"].max_length == 20
    assert d["Autograph"].max_length == 2000
    assert (F.MAX_NOTATION, F.MAX_TITLE, F.MAX_FILE_CODE) == (20, 1000, 30)
    # every label is NFC (stored text must be comparable)
    for spec in F.FILE_FIELDS + F.DOC_FIELDS:
        assert unicodedata.is_normalized("NFC", spec.name_vi)


def test_retention_table():
    assert list(F.RETENTION) == ["01", "02", "03", "04", "05", "06", "07"]
    assert [r.years for r in F.RETENTION.values()] == [None, 70, 50, 30, 20, 10, None]
    assert F.retention_label("01") == "Vĩnh viễn"
    assert F.retention_label("07") == "Khác"


@pytest.mark.parametrize(
    "text, code",
    [
        ("Vĩnh viễn", "01"), ("vinh vien", "01"), ("VĨNH VIỄN", "01"), ("VV", "01"),
        ("01", "01"), ("1", "01"), ("Vĩnh viễn (VV)", "01"), ("01 - Vĩnh viễn", "01"),
        ("70 năm", "02"), ("70 nam", "02"), ("70N", "02"), ("70", "02"), ("02", "02"),
        ("50 năm", "03"), ("30 năm", "04"), ("20 nam", "05"), ("05", "05"), ("5", "05"),
        ("10 năm", "06"), ("10", "06"), ("Khác", "07"), ("07", "07"),
        ("15 năm", "07"), ("5 năm", "07"),  # real periods outside the table → Khác
        ("02 (70 năm)", "02"),
        ("02 - Vĩnh viễn", None),  # code and label disagree
        ("Lâu dài", None),  # pre-2011 term, NOT permanent
        ("Tạm thời", None), ("08", None), ("0", None), ("15", None), ("", None), ("abc", None),
    ],
)
def test_parse_retention(text, code):
    assert F.parse_retention(text) == code


@given(st.sampled_from(list(F.RETENTION.values())), st.sampled_from(["", " ", "  "]))
def test_retention_labels_and_codes_recognised_in_any_case(ret, pad):
    for form in (ret.label, ret.label.upper(), F.fold(ret.label), ret.code):
        assert F.parse_retention(pad + form + pad) == ret.code


@pytest.mark.parametrize(
    "text, mode",
    [
        ("Công khai", "public"), ("cong khai", "public"), ("CÔNG KHAI", "public"),
        ("Hạn chế", "restricted"), ("han che", "restricted"), ("Hạn chế sử dụng", "restricted"),
        ("Mật", "confidential"), ("mat", "confidential"), ("Tối mật", "confidential"),
        ("public", "public"), ("Nội bộ", None), ("", None), ("Lưu hành nội bộ", None),
    ],
)
def test_parse_access_mode(text, mode):
    assert F.parse_access_mode(text) == mode


def test_access_modes_and_fail_closed_default():
    assert F.ACCESS_MODES == {"public": "Công khai", "restricted": "Hạn chế",
                              "confidential": "Mật"}
    assert F.DEFAULT_ACCESS_MODE == "restricted"
    for code, label in F.ACCESS_MODES.items():
        assert F.parse_access_mode(label) == code


@pytest.mark.parametrize(
    "text, codes",
    [("Tiếng Việt", "vi"), ("tieng viet", "vi"), ("Tiếng Việt, Tiếng Pháp", "vi,fr"),
     ("Việt và Pháp", "vi,fr"), ("vi", "vi"), ("Tiếng Đức", None), ("Việt, Klingon", None)],
)
def test_parse_languages(text, codes):
    assert F.parse_languages(text) == codes


# ------------------------------------------------------------------ text helpers


@given(st.text())
def test_fold_is_idempotent_ascii_and_nfc_stable(s):
    k = F.fold(s)
    assert F.fold(k) == k
    assert set(k) <= set(string.ascii_lowercase + string.digits + " ")
    assert F.nfc(F.nfc(s)) == F.nfc(s)
    assert F.fold(unicodedata.normalize("NFD", s)) == F.fold(unicodedata.normalize("NFC", s))


def test_fold_strips_vietnamese_diacritics():
    assert F.fold("Số, ký hiệu HS") == "so ky hieu hs"
    assert F.fold("Đến ngày") == "den ngay"
    assert F.fold("  Thời   hạn\u00a0BQ ") == "thoi han bq"


# ------------------------------------------------------------------ file codes


def test_file_code_examples_from_domain():
    assert F.build_file_code_2019("000.00.00.G09", 2010, "01", "TH") == "000.00.00.G09.2010.01.TH"
    assert F.parse_file_code_2019("000.00.00.G09.2010.01.TH") == {
        "agency_code": "000.00.00.G09", "year": 2010, "catalog": "01", "notation": "TH"}
    assert F.build_file_code_2025("PARTCODE", "G09", 2021, 1, 1) == "PARTCODE.G09.2021.01.001"
    assert F.parse_file_code_2025("PARTCODE.G09.2021.01.001") == {
        "archive_code": "PARTCODE", "agency_code": "G09", "year": 2021,
        "submission_no": 1, "sequence": 1}
    # agency codes with dots are fine in the 2025 style too; wide sequences are kept
    assert F.parse_file_code_2025("H01.000.00.00.G09.2021.12.1234")["sequence"] == 1234


@pytest.mark.parametrize(
    "code",
    ["", "TH", "000.00.00.G09.2010.01", "000.00.00.G09.10.01.TH", "G09.2010.01.T H",
     "G09.2010.01.TH.", ".G09.2010.01.TH", "G09.2010.01234.TH", "G09..2010.01.TH",
     "G09.2010.01.Hồ", "A" * 20 + ".2010.01.TH"],
)
def test_parse_file_code_2019_rejects(code):
    with pytest.raises(ValueError):
        F.parse_file_code_2019(code)


@pytest.mark.parametrize(
    "code",
    ["", "PARTCODE.G09.2021.01", "PARTCODE.G09.2021.1.001", "PARTCODE.G09.2021.01.01",
     "PARTCODE.G09.2021.001.001", "PARTCODE.G09.2021.01.0001", "PARTCODE.G09.21.01.001",
     "G09.2021.01.001", "PART CODE.G09.2021.01.001", "PARTCODEPARTCODE.G09.G09.2021.01.001"],
)
def test_parse_file_code_2025_rejects(code):
    with pytest.raises(ValueError):
        F.parse_file_code_2025(code)


@pytest.mark.parametrize(
    "args",
    [("", 2010, "01", "TH"), ("G09", 210, "01", "TH"), ("G09", 2010, "12345", "TH"),
     ("G09", 2010, "01", "T.H"), ("G09", 2010, "01", "15/HS"), ("G09", 2010, "1", "X" * 21),
     ("000.00.00.G09", 2010, "01", "ABCDEFGHIJ")],  # last: 31 characters
)
def test_build_file_code_2019_rejects(args):
    with pytest.raises(ValueError):
        F.build_file_code_2019(*args)


@pytest.mark.parametrize(
    "args",
    [("A.B", "G09", 2021, 1, 1), ("P", "G09", 2021, -1, 1), ("P", "G09", 2021, 1, True),
     ("P", "G 09", 2021, 1, 1), ("P", "G09", 20210, 1, 1),
     ("PARTCODEPARTCODE", "000.00.00.G09", 2021, 1, 1)],
)
def test_build_file_code_2025_rejects(args):
    with pytest.raises(ValueError):
        F.build_file_code_2025(*args)


_seg = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=8)
_agency = st.lists(_seg, min_size=1, max_size=4).map(".".join)
_year = st.integers(1000, 9999)


@given(_agency, _year, st.from_regex(r"\A\d{1,4}\Z"), _seg)
def test_file_code_2019_round_trip(agency, year, catalog, notation):
    try:
        code = F.build_file_code_2019(agency, year, catalog, notation)
    except ValueError:
        assume(False)
    assert len(code) <= 30
    parsed = F.parse_file_code_2019(code)
    assert parsed == {"agency_code": agency, "year": year, "catalog": catalog,
                      "notation": notation}
    assert F.build_file_code_2019(**parsed) == code


@given(_seg.filter(lambda s: "." not in s), _agency, _year, st.integers(0, 999),
       st.integers(0, 99999))
def test_file_code_2025_round_trip(archive, agency, year, sub, seq):
    try:
        code = F.build_file_code_2025(archive, agency, year, sub, seq)
    except ValueError:
        assume(False)
    assert len(code) <= 30
    assert F.FILE_CODE_2025_RE.match(code)
    parsed = F.parse_file_code_2025(code)
    assert parsed == {"archive_code": archive, "agency_code": agency, "year": year,
                      "submission_no": sub, "sequence": seq}
    assert F.build_file_code_2025(**parsed) == code


@given(st.text(max_size=40))
def test_file_code_parsers_never_crash_other_than_value_error(s):
    for parse in (F.parse_file_code_2019, F.parse_file_code_2025):
        try:
            out = parse(s)
        except ValueError:
            continue
        assert len(s) <= 30 and isinstance(out["year"], int)
