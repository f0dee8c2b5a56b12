"""The NĐ 30/2020/NĐ-CP layout rules, in one table (DOMAIN.md "Documents and their layout").

Everything the extractor matches is written here once, as printed, and matched on
*folded* text (``sohoa.core.fields.fold``: no diacritics, lower case) because OCR drops
or confuses Vietnamese tone marks ("QUYÉT ĐỊNH", "CỘNG HOÀ", "Sé:"):

* document types and their abbreviations (Phụ lục III; Công văn has none);
* the national motto, in the 2020 spelling "CỘNG HÒA" and the older "CỘNG HOÀ";
* confidentiality and urgency marks;
* organ abbreviations used in headers, notations and signature blocks;
* the signing-authority prefixes (TM., KT., TL., TUQ., Q.);
* words of administrative units (written in lower case inside a name) and organ words
  with their printed casing (used to restore "SỞ GIÁO DỤC VÀ ĐÀO TẠO" → "Sở Giáo dục và
  Đào tạo" and OCR's "THÀNH PHÓ" → "thành phố").

Pure data and tiny helpers; no OCR, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.core.fields import fold


@dataclass(frozen=True)
class DocType:
    name: str  # as stored (TypeName): "Quyết định"
    abbr: str | None  # Phụ lục III abbreviation in the notation: "QĐ"; None for Công văn
    old_abbrs: tuple[str, ...] = ()  # abbreviations of TT 01/2011 (older records)


#: Phụ lục III of NĐ 30/2020 (older TT 01/2011 abbreviations beside them).
DOC_TYPES: tuple[DocType, ...] = (
    DocType("Nghị quyết", "NQ"),
    DocType("Quyết định", "QĐ"),
    DocType("Chỉ thị", "CT"),
    DocType("Quy chế", "QC"),
    DocType("Quy định", "QyĐ", ("QĐi",)),
    DocType("Thông cáo", "TC"),
    DocType("Thông báo", "TB"),
    DocType("Hướng dẫn", "HD"),
    DocType("Chương trình", "CTr"),
    DocType("Kế hoạch", "KH"),
    DocType("Phương án", "PA"),
    DocType("Đề án", "ĐA"),
    DocType("Dự án", "DA"),
    DocType("Báo cáo", "BC"),
    DocType("Biên bản", "BB"),
    DocType("Tờ trình", "TTr"),
    DocType("Hợp đồng", "HĐ"),
    DocType("Công điện", "CĐ"),
    DocType("Bản ghi nhớ", "BGN"),
    DocType("Bản thỏa thuận", "BTT"),
    DocType("Giấy ủy quyền", "GUQ", ("UQ",)),
    DocType("Giấy mời", "GM"),
    DocType("Giấy giới thiệu", "GGT", ("GT",)),
    DocType("Giấy nghỉ phép", "GNP", ("NP",)),
    DocType("Phiếu gửi", "PG"),
    DocType("Phiếu chuyển", "PC"),
    DocType("Phiếu báo", "PB"),
    DocType("Công văn", None),
)
CONG_VAN = "Công văn"
#: A file part with no recognisable header (a map, a handwritten note, a form).
OTHER_TYPE = "Khác"

#: folded printed title ("quyet dinh") → type name
TYPE_BY_TITLE: dict[str, str] = {fold(t.name): t.name for t in DOC_TYPES if t.abbr}
#: abbreviation, exact case ("QĐ", "TTr") → type name; folded keys as a fallback
TYPE_BY_ABBR: dict[str, str] = {}
for _t in DOC_TYPES:
    for _a in ((_t.abbr,) if _t.abbr else ()) + _t.old_abbrs:
        TYPE_BY_ABBR[_a] = _t.name
TYPE_BY_FOLDED_ABBR: dict[str, str] = {}
for _a, _n in TYPE_BY_ABBR.items():
    TYPE_BY_FOLDED_ABBR.setdefault(fold(_a), _n)
ABBR_BY_TYPE: dict[str, str | None] = {t.name: t.abbr for t in DOC_TYPES}

# ----------------------------------------------------------------------- motto
#: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc", folded
#: (so CỘNG HÒA, CỘNG HOÀ and OCR without diacritics are the same). Patterns on
#: folded text tolerate split or glued words ("chu nghia" / "chunghia").
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_1_OLD = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
MOTTO_1_RE = re.compile(r"c\s?[o0]\s?n\s?g\s*h\s?[o0]\s?a\s*x\s?a\s*h\s?[o0]\s?i|x\s?a\s*h\s?[o0]\s?i\s*c\s?h\s?u\s*n\s?g\s?h\s?i\s?a")
MOTTO_2_RE = re.compile(r"d\s?[o0]\s?c\s*l\s?a\s?p\W*t\s?u\s*d\s?[o0]|t\s?u\s*d\s?[o0]\W*h\s?a\s?n\s?h\s*p\s?h\s?u\s?c")

# ----------------------------------------------------------------------- marks
#: Confidentiality marks (độ mật), strongest first so "TỐI MẬT" is not read as "MẬT".
SECRECY_MARKS: tuple[str, ...] = ("TUYỆT MẬT", "TỐI MẬT", "MẬT")
#: Urgency marks (độ khẩn), strongest first.
URGENCY_MARKS: tuple[str, ...] = ("HỎA TỐC", "THƯỢNG KHẨN", "KHẨN")
#: folded → printed, e.g. "toi mat" → "TỐI MẬT" (also "HOẢ TỐC", the old spelling)
MARK_BY_FOLD: dict[str, tuple[str, str]] = {
    **{fold(m): ("secrecy", m) for m in SECRECY_MARKS},
    **{fold(m): ("urgency", m) for m in URGENCY_MARKS},
}

# ---------------------------------------------------------- organ abbreviations
#: Abbreviations printed in headers, notations and signature blocks → full words.
ORGAN_ABBREVIATIONS: dict[str, str] = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "UBMTTQ": "Ủy ban Mặt trận Tổ quốc",
    "MTTQ": "Mặt trận Tổ quốc",
    "TP.": "thành phố",
    "TP": "thành phố",
    "GD&ĐT": "Giáo dục và Đào tạo",
    "GDĐT": "Giáo dục và Đào tạo",
    "TN&MT": "Tài nguyên và Môi trường",
    "TNMT": "Tài nguyên và Môi trường",
    "LĐTBXH": "Lao động - Thương binh và Xã hội",
    "LĐ-TB&XH": "Lao động - Thương binh và Xã hội",
    "VH&TT": "Văn hóa và Thông tin",
    "KT&HT": "Kinh tế và Hạ tầng",
    "QLĐT": "Quản lý đô thị",
    "TC-KH": "Tài chính - Kế hoạch",
    "VP": "Văn phòng",
}
#: folded abbreviation word → expansion (OCR reads "HDND" for "HĐND")
ABBREVIATION_BY_FOLD: dict[str, str] = {fold(k): v for k, v in ORGAN_ABBREVIATIONS.items()
                                        if "." not in k}

#: Collective bodies whose header is the name alone ("ỦY BAN NHÂN DÂN" / "QUẬN HOÀN KIẾM").
COLLECTIVE_BODIES: tuple[str, ...] = ("Ủy ban nhân dân", "Hội đồng nhân dân",
                                      "Ủy ban Mặt trận Tổ quốc")

# ------------------------------------------------------------ signing authority
#: NĐ 30/2020 Điều 13: TM. (on behalf of a collective), KT. (for the head: signed by
#: a deputy), TL. and TUQ. (by order / by authorisation), Q. (acting head).
AUTHORITY_PREFIXES: tuple[str, ...] = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
AUTHORITY_RE = re.compile(r"^\s*(TM|KT|TL|TUQ|Q)\s*[.,:]\s*(\S.*)$")
#: Title words of signers (folded, longest first) as printed in the signature block.
SIGNER_TITLES: tuple[str, ...] = (
    "Chủ tịch", "Phó Chủ tịch", "Giám đốc", "Phó Giám đốc", "Trưởng phòng", "Phó Trưởng phòng",
    "Chánh Văn phòng", "Phó Chánh Văn phòng", "Trưởng ban", "Phó Trưởng ban", "Chánh Thanh tra",
    "Cục trưởng", "Phó Cục trưởng", "Chi cục trưởng", "Vụ trưởng", "Bộ trưởng", "Thứ trưởng",
    "Hiệu trưởng", "Phó Hiệu trưởng", "Tổng Giám đốc", "Chủ nhiệm", "Thủ trưởng", "Bí thư",
    "Chánh án", "Viện trưởng", "Thư ký", "Trưởng đoàn", "Tổ trưởng",
)
DEPUTY = "Phó"

# ------------------------------------------------------------------- casing
#: Administrative-unit words: lower case inside a name, the place after them in Title Case.
UNIT_WORDS: tuple[str, ...] = ("thành phố", "thị xã", "thị trấn", "tỉnh", "quận", "huyện",
                               "phường", "xã", "đặc khu")
#: Words opening an organ's name (kept capitalised) → the printed form.
ORGAN_HEADS: tuple[str, ...] = (
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Văn phòng", "Sở", "Phòng", "Ban", "Cục", "Chi cục",
    "Tổng cục", "Vụ", "Bộ", "Trung tâm", "Thanh tra", "Công an", "Trường", "Viện", "Đài",
    "Ban quản lý", "Ủy ban", "Hội", "Đoàn", "Liên đoàn", "Kho bạc Nhà nước", "Chi nhánh",
)
#: Common words of organ names and headers, printed form (restores OCR's lost tone marks
#: when their folded form is unambiguous among them).
ORGAN_WORDS: tuple[str, ...] = (
    "Ủy", "ban", "nhân", "dân", "Hội", "đồng", "thành", "phố", "thị", "xã", "trấn", "tỉnh",
    "quận", "huyện", "phường", "Sở", "Phòng", "Văn", "phòng", "Giáo", "dục", "và", "Đào", "tạo",
    "Tài", "nguyên", "Môi", "trường", "chính", "Kế", "hoạch", "Đầu", "tư", "Nội", "vụ", "Tư",
    "pháp", "Y", "tế", "Xây", "dựng", "Công", "Thương", "Nông", "nghiệp", "Phát", "triển",
    "nông", "thôn", "Lao", "động", "binh", "Xã", "hội", "Văn", "hóa", "Thể", "thao", "Du", "lịch",
    "Thông", "tin", "Truyền", "Giao", "thông", "vận", "tải", "Khoa", "học", "nghệ", "Quản", "lý",
    "đô", "Kinh", "hạ", "tầng", "Thanh", "tra", "an", "Trung", "tâm", "Cục", "Chi", "cục", "Bộ",
    "Tổ", "chức", "cán", "Dân", "tộc", "Ngoại", "Hà", "Nội", "Đà", "Nẵng", "Hồ", "Chí", "Minh",
    "Hải", "Phòng", "Cần", "Thơ", "Huế", "Hoàn", "Kiếm", "Đông", "Anh", "Hàng", "Bạc", "Đào",
    "Tràng", "Tiền", "Cổ", "Loa", "Uy", "Nỗ", "Ba", "Đình", "Cầu", "Giấy", "Hai", "Bà", "Trưng",
    "Thanh", "Xuân", "Hoàng", "Mai", "Long", "Biên", "Tây", "Hồ", "Bắc", "Từ", "Liêm", "Nam",
    "Gia", "Lâm", "Sóc", "Sơn", "Mê", "Linh", "Hà", "Đông", "Mặt", "trận", "quốc", "Hạ",
)
_WORD_BY_FOLD: dict[str, str] = {}
_AMBIGUOUS: set[str] = set()
for _w in ORGAN_WORDS:
    _k = fold(_w)
    if _WORD_BY_FOLD.get(_k, _w.lower()) != _w.lower():
        _AMBIGUOUS.add(_k)  # "dong": Đông or đồng - left as read
    _WORD_BY_FOLD.setdefault(_k, _w.lower())
for _k in _AMBIGUOUS:
    del _WORD_BY_FOLD[_k]


def restore_word(word: str) -> str:
    """A header word that OCR read without any tone mark ("PHO", "HUYEN") → the printed
    word from ORGAN_WORDS, lower case ("phố", "huyện"); a word that carries marks is
    only lower-cased (its marks are OCR's best reading)."""
    low = word.lower()
    if low.replace("đ", "d").isascii():
        return _WORD_BY_FOLD.get(fold(word), low)
    return low
