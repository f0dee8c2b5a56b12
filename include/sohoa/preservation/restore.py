"""The restore drill: a file's originals and PDF/A files rebuilt from its AIP alone.

The database is used only to find the package and its SHA-256; everything restored comes
out of the zip, and every checksum is verified: the package's own (against the database,
taking the second copy when the first is bad), then every file each METS lists (root METS →
metadata and representation METS → their data files) by size and SHA-256.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.db.models import Aip
from sohoa.core.selection import select_files
from sohoa.core.storage import Storage, sha256_file
from sohoa.preservation.mets import METS_NS, XLINK_NS
from sohoa.preservation.replica import copies

HREF = f"{{{XLINK_NS}}}href"


class RestoreError(Exception):
    pass


def _fetch_aip(storage: Storage, aip: Aip, dest: Path) -> str:
    """The AIP zip at ``dest`` from whichever copy matches its recorded SHA-256."""
    tried = []
    for store in (s for s in copies(storage) if s is not None):
        try:
            with open(dest, "wb") as out:
                for chunk in store.iter_chunks(aip.object_key):
                    out.write(chunk)
        except Exception as exc:  # noqa: BLE001 - try the other copy
            tried.append(f"{store!r}: {exc}")
            continue
        if sha256_file(dest) == aip.sha256:
            return repr(store)
        tried.append(f"{store!r}: SHA-256 khác giá trị đã ghi")
    raise RestoreError(f"không có bản AIP nào của {aip.object_key} khớp mã kiểm tra: "
                       + "; ".join(tried))


def _safe_join(root: Path, rel: str) -> Path:
    parts = PurePosixPath(rel).parts
    if PurePosixPath(rel).is_absolute() or ".." in parts:
        raise RestoreError(f"đường dẫn không an toàn trong gói: {rel!r}")
    return root.joinpath(*parts)


def _refs(mets_path: Path) -> list[tuple[str, int, str]]:
    """(href, size, sha256) of every file and mdRef the METS lists."""
    tree = etree.parse(str(mets_path))
    out = []
    for el in tree.iter(f"{{{METS_NS}}}file", f"{{{METS_NS}}}mdRef"):
        href = el.get(HREF) if el.tag.endswith("mdRef") else \
            el.find(f"{{{METS_NS}}}FLocat").get(HREF)
        out.append((href, int(el.get("SIZE")), el.get("CHECKSUM").lower()))
    return out


def verify_tree(root: Path) -> list[dict]:
    """Check every file the root METS and the METS it points to list; one row per file."""
    rows = []
    pending = [root / "METS.xml"]
    seen = set()
    while pending:
        mets_path = pending.pop(0)
        if mets_path in seen:
            continue
        seen.add(mets_path)
        for href, size, sha in _refs(mets_path):
            path = _safe_join(mets_path.parent, href)
            if not path.is_file():
                rows.append({"path": str(path.relative_to(root)), "ok": False,
                             "problem": "thiếu tệp"})
                continue
            got = sha256_file(path)
            ok = got == sha and path.stat().st_size == size
            rows.append({"path": str(path.relative_to(root)), "ok": ok, "sha256": got,
                         **({} if ok else {"problem": "sai kích thước hoặc mã kiểm tra"})})
            if ok and path.name == "METS.xml":
                pending.append(path)
    return rows


def restore(session: Session, storage: Storage, file_ref: str, to: Path) -> dict:
    found = select_files(session, file_ref=file_ref)
    if not found:
        raise RestoreError(f"không tìm thấy hồ sơ {file_ref!r}")
    f = found[0]
    aip = session.scalars(select(Aip).where(Aip.file_id == f.id)).first()
    if aip is None:
        raise RestoreError(f"hồ sơ {f.file_code} chưa có gói AIP")
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sohoa-restore-") as tmp:
        zpath = Path(tmp) / "aip.zip"
        source = _fetch_aip(storage, aip, zpath)
        with zipfile.ZipFile(zpath) as zf:
            names = zf.namelist()
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) != 1:
                raise RestoreError("gói AIP phải có đúng một thư mục gốc")
            top = tops.pop()
            target = to / top
            if target.exists():
                shutil.rmtree(target)
            for name in names:
                if name.endswith("/"):
                    continue
                dest = _safe_join(to, name)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(name) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
    rows = verify_tree(target)
    bad = [r for r in rows if not r["ok"]]
    data = [r for r in rows if "/data/" in r["path"]]
    return {"file": f.file_code, "aip_key": aip.object_key, "aip_sha256": aip.sha256,
            "aip_from": source, "to": str(target), "files_verified": len(rows),
            "originals": sum("representations/original/data/" in r["path"] for r in data),
            "access": sum("representations/access/data/" in r["path"] for r in data),
            "bad": bad, "ok": not bad,
            "digest": hashlib.sha256("".join(sorted(r.get("sha256", "") for r in rows))
                                     .encode()).hexdigest()}
