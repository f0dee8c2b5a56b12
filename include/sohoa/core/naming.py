"""Names on disk and in object keys, one rule everywhere."""

from __future__ import annotations

import re
import unicodedata

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".j2k", ".bmp"}


def safe_name(notation: str) -> str:
    """Filesystem/object-key safe folder name for a file notation (Số và ký hiệu hồ sơ).

    Diacritics are dropped (đ → d), anything outside [A-Za-z0-9._-] becomes "_":
    "01/VP" → "01_VP", "HS-05" → "HS-05". Scanning teams name delivery folders this way.
    """
    s = unicodedata.normalize("NFC", notation).strip().replace("đ", "d").replace("Đ", "D")
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._")
    return s or "_"
