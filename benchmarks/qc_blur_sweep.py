"""Blur sweep: edge_blur_mm and the Laplacian sharpness of the same rendered pages under growing
Gaussian blur, with paper grain (σ 4–9 levels) and JPEG q55–70, at 200 and 300 dpi.

    .venv/bin/python benchmarks/qc_blur_sweep.py [--seed 5] [--pages 4]

This is the calibration behind Thresholds.max_edge_blur_mm (seed 5); the labelled set's
held-out seed (qc_labelled.py --realistic --seed 12) was not used for it. Columns: dpi, page,
blur σ in px at 300 dpi, JPEG quality, edge_blur_mm, Laplacian sharpness, defects reported.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from PIL import ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qc_labelled as L  # noqa: E402

from sohoa.scan.qc import check_path  # noqa: E402
from sohoa.scan.thresholds import Thresholds  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--pages", type=int, default=4)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="blur-sweep-"))
    t = Thresholds(osd_fallback=False)
    print(f"max_edge_blur_mm = {t.max_edge_blur_mm}; min_sharpness = {t.min_sharpness}")
    for dpi in (200, 300):
        for k in range(a.pages):
            base = L.render(rng, dpi, True)
            for sig300 in (0.0, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):
                im = base.filter(ImageFilter.GaussianBlur(sig300 * dpi / 300)) if sig300 else base
                im = L.grain(im, rng, rng.uniform(4, 9))
                q = rng.randint(55, 70)
                path = tmp / f"p{dpi}_{k}_{sig300}.jpg"
                path.write_bytes(L.jpeg(im, dpi, q, False))
                c = check_path(path, t)[0]  # the production path (reduced JPEG decode)
                print(dpi, k, sig300, q, c.metrics.get("edge_blur_mm"), round(c.metrics.get("sharpness") or 0),
                      c.defects, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
