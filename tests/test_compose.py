"""docker-compose.yaml: valid for docker-compose, the production shape is all there, and
no default secrets: compose refuses to start without them, .env.example lists them all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SECRETS = {"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "AIRFLOW_ADMIN_PASSWORD",
           "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_FERNET_KEY"}
TEST_SECRETS = {k: f"test-{k.lower()}-S3cret" for k in SECRETS}
NO_ENV_FILE = Path(tempfile.mkdtemp(prefix="sohoa-compose-")) / "empty.env"
NO_ENV_FILE.write_text("")

AIRFLOW_SERVICES = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker --queues default",
    "airflow-worker-ocr": "celery worker --queues sohoa_ocr",
}
LONG_RUNNING = ["postgres", "redis", "minio"] + [s for s in AIRFLOW_SERVICES if s != "airflow-init"]

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose binary not on PATH"
)


def _raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _compose(*args: str, **env: str) -> subprocess.CompletedProcess:
    """docker-compose with only ``env`` (no developer's .env: --env-file points nowhere)."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    clean.update(env)
    return subprocess.run(
        ["docker-compose", "--env-file", str(NO_ENV_FILE), "-f", str(COMPOSE), "config", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def _resolved(**env: str) -> dict:
    """`docker-compose config` output: anchors merged, ${VAR:-default} interpolated."""
    out = _compose(**{**TEST_SECRETS, **env})
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def _env_example() -> dict[str, str]:
    return dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#"))


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


@needs_compose
def test_docker_compose_config_is_valid():
    out = _compose("-q", **TEST_SECRETS)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    # the documented start: .env.example's values (placeholders) make a valid config
    out = _compose("-q", **_env_example())
    assert out.returncode == 0, out.stderr


@needs_compose
@pytest.mark.parametrize("missing", ["AIRFLOW_JWT_SECRET", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_a_secret(missing):
    """Two cases run compose (slow); every secret is checked to be ${VAR:?} below."""
    env = {k: v for k, v in TEST_SECRETS.items() if k != missing}
    out = _compose("-q", **env)
    assert out.returncode != 0
    assert missing in out.stderr and ".env.example" in out.stderr, out.stderr


def _interpolated(text_: str) -> dict[str, str]:
    """VAR -> its operator (":?" required, ":-" default) for every ${VAR...} compose
    interpolates ($${VAR} is the container's own, comments are not read)."""
    body = "\n".join(line.split(" #")[0] for line in text_.splitlines()
                     if not line.lstrip().startswith("#"))
    return {m.group(1): m.group(2) or "" for m in
            re.finditer(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(:[?-])?", body)}


def test_no_default_secrets_and_env_example_lists_every_variable():
    used = _interpolated(COMPOSE.read_text(encoding="utf-8"))
    example = _env_example()
    assert set(used) <= set(example), f"missing in .env.example: {sorted(set(used) - set(example))}"
    for name, op in used.items():
        if name in SECRETS:
            assert op == ":?", f"{name} must be required (${{{name}:?...}}), not defaulted"
        elif re.search(r"PASSWORD|SECRET|FERNET", name):
            pytest.fail(f"{name} looks like a secret but is not in SECRETS")
    assert SECRETS <= set(used)
    for name in SECRETS:  # placeholders only, never a value someone could leave running
        assert example[name] == "change-me", name
    assert "dev-only" not in COMPOSE.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".env.example" in readme and "openssl rand" in readme


def _check_shape(doc: dict) -> None:
    services = doc["services"]
    for name in ["postgres", "redis", "minio", *AIRFLOW_SERVICES]:
        assert name in services, f"service {name} missing"
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert "minio/minio" in services["minio"]["image"]
    assert "redis" in services["redis"]["image"]

    for name, command in AIRFLOW_SERVICES.items():
        svc = services[name]
        assert svc["build"]["args"]["AIRFLOW_IMAGE"] == "apache/airflow:3.3.2-python3.11"
        assert Path(svc["build"].get("dockerfile", "Dockerfile")).name == "Dockerfile"
        if command:
            got = svc["command"]
            got = " ".join(got) if isinstance(got, list) else got
            assert got == command, name
        env = _env(svc)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["SOHOA_DB_URL"].startswith("postgresql+psycopg2://")
        assert env["SOHOA_STORAGE"] == "s3"
        assert env["SOHOA_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert env["SOHOA_S3_BUCKET"]
        assert env["SOHOA_S3_ACCESS_KEY"] and env["SOHOA_S3_SECRET_KEY"]
        assert env["SOHOA_SHARED_CONN_ID"] == "sohoa_shared"
        assert env["AIRFLOW_CONN_SOHOA_SHARED"].startswith("postgresql://")
        assert "@postgres:5432/" in env["AIRFLOW_CONN_SOHOA_SHARED"]
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert "redis" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        targets = {str(v).split(":")[1] for v in svc["volumes"] if isinstance(v, str)}
        targets |= {v["target"] for v in svc["volumes"] if isinstance(v, dict)}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/sohoa/include"} <= targets

    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"

    init_cmd = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init_cmd and "users create" in init_cmd
    for name in AIRFLOW_SERVICES:
        if name == "airflow-init":
            continue
        dep = services[name]["depends_on"]
        assert dep["airflow-init"]["condition"] == "service_completed_successfully"
        assert dep["postgres"]["condition"] == "service_healthy"
    init_dep = services["airflow-init"]["depends_on"]
    assert init_dep["postgres-init"]["condition"] == "service_completed_successfully"
    assert init_dep["minio-create-bucket"]["condition"] == "service_completed_successfully"
    bucket_cmd = " ".join(services["minio-create-bucket"]["command"])
    assert "get_storage" in bucket_cmd


def test_raw_yaml_has_production_shape():
    _check_shape(_raw())  # PyYAML resolves the anchors / merge keys itself


@needs_compose
def test_resolved_config_has_production_shape():
    _check_shape(_resolved())


def test_no_literal_secrets_in_compose():
    """Every password, secret and key comes from ${VAR...}, never a bare literal."""
    doc = _raw()
    secretish = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|FERNET")
    url_with_login = re.compile(r"^[a-z0-9+]+://[^/@]*[^/@:]+@")  # scheme://user[:pw]@host
    checked = 0
    for name, svc in doc["services"].items():
        for key, value in _env(svc).items():
            if not (secretish.search(key) or url_with_login.match(value)):
                continue
            checked += 1
            assert "${" in value, f"{name}: {key} is a literal: {value!r}"
    assert checked >= 10


@needs_compose
def test_credentials_follow_the_environment():
    doc = _resolved(
        POSTGRES_USER="pgu", POSTGRES_PASSWORD="pg-S3cret", MINIO_ROOT_USER="mu",
        MINIO_ROOT_PASSWORD="mu-S3cret", SOHOA_S3_BUCKET="ho-so",
    )
    services = doc["services"]
    assert _env(services["postgres"])["POSTGRES_PASSWORD"] == "pg-S3cret"
    minio = _env(services["minio"])
    assert (minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"]) == ("mu", "mu-S3cret")
    for name in [*AIRFLOW_SERVICES, "minio-create-bucket"]:
        env = _env(services[name])
        for key in ("SOHOA_DB_URL", "SOHOA_SHARED_DB_URL", "AIRFLOW_CONN_SOHOA_SHARED",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
            assert "pgu:pg-S3cret@postgres:5432/" in env[key], (name, key)
        assert (env["SOHOA_S3_ACCESS_KEY"], env["SOHOA_S3_SECRET_KEY"]) == ("mu", "mu-S3cret")
        assert env["SOHOA_S3_BUCKET"] == "ho-so"
        # The Airflow connection and sohoa's own URL name the same shared database.
        assert env["AIRFLOW_CONN_SOHOA_SHARED"].rsplit("/", 1)[1] == (
            env["SOHOA_SHARED_DB_URL"].rsplit("/", 1)[1]
        )
    # One JWT secret (and API secret, Fernet key) in every Airflow process, the given one.
    for key, var in (("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
                     ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
                     ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY")):
        assert {_env(services[n])[key] for n in AIRFLOW_SERVICES} == {TEST_SECRETS[var]}, key
    # postgres-init creates exactly the databases the services use.
    pg_init = _env(services["postgres-init"])
    worker = _env(services["airflow-worker"])
    assert worker["SOHOA_DB_URL"].endswith("/" + pg_init["SOHOA_DB_NAME"])
    assert worker["SOHOA_SHARED_DB_URL"].endswith("/" + pg_init["SOHOA_SHARED_DB_NAME"])


def test_dockerfile():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:3\.3\.2-python3\.11$", text, re.M)
    assert re.search(r"^FROM \$\{AIRFLOW_IMAGE\}$", text, re.M)
    assert "COPY scripts/system-packages.txt" in text  # the packages: tests/test_image.py
    assert "-r /opt/sohoa/requirements.txt" in text
    assert "pip install --no-cache-dir --no-deps -e /opt/sohoa" in text
    assert re.search(r"^USER airflow$", text, re.M)  # pip must not run as root in this image
