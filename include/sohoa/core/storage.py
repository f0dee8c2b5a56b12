"""Object storage for page images, PDFs and reports: a local folder or S3-compatible.

Keys are "/"-separated relative paths such as ``pdf/G01/G01.2021.01.001.pdf``. They are
NFC-normalised (Vietnamese names typed on different systems map to one key) and
validated: no absolute keys, no ``.``/``..``/empty segments, no backslashes, no NUL or
other control characters.

Every write returns the SHA-256 of the stored bytes and is atomic: a reader sees either
the old object, the new one, or nothing — never a half-written object.

* ``LocalStorage`` writes to a temp file in the target directory, fsyncs it, then
  ``os.replace``s it into place; it never writes outside its root (symlinks included).
  The SHA-256 is kept in the ``user.sohoa.sha256`` extended attribute where the file
  system supports it, otherwise recomputed by ``stat``.
* ``S3Storage`` uses one PUT (atomic by S3 semantics) or a multipart upload (the object
  appears only at CompleteMultipartUpload). The SHA-256 goes to ``x-amz-meta-sha256``
  and the server is asked to verify ``ChecksumSHA256`` where it supports it. An endpoint
  that cannot be reached is retried with exponential backoff (``S3RetryPolicy``, from
  SOHOA_S3_RETRY_* variables) on top of botocore's own retries; when the outage outlasts
  them the call raises ``StorageUnavailable`` naming the endpoint.

No Airflow import here: this module is plain domain code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import tempfile
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sohoa.core.config import Settings

__all__ = [
    "XLSX_CONTENT_TYPE",
    "ChecksumMismatch",
    "copy_object",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "S3RetryPolicy",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "get_storage",
    "normalize_key",
    "sha256_bytes",
    "sha256_file",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
TMP_PREFIX = ".sohoa-tmp-"
XATTR_SHA256 = "user.sohoa.sha256"
MAX_KEY_BYTES = 1024  # the S3 limit, applied to both backends so keys stay portable


class StorageError(Exception):
    """Base class of storage errors."""


class ObjectNotFound(StorageError, FileNotFoundError):
    """The key does not exist. ``str(exc)`` and ``exc.key`` are the key."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return self.key


class ChecksumMismatch(StorageError):
    """Bytes read back do not match the SHA-256 recorded when they were written."""

    def __init__(self, key: str, expected: str, actual: str):
        super().__init__(f"{key}: sha256 {actual} != recorded {expected}")
        self.key, self.expected, self.actual = key, expected, actual


class StorageUnavailable(StorageError):
    """The object store's endpoint could not be reached, retries and backoff included."""

    def __init__(self, endpoint: str, operation: str, attempts: int, seconds: float,
                 cause: BaseException):
        super().__init__(
            f"Không kết nối được kho đối tượng S3 tại {endpoint} ({operation}) sau {attempts} "
            f"lần thử trong {seconds:.0f} giây; lần chạy sau sẽ làm tiếp. Lỗi: {cause}")
        self.endpoint, self.operation, self.attempts = endpoint, operation, attempts


@dataclass(frozen=True)
class S3RetryPolicy:
    """How long an unreachable S3 endpoint is waited for: waits of ``base`` seconds,
    doubling up to ``max_delay``, while the waits add up to at most ``total`` seconds
    (default 120: a one-minute outage is ridden out). Each attempt itself is botocore's
    ``max_attempts`` tries with ``connect_timeout`` / ``read_timeout``."""

    total: float = 120.0
    base: float = 1.0
    max_delay: float = 15.0
    max_attempts: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    @classmethod
    def from_env(cls) -> S3RetryPolicy:
        def num(name: str, default: float) -> float:
            value = os.environ.get(name)
            return float(value) if value not in (None, "") else default

        d = cls()
        return cls(total=num("SOHOA_S3_RETRY_SECONDS", d.total),
                   base=num("SOHOA_S3_RETRY_BASE", d.base),
                   max_delay=num("SOHOA_S3_RETRY_MAX_DELAY", d.max_delay),
                   max_attempts=int(num("SOHOA_S3_MAX_ATTEMPTS", d.max_attempts)),
                   connect_timeout=num("SOHOA_S3_CONNECT_TIMEOUT", d.connect_timeout),
                   read_timeout=num("SOHOA_S3_READ_TIMEOUT", d.read_timeout))

    def delays(self) -> Iterator[float]:
        """The waits between attempts, in order."""
        spent, delay = 0.0, self.base
        while delay > 0 and spent + min(delay, self.max_delay) <= self.total:
            wait = min(delay, self.max_delay)
            spent += wait
            yield wait
            delay *= 2


