"""Would tesseract's LSTM character choices make sohoa's Vietnamese post-correction better?

    .venv/bin/python benchmarks/ocr_lstm_choices.py [--root ../shared/realscans]

Runs sohoa's OCR (``ocr_pages(workers=1)``) on the real scans twice in the same process:
as shipped (TSV words and confidences), and with ``-c lstm_choice_mode=2`` plus an hOCR
output, which lists for every character the alternatives the LSTM considered. For each
post-correction sohoa made it then asks: is every changed character among tesseract's
own alternatives at that position? A correction rule that required this ("veto") would
keep the supported corrections and drop the others; the script prints which those are,
so the rule's gain can be judged against the ground truth, and the CPU the choices cost.

Benchmark only: the real scans are not in the repo (the folder's README), and nothing
here changes how sohoa runs.
"""

from __future__ import annotations

import argparse
import html
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_realscans as real  # noqa: E402

from sohoa.ocr import postcorrect, recognition, words  # noqa: E402

_WORD_RE = re.compile(r"<span class='ocrx_word' id='[^']*' title='bbox (\d+) (\d+) \d+ \d+;[^']*'>"
                      r"([^<\n]*)\n(.*?)</span>\s*\n\s*</span>", re.S)
_GROUP_RE = re.compile(r"id='lstm_choices[^']*'>(.*?)</span></span>", re.S)
_CHOICE_RE = re.compile(r"x_confs [\d.]+'>(.*?)</span>")


def _tesseract_with(hocr_out: list[str] | None):
    """words.run_tesseract, optionally with LSTM choices and an hOCR copy kept."""
    def run(recog, *, lang, dpi, timeout, psm=3):
        with tempfile.TemporaryDirectory(prefix="sohoa-lstm-") as tmp:
            src, base = Path(tmp) / "page.pgm", Path(tmp) / "out"
            cv2.imwrite(str(src), recog)
            cmd = [words.TESSERACT, str(src), str(base), "-l", lang, "--psm", str(psm),
                   "--dpi", str(dpi), "-c", "textonly_pdf=1"]
            if hocr_out is not None:
                cmd += ["-c", "lstm_choice_mode=2", "hocr"]
            subprocess.run(cmd + ["pdf", "tsv"], capture_output=True, timeout=timeout,
                           env=words.tess_env(), check=True)
            if hocr_out is not None:
                hocr_out.append(base.with_suffix(".hocr").read_text("utf-8"))
            return base.with_suffix(".tsv").read_text("utf-8"), base.with_suffix(".pdf").read_bytes()
    return run


def choices_by_word(hocr: str) -> dict[tuple[str, int, int], list[list[str]]]:
    """(word, x0, y0) → one list of alternative characters per character of the word
    (the separator timesteps, whose best choice is a space, left out)."""
    out = {}
    for m in _WORD_RE.finditer(hocr):
        groups = [[html.unescape(c) for c in _CHOICE_RE.findall(g + "</span>")]
                  for g in _GROUP_RE.findall(m.group(4) + "</span>")]  # the pattern ate one
        out[html.unescape(m.group(3).strip()), int(m.group(1)), int(m.group(2))] = [
            g for g in groups if g and g[0] != " "]
    return out


def supported(original: str, corrected: str, alts: list[list[str]]) -> bool | None:
    """True when every changed character is one of the LSTM's alternatives there; None
    when the choices cannot be lined up with the word (different lengths)."""
    if len(original) != len(corrected) or len(alts) != len(original):
        return None
    return all(o == c or c in a for o, c, a in zip(original, corrected, alts))


def _ocr(pages, hocr_out):
    recognition.run_tesseract = _tesseract_with(hocr_out)
    made: list[tuple[int, list[dict]]] = []
    plain = postcorrect.correct_words

    def spy(ordered):
        got = plain(ordered)
        made.append((len(hocr_out) - 1 if hocr_out is not None else -1, got or []))
        return got

    recognition.postcorrect.correct_words = spy
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        recognition.ocr_pages([p["file"] for p in pages], workers=1,
                              hints={i: {"dpi": p["dpi"]} for i, p in enumerate(pages, 1) if p["dpi"]})
    finally:
        recognition.postcorrect.correct_words = plain
        recognition.run_tesseract = words.run_tesseract
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return made, time.perf_counter() - t0, cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=real.DEFAULT_ROOT)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if not args.root.is_dir():
        print(f"no real scans at {args.root}: nothing to measure")
        return 0
    pages = real.real_pages(args.root, Path(tempfile.mkdtemp(prefix="bench-lstm-")))
    cpu = {"as shipped": [], "lstm_choice_mode=2": []}
    for _ in range(args.repeat):
        cpu["as shipped"].append(_ocr(pages, None)[2])
        hocr: list[str] = []
        made, _, c = _ocr(pages, hocr)
        cpu["lstm_choice_mode=2"].append(c)
    n = len(pages)
    base = min(cpu["as shipped"])
    for k, v in cpu.items():
        print(f"{k:<22} CPU {min(v) / n:.2f} s/page (best of {len(v)}) = {min(v) / base:.2f}× as shipped")
    counts = {True: 0, False: 0, None: 0}
    print("\npost-corrections, and whether tesseract's own alternatives hold the new letters:")
    for page_i, corrections in made:
        table = choices_by_word(hocr[page_i])
        for c in corrections:
            o, new = c["original"], c["corrected"]
            alts = next((v for (w, _x, _y), v in table.items() if w == o), None)
            ok = supported(o, new, alts) if alts is not None else None
            counts[ok] += 1
            where = [a for a, (x, y) in zip(alts or [], zip(o, new)) if x != y]
            print(f"  {'yes' if ok else 'NO ' if ok is False else 'n/a'}  {o!r} → {new!r}  "
                  f"alternatives there: {where}  ({c.get('reason', '')})")
    print(f"\nsupported {counts[True]}, not supported {counts[False]}, not comparable {counts[None]} "
          f"of {sum(counts.values())} corrections on {n} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
