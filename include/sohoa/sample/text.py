"""Vietnamese text corpus for the synthetic sample programme (sohoa.sample.generate).

Plain data only: agencies, file themes, document subjects and body sentences.
Placeholders in braces are filled by sohoa.sample.generate: {unit} (e.g. "phường Hàng Đào"),
{unit_full} ("Ủy ban nhân dân phường Hàng Đào"), {place} ("Hàng Đào"), {year},
{person}, {street}, {n}, {area}, {date}, {parent} (the district unit).
Names of people are invented; places are real Hanoi localities.
"""

# code, name, level, parent_code, status, successor_code, effective_date,
# header line 1 (the superior body), header line 2 (the issuing body), place name, short unit
AGENCIES = [
    ("G01", "UBND quận Hoàn Kiếm", "district", "", "active", "", "",
     "ỦY BAN NHÂN DÂN", "QUẬN HOÀN KIẾM", "Hoàn Kiếm", "quận Hoàn Kiếm"),
    ("G01X01", "UBND phường Hàng Bạc", "commune", "G01", "merged", "G01X02", "2025-07-01",
     "ỦY BAN NHÂN DÂN", "PHƯỜNG HÀNG BẠC", "Hàng Bạc", "phường Hàng Bạc"),
    ("G01X02", "UBND phường Hàng Đào", "commune", "G01", "active", "", "",
     "ỦY BAN NHÂN DÂN", "PHƯỜNG HÀNG ĐÀO", "Hàng Đào", "phường Hàng Đào"),
    ("G01X03", "UBND phường Tràng Tiền", "commune", "G01", "active", "", "",
     "ỦY BAN NHÂN DÂN", "PHƯỜNG TRÀNG TIỀN", "Tràng Tiền", "phường Tràng Tiền"),
    ("G02", "UBND huyện Đông Anh", "district", "", "active", "", "",
     "ỦY BAN NHÂN DÂN", "HUYỆN ĐÔNG ANH", "Đông Anh", "huyện Đông Anh"),
    ("G02X01", "UBND xã Cổ Loa", "commune", "G02", "active", "", "",
     "ỦY BAN NHÂN DÂN", "XÃ CỔ LOA", "Cổ Loa", "xã Cổ Loa"),
    ("G02X02", "UBND xã Uy Nỗ", "commune", "G02", "active", "", "",
     "ỦY BAN NHÂN DÂN", "XÃ UY NỖ", "Uy Nỗ", "xã Uy Nỗ"),
    ("G02P01", "Phòng Tài nguyên và Môi trường huyện Đông Anh", "district", "G02",
     "dissolved", "G02", "2025-07-01",
     "UBND HUYỆN ĐÔNG ANH", "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "Đông Anh",
     "Phòng Tài nguyên và Môi trường"),
]

# The sample features these real Hanoi agencies (official unit codes, see
# sohoa.intake.agencies.seed_rows): sample id above → registry code. Names, statuses and
# successors come from the vietnamadminunits dataset at generation time; only the
# Phòng Tài nguyên và Môi trường (a department, not an administrative unit) is ours.
REAL_CODES = {"G01": "H002", "G01X01": "X00061", "G01X02": "X00049", "G01X03": "X00079",
              "G02": "H017", "G02X01": "X00505", "G02X02": "X00478", "G02P01": "H017P01"}

STREETS = {
    "G01": ["phố Đinh Tiên Hoàng", "phố Lý Thái Tổ", "phố Hàng Bài", "phố Bà Triệu"],
    "G01X01": ["phố Hàng Bạc", "phố Mã Mây", "phố Hàng Bè", "phố Đinh Liệt"],
    "G01X02": ["phố Hàng Đào", "phố Hàng Ngang", "phố Hàng Đường", "phố Cầu Gỗ"],
    "G01X03": ["phố Tràng Tiền", "phố Hai Bà Trưng", "phố Ngô Quyền", "phố Phan Chu Trinh"],
    "G02": ["thị trấn Đông Anh", "xã Vân Nội", "xã Kim Chung", "xã Xuân Nộn"],
    "G02X01": ["thôn Cổ Loa", "thôn Lan Trì", "thôn Chùa Cầu", "thôn Bãi Thượng"],
    "G02X02": ["thôn Uy Nỗ", "thôn Phúc Hậu", "thôn Ấp Tó", "thôn Lại Đà"],
    "G02P01": ["xã Vân Nội", "xã Nam Hồng", "xã Tiên Dương", "xã Xuân Canh"],
}

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Sơn", "Tuấn", "Việt"]
GIVEN_F = ["Bích", "Dung", "Hà", "Hạnh", "Hương", "Lan", "Mai", "Nga", "Phương", "Thảo"]

