"""Fixity audit, the second copy and the restore drill, on SQLite and PostgreSQL, on the
local backend and on S3 (moto's server over HTTP)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

import preservation_data as pdata
from s3server import moto_s3_server
from sohoa.core.db.models import Event, File, FixityFinding, FixityRun, Page
from sohoa.core.db.session import session_scope
from sohoa.core.mirror import MirroredStorage, ReplicaError, hash_object
from sohoa.core.storage import LocalStorage, S3Storage, get_storage
from sohoa.preservation import aip, fixity
from sohoa.preservation.restore import RestoreError, restore


@pytest.fixture(scope="module")
def s3_server():
    with moto_s3_server() as server:
        yield server


def _local_pair(tmp_path) -> MirroredStorage:
    return MirroredStorage(LocalStorage(tmp_path / "primary"), LocalStorage(tmp_path / "replica"))


def _s3_pair(server) -> MirroredStorage:
    def make(bucket):
        return S3Storage(bucket, endpoint_url=server.endpoint_url, access_key=server.access_key,
                         secret_key=server.secret_key, region=server.region)
    tag = uuid.uuid4().hex[:8]
    return MirroredStorage(make(f"primary-{tag}"), make(f"replica-{tag}"))


def _flip_byte(store, key: str, at: int = 200) -> None:
    """Corrupt one byte in place, behind the storage's back (bit rot, a bad disk)."""
    if isinstance(store, LocalStorage):
        path = store.root / key
        data = bytearray(path.read_bytes())
        data[at] ^= 0x01
        path.write_bytes(bytes(data))
    else:  # rewrite the object directly, keeping the recorded checksum metadata
        head = store.client.head_object(Bucket=store.bucket, Key=key)
        data = bytearray(store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read())
        data[at] ^= 0x01
        store.client.put_object(Bucket=store.bucket, Key=key, Body=bytes(data),
                                Metadata=head.get("Metadata", {}))


def _world(engine, store, files: int = 2):
    with session_scope(engine) as s:
        made = [pdata.integrated_file(s, store, seq=n) for n in range(1, files + 1)]
        codes = [f.file_code for f in made]
    with session_scope(engine) as s:
        assert aip.build_aips(s, store)["built"] == files
    return codes


def _objects(engine) -> int:
    """Objects the audit must check: per file 3 originals + 1 derivative + PDF + AIP."""
    with session_scope(engine) as s:
        return len(s.scalars(select(Page)).all()) + 3 * len(s.scalars(select(File)).all())


def test_mirror_writes_and_verifies_the_second_copy(tmp_path):
    store = _local_pair(tmp_path)
    sha = store.put_bytes("a/b.bin", b"x" * 5000)
    assert hash_object(store.replica, "a/b.bin") == (sha, 5000)
    src = tmp_path / "f.bin"
    src.write_bytes(b"y" * 3000)
    sha2 = store.put_file("a/c.bin", src)
    assert hash_object(store.replica, "a/c.bin")[0] == sha2

    class Corrupting(LocalStorage):  # a replica that stores bytes other than those sent
        def put_bytes(self, key, data, content_type=None):
            return super().put_bytes(key, bytes(data)[:-1] + b"!", content_type)

    bad = MirroredStorage(LocalStorage(tmp_path / "p2"), Corrupting(tmp_path / "r2"))
    with pytest.raises(ReplicaError, match="bản sao thứ hai"):
        bad.put_bytes("k.bin", b"z" * 100)


