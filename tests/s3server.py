"""A real S3-compatible HTTP server for tests: moto's server mode on 127.0.0.1.

Usage from a conftest::

    from s3server import moto_s3_server

    @pytest.fixture(scope="session")
    def s3_server():
        with moto_s3_server() as server:
            yield server          # server.endpoint_url == "http://127.0.0.1:<port>"

    def test_x(s3_server, monkeypatch):
        monkeypatch.setenv("SOHOA_STORAGE", "s3")
        for name, value in s3_server.env(bucket="my-test-bucket").items():
            monkeypatch.setenv(name, value)

``mode="thread"`` (default) runs moto's werkzeug server in a daemon thread of the
test process; ``mode="process"`` runs ``python -m moto.server`` as a subprocess
(isolated from any in-process ``mock_aws``). Both speak real HTTP on a free port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


@dataclass
class S3Server:
    host: str
    port: int
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    _handle: Any = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, bucket: str | None = None) -> dict[str, str]:
        """SOHOA_* variables pointing the project at this server."""
        values = {
            "SOHOA_STORAGE": "s3",
            "SOHOA_S3_ENDPOINT_URL": self.endpoint_url,
            "SOHOA_S3_ACCESS_KEY": self.access_key,
            "SOHOA_S3_SECRET_KEY": self.secret_key,
            "SOHOA_S3_REGION": self.region,
        }
        if bucket:
            values["SOHOA_S3_BUCKET"] = bucket
        return values

    def client(self):
        """A plain boto3 S3 client on this server (for assertions independent of sohoa)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}),
        )

    def reset(self) -> None:
        """Drop all state on the server (moto's reset endpoint)."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def start_again(self, timeout: float = 30) -> None:
        """After ``stop()``: serve again on the same port. In thread mode moto's buckets
        live in this process, not in the server, so every object is still there (an
        outage, not a data loss)."""
        if self._handle is not None:
            raise RuntimeError("the server is running")
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._handle = server
        _wait_until_up(self.endpoint_url, timeout)

    def stop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if isinstance(handle, subprocess.Popen):
            handle.terminate()
            try:
                handle.wait(timeout=10)
            except subprocess.TimeoutExpired:
                handle.kill()
                handle.wait(timeout=10)
        else:
            handle.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"moto server exited early with code {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered: the server is up
        except OSError as exc:  # connection refused while starting
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"moto server at {url} did not come up in {timeout}s: {last}")


def start_s3_server(mode: str = "thread", host: str = "127.0.0.1", timeout: float = 30) -> S3Server:
    """Start moto's S3-compatible server on a free port of ``host``; call ``.stop()`` after."""
    # botocore inside the server and in the tests must never reach real AWS credentials.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    if mode == "thread":
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

        server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
        server.start()
        bound_host, port = server.get_host_and_port()
        result = S3Server(host=host, port=port, _handle=server)
        _wait_until_up(result.endpoint_url, timeout)
        return result
    if mode == "process":
        port = free_port(host)
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = S3Server(host=host, port=port, _handle=proc)
        try:
            _wait_until_up(result.endpoint_url, timeout, proc)
        except BaseException:
            result.stop()
            raise
        return result
    raise ValueError(f"unknown mode {mode!r}: use 'thread' or 'process'")


@contextlib.contextmanager
def moto_s3_server(mode: str = "thread", host: str = "127.0.0.1") -> Iterator[S3Server]:
    server = start_s3_server(mode=mode, host=host)
    try:
        yield server
    finally:
        server.stop()
