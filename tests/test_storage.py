"""sohoa.core.storage: the same tests on the local folder and on a real S3 HTTP server (moto)."""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from s3server import moto_s3_server
from sohoa.core.storage import (
    TMP_PREFIX,
    ChecksumMismatch,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    get_storage,
    normalize_key,
    sha256_bytes,
    sha256_file,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_server():
    with moto_s3_server() as server:
        yield server


def _new_s3(server, bucket: str | None = None, **kwargs) -> S3Storage:
    return S3Storage(
        bucket or f"test-{uuid.uuid4().hex[:12]}",
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        region=server.region,
        # S3's minimum part is 5 MB: a 6 MB file becomes two parts.
        multipart_threshold=5 * MB,
        multipart_chunksize=5 * MB,
        **kwargs,
    )


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    server = request.getfixturevalue("s3_server")
    return _new_s3(server)  # a fresh bucket per test


def _tmp_leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TMP_PREFIX)]


VIET_KEYS = [
    "pdf/G01/G01.2021.01.001.pdf",
    "ảnh/Sở Tư pháp/Hồ sơ số 1/trang 001.tif",
    "báo cáo/Tiến độ tuần 12 – Ủy ban nhân dân.xlsx",
]


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("key", VIET_KEYS)
def test_round_trip_bytes(storage, key):
    data = ("Cộng hoà xã hội chủ nghĩa Việt Nam " + key).encode("utf-8") + os.urandom(100)
    sha = storage.put_bytes(key, data, content_type="application/octet-stream")
    assert sha == hashlib.sha256(data).hexdigest()
    assert storage.get_bytes(key) == data
    assert storage.exists(key)
    info = storage.stat(key)
    assert info.key == key
    assert info.size == len(data)
    assert info.sha256 == sha
    assert info.modified.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - info.modified) < timedelta(minutes=5)
    assert list(storage.list()) == [key]


def test_keys_are_nfc_normalised(storage):
    nfd = unicodedata.normalize("NFD", "hồ sơ/Quyết định.pdf")
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfd != nfc
    storage.put_bytes(nfd, b"one")
    assert storage.get_bytes(nfc) == b"one"
    assert storage.exists(nfd) and storage.exists(nfc)
    assert list(storage.list()) == [nfc]
    storage.put_bytes(nfc, b"two")  # the same object, not a second one
    assert list(storage.list()) == [nfc]
    assert storage.get_bytes(nfd) == b"two"
    assert normalize_key(nfd) == nfc


def test_sha256_of_every_write_path_matches_hashlib(storage, tmp_path):
    data = os.urandom(3 * MB + 17)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_bytes(data) == expected
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    assert sha256_file(src) == expected

    assert storage.put_bytes("a/bytes.bin", data) == expected
    assert storage.put_file("a/file.bin", src) == expected
    chunks = [data[i : i + 1000_000] for i in range(0, len(data), 1000_000)]
    assert storage.put_stream("a/stream.bin", iter(chunks)) == expected
    for key in ("a/bytes.bin", "a/file.bin", "a/stream.bin"):
        assert storage.get_bytes(key) == data
        assert storage.stat(key).sha256 == expected
        assert storage.stat(key).size == len(data)


def test_overwrite_replaces_content(storage):
    storage.put_bytes("x/y.txt", b"first version, longer")
    sha = storage.put_bytes("x/y.txt", b"second")
    assert storage.get_bytes("x/y.txt") == b"second"
    info = storage.stat("x/y.txt")
    assert (info.size, info.sha256) == (6, sha)
    assert sha == hashlib.sha256(b"second").hexdigest()
    assert list(storage.list("x/")) == ["x/y.txt"]


def test_text_helpers(storage):
    storage.put_text("notes/ghi chú.txt", "Đã số hoá")
    assert storage.get_text("notes/ghi chú.txt") == "Đã số hoá"


# --------------------------------------------------------------------------- list


