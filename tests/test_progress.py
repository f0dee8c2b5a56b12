"""Progress of long runs (sohoa.core.progress): a live line on stderr when it is a terminal
(tested through a pseudo-terminal), nothing when it is not or with --json; a log line per
file for the task log (Airflow)."""

from __future__ import annotations

import logging
import os
import pty
import re
import select
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sohoa.core.db.models import Agency, File
from sohoa.core.db.session import session_scope
from sohoa.core.progress import Progress
from sohoa.core.storage import LocalStorage
from sohoa.scan.phase import scan_qc

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INCLUDE = str(Path(__file__).resolve().parents[1] / "include")


def _env() -> dict:
    env = {**os.environ, "PYTHONPATH": INCLUDE + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "COLUMNS": "120", "OMP_NUM_THREADS": "1"}
    env.pop("SOHOA_PROGRESS", None)
    return env


def run_cli(args: list[str], *, tty: bool, timeout: float = 300) -> tuple[int, str, str]:
    """``python -m sohoa.cli ARGS`` with stderr on a pseudo-terminal (tty) or a pipe;
    stdout always a pipe. Returns (exit code, stdout, stderr without colour codes)."""
    cmd = [sys.executable, "-m", "sohoa.cli", *args]
    if not tty:
        p = subprocess.run(cmd, capture_output=True, env=_env(), timeout=timeout)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                         env=_env())
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            err += chunk
        elif p.poll() is not None:
            break
    out = p.stdout.read()
    p.wait(timeout=timeout)
    os.close(master)
    return p.returncode, out.decode(), ANSI.sub("", err.decode("utf-8", "replace"))


def _page(path: Path, shift: int) -> None:
    im = Image.new("L", (1654, 2339), 245)
    d = ImageDraw.Draw(im)
    for i, y in enumerate(range(220, 2000, 48)):
        d.rectangle((150 + shift, y, 1450 - (i * 53) % 300, y + 20), fill=25)
    im.save(path, quality=85, dpi=(200, 200))


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("giao")
    (root / "hs1").mkdir()
    for i in range(3):
        _page(root / "hs1" / f"{i:04d}.jpg", i * 40)
    pdf_pages = []
    for i in range(2):
        _page(root / f"p{i}.jpg", 200 + i * 30)
        pdf_pages.append(Image.open(root / f"p{i}.jpg"))
    pdf_pages[0].save(root / "hs2.pdf", "PDF", resolution=200, save_all=True,
                      append_images=pdf_pages[1:])
    for i in range(2):
        (root / f"p{i}.jpg").unlink()
    return root


def test_qc_on_a_terminal_shows_pages_done_of_total(delivery):
    rc, out, err = run_cli(["qc", str(delivery / "hs1"), str(delivery / "hs2.pdf")], tty=True)
    assert rc == 0
    assert len(out.strip().splitlines()) == 3 + 2 + 1  # the table is on stdout, untouched
    assert "Kiểm tra ảnh" in err and "5/5 trang" in err  # PDF pages counted in the total
    assert re.search(r"[\d.]+ trang/(s|phút)", err) and "còn" in err
    assert "Kiểm tra ảnh" not in out


def test_qc_without_a_terminal_or_with_json_prints_no_progress(delivery):
    rc, out, err = run_cli(["qc", str(delivery / "hs1")], tty=False)
    assert rc == 0 and err == "" and len(out.strip().splitlines()) == 4
    rc, out, err = run_cli(["qc", "--json", str(delivery / "hs1")], tty=True)
    assert rc == 0 and err.strip() == "" and len(out.strip().splitlines()) == 3
    rc, out, err = run_cli(["--no-progress", "qc", str(delivery / "hs1")], tty=True)
    assert rc == 0 and err.strip() == ""


def test_ocr_on_a_terminal_shows_pages(delivery, tmp_path):
    rc, out, err = run_cli(["ocr", "--out", str(tmp_path), str(delivery / "hs2.pdf")], tty=True)
    assert rc in (0, 1)  # low-confidence notes allowed: not text pages
    assert "Nhận dạng chữ" in err and "2/2 trang" in err
    assert (tmp_path / "hs2.pdf").exists()
    rc, out, err = run_cli(["ocr", "--out", str(tmp_path / "b"), str(delivery / "hs2.pdf")],
                           tty=False)
    assert "Nhận dạng chữ" not in err


