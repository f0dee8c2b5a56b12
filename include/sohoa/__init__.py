"""sohoa: digitisation of government paper records (inventory → QC → OCR → shared DB)."""

__version__ = "0.1.0"