def test_list_prefix_and_sorting(storage):
    keys = ["b/2.txt", "a/z.txt", "ab/1.txt", "a/b/c.txt", "a/a.txt", "đ/1.txt", "a.txt"]
    for key in keys:
        storage.put_bytes(key, key.encode())
    assert list(storage.list()) == sorted(keys)
    assert list(storage.list("a/")) == ["a/a.txt", "a/b/c.txt", "a/z.txt"]
    # A prefix is a plain string prefix, as on S3 — not a directory name.
    assert list(storage.list("a")) == ["a.txt", "a/a.txt", "a/b/c.txt", "a/z.txt", "ab/1.txt"]
    assert list(storage.list("a/b")) == ["a/b/c.txt"]
    assert list(storage.list("đ/")) == ["đ/1.txt"]
    assert list(storage.list("nothing/")) == []
    assert list(storage.list("a/zz")) == []


def test_list_more_than_one_page(storage):
    n = 1100  # more than S3's 1000 keys per ListObjectsV2 page
    keys = [f"trang/{i:05d}.txt" for i in range(n)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: storage.put_bytes(k, k.encode()), keys))
    storage.put_bytes("khac/outside.txt", b"x")
    listed = list(storage.list("trang/"))
    assert listed == keys  # all of them, in order, no duplicates across pages
    assert len(list(storage.list())) == n + 1


def test_list_small_pages(s3_server):
    st = _new_s3(s3_server, page_size=7)
    keys = [f"p/{i:03d}" for i in range(30)]
    for key in keys:
        st.put_bytes(key, b"")
    assert list(st.list("p/")) == keys


# --------------------------------------------------------------------------- missing / delete


def test_missing_key(storage, tmp_path):
    with pytest.raises(ObjectNotFound) as excinfo:
        storage.get_bytes("khong/co.pdf")
    assert excinfo.value.key == "khong/co.pdf"
    assert isinstance(excinfo.value, FileNotFoundError)
    with pytest.raises(ObjectNotFound):
        storage.stat("khong/co.pdf")
    with pytest.raises(ObjectNotFound):
        storage.download("khong/co.pdf", tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()
    assert storage.exists("khong/co.pdf") is False


def test_prefix_is_not_an_object(storage):
    storage.put_bytes("dir/file.txt", b"x")
    assert storage.exists("dir") is False
    with pytest.raises(ObjectNotFound):
        storage.get_bytes("dir")
    storage.delete("dir")  # no error and nothing removed
    assert storage.get_bytes("dir/file.txt") == b"x"


def test_delete_is_idempotent(storage):
    storage.put_bytes("del/a.txt", b"a")
    storage.put_bytes("del/b.txt", b"b")
    storage.delete("del/a.txt")
    assert not storage.exists("del/a.txt")
    with pytest.raises(ObjectNotFound):
        storage.get_bytes("del/a.txt")
    storage.delete("del/a.txt")  # again: no error
    storage.delete("never/existed.txt")
    assert list(storage.list("del/")) == ["del/b.txt"]
    assert storage.get_bytes("del/b.txt") == b"b"


# --------------------------------------------------------------------------- big files


def test_put_file_six_megabytes(storage, tmp_path, request):
    data = os.urandom(6 * MB + 123)
    src = tmp_path / "Hồ sơ lớn.pdf"
    src.write_bytes(data)
    key = "pdf/G01/Hồ sơ lớn.pdf"
    sha = storage.put_file(key, src, content_type="application/pdf")
    assert sha == hashlib.sha256(data).hexdigest()
    assert storage.stat(key).size == len(data)
    out = tmp_path / "ra" / "sâu" / "copy.pdf"
    storage.download(key, out)
    assert out.read_bytes() == data
    assert _tmp_leftovers(out.parent) == []
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key=key)
        assert head["ETag"].strip('"').endswith("-2"), "expected a 2-part multipart upload"
        assert head["Metadata"]["sha256"] == sha
        assert head["ContentType"] == "application/pdf"
    else:
        assert _tmp_leftovers(storage.root) == []


def test_s3_metadata_and_single_put(s3_server):
    st = _new_s3(s3_server)
    sha = st.put_bytes("meta/ảnh.png", b"\x89PNG...", content_type="image/png")
    raw = s3_server.client()
    head = raw.head_object(Bucket=st.bucket, Key="meta/ảnh.png")
    assert head["Metadata"] == {"sha256": sha}  # x-amz-meta-sha256
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-meta-sha256"] == sha
    assert head["ContentType"] == "image/png"
    assert "-" not in head["ETag"]  # a single PUT