NESTED = r"""
import time
from sohoa.core.progress import Progress
with Progress("Các khâu", 2, unit="khâu") as outer:
    for phase in ("Kiểm tra ảnh", "Nhận dạng chữ"):
        with Progress(phase, 3, unit="hồ sơ") as inner:
            for _ in range(3):
                time.sleep(0.05)
                inner.advance()
        outer.advance()
print("ok")
"""


def test_nested_progress_shares_one_display_on_a_terminal():
    """`sohoa pipeline`: a line for the phases, one per phase for its files (rich allows
    one live display at a time: a second one would raise)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-c", NESTED], stdout=subprocess.PIPE, stderr=slave,
                         env=_env())
    os.close(slave)
    out, _ = p.communicate(timeout=60)
    err = b""
    while select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    text = ANSI.sub("", err.decode("utf-8", "replace"))
    assert p.returncode == 0 and out.strip() == b"ok"
    assert "2/2 khâu" in text and text.count("3/3 hồ sơ") >= 2


def test_progress_off_the_terminal_logs_a_line_per_item(caplog):
    log = logging.getLogger("sohoa.test")
    with caplog.at_level(logging.INFO, logger="sohoa.test"):
        with Progress("Kiểm tra ảnh", 2, unit="hồ sơ", log=log) as p:
            assert not p.active  # pytest's stderr is not a terminal
            p.advance(item="G01/01: 3 trang")
            p.advance(item="G01/02: chưa giao ảnh")
            p.advance()  # no item: no line
    assert [r.getMessage() for r in caplog.records] == [
        "Kiểm tra ảnh 1/2 hồ sơ: G01/01: 3 trang", "Kiểm tra ảnh 2/2 hồ sơ: G01/02: chưa giao ảnh"]


def test_scan_phase_logs_a_line_per_file_for_the_task_log(engine, tmp_path, caplog):
    """What an Airflow task log shows while scan QC runs (pipeline.run_scan_qc)."""
    with session_scope(engine) as s:
        a = Agency(code="G01", name="UBND quận Hoàn Kiếm", level="district")
        s.add(a)
        s.flush()
        for n in ("01/VP", "02/VP"):
            s.add(File(agency_id=a.id, notation=n, title=f"Tập {n}", start_date=date(2025, 1, 1),
                       status="arranged", page_count=1))
    folder = tmp_path / "deliveries" / "G01" / "01_VP"
    folder.mkdir(parents=True)
    _page(folder / "0001.jpg", 0)
    with caplog.at_level(logging.INFO, logger="sohoa.scan.phase"):
        with session_scope(engine) as s:
            out = scan_qc(s, LocalStorage(tmp_path / "obj"), tmp_path / "deliveries")
    assert out["pages"] == 1 and out["awaiting_delivery"] == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "sohoa.scan.phase"
             and r.getMessage().startswith("Kiểm tra ảnh")]
    assert len(lines) == 2
    assert lines[0].startswith("Kiểm tra ảnh 1/2 hồ sơ: G01/01/VP: 1 trang (đạt ")
    assert lines[1] == "Kiểm tra ảnh 2/2 hồ sơ: G01/02/VP: chưa giao ảnh"


def test_pipeline_on_a_terminal_shows_its_phases(tmp_path, monkeypatch):
    """`sohoa pipeline` on an empty project: the phases line (6/6) on the terminal, the JSON
    summary alone on stdout."""
    import json

    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOHOA_DB_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("SOHOA_SHARED_DB_URL", f"sqlite:///{tmp_path / 's.db'}")
    for var in ("SOHOA_STORAGE", "SOHOA_STORAGE_ROOT", "SOHOA_SHARED_CONN_ID", "SOHOA_INTAKE_DIR",
                "SOHOA_DELIVERY_DIR", "SOHOA_INTAKE_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    rc, out, err = run_cli(["pipeline"], tty=True)
    assert rc == 0 and set(json.loads(out)) >= {"scan_qc", "ocr", "progress_report"}
    assert "Các khâu" in err and "7/7 khâu" in err and "Kiểm tra ảnh" in err
    # `sohoa pipeline --json`: the same switch as `sohoa qc --json` (cli.main), tested above
    from sohoa.cli import build_parser

    assert build_parser().parse_args(["pipeline", "--json"]).json