# Themes of files (hồ sơ). title: list of title templates; retention and access as
# written in the inventory lists; doc: (document type, subject templates).
THEMES = [
    {
        "key": "dat_dai",
        "titles": ["Hồ sơ cấp giấy chứng nhận quyền sử dụng đất năm {year} của hộ ông {person}, "
                   "{street}, {unit}"],
        "retention": "Vĩnh viễn", "access": "Hạn chế", "district_only": False,
        "subjects": ["Về việc cấp giấy chứng nhận quyền sử dụng đất cho hộ ông {person}",
                     "Về việc xác nhận nguồn gốc và thời điểm sử dụng đất tại {street}"],
        "sentences": [
            "Thửa đất số {n}, tờ bản đồ số {n2}, diện tích {area} m2 tại {street}.",
            "Hộ gia đình đã sử dụng đất ổn định, không có tranh chấp từ năm {year0}.",
            "Mục đích sử dụng đất là đất ở tại đô thị, thời hạn sử dụng lâu dài.",
            "Hồ sơ đã được niêm yết công khai tại trụ sở {unit_full} trong thời hạn 15 ngày.",
            "Cán bộ địa chính đã kiểm tra hiện trạng thửa đất và lập biên bản xác minh.",
            "Người sử dụng đất có trách nhiệm thực hiện nghĩa vụ tài chính theo quy định.",
        ],
    },
    {
        "key": "van_ban_di",
        "titles": ["Tập lưu văn bản đi năm {year} của {unit_full}"],
        "retention": "50 năm", "access": "Công khai", "district_only": False,
        "subjects": ["V/v triển khai công tác cải cách hành chính năm {year}",
                     "V/v tăng cường công tác bảo đảm trật tự an toàn giao thông",
                     "V/v báo cáo kết quả thực hiện nhiệm vụ quý {q} năm {year}"],
        "sentences": [
            "Thực hiện chỉ đạo của cấp trên, {unit_full} đề nghị các đơn vị triển khai "
            "thực hiện một số nội dung sau.",
            "Các đơn vị tổng hợp kết quả và báo cáo về Văn phòng trước ngày {date}.",
            "Giao công chức Văn phòng - Thống kê theo dõi, đôn đốc việc thực hiện.",
            "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp "
            "thời để xem xét, giải quyết.",
            "Tổ chức tuyên truyền sâu rộng đến cán bộ, công chức và nhân dân trên địa bàn.",
        ],
    },
    {
        "key": "tong_ket",
        "titles": ["Hồ sơ hội nghị tổng kết công tác năm {year} và triển khai nhiệm vụ "
                   "năm {year1} của {unit_full}"],
        "retention": "Vĩnh viễn", "access": "Công khai", "district_only": False,
        "subjects": ["Tổng kết công tác năm {year}, phương hướng nhiệm vụ năm {year1}",
                     "Về việc tổ chức hội nghị tổng kết công tác năm {year}"],
        "sentences": [
            "Năm {year}, tình hình kinh tế - xã hội trên địa bàn {unit} tiếp tục ổn định "
            "và có bước phát triển.",
            "Thu ngân sách trên địa bàn đạt {pct}% dự toán được giao.",
            "Công tác cải cách hành chính được quan tâm chỉ đạo, tỷ lệ hồ sơ giải quyết "
            "đúng hạn đạt {pct}%.",
            "Công tác quốc phòng, an ninh được giữ vững, trật tự an toàn xã hội được bảo đảm.",
            "Bên cạnh kết quả đạt được, vẫn còn một số tồn tại, hạn chế cần khắc phục.",
            "Hội nghị thống nhất thông qua phương hướng, nhiệm vụ trọng tâm năm {year1}.",
        ],
    },
    {
        "key": "ke_hoach_ktxh",
        "titles": ["Hồ sơ xây dựng kế hoạch phát triển kinh tế - xã hội năm {year} của {unit}"],
        "retention": "Vĩnh viễn", "access": "Công khai", "district_only": False,
        "subjects": ["Kế hoạch phát triển kinh tế - xã hội năm {year}",
                     "Về việc giao chỉ tiêu kế hoạch phát triển kinh tế - xã hội năm {year}"],
        "sentences": [
            "Phấn đấu tổng thu ngân sách trên địa bàn tăng {pct2}% so với năm trước.",
            "Tiếp tục đẩy mạnh cải cách hành chính, nâng cao chất lượng phục vụ người dân "
            "và doanh nghiệp.",
            "Tập trung chỉnh trang đô thị, bảo đảm vệ sinh môi trường trên địa bàn.",
            "Giao các bộ phận chuyên môn xây dựng kế hoạch chi tiết để tổ chức thực hiện.",
            "Duy trì tỷ lệ hộ gia đình đạt danh hiệu Gia đình văn hóa trên {pct}%.",
        ],
    },
    {
        "key": "ho_tich",
        "titles": ["Hồ sơ đăng ký khai sinh năm {year} của {unit_full}"],
        "retention": "Vĩnh viễn", "access": "Hạn chế", "district_only": False,
        "subjects": ["Về việc đăng ký khai sinh cho công dân trên địa bàn",
                     "Báo cáo kết quả công tác hộ tịch năm {year}"],
        "sentences": [
            "Trong năm {year}, {unit_full} đã đăng ký khai sinh cho {n} trường hợp.",
            "Việc đăng ký hộ tịch được thực hiện đúng trình tự, thủ tục theo quy định.",
            "Sổ đăng ký khai sinh được ghi chép đầy đủ, rõ ràng, không tẩy xóa.",
            "Công chức Tư pháp - Hộ tịch đã kiểm tra giấy tờ của người yêu cầu đăng ký.",
        ],
    },
    {
        "key": "xay_dung",
        "titles": ["Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ năm {year} tại {street}"],
        "retention": "70 năm", "access": "Công khai", "district_only": True,
        "subjects": ["Về việc cấp giấy phép xây dựng nhà ở riêng lẻ tại {street}",
                     "Về việc kiểm tra trật tự xây dựng trên địa bàn {unit}"],
        "sentences": [
            "Công trình xây dựng có diện tích sàn {area} m2, cao {floors} tầng.",
            "Chủ đầu tư phải thực hiện đúng nội dung giấy phép xây dựng được cấp.",
            "Đội Thanh tra xây dựng đã kiểm tra hiện trạng công trình và lập biên bản.",
            "Hồ sơ đề nghị cấp giấy phép xây dựng đầy đủ thành phần theo quy định.",
        ],
    },
    {
        "key": "thi_dua",
        "titles": ["Hồ sơ thi đua, khen thưởng năm {year} của {unit_full}"],
        "retention": "20 năm", "access": "Công khai", "district_only": False,
        "subjects": ["Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc năm {year}",
                     "Về việc tặng danh hiệu Lao động tiên tiến năm {year}"],
        "sentences": [
            "Khen thưởng {n2} tập thể và {n} cá nhân đã có thành tích xuất sắc trong năm {year}.",
            "Mức tiền thưởng kèm theo được thực hiện theo quy định hiện hành.",
            "Hội đồng Thi đua - Khen thưởng đã họp xét và thống nhất đề nghị khen thưởng.",
            "Kinh phí khen thưởng được chi từ quỹ thi đua, khen thưởng của đơn vị.",
        ],
    },
    {
        "key": "ky_luat",
        "titles": ["Hồ sơ xem xét, xử lý kỷ luật cán bộ, công chức năm {year}"],
        "retention": "70 năm", "access": "Hạn chế", "district_only": False,
        "subjects": ["Về việc thi hành kỷ luật đối với công chức",
                     "Về việc thành lập Hội đồng kỷ luật"],
        "sentences": [
            "Hội đồng kỷ luật đã họp, xem xét bản kiểm điểm và hồ sơ có liên quan.",
            "Hình thức kỷ luật được áp dụng là khiển trách.",
            "Thời hạn thi hành kỷ luật là 12 tháng kể từ ngày quyết định có hiệu lực.",
            "Cá nhân bị kỷ luật có quyền khiếu nại theo quy định của pháp luật.",
        ],
    },
    {
        "key": "ngan_sach",
        "titles": ["Hồ sơ quyết toán ngân sách năm {year} của {unit_full}"],
        "retention": "Vĩnh viễn", "access": "Công khai", "district_only": False,
        "subjects": ["Về việc phê chuẩn quyết toán ngân sách năm {year}",
                     "Báo cáo quyết toán thu, chi ngân sách năm {year}"],
        "sentences": [
            "Tổng thu ngân sách năm {year} đạt {money} triệu đồng, bằng {pct}% dự toán.",
            "Tổng chi ngân sách năm {year} là {money2} triệu đồng.",
            "Các khoản chi được thực hiện đúng dự toán, đúng chế độ, tiêu chuẩn, định mức.",
            "Kết dư ngân sách được chuyển sang năm sau theo quy định của Luật Ngân sách nhà nước.",
        ],
    },
    {
        "key": "tiep_dan",
        "titles": ["Hồ sơ giải quyết đơn kiến nghị của công dân năm {year}"],
        "retention": "10 năm", "access": "Công khai", "district_only": False,
        "subjects": ["Về việc giải quyết đơn kiến nghị của ông {person}",
                     "Thông báo kết quả tiếp công dân định kỳ tháng {m} năm {year}"],
        "sentences": [
            "Ngày {date}, {unit_full} nhận được đơn kiến nghị của ông {person}, trú tại {street}.",
            "Qua xác minh, nội dung kiến nghị của công dân là có cơ sở.",
            "Giao bộ phận chuyên môn phối hợp với tổ dân phố kiểm tra, giải quyết dứt điểm.",
            "Kết quả giải quyết được thông báo bằng văn bản cho người có đơn.",
        ],
    },
]