# --------------------------------------------------------------------------- invalid keys

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../escape.txt",
    "a/../../escape.txt",
    "a/..",
    "a\\b.txt",
    "..\\escape.txt",
    "a\x00b",
    "a//b",
    "a/./b",
    "trailing/",
    "C:/windows/x",
    "line\nbreak",
    f"x/{TMP_PREFIX}abc",
    "k" * 1025,
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_invalid_keys_rejected(storage, key, tmp_path):
    for call in (
        lambda: storage.put_bytes(key, b"x"),
        lambda: storage.put_file(key, Path(__file__)),
        lambda: storage.get_bytes(key),
        lambda: storage.exists(key),
        lambda: storage.stat(key),
        lambda: storage.delete(key),
        lambda: storage.url(key),
        lambda: storage.download(key, tmp_path / "out"),
    ):
        with pytest.raises(ValueError):
            call()
    assert list(storage.list()) == []
    assert not (tmp_path / "escape.txt").exists()


def test_odd_but_valid_keys(storage):
    for key in ["a..b/c...pdf", "có dấu cách/ và  hai.txt", ".hidden/file", "a/b-c_d (1).pdf"]:
        storage.put_bytes(key, key.encode())
        assert storage.get_bytes(key) == key.encode()


def test_local_never_writes_outside_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    st = LocalStorage(tmp_path / "root")
    (st.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError):
        st.put_bytes("link/x.txt", b"x")
    with pytest.raises(ValueError):
        st.put_bytes("link/deeper/x.txt", b"x")
    assert list(outside.rglob("*")) == []
    (st.root / "file-link").symlink_to(outside / "target.txt")
    with pytest.raises(ValueError):
        st.put_bytes("file-link", b"x")
    assert not (outside / "target.txt").exists()


# --------------------------------------------------------------------------- atomicity


class Boom(RuntimeError):
    pass


def test_failed_stream_leaves_nothing(storage):
    seen: dict[str, object] = {}

    def chunks():
        yield b"x" * MB
        # Half the object has been handed over: no reader may see it.
        seen["exists"] = storage.exists("atom/new.bin")
        seen["listed"] = list(storage.list("atom/"))
        yield b"y" * MB
        raise Boom("scanner disconnected")

    with pytest.raises(Boom):
        storage.put_stream("atom/new.bin", chunks())
    assert seen == {"exists": False, "listed": []}
    assert not storage.exists("atom/new.bin")
    assert list(storage.list()) == []
    if isinstance(storage, LocalStorage):
        assert _tmp_leftovers(storage.root) == []


def test_failed_overwrite_keeps_old_version(storage):
    storage.put_bytes("atom/old.bin", b"old content")
    seen: dict[str, object] = {}

    def chunks():
        yield b"new " * 1000
        seen["during"] = storage.get_bytes("atom/old.bin")
        raise Boom

    with pytest.raises(Boom):
        storage.put_stream("atom/old.bin", chunks())
    assert seen["during"] == b"old content"
    assert storage.get_bytes("atom/old.bin") == b"old content"
    assert storage.stat("atom/old.bin").sha256 == sha256_bytes(b"old content")
    assert list(storage.list()) == ["atom/old.bin"]
    if isinstance(storage, LocalStorage):
        assert _tmp_leftovers(storage.root) == []


def test_local_put_bytes_failure_mid_write(tmp_path, monkeypatch):
    """A crash between writing and renaming (e.g. disk full at fsync) leaves no trace."""
    st = LocalStorage(tmp_path / "root")
    st.put_bytes("a/b.pdf", b"v1")

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        st.put_bytes("a/b.pdf", b"v2" * 1000)
    with pytest.raises(OSError):
        st.put_bytes("a/new.pdf", b"v2")
    monkeypatch.undo()
    assert st.get_bytes("a/b.pdf") == b"v1"
    assert not st.exists("a/new.pdf")
    assert sorted(p.name for p in (st.root / "a").iterdir()) == ["b.pdf"]


