"""Configuration read from the environment (SOHOA_* variables), never from code edits.

With nothing set, everything is embedded: SQLite files and a local object folder
under SOHOA_HOME (default ./var beside the working directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    storage: str  # "local" or "s3"
    storage_root: Path
    s3_endpoint_url: str | None
    s3_bucket: str | None
    s3_access_key: str | None
    s3_secret_key: str | None
    s3_region: str
    intake_dir: Path  # inventory lists dropped per agency: <intake_dir>/<AGENCY>/<list>.xlsx
    delivery_dir: Path  # scanner deliveries: <delivery_dir>/<AGENCY>/<file notation>/<pages>
    shared_db_url: str  # the shared database (CSDL dùng chung) integration writes to
    shared_conn_id: str | None  # Airflow Postgres connection for the shared DB, if configured
    ocr_lang: str
    workers: int
    # object-store prefix where agencies drop lists (<prefix>/<AGENCY>/<list>), scanned
    # in addition to intake_dir when set (e.g. an S3 bucket shared with the agencies)
    intake_prefix: str | None = None
    slips_dir: Path | None = None  # archivists' record-slip sheets (phiếu tin), any name
    # Second copy of every stored object (sohoa.core.mirror): "local" (a folder), "s3" (another
    # bucket/endpoint; unset endpoint/keys/region default to the primary's) or None (no copy).
    replica: str | None = None
    replica_root: Path | None = None
    replica_s3_bucket: str | None = None
    replica_s3_endpoint_url: str | None = None
    replica_s3_access_key: str | None = None
    replica_s3_secret_key: str | None = None
    replica_s3_region: str | None = None
    shared_schema: str = "csdl"  # PostgreSQL schema of the shared database's contract

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")


def get_settings() -> Settings:
    home = Path(_env("SOHOA_HOME", str(Path.cwd() / "var"))).resolve()
    storage_root = Path(_env("SOHOA_STORAGE_ROOT", str(home / "objects")))
    return Settings(
        home=home,
        db_url=_env("SOHOA_DB_URL", f"sqlite:///{home / 'sohoa.db'}"),
        storage=_env("SOHOA_STORAGE", "local"),
        storage_root=storage_root,
        s3_endpoint_url=_env("SOHOA_S3_ENDPOINT_URL"),
        s3_bucket=_env("SOHOA_S3_BUCKET"),
        s3_access_key=_env("SOHOA_S3_ACCESS_KEY"),
        s3_secret_key=_env("SOHOA_S3_SECRET_KEY"),
        s3_region=_env("SOHOA_S3_REGION", "us-east-1"),
        intake_dir=Path(_env("SOHOA_INTAKE_DIR", str(home / "intake"))),
        delivery_dir=Path(_env("SOHOA_DELIVERY_DIR", str(home / "deliveries"))),
        shared_db_url=_env("SOHOA_SHARED_DB_URL", f"sqlite:///{home / 'shared.db'}"),
        shared_conn_id=_env("SOHOA_SHARED_CONN_ID"),
        ocr_lang=_env("SOHOA_OCR_LANG", "vie"),
        workers=int(_env("SOHOA_WORKERS", str(os.cpu_count() or 2))),
        intake_prefix=_env("SOHOA_INTAKE_PREFIX"),
        slips_dir=Path(_env("SOHOA_SLIPS_DIR", str(home / "phieu_tin"))),
        **_replica_settings(),
        shared_schema=_env("SOHOA_SHARED_SCHEMA", "csdl"),
    )


def _replica_settings() -> dict:
    """SOHOA_REPLICA=local|s3 (implied by SOHOA_REPLICA_ROOT or SOHOA_REPLICA_S3_BUCKET)."""
    root, bucket = _env("SOHOA_REPLICA_ROOT"), _env("SOHOA_REPLICA_S3_BUCKET")
    kind = _env("SOHOA_REPLICA") or ("s3" if bucket else "local" if root else None)
    return {
        "replica": kind.strip().lower() if kind else None,
        "replica_root": Path(root) if root else None,
        "replica_s3_bucket": bucket,
        "replica_s3_endpoint_url": _env("SOHOA_REPLICA_S3_ENDPOINT_URL"),
        "replica_s3_access_key": _env("SOHOA_REPLICA_S3_ACCESS_KEY"),
        "replica_s3_secret_key": _env("SOHOA_REPLICA_S3_SECRET_KEY"),
        "replica_s3_region": _env("SOHOA_REPLICA_S3_REGION"),
    }
