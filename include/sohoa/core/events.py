"""The append-only event trail: every state change writes one row here."""

from __future__ import annotations

import getpass
import os
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.db.models import Event


def current_actor() -> str:
    """Who acts: the Airflow task (dag.task) when run by Airflow, else the OS user."""
    dag_id = os.environ.get("AIRFLOW_CTX_DAG_ID")
    if dag_id:
        return f"airflow:{dag_id}.{os.environ.get('AIRFLOW_CTX_TASK_ID', '?')}"
    try:
        return f"user:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "user:unknown"


def record(
    session: Session,
    *,
    entity: str,
    entity_id: int | None,
    phase: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    agency_id: int | None = None,
    actor: str | None = None,
) -> Event:
    ev = Event(
        entity=entity,
        entity_id=entity_id,
        agency_id=agency_id,
        phase=phase,
        action=action,
        actor=actor or current_actor(),
        before=before,
        after=after,
        details=details,
    )
    session.add(ev)
    return ev


def set_status(session: Session, obj, attr: str, value, *, phase: str, action: str,
               agency_id: int | None = None, details: dict | None = None) -> bool:
    """Change obj.<attr> and record the event; no event (and False) when nothing changes."""
    old = getattr(obj, attr)
    if old == value:
        return False
    setattr(obj, attr, value)
    session.flush()
    record(session, entity=obj.__tablename__, entity_id=obj.id, phase=phase, action=action,
           before={attr: _jsonable(old)}, after={attr: _jsonable(value)}, details=details,
           agency_id=agency_id if agency_id is not None else getattr(obj, "agency_id", None))
    return True


def _jsonable(v):
    if v is None or isinstance(v, (str, int, float, bool, list, dict)):
        return v
    return str(v)