# Legal bases quoted in decisions (italic "Căn cứ ..." lines).
BASES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật Ban hành văn bản quy phạm pháp luật ngày 22 tháng 6 năm 2015;",
    "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;",
    "Căn cứ Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003;",
    "Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;",
]

# Which of BASES a decision of a given theme quotes after the local-government law.
THEME_BASE = {"dat_dai": 2, "xay_dung": 2, "thi_dua": 3, "ky_luat": 4, "ngan_sach": 5,
              "ke_hoach_ktxh": 5}

GENERIC = [
    "Các bộ phận chuyên môn căn cứ chức năng, nhiệm vụ được giao tổ chức thực hiện.",
    "Định kỳ hằng quý báo cáo kết quả thực hiện về {unit_full} để tổng hợp.",
    "Việc tổ chức thực hiện phải bảo đảm đúng quy định, công khai, minh bạch.",
    "Kinh phí thực hiện được bố trí trong dự toán ngân sách năm {year}.",
    "Giao Văn phòng theo dõi, tổng hợp và báo cáo kết quả thực hiện.",
    "Tăng cường công tác kiểm tra, giám sát việc thực hiện tại cơ sở.",
    "Các tổ dân phố phối hợp tuyên truyền để nhân dân biết và thực hiện.",
]

DOC_TYPES = {
    # type: (title shown on the page or None for a letter, abbreviation for Số: ...)
    "QĐ": ("QUYẾT ĐỊNH", "QĐ"),
    "BC": ("BÁO CÁO", "BC"),
    "TTr": ("TỜ TRÌNH", "TTr"),
    "TB": ("THÔNG BÁO", "TB"),
    "KH": ("KẾ HOẠCH", "KH"),
    "CV": (None, ""),
}