def test_second_copy_configured_by_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "p"))
    monkeypatch.delenv("SOHOA_REPLICA", raising=False)
    monkeypatch.delenv("SOHOA_REPLICA_ROOT", raising=False)
    assert isinstance(get_storage(), LocalStorage)
    monkeypatch.setenv("SOHOA_REPLICA_ROOT", str(tmp_path / "r"))
    store = get_storage()
    assert isinstance(store, MirroredStorage)
    store.put_text("x.txt", "một hai ba")
    assert (tmp_path / "r" / "x.txt").read_text(encoding="utf-8") == "một hai ba"
    monkeypatch.setenv("SOHOA_REPLICA_ROOT", str(tmp_path / "p"))
    with pytest.raises(ValueError, match="must differ"):
        get_storage()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_audit_detects_repairs_and_records(engine, tmp_path, backend, request):
    store = _local_pair(tmp_path) if backend == "local" else \
        _s3_pair(request.getfixturevalue("s3_server"))
    codes = _world(engine, store)
    with session_scope(engine) as s:
        page = s.scalars(select(Page).order_by(Page.id)).first()
        f2 = s.scalars(select(File).where(File.file_code == codes[1])).one()
        page_key, page_sha, pdf_key = page.image_key, page.sha256, f2.pdf_key
        page_id = page.id

    clean = fixity.audit(store, engine=engine)
    assert clean["status"] == "done" and clean["checked"] == _objects(engine)
    assert (clean["ok"], clean["repaired"], clean["lost"]) == (clean["checked"], 0, 0)

    _flip_byte(store.primary, page_key)           # first copy rots
    _flip_byte(store.replica, pdf_key)            # second copy rots
    store.replica.delete(f"aips/G01/{codes[0]}.zip")  # second copy gone
    out = fixity.audit(store, engine=engine)
    assert out["repaired"] == 3 and out["lost"] == 0 and out["unrepaired"] == 0
    assert out["ok"] == out["checked"] - 3
    # repaired from the good copy: both copies hold the recorded bytes again
    assert hash_object(store.primary, page_key)[0] == page_sha
    assert hash_object(store.replica, page_key)[0] == page_sha
    assert store.replica.exists(f"aips/G01/{codes[0]}.zip")
    with session_scope(engine) as s:
        findings = {(f.object_key, f.copy, f.problem, f.outcome)
                    for f in s.scalars(select(FixityFinding))}
        assert findings == {(page_key, "primary", "mismatch", "repaired"),
                            (pdf_key, "replica", "mismatch", "repaired"),
                            (f"aips/G01/{codes[0]}.zip", "replica", "missing", "repaired")}
        ev = s.scalars(select(Event).where(Event.action == "fixity_repaired",
                                           Event.entity == "pages")).one()
        assert ev.entity_id == page_id and ev.details["expected_sha256"] == page_sha
        assert ev.details["actual_sha256"] != page_sha and ev.details["copy"] == "primary"
        checks = s.scalars(select(Event).where(Event.action == "fixity_check")).all()
        listed = [k for e in checks if e.details["scope"] == "all" for k in e.details["keys"]]
        assert page_key in listed and len(listed) == 2 * _objects(engine)

    # both copies bad: a loss, loud, and the CLI-facing figures say so
    _flip_byte(store.primary, pdf_key, at=50)
    _flip_byte(store.replica, pdf_key, at=60)
    lost = fixity.audit(store, engine=engine, agency="G01")
    assert lost["lost"] == 2 and lost["scope"] == "agency:G01"
    assert {f["key"] for f in lost["open_findings"]} == {pdf_key}
    with session_scope(engine) as s:
        assert s.scalars(select(Event).where(Event.action == "fixity_loss")).all()
        figures = fixity.fixity_figures(s)
        assert figures["lost"] == 2 and figures["repaired"] == 3

    # fixed by hand from a backup: the next audit closes the findings
    good = pdata.fake_pdf(2, 20_000 * 3 // 2)
    with session_scope(engine) as s:
        assert pdata.digest(good) == s.scalars(select(File).where(File.pdf_key == pdf_key)
                                               ).one().pdf_sha256
    store.put_bytes(pdf_key, good)
    again = fixity.audit(store, engine=engine, agency="G01")
    assert again["lost"] == 0 and again["open_findings"] == []


def test_audit_runs_in_bounded_resumable_batches(engine, tmp_path):
    store = _local_pair(tmp_path)
    _world(engine, store)
    total = _objects(engine)
    part = fixity.audit(store, engine=engine, limit=2, max_batches=2)
    assert part["status"] == "running" and 0 < part["checked"] < total
    with session_scope(engine) as s:
        run = s.scalars(select(FixityRun)).one()
        assert run.cursor["source"] == 0 and run.cursor["after"] > 0  # still in pages
    rest = fixity.audit(store, engine=engine, limit=2)  # resumes the same run
    assert rest["run_id"] == part["run_id"] and rest["status"] == "done"
    assert rest["checked"] == total and rest["ok"] == total
    with session_scope(engine) as s:
        batches = s.scalars(select(Event).where(Event.action == "fixity_check")).all()
        assert len(batches) == rest["batches"]
        keys = [k for e in batches for k in e.details["keys"]]
        assert len(keys) == len(set(keys)) == total  # nothing checked twice, nothing skipped
    nxt = fixity.audit(store, engine=engine, limit=500)
    assert nxt["run_id"] != part["run_id"] and nxt["batches"] <= 4


def test_without_second_copy_a_bad_object_stays_unrepaired(engine, tmp_path):
    store = LocalStorage(tmp_path / "only")
    _world(engine, store, files=1)
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        key = f.pdf_key
    store.delete(key)
    out = fixity.audit(store, engine=engine, file_ref=f.file_code)
    assert out["unrepaired"] == 1 and out["scope"] == f"file:{f.file_code}"
    assert out["open_findings"][0]["problem"] == "missing"
    assert "chưa sửa được" in out["open_findings"][0]["reason"]


def test_restore_drill_from_the_aip_alone(engine, tmp_path):
    store = _local_pair(tmp_path)
    codes = _world(engine, store, files=1)
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        want = {p.page_no: p.sha256 for p in f.pages}
        pdf_sha = f.pdf_sha256
    with session_scope(engine) as s:
        out = restore(s, store, codes[0], tmp_path / "out")
    assert out["ok"] and out["originals"] == 3 and out["access"] == 1
    root = tmp_path / "out" / codes[0]
    for n, sha in want.items():
        assert pdata.digest((root / f"representations/original/data/{n:04d}.jpg").read_bytes()) == sha
    assert pdata.digest((root / f"representations/access/data/{codes[0]}.pdf").read_bytes()) == pdf_sha

    key = f"aips/G01/{codes[0]}.zip"
    _flip_byte(store.primary, key, at=5000)  # the first copy of the AIP rots: second one used
    with session_scope(engine) as s:
        out = restore(s, store, codes[0], tmp_path / "out2")
    assert out["ok"] and "replica" in out["aip_from"]
    _flip_byte(store.replica, key, at=5000)
    with session_scope(engine) as s, pytest.raises(RestoreError, match="khớp mã kiểm tra"):
        restore(s, store, codes[0], tmp_path / "out3")


def test_restore_reports_a_tampered_member(engine, tmp_path):
    """A package whose data file no longer matches its METS checksum is reported bad."""
    import zipfile

    from sohoa.core.db.models import Aip

    store = _local_pair(tmp_path)
    codes = _world(engine, store, files=1)
    key = f"aips/G01/{codes[0]}.zip"
    src = store.primary.root / key
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith("0002.jpg"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            zout.writestr(item, data)
    sha = store.put_file(key, tampered)
    with session_scope(engine) as s:
        s.scalars(select(Aip)).one().sha256 = sha  # recorded as if built so
    with session_scope(engine) as s:
        out = restore(s, store, codes[0], tmp_path / "out")
    assert not out["ok"]
    assert [b["path"] for b in out["bad"]] == ["representations/original/data/0002.jpg"]


def test_cli_fixity_and_restore(tmp_path, monkeypatch, capsys):
    from sohoa.cli import main
    from sohoa.core.db.session import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SOHOA_DB_URL", url)
    monkeypatch.setenv("SOHOA_STORAGE_ROOT", str(tmp_path / "p"))
    monkeypatch.setenv("SOHOA_REPLICA_ROOT", str(tmp_path / "r"))
    migrate(url)
    engine = make_engine(url)
    store = get_storage()
    codes = _world(engine, store, files=1)
    assert main(["fixity", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["checked"] == _objects(engine) and out["lost"] == 0
    with session_scope(engine) as s:
        key = s.scalars(select(File)).one().pdf_key
    _flip_byte(store.primary, key)
    _flip_byte(store.replica, key, at=300)
    assert main(["fixity", "--agency", "G01"]) == 1
    text = capsys.readouterr()
    assert "MẤT" in text.out and key in text.out and "CẢNH BÁO" in text.err
    assert main(["restore", "--file", codes[0], "--to", str(tmp_path / "r1")]) == 0
    assert "Đã khôi phục" in capsys.readouterr().out
    assert main(["fixity", "--file", "KHÔNG.CÓ"]) == 2


def test_findings_on_dashboard_and_in_weekly_report(engine, tmp_path):
    from datetime import date

    from fastapi.testclient import TestClient

    from sohoa.reporting import weekly
    from sohoa.reporting.dashboard import create_app

    store = _local_pair(tmp_path)
    _world(engine, store, files=1)
    with session_scope(engine) as s:
        f = s.scalars(select(File)).one()
        pdf_key, page_key = f.pdf_key, f.pages[0].image_key
    _flip_byte(store.primary, page_key)  # repaired from the second copy
    _flip_byte(store.primary, pdf_key)
    _flip_byte(store.replica, pdf_key, at=99)  # lost
    out = fixity.audit(store, engine=engine)
    assert (out["repaired"], out["lost"]) == (1, 2)

    with session_scope(engine) as s:
        rep = weekly.build_weekly_report(s, LocalStorage(tmp_path / "reports"), date.today())
    assert rep["totals"]["fixity"] == {"repaired": 1, "unrepaired": 0, "lost": 2}
    html = (tmp_path / "reports" / rep["html_key"]).read_text(encoding="utf-8")
    assert "Toàn vẹn dữ liệu lưu trữ" in html and pdf_key in html
    assert "MẤT (cả hai bản đều hỏng)" in html and page_key not in html  # repaired: not open

    client = TestClient(create_app(engine_factory=lambda: engine))
    page = client.get("/")
    assert page.status_code == 200 and pdf_key in page.text
    data = client.get("/api/progress").json()["fixity"]
    assert (data["lost"], data["repaired"]) == (2, 1)
    assert [f["key"] for f in data["open"]] == [pdf_key, pdf_key]
