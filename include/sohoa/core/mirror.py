"""The second copy: every object written to the primary storage is copied to a replica and
verified there by checksum (TT 05/2025: at least two copies).

Configured by environment only (see ``sohoa.core.config``): ``SOHOA_REPLICA=local`` with
``SOHOA_REPLICA_ROOT`` (another folder, best on another disk), or ``SOHOA_REPLICA=s3`` with
``SOHOA_REPLICA_S3_BUCKET`` (another bucket; ``SOHOA_REPLICA_S3_ENDPOINT_URL`` and keys for
another endpoint, else the primary's). Without them ``get_storage`` returns the primary alone.

Writes go to the primary first, then to the replica; the replica's bytes are read back and
hashed, and a mismatch is retried once, then raised (:class:`ReplicaError`): a write whose
second copy cannot be made is loud, never silent. Reads come from the primary; ``download``
falls back to the replica when the primary copy is missing or corrupted. Repairs of either
copy are the fixity audit's job (``sohoa.preservation.replica``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sohoa.core.storage import (
    ChecksumMismatch,
    LocalStorage,
    ObjectInfo,
    ObjectNotFound,
    S3Storage,
    Storage,
    StorageError,
)

if TYPE_CHECKING:  # pragma: no cover
    from sohoa.core.config import Settings

log = logging.getLogger(__name__)


class ReplicaError(StorageError):
    """The second copy could not be written or does not match what was written."""


def hash_object(storage: Storage, key: str) -> tuple[str, int]:
    """SHA-256 and size of the stored bytes, streamed (ObjectNotFound if missing)."""
    digest, size = hashlib.sha256(), 0
    for chunk in storage.iter_chunks(key):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def replica_storage(settings: Settings) -> Storage | None:
    """The configured second copy, or None."""
    kind = settings.replica
    if not kind:
        return None
    if kind == "local":
        if not settings.replica_root:
            raise ValueError("SOHOA_REPLICA=local needs SOHOA_REPLICA_ROOT (the second folder)")
        if Path(settings.replica_root).resolve() == Path(settings.storage_root).resolve() \
                and (settings.storage or "local") == "local":
            raise ValueError("SOHOA_REPLICA_ROOT must differ from SOHOA_STORAGE_ROOT")
        return LocalStorage(settings.replica_root)
    if kind == "s3":
        if not settings.replica_s3_bucket:
            raise ValueError("SOHOA_REPLICA=s3 needs SOHOA_REPLICA_S3_BUCKET")
        return S3Storage(
            settings.replica_s3_bucket,
            endpoint_url=settings.replica_s3_endpoint_url or settings.s3_endpoint_url,
            access_key=settings.replica_s3_access_key or settings.s3_access_key,
            secret_key=settings.replica_s3_secret_key or settings.s3_secret_key,
            region=settings.replica_s3_region or settings.s3_region,
        )
    raise ValueError(f"SOHOA_REPLICA must be 'local' or 's3', not {kind!r}")


def with_replica(primary: Storage, settings: Settings) -> Storage:
    replica = replica_storage(settings)
    return MirroredStorage(primary, replica) if replica is not None else primary


class MirroredStorage(Storage):
    """A primary storage whose every write is copied to ``replica`` and verified."""

    def __init__(self, primary: Storage, replica: Storage):
        self.primary, self.replica = primary, replica
        self.name = primary.name

    def __repr__(self) -> str:
        return f"MirroredStorage({self.primary!r}, replica={self.replica!r})"

    def __getattr__(self, name: str):  # root, bucket, client... of the primary
        if name in ("primary", "replica"):
            raise AttributeError(name)
        return getattr(self.primary, name)

    # -- the second copy
    def copy_to_replica(self, key: str, sha: str, content_type: str | None = None,
                        data: bytes | None = None) -> None:
        """Write the primary's object (or ``data``) to the replica and check it reads back
        with ``sha``; one retry, then ReplicaError."""
        for attempt in (1, 2):
            try:
                if data is not None:
                    self.replica.put_bytes(key, data, content_type)
                else:
                    self.replica.put_stream(key, self.primary.iter_chunks(key), content_type)
                got, _ = hash_object(self.replica, key)
            except (StorageError, OSError) as exc:
                got = f"error: {exc}"
            if got == sha:
                return
            log.warning("second copy of %s: attempt %d gave %s, expected %s", key, attempt,
                        got, sha)
        raise ReplicaError(f"bản sao thứ hai của {key} không khớp mã kiểm tra ({got} != {sha})")

    # -- writes
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        data = bytes(data)
        sha = self.primary.put_bytes(key, data, content_type)
        self.copy_to_replica(key, sha, content_type, data=data)
        return sha

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        sha = self.primary.put_file(key, path, content_type)
        self.copy_to_replica(key, sha, content_type)
        return sha

    def put_stream(self, key: str, chunks: Iterable[bytes],
                   content_type: str | None = None) -> str:
        sha = self.primary.put_stream(key, chunks, content_type)
        self.copy_to_replica(key, sha, content_type)
        return sha

    def delete(self, key: str) -> None:
        self.primary.delete(key)
        self.replica.delete(key)

    # -- reads: the primary; download falls back to the good second copy
    def get_bytes(self, key: str) -> bytes:
        return self.primary.get_bytes(key)

    def download(self, key: str, path: Path) -> None:
        try:
            self.primary.download(key, path)
        except (ObjectNotFound, ChecksumMismatch) as exc:
            log.warning("primary copy of %s unusable (%s): reading the second copy", key, exc)
            self.replica.download(key, path)

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        return self.primary.iter_chunks(key)

    def exists(self, key: str) -> bool:
        return self.primary.exists(key)

    def stat(self, key: str) -> ObjectInfo:
        return self.primary.stat(key)

    def list(self, prefix: str = "") -> Iterator[str]:
        return self.primary.list(prefix)

    def url(self, key: str) -> str:
        return self.primary.url(key)
