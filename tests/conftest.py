"""Shared fixtures: a fresh project database on SQLite and on the real PostgreSQL.

PostgreSQL comes from SOHOA_TEST_PG_URL (default: the local server). When it cannot be
reached the PostgreSQL-parametrised tests FAIL rather than skip, so CI never goes green
without them; set SOHOA_TEST_ALLOW_NO_PG=1 on a laptop without PostgreSQL to skip them.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

# Airflow reads its configuration at import time: point it at a private home first.
ROOT = Path(__file__).resolve().parents[1]
_AF_HOME = Path(tempfile.mkdtemp(prefix="sohoa-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AF_HOME))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"

import pytest  # noqa: E402 - after the Airflow environment is set
from sqlalchemy import create_engine, text  # noqa: E402

PG_URL = os.environ.get(
    "SOHOA_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_URL)
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    problem = _pg_available()
    if problem:
        if os.environ.get("SOHOA_TEST_ALLOW_NO_PG") == "1":
            pytest.skip(f"PostgreSQL unavailable: {problem}")
        pytest.fail(f"PostgreSQL unavailable at {PG_URL}: {problem}")
    return PG_URL


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _fresh_schema(base: str):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(base, schema)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            # the shared contract's reader roles are named after its schema (cluster-wide)
            for (role,) in c.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                                     {"p": f"{schema}\\_%"}).all():
                c.execute(text(f'DROP OWNED BY "{role}"'))
                c.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_base_url):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    yield from _fresh_schema(pg_base_url)


@pytest.fixture
def shared_url(request, db_url, tmp_path):
    """The shared database (CSDL dùng chung), on the same kind of server as db_url."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        yield from _fresh_schema(request.getfixturevalue("pg_base_url"))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'sohoa.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Run the test on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sohoa.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    from sohoa.core.db.session import make_engine, migrate

    migrate(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _airflow_context_stays_in_its_test():
    """dag.test() runs tasks in this process and leaves AIRFLOW_CTX_* set, which would make
    later tests' events look as if an Airflow task wrote them (events.current_actor)."""
    before = {k: v for k, v in os.environ.items() if k.startswith("AIRFLOW_CTX_")}
    yield
    for k in [k for k in os.environ if k.startswith("AIRFLOW_CTX_") and k not in before]:
        del os.environ[k]
    os.environ.update(before)
