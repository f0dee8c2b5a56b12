"""Both copies of one object checked against its recorded SHA-256, the bad one repaired
from the good one.

The second copy is written by ``sohoa.core.mirror`` on every store; here the fixity audit
looks at each copy in turn. Outcomes, per copy found bad:

* ``repaired`` — the other copy matched; its bytes were copied over the bad one and the
  repaired copy was read back and matched;
* ``unrepaired`` — no good copy to repair from (no second copy configured), or the repair
  did not read back right: still bad, reported until fixed;
* ``lost`` — both copies are missing or wrong: reported loudly (log error + event), never
  silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sohoa.core.mirror import MirroredStorage, hash_object
from sohoa.core.storage import ObjectNotFound, Storage, StorageError

log = logging.getLogger(__name__)

PRIMARY, REPLICA = "primary", "replica"


@dataclass
class CopyProblem:
    copy: str  # primary | replica
    problem: str  # missing | mismatch
    actual: str | None
    outcome: str  # repaired | unrepaired | lost


@dataclass
class Check:
    key: str
    expected: str
    size: int = 0  # bytes read (both copies)
    problems: list[CopyProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def copies(storage: Storage) -> tuple[Storage, Storage | None]:
    """(primary, second copy or None) of a configured storage."""
    if isinstance(storage, MirroredStorage):
        return storage.primary, storage.replica
    return storage, None


def read_sha(storage: Storage, key: str) -> tuple[str | None, int]:
    """(SHA-256, size) of the stored bytes, (None, 0) when the object is missing."""
    try:
        return hash_object(storage, key)
    except ObjectNotFound:
        return None, 0


def repair(src: Storage, dst: Storage, key: str, expected: str) -> bool:
    """Copy ``key`` from ``src`` to ``dst`` and check the copy reads back as ``expected``."""
    try:
        dst.put_stream(key, src.iter_chunks(key))
        got, _ = hash_object(dst, key)
    except (StorageError, OSError) as exc:
        log.error("repair of %s failed: %s", key, exc)
        return False
    return got == expected


def check_and_repair(primary: Storage, replica: Storage | None, key: str, expected: str,
                     *, shas: tuple[str | None, str | None] | None = None) -> Check:
    """Check both copies of ``key`` against ``expected``; repair a bad copy from a good one.
    ``shas``: the copies' hashes when the caller has read them already."""
    chk = Check(key, expected)
    if shas is None:
        p_sha, p_size = read_sha(primary, key)
        r_sha, r_size = read_sha(replica, key) if replica is not None else (None, 0)
        chk.size = p_size + r_size
    else:
        p_sha, r_sha = shas
    p_ok = p_sha == expected
    r_ok = replica is None or r_sha == expected
    if p_ok and r_ok:
        return chk
    bad = [(PRIMARY, primary, p_sha, replica, r_ok and replica is not None)] if not p_ok else []
    if not r_ok:
        bad.append((REPLICA, replica, r_sha, primary, p_ok))
    for name, dst, actual, src, source_ok in bad:
        problem = "missing" if actual is None else "mismatch"
        if source_ok:
            outcome = "repaired" if repair(src, dst, key, expected) else "unrepaired"
        elif replica is None:
            outcome = "unrepaired"
        else:
            outcome = "lost"
        chk.problems.append(CopyProblem(name, problem, actual, outcome))
    if any(p.outcome == "lost" for p in chk.problems):
        log.error("MẤT DỮ LIỆU: cả hai bản của %s đều thiếu hoặc sai (SHA-256 ghi nhận %s)",
                  key, expected)
    return chk
