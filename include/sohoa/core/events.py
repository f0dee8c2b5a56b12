"""The append-only event trail: every state change writes one row here."""

from __future__ import annotations

import contextlib
import getpass
import os
from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.db.models import Event


_OPERATOR: ContextVar[str | None] = ContextVar("sohoa_operator", default=None)
FORCED_REASON = "Làm lại theo yêu cầu (force) dù dữ liệu vào không đổi"


@contextlib.contextmanager
def operator(name: str | None):
    """Within this block, forced reruns are recorded under the operator ``name`` (the
    Airflow user who triggered the run, or the CLI user)."""
    token = _OPERATOR.set(name)
    try:
        yield
    finally:
        _OPERATOR.reset(token)


def record_forced(session: Session, *, entity: str, entity_id: int | None, phase: str,
                  agency_id: int | None = None, details: dict[str, Any] | None = None) -> Event:
    """One event per item an operator forced to be redone although its inputs were
    unchanged; the actor is the operator (``user:<name>``), the task is in the details."""
    name = _OPERATOR.get()
    actor = f"user:{name}"[:100] if name else current_actor()
    return record(session, entity=entity, entity_id=entity_id, phase=phase,
                  action="forced_rerun", agency_id=agency_id, actor=actor,
                  details={"reason": FORCED_REASON, "by": current_actor(), **(details or {})})


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
