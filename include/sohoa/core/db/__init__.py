"""The project database: models, engine/session helpers and Alembic migrations."""

from sohoa.core.db.session import get_engine, migrate, session_scope  # noqa: F401
