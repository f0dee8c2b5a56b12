"""The agency registry: load from CSV/XLSX, follow merges and dissolutions to today's successor."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa import events
from sohoa.db.models import AGENCY_LEVELS, AGENCY_STATUSES, Agency, PlanTarget

REGISTRY_COLUMNS = ("code", "name", "level", "parent_code", "status", "successor_code",
                    "effective_date")


class RegistryError(ValueError):
    """The registry as given cannot be loaded (cycle, dangling successor, bad value)."""


@dataclass
class RegistryRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    status: str
    successor_code: str | None
    effective_date: date | None


def read_registry_csv(data: bytes) -> list[RegistryRow]:
    text = data.decode("utf-8-sig")
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rows.append(RegistryRow(
                code=rec["code"].strip().upper(),
                name=rec["name"].strip(),
                level=rec["level"].strip(),
                parent_code=(rec.get("parent_code") or "").strip().upper() or None,
                status=(rec.get("status") or "active").strip(),
                successor_code=(rec.get("successor_code") or "").strip().upper() or None,
                effective_date=date.fromisoformat(rec["effective_date"].strip())
                if (rec.get("effective_date") or "").strip() else None,
            ))
        except (KeyError, ValueError) as exc:
            raise RegistryError(f"Dòng {n}: không đọc được ({exc})") from exc
    validate_registry(rows)
    return rows


def validate_registry(rows: list[RegistryRow]) -> None:
    """Reject unknown values, dangling references and successor cycles, with clear messages."""
    codes = {r.code for r in rows}
    problems = []
    for r in rows:
        if r.level not in AGENCY_LEVELS:
            problems.append(f"{r.code}: cấp '{r.level}' không hợp lệ ({', '.join(AGENCY_LEVELS)})")
        if r.status not in AGENCY_STATUSES:
            problems.append(f"{r.code}: trạng thái '{r.status}' không hợp lệ")
        for label, ref in (("cơ quan cấp trên", r.parent_code), ("cơ quan kế thừa", r.successor_code)):
            if ref and ref not in codes:
                problems.append(f"{r.code}: {label} '{ref}' không có trong danh sách")
        if r.status in ("merged", "dissolved", "split") and not r.successor_code:
            problems.append(f"{r.code}: đã {r.status} nhưng thiếu cơ quan kế thừa hồ sơ")
    succ = {r.code: r.successor_code for r in rows if r.successor_code}
    for start in succ:
        seen, cur = [start], succ.get(start)
        while cur:
            if cur in seen:
                problems.append("Vòng lặp cơ quan kế thừa: " + " → ".join(seen + [cur]))
                break
            seen.append(cur)
            cur = succ.get(cur)
    if problems:
        raise RegistryError("; ".join(sorted(set(problems))))


def load_registry(session: Session, rows: list[RegistryRow]) -> dict[str, int]:
    """Insert or update agencies by code; each change is an event. Returns counts."""
    validate_registry(rows)
    existing = {a.code: a for a in session.scalars(select(Agency))}
    created = updated = 0
    new_codes = set()
    for r in rows:  # first pass: rows exist, so references can resolve
        if r.code not in existing:
            a = Agency(code=r.code, name=r.name, level=r.level, status=r.status,
                       effective_date=r.effective_date)
            session.add(a)
            session.flush()
            existing[r.code] = a
            new_codes.add(r.code)
            created += 1
            events.record(session, entity="agencies", entity_id=a.id, phase="registry",
                          action="created", after={"code": r.code, "name": r.name,
                                                   "status": r.status}, agency_id=a.id)
    for r in rows:
        a = existing[r.code]
        want = {
            "name": r.name, "level": r.level, "status": r.status,
            "parent_id": existing[r.parent_code].id if r.parent_code else None,
            "successor_id": existing[r.successor_code].id if r.successor_code else None,
            "effective_date": r.effective_date,
        }
        before = {k: getattr(a, k) for k in want if getattr(a, k) != want[k]}
        for k in before:
            setattr(a, k, want[k])
        if before and r.code not in new_codes:  # links of a new agency are part of its creation
            updated += 1
            events.record(session, entity="agencies", entity_id=a.id, phase="registry",
                          action="updated", agency_id=a.id,
                          before={k: str(v) if v is not None else None for k, v in before.items()},
                          after={k: str(want[k]) if want[k] is not None else None for k in before})
    session.flush()
    return {"created": created, "updated": updated, "total": len(rows)}


def load_plans_csv(session: Session, data: bytes) -> int:
    """Plan targets per agency: agency_code,target_files,target_pages,deadline."""
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    n = 0
    for rec in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        agency = by_code.get(rec["agency_code"].strip().upper())
        if agency is None:
            raise RegistryError(f"Kế hoạch cho cơ quan không tồn tại: {rec['agency_code']}")
        plan = session.scalar(select(PlanTarget).where(PlanTarget.agency_id == agency.id))
        values = dict(target_files=int(rec["target_files"]), target_pages=int(rec["target_pages"]),
                      deadline=date.fromisoformat(rec["deadline"].strip()))
        if plan is None:
            session.add(PlanTarget(agency_id=agency.id, **values))
        else:
            for k, v in values.items():
                setattr(plan, k, v)
        n += 1
    session.flush()
    return n


def current_successors(session: Session) -> dict[int, int]:
    """agency id → id of the agency that holds its records today (itself when active)."""
    succ = dict(session.execute(select(Agency.id, Agency.successor_id)).all())
    out: dict[int, int] = {}
    for start in succ:
        cur, seen = start, {start}
        while succ.get(cur) is not None and succ[cur] not in seen:
            cur = succ[cur]
            seen.add(cur)
        out[start] = cur
    return out


def load_registry_files(session: Session, agencies_csv: Path, plans_csv: Path | None = None) -> dict:
    result = load_registry(session, read_registry_csv(Path(agencies_csv).read_bytes()))
    if plans_csv and Path(plans_csv).exists():
        result["plans"] = load_plans_csv(session, Path(plans_csv).read_bytes())
    return result
