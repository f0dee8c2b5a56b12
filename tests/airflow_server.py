"""Start a real `airflow api-server` with the sohoa plugin and SimpleAuthManager, for the
browser test and for benchmarks/bench_report.py --airflow (one way to do it, not two)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    env: dict[str, str]  # the environment the server runs with (for `airflow dags test` etc.)

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run an `airflow` command against the same metadata and project databases."""
        return subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def api_server(tmp: Path, db_url: str, users: dict[str, str], role: str = "viewer",
               dags_folder: Path | None = None, startup_timeout: float = 90):
    """Yield a Server; the project database is ``db_url``, the users log in with the
    passwords given. Airflow's own metadata DB is a SQLite file under ``tmp``; DAGs come
    from ``dags_folder`` (none by default)."""
    pw_file = tmp / "passwords.json"
    pw_file.write_text(json.dumps(users))
    if dags_folder is None:
        dags_folder = tmp / "dags"
        dags_folder.mkdir(exist_ok=True)
    port = free_port()
    # Only this server's settings: none inherited from a developer's shell (scripts/env.sh)
    # or from the test run (AIRFLOW__CORE__UNIT_TEST_MODE).
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("SOHOA_", "AIRFLOW__", "AIRFLOW_HOME"))}
    env = dict(
        inherited,
        AIRFLOW_HOME=str(tmp / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__AUTH_MANAGER=(
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{u}:{role}" for u in users),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(pw_file),
        AIRFLOW__API_AUTH__JWT_SECRET="sohoa-api-server-" + "k" * 64,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp / 'airflow.db'}",
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        SOHOA_DB_URL=db_url,
        SOHOA_HOME=str(tmp / "home"),
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)
    log_path = tmp / "api-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host",
                                 "127.0.0.1", "--port", str(port), "--workers", "1"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                try:
                    if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("api-server did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
            yield Server(base, env)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def programme_db(tmp: Path) -> str:
    """A SQLite project database under ``tmp`` holding the report tests' small programme."""
    from sohoa.core.db.session import make_engine, migrate
    from test_reports import build_programme

    db_url = f"sqlite:///{tmp / 'sohoa.db'}"
    migrate(db_url)
    engine = make_engine(db_url)
    build_programme(engine)
    engine.dispose()
    return db_url


def token(base: str, user: str, password: str) -> str:
    """A JWT from SimpleAuthManager's token endpoint (what the login form gets)."""
    r = httpx.post(f"{base}/auth/token", json={"username": user, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]
