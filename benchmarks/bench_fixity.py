"""Fixity audit throughput and AIP cost (issue 17).

    /work/main/.venv/bin/python benchmarks/bench_fixity.py [--files 30] [--pages 10]
                                     [--page-kb 250] [--repeat 3] [--no-s3]

Data: integrated files generated in a temporary SQLite database and object folder
(tests/preservation_data.py: JPEG-sized page blobs, a PDF per file, two documents), their
AIPs built by sohoa.preservation.aip. Measured in the same run, on the same bytes:

* **AIP build**: seconds per file (read back and verify every object, write METS/PREMIS/
  descriptive XML, zip, store with SHA-256); package size over payload (originals + PDFs).
* **audit, local backend**: ``fixity.audit`` over every object (one copy, so it reads what
  sha256sum reads) in MB/s, beside ``sha256sum`` over the same object files
  (one process, files as arguments), best of ``--repeat`` with the order alternated; the
  page cache is warm for both (the objects were just written and read).
* **audit, S3 backend** (moto's server, a subprocess on 127.0.0.1): the same objects copied
  to a bucket, ``fixity.audit`` in MB/s beside ``sha256sum`` over the same bytes on disk
  and beside a bare boto3 GET + hashlib loop (what any S3 audit must at least do).
* **audit with one reading thread** (``SOHOA_FIXITY_THREADS=1``): the like-for-like figure
  beside single-process sha256sum.
* **audit with the second copy** (local folder): both copies read per object.

Quote the load (printed by the script from os.getloadavg) with the figures: the machine
has 2 cores shared by several engineers.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "tests"))

import preservation_data as pdata  # noqa: E402
from s3server import start_s3_server  # noqa: E402
from sohoa.core.db.models import Aip  # noqa: E402
from sohoa.core.db.session import make_engine, migrate, session_scope  # noqa: E402
from sohoa.core.mirror import MirroredStorage  # noqa: E402
from sohoa.core.storage import LocalStorage, S3Storage, copy_object  # noqa: E402
from sohoa.preservation import aip, fixity  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def sha256sum(paths: list[Path]) -> float:
    t = time.perf_counter()
    subprocess.run(["sha256sum", *map(str, paths)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def timed_audit(store, engine) -> tuple[float, dict]:
    t = time.perf_counter()
    out = fixity.audit(store, engine=engine)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=30)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--page-kb", type=int, default=250)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-s3", action="store_true")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-fixity-"))
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    store = LocalStorage(tmp / "objects")
    print(f"load at start: {load()}")
    with session_scope(engine) as s:
        for n in range(1, args.files + 1):
            pdata.integrated_file(s, store, seq=n, pages=args.pages,
                                  page_bytes=args.page_kb * 1024, documents=2)

    t = time.perf_counter()
    with session_scope(engine) as s:
        built = aip.build_aips(s, store)
    aip_s = time.perf_counter() - t
    with session_scope(engine) as s:
        rows = s.query(Aip).all()
        size = sum(r.size_bytes for r in rows)
        payload = sum(r.payload_bytes for r in rows)
    print(f"AIP build: {built['built']} files in {aip_s:.2f} s = {aip_s / built['built']:.3f} s/file;"
          f" package {size / 1e6:.1f} MB over payload {payload / 1e6:.1f} MB ="
          f" +{(size - payload) / payload * 100:.2f} % ({(size - payload) / len(rows) / 1024:.1f} KB/file)"
          f"  [load {load()}]")

    paths = sorted(p for p in (tmp / "objects").rglob("*") if p.is_file())
    nbytes = sum(p.stat().st_size for p in paths)
    print(f"objects: {len(paths)} files, {nbytes / 1e6:.1f} MB")
    ours, base = [], []
    for i in range(args.repeat):
        if i % 2:
            ours.append(timed_audit(store, engine)[0])
            base.append(sha256sum(paths))
        else:
            base.append(sha256sum(paths))
            sec, out = timed_audit(store, engine)
            ours.append(sec)
            assert out["checked"] == len(paths) and out["ok"] == len(paths), out
    mb = nbytes / 1e6
    print(f"local audit: best {mb / min(ours):.0f} MB/s (median {mb / statistics.median(ours):.0f}),"
          f" sha256sum best {mb / min(base):.0f} MB/s (median {mb / statistics.median(base):.0f});"
          f" ratio best/best {min(base) / min(ours):.2f}x  [load {load()}]")

    os.environ["SOHOA_FIXITY_THREADS"] = "1"
    one = min(timed_audit(store, engine)[0] for _ in range(args.repeat))
    os.environ.pop("SOHOA_FIXITY_THREADS")
    print(f"local audit, one reading thread: {mb / one:.0f} MB/s; ratio to sha256sum best"
          f" {min(base) / one:.2f}x  [load {load()}]")

    mirror = MirroredStorage(store, LocalStorage(tmp / "replica"))
    for key in store.list(""):
        copy_object(store, key, mirror.replica)
    sec = min(timed_audit(mirror, engine)[0] for _ in range(args.repeat))
    print(f"local audit with second copy: {2 * mb / sec:.0f} MB/s read ({mb / sec:.0f} MB/s of"
          f" objects)  [load {load()}]")

    if args.no_s3:
        return
    server = start_s3_server(mode="process")
    try:
        s3 = S3Storage("bench-fixity", endpoint_url=server.endpoint_url,
                       access_key=server.access_key, secret_key=server.secret_key,
                       region=server.region)
        for key in store.list(""):
            s3.put_file(key, store.root / key)
        keys = list(store.list(""))

        def raw_get() -> float:
            t = time.perf_counter()
            for key in keys:
                h = hashlib.sha256()
                body = s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"]
                for chunk in body.iter_chunks(1024 * 1024):
                    h.update(chunk)
            return time.perf_counter() - t

        ours, base, raw = [], [], []
        for _ in range(args.repeat):
            base.append(sha256sum(paths))
            raw.append(raw_get())
            sec, out = timed_audit(s3, engine)
            assert out["ok"] == len(paths), out
            ours.append(sec)
        print(f"S3 audit (moto server): best {mb / min(ours):.0f} MB/s, bare boto3 GET+sha256"
              f" best {mb / min(raw):.0f} MB/s, sha256sum on disk best {mb / min(base):.0f} MB/s;"
              f" ours/boto3 {min(raw) / min(ours):.2f}x, ours/sha256sum {min(base) / min(ours):.2f}x"
              f"  [load {load()}]")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