# --------------------------------------------------------------------------- download / url


def test_download_overwrites_and_verifies(storage, tmp_path):
    storage.put_bytes("d/x.bin", b"payload")
    dest = tmp_path / "dest" / "x.bin"
    dest.parent.mkdir()
    dest.write_bytes(b"stale")
    storage.download("d/x.bin", dest)
    assert dest.read_bytes() == b"payload"
    assert _tmp_leftovers(dest.parent) == []


def test_download_detects_corruption(storage, tmp_path):
    storage.put_bytes("d/x.bin", b"payload")
    if isinstance(storage, LocalStorage):
        path = storage.root / "d" / "x.bin"
        try:
            os.getxattr(path, "user.sohoa.sha256")
        except OSError:
            pytest.skip("file system without user xattrs: no recorded checksum to verify")
        with open(path, "r+b") as fh:  # bit rot in place: same inode, stale checksum
            fh.write(b"P")
    else:  # someone rewrote the object without updating the checksum
        storage.client.put_object(
            Bucket=storage.bucket, Key="d/x.bin", Body=b"Payload",
            Metadata={"sha256": sha256_bytes(b"payload")},
        )
    dest = tmp_path / "out.bin"
    with pytest.raises(ChecksumMismatch):
        storage.download("d/x.bin", dest)
    assert not dest.exists()
    assert _tmp_leftovers(tmp_path) == []


def test_url(storage):
    key = "pdf/G01/Hồ sơ 1.pdf"
    storage.put_bytes(key, b"x")
    url = storage.url(key)
    if isinstance(storage, LocalStorage):
        parsed = urlparse(url)
        assert parsed.scheme == "file"
        path = Path(unquote(parsed.path))
        assert path == storage.root / "pdf" / "G01" / "Hồ sơ 1.pdf"
        assert path.read_bytes() == b"x"
    else:
        assert url == f"s3://{storage.bucket}/{key}"


# --------------------------------------------------------------------------- get_storage


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("SOHOA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_get_storage_default_is_local_under_home(clean_env, tmp_path):
    clean_env.setenv("SOHOA_HOME", str(tmp_path / "home"))
    st = get_storage()
    assert isinstance(st, LocalStorage) and st.name == "local"
    assert st.root == (tmp_path / "home" / "objects").resolve()
    st.put_bytes("k.txt", b"v")
    assert (tmp_path / "home" / "objects" / "k.txt").read_bytes() == b"v"


def test_get_storage_local_root(clean_env, tmp_path):
    clean_env.setenv("SOHOA_STORAGE", "local")
    clean_env.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "kho"))
    st = get_storage()
    assert isinstance(st, LocalStorage)
    st.put_bytes("a/b.txt", b"v")
    assert (tmp_path / "kho" / "a" / "b.txt").read_bytes() == b"v"


def test_get_storage_s3_from_env(clean_env, s3_server):
    bucket = f"sohoa-env-{uuid.uuid4().hex[:8]}"
    for name, value in s3_server.env(bucket=bucket).items():
        clean_env.setenv(name, value)
    raw = s3_server.client()
    assert bucket not in [b["Name"] for b in raw.list_buckets()["Buckets"]]
    st = get_storage()
    assert isinstance(st, S3Storage) and st.name == "s3"
    assert st.bucket == bucket
    assert bucket in [b["Name"] for b in raw.list_buckets()["Buckets"]]  # created
    st.put_bytes("x/ý.txt", b"v")
    assert raw.get_object(Bucket=bucket, Key="x/ý.txt")["Body"].read() == b"v"
    again = get_storage()  # bucket exists now: no error
    assert again.get_bytes("x/ý.txt") == b"v"


def test_get_storage_rejects_bad_config(clean_env, s3_server):
    clean_env.setenv("SOHOA_STORAGE", "ftp")
    with pytest.raises(ValueError):
        get_storage()
    for name, value in s3_server.env().items():  # s3 without a bucket
        clean_env.setenv(name, value)
    with pytest.raises(ValueError):
        get_storage()
