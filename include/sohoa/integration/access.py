"""Access rights in the shared database, enforced by PostgreSQL itself.

Three NOLOGIN group roles per contract schema (``<schema>_public``, ``_restricted``,
``_confidential``; each higher one is a member of the lower) and ``<schema>_agency`` for
agency users, whose login role is scoped to the agencies that hold records
(``agency_readers``). Row Level Security on files, documents, pages, objects and changes
lets a role see a row only when ``can_read(access_mode, holder_agency_code)`` holds. A
city system's login role is granted one of the group roles; it never owns the tables.

Confidential records are carried as metadata only: no text, no PDF URI (:func:`carried`).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from sohoa.core.fields import ACCESS_CONFIDENTIAL, ACCESS_PUBLIC, ACCESS_RESTRICTED
from sohoa.integration.contract import prepare, role_prefix

LEVELS = (ACCESS_PUBLIC, ACCESS_RESTRICTED, ACCESS_CONFIDENTIAL)
#: access modes each reader level may see (a higher level includes the lower ones)
MODES_FOR = {level: LEVELS[: i + 1] for i, level in enumerate(LEVELS)}
GROUPS = (*LEVELS, "agency")


def rank(mode: str | None) -> int:
    """0 public, 1 restricted, 2 confidential; an unknown mode counts as confidential."""
    return LEVELS.index(mode) if mode in LEVELS else len(LEVELS) - 1


def normalise(mode: str | None) -> str:
    """Access mode as stored: an unknown or empty value fails closed (confidential)."""
    return mode if mode in LEVELS else ACCESS_CONFIDENTIAL if mode else ACCESS_PUBLIC


def tightened(old: str | None, new: str) -> bool:
    return old is not None and rank(new) > rank(old)


def carried(access_mode: str) -> bool:
    """Whether text and PDF URIs are carried (False: confidential, metadata only)."""
    return access_mode != ACCESS_CONFIDENTIAL


def group_role(engine: Engine, group: str) -> str:
    if group not in GROUPS:
        raise ValueError(f"nhóm quyền không hợp lệ: {group}")
    prefix = role_prefix(prepare(engine))
    if prefix is None:
        raise ValueError("vai trò chỉ có trên PostgreSQL")
    return f"{prefix}_{group}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_reader(engine: Engine, login_role: str, level: str) -> None:
    """Make a city system's login role a reader at ``level`` (public/restricted/confidential)."""
    with engine.begin() as c:
        c.execute(text(f"GRANT {_ident(group_role(engine, level))} TO {_ident(login_role)}"))


def scope_agencies(engine: Engine, login_role: str, agency_codes: list[str]) -> None:
    """An agency user: public records plus the restricted records its agencies hold."""
    with engine.begin() as c:
        c.execute(text(f"GRANT {_ident(group_role(engine, 'agency'))} TO {_ident(login_role)}"))
        for code in agency_codes:
            c.execute(text("INSERT INTO agency_readers (role_name, agency_code) VALUES (:r, :a) "
                           "ON CONFLICT DO NOTHING"), {"r": login_role, "a": code.upper()})


def revoke_reader(engine: Engine, login_role: str) -> None:
    with engine.begin() as c:
        for group in GROUPS:
            c.execute(text(f"REVOKE {_ident(group_role(engine, group))} FROM {_ident(login_role)}"))
        c.execute(text("DELETE FROM agency_readers WHERE role_name = :r"), {"r": login_role})
