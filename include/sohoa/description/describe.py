"""``sohoa describe PATH... [--json]``: documents and their metadata from PDFs and page images.

OCR goes through ``sohoa.ocr.recognition`` (same preparation as the pipeline), then
``extract.describe_pages``. What one "file" (hồ sơ) is:

* a PDF: one file, its pages in order;
* image paths given one after the other in the same folder: one file, pages in the
  order given;
* a folder: one file per sub-folder holding images (sorted by name); each PDF inside is
  its own file.

One JSON object per document: ``file`` plus ``extract.JSON_KEYS``. An input that cannot
be read gives ``{"file": ..., "error": ...}`` and the command still exits 0 (like
``sohoa qc``).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

from sohoa.core.progress import Progress
from sohoa.description.extract import DocumentDraft, PageText, describe_pages
from sohoa.ocr import recognition as R

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".j2k", ".bmp", ".webp"})


def page_text(r: R.PageOcr) -> PageText:
    """An OCR result as the extractor's input (what ``pages.ocr_lines`` also stores)."""
    return PageText(number=r.page, text=r.text or "", lines=r.lines or None,
                    width=r.width_px, height=r.height_px)


def _groups(paths: list[str]) -> list[tuple[str, list[Path]]]:
    """(file label, inputs) in argument order; a PDF (or any non-image) stands alone."""
    out: list[tuple[str, list[Path]]] = []
    images: list[Path] | None = None  # the image group being filled
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            images = None
            folders: dict[Path, list[Path]] = {}
            for f in sorted(q for q in p.rglob("*") if q.is_file()):
                if f.suffix.lower() == ".pdf":
                    out.append((str(f), [f]))
                elif f.suffix.lower() in IMAGE_SUFFIXES:
                    folders.setdefault(f.parent, []).append(f)
            out.extend((str(d), imgs) for d, imgs in sorted(folders.items()))
        elif p.suffix.lower() in IMAGE_SUFFIXES:
            if images is not None and images[-1].parent == p.parent:
                images.append(p)
            else:
                images = [p]
                out.append((str(p.parent), images))
        else:
            images = None
            out.append((str(p), [p]))
    return out


def describe_inputs(paths: list[str], *, lang: str = "vie", workers: int = 1) -> list[dict]:
    """OCR + description for every input; one dict per document (or per unreadable input)."""
    objects: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-describe-") as tmp:
        pool = R.make_pool(workers) if workers > 1 else None
        try:
            groups = _groups(paths)
            # on a terminal a live line on stderr (nothing with --json or off a terminal)
            with Progress("Mô tả hồ sơ", len(groups), unit="hồ sơ", log=log) as progress:
                for n, (label, inputs) in enumerate(groups):
                    try:
                        objects.extend(_describe_one(label, inputs, Path(tmp), n, lang, pool))
                        progress.advance(item=label)
                    except Exception as exc:  # noqa: BLE001 - one bad input never stops the rest
                        log.warning("describe %s failed", label, exc_info=True)
                        objects.append({"file": label, "error": f"không đọc được: {exc}"})
                        progress.advance(item=f"{label}: không đọc được")
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return objects


def _describe_one(label: str, inputs: list[Path], tmp: Path, n: int, lang: str, pool) -> list[dict]:
    hints: dict[int, dict] = {}
    if len(inputs) == 1 and inputs[0].suffix.lower() != ".pdf" and inputs[0].suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"không phải PDF hay ảnh trang: {inputs[0].name}")
    if len(inputs) == 1 and inputs[0].suffix.lower() == ".pdf":
        pages = R.pdf_page_images(inputs[0].read_bytes(), tmp, f"{n:04d}")
        if not pages:
            raise ValueError("PDF không có trang nào")
        hints = {i: {"dpi": d} for i, (_, d) in enumerate(pages, 1) if d}
        files = [p for p, _ in pages]
    else:
        for p in inputs:
            if not p.is_file():
                raise FileNotFoundError(str(p))
        files = list(inputs)
    results = R.ocr_pages(files, lang=lang, hints=hints, pool=pool, workers=1)
    if all(r.error for r in results):
        raise ValueError("; ".join(sorted({R.error_reason_vi(r.error) for r in results})))
    docs = describe_pages([page_text(r) for r in results])
    return [{"file": label, **d.to_json()} for d in docs]


def _text_row(obj: dict) -> str:
    if "error" in obj:
        return f"{obj['file']}\tLỖI\t{obj['error']}"
    pages = f"{obj['page_from']}-{obj['page_to']}"
    number = "/".join(x or "…" for x in (obj["code_number"], obj["code_notation"]))
    review = ",".join(obj["review"]) or "-"
    return (f"{obj['file']}\t{obj['ordinal']}\t{pages}\t{obj['type_name']}\t{number}\t"
            f"{obj['issued_date'] or obj['issued_year'] or '…'}\t{obj['subject'] or '…'}\t"
            f"cần xem: {review}")


def describe_cli(paths: list[str], as_json: bool = False, lang: str = "vie", workers: int = 1) -> int:
    """Print one JSON object (or one tab-separated row) per document; exit 0."""
    for obj in describe_inputs(paths, lang=lang, workers=workers):
        sys.stdout.write((json.dumps(obj, ensure_ascii=False) if as_json else _text_row(obj)) + "\n")
    sys.stdout.flush()
    return 0


__all__ = ["DocumentDraft", "describe_cli", "describe_inputs", "page_text"]
