"""Build the Vietnamese syllable lexicon of the OCR post-correction (sohoa.ocr.postcorrect).

    .venv/bin/python scripts/build_vi_lexicon.py            # → include/sohoa/ocr/data/vi_lexicon.json.gz
    .venv/bin/python scripts/build_vi_lexicon.py --wheel underthesea-9.5.0-py3-none-any.whl

Sources (all offline once fetched, licences in include/sohoa/ocr/data/LICENSES.md):

* Viet74K — the word list shipped in the PyPI package ``underthesea`` (Apache-2.0): ~74 000
  words, ~65 000 of several syllables. Read straight out of the wheel (pinned below); without
  ``--wheel`` the wheel is fetched with ``pip download --no-deps`` (the registry, at build
  time only; nothing is imported from it).
* tesseract's own ``vie`` word list (Apache-2.0, tesseract langdata): ``combine_tessdata -u``
  on vie.traineddata, then ``dawg2wordlist`` (both in Debian's ``tesseract-ocr``). The words
  tesseract was trained to expect; a syllable found there is taken as a common one.
* Administrative vocabulary: every province, district and commune name of the
  ``vietnamadminunits`` dataset (MIT, before and after the 2025 reorganisation) and the
  document types, titles and set phrases of administrative letters below (NĐ 30/2020).

Output: one gzip'd JSON (``syllables``: lower-case NFC syllable → weight = number of
Viet74K words holding it, +5 when tesseract lists it, +3 when the administrative vocabulary
uses it; ``bigrams``: adjacent syllable pairs of every multi-syllable word or name; ``names``:
those of place names, the only context a capitalised word in a name is corrected on). Only
well-formed syllables (``sohoa.ocr.syllables.is_syllable``) are kept, except in names.
The result is deterministic (sorted), so a rebuild from the same sources gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "include"))

from sohoa.ocr.syllables import is_syllable  # noqa: E402

UNDERTHESEA = "underthesea==9.5.0"
VIET74K = "underthesea/corpus/data/Viet74K.txt"
TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata/vie.traineddata")
OUT = ROOT / "include" / "sohoa" / "ocr" / "data" / "vi_lexicon.json.gz"

# Document types (NĐ 30/2020 Phụ lục III), titles, and phrases every administrative letter uses.
ADMIN_PHRASES = """
cộng hòa xã hội chủ nghĩa việt nam | cộng hoà xã hội chủ nghĩa việt nam | độc lập tự do hạnh phúc
nghị quyết | quyết định | chỉ thị | quy chế | quy định | thông cáo | thông báo | hướng dẫn
chương trình | kế hoạch | phương án | đề án | dự án | báo cáo | biên bản | tờ trình | hợp đồng
công điện | bản ghi nhớ | bản thỏa thuận | bản thoả thuận | giấy mời | phiếu gửi | phiếu chuyển
phiếu báo | giấy ủy quyền | giấy uỷ quyền | giấy giới thiệu | giấy nghỉ phép | công văn
ủy ban nhân dân | uỷ ban nhân dân | hội đồng nhân dân | thành phố | quận huyện | phường xã | thị xã
thị trấn | tỉnh | sở nội vụ | sở tài chính | sở giáo dục và đào tạo | sở y tế | sở tư pháp
sở xây dựng | sở công thương | sở kế hoạch và đầu tư | sở tài nguyên và môi trường
sở lao động thương binh và xã hội | sở văn hóa và thể thao | sở giao thông vận tải
sở thông tin và truyền thông | sở nông nghiệp và phát triển nông thôn | sở khoa học và công nghệ
văn phòng | thanh tra | công an | ban chỉ đạo | trung tâm | phòng giáo dục và đào tạo
chủ tịch | phó chủ tịch | giám đốc | phó giám đốc | trưởng phòng | phó trưởng phòng | chánh văn phòng
chánh thanh tra | thủ trưởng | hiệu trưởng | bí thư | tổng giám đốc | văn thư | lưu trữ
nơi nhận | như trên | lưu vt | kính gửi | về việc | căn cứ | theo đề nghị của | thực hiện
trích yếu | điều | khoản | chương | mục | phụ lục | kèm theo | ngày tháng năm | số ký hiệu
quyết định này có hiệu lực kể từ ngày ký | có hiệu lực thi hành | chịu trách nhiệm thi hành
các cơ quan đơn vị | tổ chức cá nhân có liên quan | đề nghị | yêu cầu | báo cáo về
triển khai thực hiện | tổ chức thực hiện | nghiêm túc | kịp thời | phối hợp | chỉ đạo
ủy ban | uỷ ban | nhân dân | cơ quan | đơn vị | trường học | học sinh | sinh viên | giáo viên
luật tổ chức chính quyền địa phương | luật ban hành văn bản quy phạm pháp luật
nghị định | thông tư | bộ nội vụ | bộ giáo dục và đào tạo | bộ tài chính | bộ y tế | chính phủ
thủ tướng chính phủ | văn bản | hồ sơ | tài liệu | lưu trữ lịch sử | số hóa | số hoá
phòng chống dịch | phòng chống | chống dịch | dịch bệnh | an toàn giao thông | trật tự an toàn
địa bàn | trên địa bàn | nội dung | sau đây | như sau | trân trọng | ký thay | thừa lệnh | thay mặt
tm ủy ban nhân dân | kt chủ tịch | kt giám đốc | tl chủ tịch | tuq chủ tịch
kỳ thi | thi tốt nghiệp | trung học phổ thông | trung học cơ sở | ngoài công lập | công lập
giãn cách | cách ly | theo dõi | sẵn sàng | tất cả | đại học | cao đẳng | mầm non | tiểu học
học sinh sinh viên | học viên | giảng viên | cán bộ | công chức | viên chức | người lao động
mật | tối mật | tuyệt mật | khẩn | thượng khẩn | hỏa tốc | hoả tốc
"""


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", text) if w]


def syllables_of(entry: str) -> list[str]:
    """Lower-case NFC syllables of one dictionary entry ("a-ba-giua" → a, ba, giua)."""
    return [unicodedata.normalize("NFC", w).lower() for w in _words(entry)]


def build(viet74k: list[str], tess_words: list[str], admin_names: list[str],
          phrases: list[str]) -> dict:
    """The lexicon from its sources (each a list of entries of one or more syllables)."""
    weight: Counter = Counter()
    bigrams: set[str] = set()
    name_pairs: set[str] = set()

    def add(entry: str, bonus: int, names: bool) -> None:
        syls = syllables_of(entry)
        if not syls or not all(s.isalpha() for s in syls):
            return
        if not names and not all(is_syllable(s) for s in syls):
            return  # loan words, typos of the source lists
        for s in set(syls):
            weight[s] += bonus
        for a, b in zip(syls, syls[1:]):
            bigrams.add(f"{a} {b}")
            if names:
                name_pairs.add(f"{a} {b}")

    for e in viet74k:
        add(e, 1, False)
    for w in tess_words:
        if len(_words(w)) == 1:
            add(w, 5, False)
    for n in admin_names:
        add(n, 3, True)
    for p in phrases:
        add(p, 3, False)
    return {"format": 1,
            "sources": {"viet74k": UNDERTHESEA, "tesseract": "vie.traineddata lstm-word-dawg",
                        "admin": "vietnamadminunits names + ADMIN_PHRASES"},
            "syllables": dict(sorted(weight.items())), "bigrams": sorted(bigrams),
            "names": sorted(name_pairs)}


def read_viet74k(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return z.read(VIET74K).decode("utf-8").splitlines()


def fetch_wheel(tmp: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary",
                    ":all:", "-d", str(tmp), UNDERTHESEA], check=True)
    return next(tmp.glob("underthesea-*.whl"))


def tesseract_words(tmp: Path, traineddata: Path = TESSDATA) -> list[str]:
    prefix = tmp / "vie."
    subprocess.run(["combine_tessdata", "-u", str(traineddata), str(prefix)], check=True,
                   capture_output=True)
    out = tmp / "vie.words"
    subprocess.run(["dawg2wordlist", f"{prefix}lstm-unicharset", f"{prefix}lstm-word-dawg", str(out)],
                   check=True, capture_output=True)
    return out.read_text("utf-8").splitlines()


def admin_names() -> list[str]:
    from vietnamadminunits.database import query

    names: set[str] = set()
    for table, cols in (("admin_units_legacy", ("provinceShort", "districtShort", "wardShort")),
                        ("admin_units", ("province", "ward"))):
        for col in cols:
            for r in query(f"SELECT DISTINCT {col} AS n FROM {table}"):
                if r["n"]:
                    names.add(r["n"])
    return sorted(names)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", type=Path, help="underthesea wheel (else: pip download)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        wheel = args.wheel or fetch_wheel(tmp)
        lex = build(read_viet74k(wheel), tesseract_words(tmp), admin_names(),
                    [p.strip() for p in ADMIN_PHRASES.replace("\n", "|").split("|") if p.strip()])
    data = json.dumps(lex, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip.compress(data, mtime=0))
    print(f"{args.out}: {len(lex['syllables'])} syllables, {len(lex['bigrams'])} bigrams, "
          f"{args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