NOTES = ["", "", "", "", "Bản chính", "Có bản sao", "Giấy giòn, mờ chữ"]

# ---------------------------------------------------------------- documents (issue 13)
# Stored type name (TypeName) of each DOC_TYPES key: the ground truth of description.
DOC_TYPE_NAMES = {"QĐ": "Quyết định", "BC": "Báo cáo", "TTr": "Tờ trình", "TB": "Thông báo",
                  "KH": "Kế hoạch", "CV": "Công văn"}

# Signature blocks: printed lines (upper case, NĐ 30/2020) → the signer's title as stored.
SIGNER_ROLES = {
    ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"): "TM. Ủy ban nhân dân, Chủ tịch",
    ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"): "KT. Chủ tịch, Phó Chủ tịch",
    ("TRƯỞNG PHÒNG",): "Trưởng phòng",
}

# Marks stamped under the number: confidentiality (độ mật) and urgency (độ khẩn).
SECRECY_MARKS = ["MẬT", "TỐI MẬT"]
URGENCY_MARKS = ["KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"]

# Appendix titles (the appendix page of a decision, plan or report).
APPENDIX_TITLES = {
    "QĐ": "DANH SÁCH KÈM THEO",
    "KH": "BẢNG PHÂN CÔNG NHIỆM VỤ",
    "BC": "BIỂU TỔNG HỢP SỐ LIỆU",
}
APPENDIX_ROWS = [
    "Bộ phận Văn phòng - Thống kê", "Bộ phận Địa chính - Xây dựng", "Bộ phận Tư pháp - Hộ tịch",
    "Bộ phận Văn hóa - Xã hội", "Công an", "Ban Chỉ huy Quân sự", "Tổ dân phố số 1",
    "Tổ dân phố số 2", "Tổ dân phố số 3", "Hội Liên hiệp Phụ nữ", "Đoàn Thanh niên",
]

