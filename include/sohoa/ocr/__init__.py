"""Phase 5, OCR: page preparation (orientation, deskew, coloured-ink removal), tesseract
recognition in reading order, and the two-layer PDF/A per file. Hands on: page text with
per-line confidences, a stored PDF/A with its SHA-256, status ``ocr_done``."""
