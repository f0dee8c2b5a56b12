"""Description (issue 13): segmentation and field reading on page texts (no OCR here)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sohoa.core import fields as F
from sohoa.description import layout as L
from sohoa.description.casing import compose_organ, organ_case, title_case
from sohoa.description.extract import JSON_KEYS, PageText, describe_pages
from sohoa.description.readings import parse_issued, parse_number_notation

QD = """ỦY BAN NHÂN DÂN
QUẬN HOÀN KIẾM
Số: 155/QĐ-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Hoàn Kiếm, ngày 05 tháng 6 năm 2025
QUYẾT ĐỊNH
Về việc thành lập Tổ công tác rà soát hồ sơ
lưu trữ năm 2025
CHỦ TỊCH ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
QUYẾT ĐỊNH:
Điều 1. Thành lập Tổ công tác rà soát hồ sơ lưu trữ của quận."""

SIGNED = """Điều 3. Quyết định này có hiệu lực kể từ ngày ký./.
Nơi nhận:
- Như Điều 3;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Nguyễn Văn An"""

CV = """UBND THÀNH PHỐ HÀ NỘI
SỞ NỘI VỤ
Số: 1535/SNV-CCVC
V/v hướng dẫn chỉnh lý tài liệu
lưu trữ năm 2025
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Hà Nội, ngày 12 tháng 02 năm 2025
Kính gửi: Các cơ quan, đơn vị trực thuộc
Thực hiện Kế hoạch của Ủy ban nhân dân thành phố, Sở Nội vụ hướng dẫn như sau:
Đề nghị các đơn vị nghiêm túc thực hiện./.
Nơi nhận:
- Như trên;
- Lưu: VT.
KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC
Trần Thị Bình"""

KH = """ỦY BAN NHÂN DÂN
XÃ CỔ LOA
Số: 21/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Cổ Loa, ngày 03 tháng 9 năm 2021
KẾ HOẠCH
Số hóa tài liệu lưu trữ năm 2021
I. MỤC ĐÍCH, YÊU CẦU
Bảo đảm toàn bộ hồ sơ được số hóa đúng quy định."""

TTR = """UBND HUYỆN ĐÔNG ANH
PHÒNG TÀI NGUYÊN VÀ MÔI
TRƯỜNG
Số: 7/TTr-TNMT
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Đông Anh, ngày 20 tháng 10 năm 2022
TỜ TRÌNH
Về việc phê duyệt phương án sử dụng đất
Kính gửi: Ủy ban nhân dân huyện Đông Anh
Phòng Tài nguyên và Môi trường kính trình Ủy ban nhân dân huyện xem xét./.
Nơi nhận:
- Như trên;
- Lưu: VT.
TRƯỞNG PHÒNG
Lê Minh Châu"""

CONTINUATION = "2\nĐiều 2. Tổ công tác có nhiệm vụ rà soát, lập danh mục hồ sơ.\n" + SIGNED
APPENDIX = """Phụ lục
DANH SÁCH THÀNH VIÊN
(Kèm theo Quyết định số 155/QĐ-UBND ngày 05/6/2025 của Ủy ban nhân dân quận Hoàn Kiếm)
1. Nguyễn Văn An
2. Trần Thị Bình"""


def pages(*texts: str) -> list[PageText]:
    return [PageText(i, t) for i, t in enumerate(texts, 1)]


# ------------------------------------------------------------------ typical first pages

def test_quyet_dinh_with_continuation_page():
    [d] = describe_pages(pages(QD, CONTINUATION))
    assert (d.ordinal, d.page_from, d.page_to, d.page_amount) == (1, 1, 2, 2)
    assert d.type_name == "Quyết định"
    assert (d.code_number, d.code_notation) == ("155", "QĐ-UBND")
    assert d.issued_date == date(2025, 6, 5) and (d.issued_year, d.issued_month) == (2025, 6)
    assert d.organ_name == "Ủy ban nhân dân quận Hoàn Kiếm"
    assert d.subject == "Về việc thành lập Tổ công tác rà soát hồ sơ lưu trữ năm 2025"
    assert (d.signer, d.signer_title) == ("Nguyễn Văn An", "TM. Ủy ban nhân dân, Chủ tịch")
    assert d.review == [] and d.secrecy is None and d.language == "vi"
    assert set(d.to_json()) == set(JSON_KEYS)


def test_cong_van_subject_is_the_v_v_lines_and_organ_is_expanded():
    [d] = describe_pages(pages(CV))
    assert d.type_name == "Công văn"
    assert (d.code_number, d.code_notation) == ("1535", "SNV-CCVC")
    assert d.subject == "V/v hướng dẫn chỉnh lý tài liệu lưu trữ năm 2025"
    assert d.organ_name == "Sở Nội vụ thành phố Hà Nội"
    assert d.issued_date == date(2025, 2, 12)
    assert (d.signer, d.signer_title) == ("Trần Thị Bình", "KT. Giám đốc, Phó Giám đốc")


def test_ke_hoach_and_to_trinh():
    kh, ttr = describe_pages(pages(KH, TTR))
    assert (kh.type_name, kh.code_notation, kh.subject) == ("Kế hoạch", "KH-UBND",
                                                             "Số hóa tài liệu lưu trữ năm 2021")
    assert kh.issued_date == date(2021, 9, 3) and kh.organ_name == "Ủy ban nhân dân xã Cổ Loa"
    assert (kh.page_from, kh.page_to, ttr.page_from, ttr.page_to) == (1, 1, 2, 2)
    assert ttr.type_name == "Tờ trình" and (ttr.code_number, ttr.code_notation) == ("7", "TTr-TNMT")
    # the organ's name wraps over two lines under its parent
    assert ttr.organ_name == "Phòng Tài nguyên và Môi trường huyện Đông Anh"
    assert ttr.subject == "Về việc phê duyệt phương án sử dụng đất"
    assert (ttr.signer, ttr.signer_title) == ("Lê Minh Châu", "Trưởng phòng")
    assert "signer" not in kh.review or kh.signer is None  # KH here has no signature page
    assert "signer" in kh.review


def test_appendix_and_continuation_pages_stay_with_their_document():
    docs = describe_pages(pages(QD, CONTINUATION, APPENDIX, CV, KH))
    assert [(d.page_from, d.page_to) for d in docs] == [(1, 3), (4, 4), (5, 5)]
    assert [d.type_name for d in docs] == ["Quyết định", "Công văn", "Kế hoạch"]
    assert [d.ordinal for d in docs] == [1, 2, 3]
    # the signature sits on page 2, before the appendix
    assert docs[0].signer == "Nguyễn Văn An"


# ------------------------------------------------------------------ blanks, handwriting

def test_date_without_day_keeps_year_and_month_and_is_flagged():
    text = QD.replace("ngày 05 tháng 6", "ngày      tháng 6")
    [d] = describe_pages(pages(text, CONTINUATION))
    assert d.issued_date is None and (d.issued_year, d.issued_month) == (2025, 6)
    assert "issued_date" in d.review and "ngày" in d.reasons["issued_date"]
    assert d.to_json()["issued_date"] is None


@pytest.mark.parametrize("so", ["Số:      /QĐ-UBND", "Số: /QĐ-UBND", "Số: 4/35 /QĐ-UBND", "Số: l5S/QĐ-UBND"])
def test_blank_or_handwritten_number_is_null_and_flagged(so):
    [d] = describe_pages(pages(QD.replace("Số: 155/QĐ-UBND", so), CONTINUATION))
    assert d.code_number is None and d.code_notation == "QĐ-UBND"
    assert "code_number" in d.review and d.reasons["code_number"]
    assert d.confidence["code_number"] == 0.0


def _ocr_lines(text: str, low: dict[int, float] | None = None) -> list[dict]:
    """Line records as recognition.line_records makes them: header in two columns."""
    out = []
    for i, t in enumerate(text.splitlines()):
        right = i in (3, 4, 5)  # motto and date: top right
        x, y = (900, 80 + (i - 3) * 50) if right else (150, 80 + i * 50) if i < 3 else (150, 400 + i * 50)
        conf = (low or {}).get(i, 92.0)
        out.append({"text": t, "conf": conf, "min_conf": conf, "bbox": [x, y, 500 if i < 6 else 1300, 40]})
    return out


def test_single_digit_day_is_not_taken_as_typed():
    """Typed days below 10 have a leading zero (NĐ 30/2020): "ngày 5" is most often handwritten."""
    [d] = describe_pages(pages(QD.replace("ngày 05 tháng 6", "ngày 5 tháng 6"), CONTINUATION))
    assert d.issued_date is None and (d.issued_year, d.issued_month) == (2025, 6)
    assert "issued_date" in d.review and "số 0" in d.reasons["issued_date"]
    [t] = describe_pages(pages(QD.replace("ngày 05 tháng 6", "ngày 15 tháng 6"), CONTINUATION))
    assert t.issued_date == date(2025, 6, 15)


def test_number_line_that_lost_its_label():
    [d] = describe_pages(pages(QD.replace("Số: 155/QĐ-UBND", "/QĐ-UBND"), CONTINUATION))
    assert d.code_notation == "QĐ-UBND" and d.code_number is None and "code_number" in d.review
    assert d.organ_name == "Ủy ban nhân dân quận Hoàn Kiếm"


def test_low_confidence_digits_are_not_taken():
    """Handwriting reads as digits of low confidence: never used as the number or day."""
    lines = _ocr_lines(QD, low={2: 41.0, 5: 38.0})
    [d] = describe_pages([PageText(1, QD, lines, 1654, 2339)])
    assert d.code_number is None and d.issued_date is None
    assert {"code_number", "issued_date"} <= set(d.review)
    assert d.code_notation == "QĐ-UBND" and (d.issued_year, d.issued_month) == (2025, 6)
    [ok] = describe_pages([PageText(1, QD, _ocr_lines(QD), 1654, 2339)])
    assert ok.code_number == "155" and ok.issued_date == date(2025, 6, 5)
    assert ok.confidence["code_number"] == pytest.approx(0.92)


def test_merged_header_line_is_split_into_organ_and_motto():
    """OCR joins the two header columns into one line: the organ is the left piece."""
    text = ("UBND THÀNH PHÓ ĐÀ NẴNG CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "SỞ GIÁO DỤC VÀ ĐÀO TẠO Độc lập - Tự do - Hạnh phúc\n"
            "Sé: 1906 /SGDĐT-CTrTT Đà Nẵng, ngày 26tháng 7 năm 2020\n"
            "V/v khẩn trương thực hiện các biện\npháp phòng, chống dịch\nKính gửi: Các trường")
    [d] = describe_pages(pages(text))
    assert d.organ_name == "Sở Giáo dục và Đào tạo thành phố Đà Nẵng"
    assert (d.code_number, d.code_notation) == ("1906", "SGDĐT-CTrTT")
    assert d.issued_date == date(2020, 7, 26)
    assert d.subject == "V/v khẩn trương thực hiện các biện pháp phòng, chống dịch"


# ------------------------------------------------------------------ marks, Khác, lengths

@pytest.mark.parametrize("mark", ["MẬT", "TỐI MẬT", "TUYỆT MẬT"])
def test_secrecy_mark_is_detected_and_flagged(mark):
    [d] = describe_pages(pages(QD.replace("Số: 155/QĐ-UBND", f"Số: 155/QĐ-UBND\n{mark}"), CONTINUATION))
    assert d.secrecy == mark and d.urgency is None
    assert "secrecy" in d.review and "chế độ sử dụng" in d.reasons["secrecy"]
    assert d.code_number == "155"


def test_urgency_mark_and_mat_tran_is_not_a_secret():
    head = QD.replace("ỦY BAN NHÂN DÂN\nQUẬN HOÀN KIẾM", "ỦY BAN MẶT TRẬN TỔ QUỐC\nQUẬN HOÀN KIẾM")
    [d] = describe_pages(pages(head.replace("Số: 155/QĐ-UBND", "Số: 155/QĐ-UBND\nHỎA TỐC"), CONTINUATION))
    assert d.urgency == "HỎA TỐC" and d.secrecy is None and "secrecy" not in d.review
    [plain] = describe_pages(pages(CV.replace("V/v hướng dẫn", "V/v khẩn trương hướng dẫn")))
    assert plain.urgency is None  # "khẩn" inside the subject is no mark


def test_no_header_is_one_document_of_type_khac():
    note = "Sơ đồ vị trí khu đất\nTỷ lệ 1:500\nThửa đất số 12, tờ bản đồ số 3"
    [d] = describe_pages(pages(note, "", "ghi chú viết tay"))
    assert (d.type_name, d.page_from, d.page_to) == (L.OTHER_TYPE, 1, 3)
    assert d.review == ["type_name"] and d.reasons["type_name"]
    # pages before the first header form their own "Khác" document
    docs = describe_pages(pages(note, QD, CONTINUATION))
    assert [(d.type_name, d.page_from, d.page_to) for d in docs] == [("Khác", 1, 1), ("Quyết định", 2, 3)]
    assert describe_pages([]) == []


def test_type_title_and_notation_disagree_is_flagged():
    [d] = describe_pages(pages(QD.replace("155/QĐ-UBND", "155/BC-UBND"), CONTINUATION))
    assert d.type_name == "Quyết định" and "type_name" in d.review


def test_lengths_of_the_document_field_table_are_enforced():
    long_subject = "Về việc " + " ".join(["rà soát hồ sơ lưu trữ"] * 40)
    text = QD.replace("Về việc thành lập Tổ công tác rà soát hồ sơ\nlưu trữ năm 2025", long_subject)
    [d] = describe_pages(pages(text, CONTINUATION))
    assert len(d.subject) <= F.MAX_SUBJECT == 500 and d.subject.startswith("Về việc rà soát")
    assert "subject" in d.review and "500" in d.reasons["subject"]
    [n] = describe_pages(pages(QD.replace("155/", "123456789012/"), CONTINUATION))
    assert n.code_number is None and "code_number" in n.review  # > 11 digits


def test_text_without_diacritics_from_ocr():
    text = ("UY BAN NHAN DAN\nQUAN HOAN KIEM\nS6: 12/QD-UBND\nCONG HOA XA HOI CHU NGHIA VIET NAM\n"
            "Doc lap - Tu do - Hanh phuc\nHoan Kiem, ngay 05 thang 6 nam 2025\nQUYET DINH\n"
            "Ve viec thanh lap to cong tac\nCan cu Luat To chuc chinh quyen dia phuong;")
    [d] = describe_pages(pages(text))
    assert d.type_name == "Quyết định" and d.code_number == "12" and d.code_notation == "QĐ-UBND"
    assert d.issued_date == date(2025, 6, 5)
    assert d.organ_name == "Ủy ban nhân dân quận Hoàn Kiếm"
    assert d.subject == "Ve viec thanh lap to cong tac"


# ------------------------------------------------------------------ casing rules

def test_organ_and_title_casing():
    assert organ_case("SỞ GIÁO DỤC VÀ ĐÀO TẠO") == "Sở Giáo dục và Đào tạo"
    assert organ_case("UBND THÀNH PHÓ ĐÀ NẴNG") == "Ủy ban nhân dân thành phố Đà Nẵng"
    assert compose_organ(["HĐND", "XÃ UY NỖ"]) == "Hội đồng nhân dân xã Uy Nỗ"
    assert compose_organ(["UBND HUYỆN ĐÔNG ANH", "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG"]) == \
        "Phòng Tài nguyên và Môi trường huyện Đông Anh"
    assert compose_organ([]) is None
    assert title_case("KT. GIÁM ĐÓC") == "KT. Giám đốc"
    assert title_case("PHÓ CHỦ TỊCH") == "Phó Chủ tịch"
    assert title_case("TM. ỦY BAN NHÂN DÂN") == "TM. Ủy ban nhân dân"


def test_layout_table_is_consistent():
    names = [t.name for t in L.DOC_TYPES]
    assert len(names) == len(set(names)) and L.CONG_VAN in names
    assert L.TYPE_BY_ABBR["QĐ"] == "Quyết định" and L.TYPE_BY_ABBR["TTr"] == "Tờ trình"
    assert L.ABBR_BY_TYPE["Công văn"] is None
    assert L.MOTTO_1_RE.search("cong hoa xa hoi chu nghia viet nam")
    assert L.MARK_BY_FOLD["toi mat"] == ("secrecy", "TỐI MẬT")
    assert L.ORGAN_ABBREVIATIONS["UBND"] == "Ủy ban nhân dân"


# ------------------------------------------------------------------ parsers (hypothesis)

ABBRS = [t.abbr for t in L.DOC_TYPES if t.abbr]
ORGANS = ["UBND", "SNV", "SGDĐT", "TNMT", "HĐND", "VP"]


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 99_999), abbr=st.sampled_from(ABBRS + [None]), organ=st.sampled_from(ORGANS),
       unit=st.sampled_from([None, "VP", "CTrTT"]), sep=st.sampled_from(["", " ", "  "]),
       label=st.sampled_from(["Số:", "Số :", "So:", "S6:", "Sé:"]))
def test_number_notation_round_trip(n, abbr, organ, unit, sep, label):
    notation = "-".join(x for x in (abbr, organ, unit) if x)
    r = parse_number_notation(f"{label} {n}{sep}/{notation}")
    assert (r.number, r.notation, r.problem) == (str(n), notation, None)
    blank = parse_number_notation(f"{label}{' ' * 6}/{notation}")
    assert blank.number is None and blank.notation == notation and blank.problem


@settings(max_examples=200, deadline=None)
@given(d=st.dates(date(1945, 1, 1), date(2099, 12, 31)), pad=st.booleans(),
       place=st.sampled_from(["Hà Nội", "Hoàn Kiếm", "Thành phố Hồ Chí Minh", "Đà Nẵng"]),
       accents=st.booleans(), day_blank=st.booleans())
def test_issued_date_round_trip(d, pad, place, accents, day_blank):
    day = f"{d.day:02d}" if pad else str(d.day)
    month = f"{d.month:02d}" if pad and d.month < 3 else str(d.month)
    line = f"{place}, ngày {'     ' if day_blank else day} tháng {month} năm {d.year}"
    if not accents:
        line = F.fold(line).replace(" ngay ", ", ngay ")
    r = parse_issued(line)
    assert (r.month, r.year) == (d.month, d.year)
    if day_blank:
        assert r.day is None and r.date is None and r.problem
    else:
        assert r.date == d and r.problem is None
    if accents:
        assert r.place == place


def test_impossible_dates_are_not_taken():
    assert parse_issued("Hà Nội, ngày 31 tháng 2 năm 2020").date is None
    assert parse_issued("Hà Nội, ngày 31 tháng 2 năm 2020").problem
    assert parse_issued("Hà Nội, ngày 5 tháng 13 năm 2020").month is None
    assert parse_issued("không có ngày").problem


@settings(max_examples=100, deadline=None)
@given(kinds=st.lists(st.sampled_from(["first", "cont", "appendix", "blank"]), min_size=1, max_size=12))
def test_every_page_in_exactly_one_document_in_order(kinds):
    texts = {"first": QD, "cont": CONTINUATION, "appendix": APPENDIX, "blank": ""}
    docs = describe_pages(pages(*(texts[k] for k in kinds)))
    covered = [p for d in docs for p in range(d.page_from, d.page_to + 1)]
    assert covered == list(range(1, len(kinds) + 1))
    assert [d.ordinal for d in docs] == list(range(1, len(docs) + 1))
    expected_starts = [i + 1 for i, k in enumerate(kinds) if k == "first"]
    starts = [d.page_from for d in docs if d.type_name != L.OTHER_TYPE]
    assert starts == expected_starts
    assert all(d.type_name == L.OTHER_TYPE for d in docs if d.page_from not in expected_starts)


# ------------------------------------------------------------------ document codes

@settings(max_examples=100, deadline=None)
@given(seq=st.integers(1, 999), ordinal=st.integers(1, 9999))
def test_document_code_is_file_code_dot_ordinal(seq, ordinal):
    file_code = F.build_file_code_2025("HN", "G09", 2021, 1, seq)
    code = F.build_document_code(file_code, ordinal)
    assert code.startswith(file_code + ".") and code == f"{file_code}.{ordinal:03d}"
    assert F.parse_document_code(code) == {"file_code": file_code, "ordinal": ordinal}


def test_document_code_limits():
    with pytest.raises(ValueError):
        F.build_document_code("PARTCODE.G09.2021.01.001", 2)  # 28 > DocCode's 25
    assert F.build_document_code("PARTCODE.G09.2021.01.001", 2, max_length=None).endswith(".002")
    for bad in (0, 10_000, True, "1"):
        with pytest.raises(ValueError):
            F.build_document_code("G09.2021.01.001", bad)
    with pytest.raises(ValueError):
        F.parse_document_code("G09.2021.01.001.0002")  # non-canonical padding


# ------------------------------------------------------------------ OCR line geometry

def _rec(text, x, y, w, h=34, conf=93.0):
    return {"text": text, "conf": conf, "min_conf": conf, "bbox": [x, y, w, h]}


HEADER_RECS = [
    _rec("ỦY BAN NHÂN DÂN", 291, 159, 335), _rec("HUYỆN ĐÔNG ANH", 290, 206, 335),
    _rec("~. #4", 323, 267, 77, conf=68.0),  # handwriting noise above the number
    _rec("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 766, 158, 725),
    _rec("Độc lập - Tự do - Hạnh phúc", 895, 212, 467),
    _rec("Số:", 301, 283, 43, 24), _rec("/BC-UBND", 446, 283, 171, 24),
    _rec("Đông Anh, ngày 14 tháng 2 năm 2023", 826, 292, 605),
    _rec("BÁO CÁO", 781, 418, 210, 43), _rec("Kết quả công tác năm 2022", 593, 476, 585),
    _rec("I. KẾT QUẢ THỰC HIỆN", 338, 558, 444),
]


def test_number_row_split_by_the_handwriting_gap_is_joined():
    [d] = describe_pages([PageText(1, "", HEADER_RECS, 1654, 2339)])
    assert d.type_name == "Báo cáo" and d.code_notation == "BC-UBND"
    assert d.code_number is None and "code_number" in d.review
    assert d.organ_name == "Ủy ban nhân dân huyện Đông Anh"  # the noise beside "Số" is not organ
    assert d.subject == "Kết quả công tác năm 2022" and d.issued_date == date(2023, 2, 14)


def test_dropped_slash_keeps_a_number_before_a_known_abbreviation_but_flags_it():
    r = parse_number_notation("Số: 7KH-UBND")
    assert (r.number, r.notation) == ("7", "KH-UBND") and r.problem
    [d] = describe_pages(pages(QD.replace("155/QĐ-UBND", "155QĐ-UBND"), CONTINUATION))
    assert d.code_number == "155" and "code_number" in d.review and d.confidence["code_number"] <= 0.5
    assert parse_number_notation("Số: 7 ngày").number is None  # no notation: nothing taken


def test_signer_name_without_its_title_is_taken_and_the_title_flagged():
    last = [_rec("Nơi nhận:", 236, 1707, 139), _rec("- Như trên;", 237, 1748, 135),
            _rec("- Lưu: VT.", 237, 1828, 133), _rec("Lê Ngọc Dung", 1045, 1973, 238)]
    recs = HEADER_RECS + [_rec("Đề nghị các đơn vị thực hiện./.", 336, 1580, 900)] + last
    [d] = describe_pages([PageText(1, "", recs, 1654, 2339)])
    assert d.signer == "Lê Ngọc Dung" and d.signer_title is None
    assert "signer_title" in d.review and "signer" not in d.review


def test_header_without_number_or_type_is_khac_for_review():
    petition = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
                "Hà Nội, ngày 03 tháng 4 năm 2024\nĐƠN ĐỀ NGHỊ\nKính gửi: Ủy ban nhân dân phường")
    docs = describe_pages(pages(QD, CONTINUATION, petition))
    assert [(d.type_name, d.page_from) for d in docs] == [("Quyết định", 1), ("Khác", 3)]
    assert "type_name" in docs[1].review and docs[1].issued_date == date(2024, 4, 3)


def test_appendix_is_a_second_reading_of_number_and_date():
    from sohoa.description.extract import appendix_reference

    assert appendix_reference(APPENDIX) == ("155", date(2025, 6, 5))
    [same] = describe_pages(pages(QD, CONTINUATION, APPENDIX))
    assert same.code_number == "155" and same.issued_date == date(2025, 6, 5) and same.review == []
    [other] = describe_pages(pages(QD.replace("155/", "156/").replace("ngày 05", "ngày 06"),
                                   CONTINUATION, APPENDIX))
    assert other.code_number is None and other.issued_date is None  # a conflict: neither kept
    assert {"code_number", "issued_date"} <= set(other.review)
    assert "phụ lục" in other.reasons["code_number"]


def test_describe_groups_inputs_into_files(tmp_path):
    from sohoa.description.describe import _groups

    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b / "sub"):
        d.mkdir(parents=True)
    for p in (a / "0001.jpg", a / "0002.jpg", b / "x.pdf", b / "sub" / "1.png", b / "sub" / "2.png"):
        p.write_bytes(b"")
    groups = _groups([str(a / "0002.jpg"), str(a / "0001.jpg"), str(b / "x.pdf"), str(b), "notes.txt"])
    assert [(label, [p.name for p in files]) for label, files in groups] == [
        (str(a), ["0002.jpg", "0001.jpg"]),  # images given together: one file, in the order given
        (str(b / "x.pdf"), ["x.pdf"]),
        (str(b / "x.pdf"), ["x.pdf"]), (str(b / "sub"), ["1.png", "2.png"]),  # a folder
        ("notes.txt", ["notes.txt"]),  # not readable: reported as an error object later
    ]