# A page with no document header (a site map) that opens some files: type "Khác".
MAP_TITLES = ["SƠ ĐỒ VỊ TRÍ KHU ĐẤT", "SƠ ĐỒ HIỆN TRẠNG SỬ DỤNG ĐẤT", "BẢN VẼ MẶT BẰNG"]

# Handwritten digits as pen strokes on a unit box (x right, y down): a number or day left
# blank in print and written by hand. Drawn in blue ink, never typed text.
HAND_DIGITS = {
    "0": [(0.5, 0.0), (0.15, 0.2), (0.1, 0.7), (0.45, 1.0), (0.85, 0.75), (0.85, 0.25), (0.5, 0.0)],
    "1": [(0.25, 0.25), (0.55, 0.0), (0.5, 1.0)],
    "2": [(0.1, 0.25), (0.35, 0.0), (0.75, 0.05), (0.8, 0.35), (0.1, 1.0), (0.9, 0.95)],
    "3": [(0.1, 0.1), (0.75, 0.05), (0.4, 0.45), (0.85, 0.65), (0.6, 1.0), (0.1, 0.9)],
    "4": [(0.7, 1.0), (0.65, 0.0), (0.05, 0.7), (0.95, 0.7)],
    "5": [(0.85, 0.0), (0.25, 0.0), (0.15, 0.45), (0.65, 0.4), (0.85, 0.7), (0.55, 1.0), (0.1, 0.9)],
    "6": [(0.8, 0.05), (0.3, 0.2), (0.1, 0.7), (0.4, 1.0), (0.8, 0.8), (0.6, 0.5), (0.15, 0.65)],
    "7": [(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)],
    "8": [(0.5, 0.45), (0.15, 0.2), (0.5, 0.0), (0.85, 0.2), (0.5, 0.45), (0.1, 0.75), (0.5, 1.0),
          (0.9, 0.75), (0.5, 0.45)],
    "9": [(0.85, 0.35), (0.5, 0.55), (0.15, 0.3), (0.45, 0.0), (0.85, 0.2), (0.75, 1.0)],
}
