"""Descriptive metadata of an AIP: the file's and its documents' TT 02/2019 fields as XML.

One element per field, named by its TT 02/2019 tag (``sohoa.core.fields.FILE_FIELDS`` /
``DOC_FIELDS``, the single table of those fields) and carrying its Vietnamese name, so a
reader without sohoa can still read the package. Documents are read tolerantly: a column a
later migration adds is used when present and left out otherwise. EAD3 is not written:
mapping TT 02/2019 onto EAD3 properly needs archivists' decisions (levels, fonds) this
project has not taken; the package's ``documentation/`` explains this format instead.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from sohoa.arrangement.phase import archive_code
from sohoa.core.db.models import Document, File
from sohoa.core.fields import DOC_FIELDS, FILE_FIELDS
from sohoa.preservation.mets import xml_text

NS = "urn:sohoa:tt02-2019"
MDTYPE = "OTHER"
OTHER_MDTYPE = "TT02/2019-BNV"

#: TT 02/2019 tag -> File attribute (None: computed below).
FILE_ATTRS = {
    "FileCode": "file_code", "Identifier": None, "OrganId": "organ_id",
    "FileCatalog": "catalog", "FileNotation": "notation", "Title": "title",
    "Maintenance": "retention_code", "Rights": "access_mode", "Language": "language",
    "StartDate": "start_date", "EndDate": "end_date", "TotalDoc": "total_docs",
    "Description": "description", "InforSign": "infor_sign", "Keyword": "keyword",
    "SheetTotal": "sheet_count", "PageTotal": "page_count", "Format": "physical_format",
}
#: TT 02/2019 tag -> candidate Document attributes, first present wins.
DOC_ATTRS = {
    "DocCode": ("doc_code",), "FileCode": (), "DocOrdinal": ("ordinal",),
    "TypeName": ("type_name",), "CodeNumber": ("code_number",),
    "CodeNotation": ("code_notation",), "IssuedDate": ("issued_date",),
    "OrganName": ("organ_name",), "Subject": ("subject",), "Language": ("language",),
    "PageAmount": ("page_amount",), "Description": ("description",),
    "InforSign": ("infor_sign",), "Keyword": ("keyword",), "Mode": ("mode",),
    "ConfidenceLevel": ("confidence_level",), "Autograph": ("autograph",),
    "Format": ("format", "physical_format"),
}


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")  # TT 02/2019 dates: dd/mm/yyyy
    return str(value)


def _field(parent, spec, value) -> None:
    text = _text(value)
    if text is None:
        return
    el = etree.SubElement(parent, f"{{{NS}}}{spec.tag}")
    el.set("ten", spec.name_vi)
    el.text = xml_text(text)


def file_values(f: File) -> dict[str, object]:
    return {tag: (archive_code() if tag == "Identifier" else getattr(f, attr, None))
            for tag, attr in FILE_ATTRS.items()}


def document_values(f: File, d: Document) -> dict[str, object]:
    out: dict[str, object] = {}
    for tag, attrs in DOC_ATTRS.items():
        if tag == "FileCode":
            out[tag] = f.file_code
            continue
        out[tag] = next((getattr(d, a) for a in attrs if getattr(d, a, None) is not None), None)
    return out


def build(f: File, documents: list[Document], agency_name: str) -> bytes:
    root = etree.Element(f"{{{NS}}}HoSo", nsmap={None: NS})
    root.set("coQuanTaoLap", xml_text(agency_name))
    values = file_values(f)
    for spec in FILE_FIELDS:
        _field(root, spec, values.get(spec.tag))
    if documents:
        docs = etree.SubElement(root, f"{{{NS}}}DanhSachVanBan")
        for d in documents:
            el = etree.SubElement(docs, f"{{{NS}}}VanBan")
            dv = document_values(f, d)
            for spec in DOC_FIELDS:
                _field(el, spec, dv.get(spec.tag))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


DOCUMENTATION = """Gói lưu trữ (AIP) theo E-ARK CSIP/AIP 2.1 — sohoa
==================================================

Gói này chứa một hồ sơ số hóa:
- METS.xml: tệp mô tả cấu trúc gói (METS 1.12, hồ sơ E-ARK AIP).
- representations/original/: ảnh quét gốc, không chỉnh sửa, kèm METS.xml riêng.
- representations/access/: tệp PDF/A hai lớp (ảnh + chữ), kèm METS.xml riêng.
- metadata/descriptive/hoso.xml: siêu dữ liệu hồ sơ và văn bản theo TT 02/2019/TT-BNV
  (mỗi phần tử mang tên trường tiếng Việt trong thuộc tính "ten"; ngày dd/mm/yyyy).
- metadata/preservation/premis.xml: PREMIS 3.0 — mã kiểm tra SHA-256 của mọi tệp và
  lịch sử xử lý (sự kiện, người/phần mềm thực hiện).
- schemas/: lược đồ XML của METS, XLink và phần mở rộng CSIP.

Mọi tệp đều có mã SHA-256 trong METS; dùng `sohoa restore --file MÃ_HỒ_SƠ --to THƯ_MỤC`
để khôi phục và kiểm tra.

This AIP holds one digitised file (hồ sơ): originals, PDF/A access copies, TT 02/2019
descriptive metadata (element names are the circular's field tags) and PREMIS 3.0.
"""