def _unreachable(exc: BaseException) -> bool:
    """Connection refused/reset, DNS, connect or read timeouts: the endpoint is away."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return isinstance(exc, (BotoConnectionError, HTTPClientError))


class _RetryingClient:
    """A boto3 S3 client whose calls ride out an unreachable endpoint (S3RetryPolicy)."""

    _PASS = ("get_paginator", "can_paginate", "generate_presigned_url", "close")

    def __init__(self, client: Any, endpoint: str, policy: S3RetryPolicy,
                 sleep=time.sleep):
        self._client, self._endpoint, self._policy, self._sleep = client, endpoint, policy, sleep

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("_") or name in self._PASS:
            return attr

        def call(*args, **kwargs):
            return self.call(name, lambda: attr(*args, **kwargs))

        return call

    def call(self, operation: str, fn):
        start, attempt = time.monotonic(), 0
        delays = self._policy.delays()
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                wait = next(delays, None)
                if wait is None:
                    raise StorageUnavailable(self._endpoint, operation, attempt,
                                             time.monotonic() - start, exc) from exc
                log.warning("S3 endpoint %s unreachable (%s, attempt %d): %s; retrying in %.1fs",
                            self._endpoint, operation, attempt, exc, wait)
                self._sleep(wait)


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None
    modified: datetime  # timezone-aware (UTC)


# --------------------------------------------------------------------------- helpers


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def normalize_key(key: str) -> str:
    """Return the NFC form of ``key`` or raise ValueError if it is not a safe relative key."""
    if not isinstance(key, str):
        raise ValueError(f"object key must be str, not {type(key).__name__}")
    key = unicodedata.normalize("NFC", key)
    if not key:
        raise ValueError("object key is empty")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError(f"object key contains NUL or control characters: {key!r}")
    if "\\" in key:
        raise ValueError(f"object key contains a backslash: {key!r}")
    if key.startswith("/"):
        raise ValueError(f"object key is absolute: {key!r}")
    if len(key) >= 2 and key[1] == ":" and key[0].isalpha():
        raise ValueError(f"object key looks like a drive path: {key!r}")
    for part in key.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"object key has an empty, '.' or '..' segment: {key!r}")
        if part.startswith(TMP_PREFIX):
            raise ValueError(f"object key segment uses the reserved prefix {TMP_PREFIX!r}")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"object key longer than {MAX_KEY_BYTES} bytes")
    return key


def _normalize_prefix(prefix: str) -> str:
    if not prefix:
        return ""
    prefix = unicodedata.normalize("NFC", prefix)
    if "\\" in prefix or "\x00" in prefix or prefix.startswith("/"):
        raise ValueError(f"invalid prefix: {prefix!r}")
    if any(part == ".." for part in prefix.split("/")):
        raise ValueError(f"invalid prefix: {prefix!r}")
    return prefix


def _hex_to_b64(hexdigest: str) -> str:
    return base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


def _b64_to_hex(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


# --------------------------------------------------------------------------- interface


@contextlib.contextmanager
def _replaced_atomically(dest: Path) -> Iterator[str]:
    """A temp file beside ``dest``: on success it replaces ``dest`` (mode 0644); on any error
    it is removed, so a reader never sees a half-written file and nothing is left behind."""
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
    os.close(fd)
    try:
        yield tmp_name
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class Storage(ABC):
    """Where images, PDFs and reports live. All keys go through :func:`normalize_key`."""

    name: str

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        """Store ``data`` atomically under ``key``; return its SHA-256 hex digest."""

    @abstractmethod
    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        """Store the file at ``path`` (streamed; multipart on S3); return its SHA-256."""

    @abstractmethod
    def put_stream(
        self, key: str, chunks: Iterable[bytes], content_type: str | None = None
    ) -> str:
        """Store the concatenated ``chunks``; if the iterable raises, nothing is stored."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; :class:`ObjectNotFound` if missing."""

    @abstractmethod
    def download(self, key: str, path: Path) -> None:
        """Write the object to ``path`` (atomically; parents created); verifies SHA-256."""

    @abstractmethod
    def iter_chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks of up to CHUNK_SIZE (streamed; for re-hashing)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size, SHA-256 (None if unknown) and modification time; ObjectNotFound if missing."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix`` (a plain string prefix), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    @abstractmethod
    def url(self, key: str) -> str:
        """file:// URI (local) or s3://bucket/key (S3)."""

    def put_text(self, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> str:
        return self.put_bytes(key, text.encode("utf-8"), content_type)

    def get_text(self, key: str) -> str:
        return self.get_bytes(key).decode("utf-8")


# --------------------------------------------------------------------------- local


class LocalStorage(Storage):
    name = "local"

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    # -- paths
    def _path(self, key: str) -> tuple[str, Path]:
        key = normalize_key(key)
        path = self.root.joinpath(*key.split("/"))
        # A symlink inside the root could point elsewhere: check where the parent really is.
        real_parent = path.parent.resolve()
        if not real_parent.is_relative_to(self.root):
            raise ValueError(f"object key {key!r} resolves outside the storage root")
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.root):
                raise ValueError(f"object key {key!r} resolves outside the storage root")
        return key, path

    # -- writes
    def _write_atomic(self, key: str, chunks: Iterable[bytes]) -> str:
        key, path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.resolve().is_relative_to(self.root):  # created through a symlink?
            raise ValueError(f"object key {key!r} resolves outside the storage root")
        if path.is_dir():
            raise ValueError(f"object key {key!r} is a directory of other keys")
        digest = hashlib.sha256()
        with _replaced_atomically(path) as tmp:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    if not chunk:
                        continue
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            hexdigest = digest.hexdigest()
            with contextlib.suppress(OSError, AttributeError):
                os.setxattr(tmp, XATTR_SHA256, hexdigest.encode("ascii"))
        self._fsync_dir(path.parent)
        return hexdigest

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        return self._write_atomic(key, [bytes(data)])

    def put_stream(
        self, key: str, chunks: Iterable[bytes], content_type: str | None = None
    ) -> str:
        return self._write_atomic(key, chunks)

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        with open(path, "rb") as fh:
            return self._write_atomic(key, iter(lambda: fh.read(CHUNK_SIZE), b""))

    # -- reads
    def _existing(self, key: str) -> tuple[str, Path]:
        key, path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return key, path

    def get_bytes(self, key: str) -> bytes:
        key, path = self._existing(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        key, path = self._existing(key)
        try:
            fh = open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        with fh:
            yield from iter(lambda: fh.read(CHUNK_SIZE), b"")

    @staticmethod
    def _recorded_sha256(path: Path) -> str | None:
        try:
            value = os.getxattr(path, XATTR_SHA256).decode("ascii")
        except (OSError, AttributeError, UnicodeDecodeError):
            return None
        return value if len(value) == 64 else None

    def download(self, key: str, path: Path) -> None:
        key, src = self._existing(key)
        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        expected = self._recorded_sha256(src)
        digest = hashlib.sha256()
        with _replaced_atomically(dest) as tmp_name:
            with open(tmp_name, "wb") as out, open(src, "rb") as inp:
                for chunk in iter(lambda: inp.read(CHUNK_SIZE), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if expected and digest.hexdigest() != expected:
                raise ChecksumMismatch(key, expected, digest.hexdigest())

    def exists(self, key: str) -> bool:
        _, path = self._path(key)
        return path.is_file()

    def stat(self, key: str) -> ObjectInfo:
        key, path = self._existing(key)
        st = path.stat()
        sha = self._recorded_sha256(path) or sha256_file(path)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            sha256=sha,
            modified=datetime.fromtimestamp(st.st_mtime, tz=timezone.utc),
        )

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = _normalize_prefix(prefix)
        # Walk only the directory the prefix is certainly inside.
        base_parts = prefix.split("/")[:-1] if prefix else []
        start = self.root.joinpath(*base_parts)
        if not start.is_dir() or not start.resolve().is_relative_to(self.root):
            return iter(())
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = [d for d in dirnames if not d.startswith(TMP_PREFIX)]
            for filename in filenames:
                if filename.startswith(TMP_PREFIX):
                    continue
                key = rel_dir + filename
                if key.startswith(prefix):
                    keys.append(key)
        keys.sort()
        return iter(keys)

    def delete(self, key: str) -> None:
        _, path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                return  # a "directory" is not an object
            path.unlink()

    def url(self, key: str) -> str:
        _, path = self._path(key)
        return path.as_uri()


# --------------------------------------------------------------------------- S3


class S3Storage(Storage):
    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        create_bucket: bool = True,
        multipart_threshold: int = 64 * 1024 * 1024,
        multipart_chunksize: int = 16 * 1024 * 1024,
        max_concurrency: int = 4,
        page_size: int = 1000,
        client: Any = None,
        retry: S3RetryPolicy | None = None,
    ):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        if not bucket:
            raise ValueError("S3 storage needs a bucket (SOHOA_S3_BUCKET)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.page_size = page_size
        self.retry = retry or S3RetryPolicy.from_env()
        if client is None:
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
                config=Config(
                    signature_version="s3v4",
                    # Path style works for MinIO, Ceph, moto and IP endpoints alike.
                    s3={"addressing_style": "path"} if endpoint_url else {},
                    retries={"max_attempts": self.retry.max_attempts, "mode": "standard"},
                    connect_timeout=self.retry.connect_timeout,
                    read_timeout=self.retry.read_timeout,
                    # Only send checksums we ask for (SHA-256): the CRC defaults of new
                    # botocore break some S3-compatible servers.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        endpoint = endpoint_url or getattr(getattr(client, "meta", None), "endpoint_url", "S3")
        self.client = _RetryingClient(client, str(endpoint), self.retry)
        self.region = region
        self.transfer_config = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
            use_threads=max_concurrency > 1,
        )
        self._server_checksums = True  # flipped off if the server rejects ChecksumSHA256
        if create_bucket:
            self.ensure_bucket()

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    # -- helpers
    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    def _is_missing(self, exc: Exception) -> bool:
        return self._code(exc) in ("404", "NoSuchKey", "NotFound")

    def _checksum_unsupported(self, exc: Exception) -> bool:
        code = self._code(exc)
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
        return code in ("NotImplemented", "InvalidArgument", "InvalidRequest") and (
            "checksum" in message.lower() or code == "NotImplemented"
        )

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if self._code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:  # another worker created it first
            if self._code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def _extra(self, sha: str, content_type: str | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"Metadata": {"sha256": sha}}
        if content_type:
            extra["ContentType"] = content_type
        return extra

    # -- writes
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        from botocore.exceptions import ClientError

        key = normalize_key(key)
        data = bytes(data)
        sha = sha256_bytes(data)
        kwargs = {"Bucket": self.bucket, "Key": key, "Body": data, **self._extra(sha, content_type)}
        if self._server_checksums:
            try:
                self.client.put_object(**kwargs, ChecksumSHA256=_hex_to_b64(sha))
                return sha
            except ClientError as exc:
                if not self._checksum_unsupported(exc):
                    raise
                self._server_checksums = False
        self.client.put_object(**kwargs)
        return sha

    def _upload_path(self, key: str, path: Path, sha: str, content_type: str | None) -> None:
        from botocore.exceptions import ClientError

        extra = self._extra(sha, content_type)
        if self._server_checksums:
            try:
                self.client.upload_file(
                    str(path), self.bucket, key,
                    ExtraArgs={**extra, "ChecksumAlgorithm": "SHA256"},
                    Config=self.transfer_config,
                )
                return
            except ClientError as exc:
                if not self._checksum_unsupported(exc):
                    raise
                self._server_checksums = False
        self.client.upload_file(
            str(path), self.bucket, key, ExtraArgs=extra, Config=self.transfer_config
        )

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        key = normalize_key(key)
        path = Path(path)
        # The metadata must be known when the upload starts, so hash first (streaming).
        before = path.stat()
        sha = sha256_file(path)
        self._upload_path(key, path, sha, content_type)
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise StorageError(f"{path} changed while it was uploaded to {key}; upload again")
        return sha

    def put_stream(
        self, key: str, chunks: Iterable[bytes], content_type: str | None = None
    ) -> str:
        key = normalize_key(key)
        # Spool to a local temp file first: if the iterable fails nothing was uploaded.
        with tempfile.NamedTemporaryFile(prefix=TMP_PREFIX) as tmp:
            digest = hashlib.sha256()
            for chunk in chunks:
                digest.update(chunk)
                tmp.write(chunk)
            tmp.flush()
            sha = digest.hexdigest()
            self._upload_path(key, Path(tmp.name), sha, content_type)
        return sha

    # -- reads
    def get_bytes(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        key = normalize_key(key)

        def get() -> bytes:  # the body is read inside the retried call too
            response = self.client._client.get_object(Bucket=self.bucket, Key=key)
            with contextlib.closing(response["Body"]) as body:
                return body.read()

        try:
            return self.client.call("get_object", get)
        except ClientError as exc:
            if self._is_missing(exc):
                raise ObjectNotFound(key) from None
            raise

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        key = normalize_key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if self._is_missing(exc):
                raise ObjectNotFound(key) from None
            raise
        with contextlib.closing(response["Body"]) as body:
            yield from body.iter_chunks(CHUNK_SIZE)

    def _head(self, key: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if self._is_missing(exc):
                raise ObjectNotFound(key) from None
            raise

    @staticmethod
    def _sha_from_head(head: dict[str, Any]) -> str | None:
        sha = (head.get("Metadata") or {}).get("sha256")
        if sha and len(sha) == 64:
            return sha.lower()
        checksum = head.get("ChecksumSHA256")
        etag = str(head.get("ETag", ""))
        # Only a single-part upload's checksum is the SHA-256 of the whole object; a
        # multipart one (ETag "...-N") is a checksum of part checksums.
        if checksum and "-" not in checksum and "-" not in etag:
            return _b64_to_hex(checksum)
        return None

    def download(self, key: str, path: Path) -> None:
        key = normalize_key(key)
        head = self._head(key)
        expected = self._sha_from_head(head)
        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _replaced_atomically(dest) as tmp_name:
            from botocore.exceptions import ClientError

            try:
                self.client.download_file(
                    self.bucket, key, tmp_name, Config=self.transfer_config
                )
            except ClientError as exc:
                if self._is_missing(exc):
                    raise ObjectNotFound(key) from None
                raise
            if expected:
                actual = sha256_file(tmp_name)
                if actual != expected:
                    raise ChecksumMismatch(key, expected, actual)

    def exists(self, key: str) -> bool:
        try:
            self._head(normalize_key(key))
        except ObjectNotFound:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        key = normalize_key(key)
        head = self._head(key)
        modified = head["LastModified"]
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=timezone.utc)
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            sha256=self._sha_from_head(head),
            modified=modified,
        )

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = _normalize_prefix(prefix)
        # one retried request per page (a paginator's pages would not be retried)
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix,
                                  "MaxKeys": self.page_size}
        # S3 returns keys in UTF-8 byte order, which equals code-point (str) order.
        while True:
            page = self.client.list_objects_v2(**kwargs)
            for item in page.get("Contents", []):
                yield item["Key"]
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def delete(self, key: str) -> None:
        from botocore.exceptions import ClientError

        key = normalize_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:  # S3 already answers 204 for a missing key
            if not self._is_missing(exc):
                raise

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{normalize_key(key)}"


# --------------------------------------------------------------------------- factory


def get_storage(settings: Settings | None = None) -> Storage:
    """The configured storage (SOHOA_STORAGE=local (default) or s3), mirrored to the second
    copy when SOHOA_REPLICA* is set (sohoa.core.mirror: every write copied and verified)."""
    if settings is None:
        from sohoa.core.config import get_settings

        settings = get_settings()
    from sohoa.core.mirror import with_replica

    return with_replica(get_primary_storage(settings), settings)


def get_primary_storage(settings: Settings) -> Storage:
    """SOHOA_STORAGE alone, without the second copy."""
    kind = (settings.storage or "local").strip().lower()
    if kind == "local":
        return LocalStorage(settings.storage_root)
    if kind == "s3":
        return S3Storage(
            settings.s3_bucket or "",
            endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
    raise ValueError(f"SOHOA_STORAGE must be 'local' or 's3', not {settings.storage!r}")


def copy_object(src: Storage, src_key: str, dst: Storage, dst_key: str | None = None) -> str:
    """Copy one object between storages (e.g. local → S3 migration); returns its SHA-256."""
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX) as tmpdir:
        tmp = Path(tmpdir) / "object"
        src.download(src_key, tmp)
        return dst.put_file(dst_key or src_key, tmp)
