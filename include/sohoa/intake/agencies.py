"""The agency registry: load from CSV/XLSX, follow merges and dissolutions to today's successor."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core import events
from sohoa.core.db.models import (
    AGENCY_LEVELS,
    AGENCY_STATUSES,
    Agency,
    AgencySuccessor,
    AgencyVersion,
    PlanTarget,
)
from sohoa.core.fields import AGENCY_CODE_RE, fold, nfc

REGISTRY_COLUMNS = ("code", "name", "level", "parent_code", "status", "successor_code",
                    "effective_date")
# Vietnamese headers a registry sheet may use instead (folded, diacritics removed).
_HEADER_ALIASES = {
    "ma co quan": "code", "ma": "code", "ten co quan": "name", "ten": "name", "cap": "level",
    "co quan cap tren": "parent_code", "ma co quan cap tren": "parent_code",
    "trang thai": "status", "co quan ke thua": "successor_code",
    "ma co quan ke thua": "successor_code", "ngay hieu luc": "effective_date",
}
_LEVEL_ALIASES = {"thanh pho": "city", "tinh": "city", "huyen": "district", "quan": "district",
                  "thi xa": "district", "xa": "commune", "phuong": "commune",
                  "thi tran": "commune", "so": "department", "so nganh": "department"}
_STATUS_ALIASES = {"hoat dong": "active", "dang hoat dong": "active", "sap nhap": "merged",
                   "giai the": "dissolved", "chia tach": "split", "tach": "split"}
STATUS_LABELS = {"active": "đang hoạt động", "merged": "đã sáp nhập",
                 "dissolved": "đã giải thể", "split": "đã chia tách"}
#: Day the district level ended and Hanoi's communes were reorganised (DOMAIN.md).
REORGANISATION_2025 = date(2025, 7, 1)


class RegistryError(ValueError):
    """The registry as given cannot be loaded (cycle, dangling successor, bad value)."""


@dataclass
class RegistryRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    status: str
    successor_code: str | None  # the default successor (its records roll up there)
    effective_date: date | None
    # every successor of a split, the default first; [successor_code] otherwise
    successor_codes: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.successor_code and not self.successor_codes:
            self.successor_codes = [self.successor_code]
        if self.successor_codes and not self.successor_code:
            self.successor_code = self.successor_codes[0]


def _parse_date(text: str) -> date:
    t = text.strip()
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", t):
        d, m, y = map(int, t.split("/"))
        return date(y, m, d)
    return date.fromisoformat(t[:10])


def _successors(text: str) -> list[str]:
    """"A;B" or "A, B*": several successors (split); "*" marks the default, else the first."""
    parts = [p.strip().upper() for p in re.split(r"[;,]", text or "") if p.strip()]
    starred = [p.rstrip("*").strip() for p in parts if p.endswith("*")]
    plain = [p.rstrip("*").strip() for p in parts]
    return starred[:1] + [p for p in plain if p not in starred[:1]]


def _records_from_xlsx(data: bytes) -> list[dict]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = [["" if v is None else (v.date().isoformat() if isinstance(v, datetime) else str(v))
                 for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        return []
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(str(x).strip() for x in r)]


def read_registry(data: bytes, filename: str = "agencies.csv") -> list[RegistryRow]:
    """Registry rows from a CSV or XLSX sheet; English column names (REGISTRY_COLUMNS) or
    their Vietnamese equivalents ("Mã cơ quan", "Cơ quan kế thừa"...)."""
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        recs = _records_from_xlsx(data)
    else:
        recs = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    rows = []
    for n, rec in enumerate(recs, start=2):
        rec = {_HEADER_ALIASES.get(fold(k or ""), (k or "").strip()): (v or "").strip()
               for k, v in rec.items()}
        try:
            level = rec["level"]
            status = rec.get("status") or "active"
            succ = _successors(rec.get("successor_code", ""))
            rows.append(RegistryRow(
                code=rec["code"].strip().upper(), name=nfc(rec["name"]),
                level=_LEVEL_ALIASES.get(fold(level), level),
                parent_code=(rec.get("parent_code") or "").strip().upper() or None,
                status=_STATUS_ALIASES.get(fold(status), status),
                successor_code=succ[0] if succ else None,
                effective_date=_parse_date(rec["effective_date"])
                if (rec.get("effective_date") or "").strip() else None,
                successor_codes=succ,
            ))
        except (KeyError, ValueError) as exc:
            raise RegistryError(f"Dòng {n}: không đọc được ({exc})") from exc
    validate_registry(rows)
    return rows


def read_registry_csv(data: bytes) -> list[RegistryRow]:
    return read_registry(data, "agencies.csv")


def validate_registry(rows: list[RegistryRow]) -> None:
    """Reject unknown values, dangling references and successor cycles, with clear messages."""
    codes = {r.code for r in rows}
    problems = []
    seen: set[str] = set()
    for r in rows:
        if r.code in seen:
            problems.append(f"{r.code}: mã cơ quan bị lặp lại")
        seen.add(r.code)
        if not AGENCY_CODE_RE.match(r.code) or len(r.code) > 13:
            problems.append(f"{r.code}: mã cơ quan phải gồm chữ, số, '.', '-' và tối đa 13 ký tự")
        if r.level not in AGENCY_LEVELS:
            problems.append(f"{r.code}: cấp '{r.level}' không hợp lệ ({', '.join(AGENCY_LEVELS)})")
        if r.status not in AGENCY_STATUSES:
            problems.append(f"{r.code}: trạng thái '{r.status}' không hợp lệ")
        refs = [("cơ quan cấp trên", r.parent_code)] + [("cơ quan kế thừa", c)
                                                        for c in r.successor_codes]
        for label, ref in refs:
            if ref and ref not in codes:
                problems.append(f"{r.code}: {label} '{ref}' không có trong danh sách")
        if r.code in r.successor_codes:
            problems.append(f"{r.code}: cơ quan không thể kế thừa chính mình")
        if r.status in ("merged", "dissolved", "split") and not r.successor_codes:
            problems.append(f"{r.code}: đã {r.status} nhưng thiếu cơ quan kế thừa hồ sơ")
        if r.status == "active" and r.successor_codes:
            problems.append(f"{r.code}: đang hoạt động nhưng lại có cơ quan kế thừa")
    # any cycle through successor links (a split's every branch included)
    succ = {r.code: [c for c in r.successor_codes if c in codes] for r in rows}
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        for nxt in succ.get(code, []):
            if state.get(nxt) == 1:
                cyc = path[path.index(nxt):] + [nxt] if nxt in path else [code, nxt]
                problems.append("Vòng lặp cơ quan kế thừa: " + " → ".join(cyc))
            elif not state.get(nxt):
                visit(nxt, path + [nxt])
        state[code] = 2

    for code in sorted(succ):
        if not state.get(code):
            visit(code, [code])
    if problems:
        raise RegistryError("; ".join(sorted(set(problems))))


def _version_of(r: RegistryRow) -> dict:
    return {"name": r.name, "level": r.level, "status": r.status, "parent_code": r.parent_code,
            "successor_codes": ";".join(r.successor_codes) or None}


def load_registry(session: Session, rows: list[RegistryRow], *, source: str | None = None
                  ) -> dict[str, int]:
    """Insert or update agencies by code. Never overwrites history: each change closes the
    agency's current version row and opens a new one, and is an event. Returns counts."""
    validate_registry(rows)
    existing = {a.code: a for a in session.scalars(select(Agency))}
    created = updated = 0
    new_codes = set()
    for r in rows:  # first pass: rows exist, so references can resolve
        if r.code not in existing:
            a = Agency(code=r.code, name=r.name, level=r.level, status=r.status,
                       effective_date=r.effective_date)
            session.add(a)
            new_codes.add(r.code)
            existing[r.code] = a
    session.flush()
    for code in sorted(new_codes):
        a = existing[code]
        created += 1
        events.record(session, entity="agencies", entity_id=a.id, phase="registry",
                      action="created", after={"code": a.code, "name": a.name,
                                               "status": a.status}, agency_id=a.id)
    links = {}
    for link in session.scalars(select(AgencySuccessor)):
        links.setdefault(link.agency_id, {})[link.successor_id] = link
    current = {v.agency_id: v for v in session.scalars(
        select(AgencyVersion).where(AgencyVersion.valid_to.is_(None)))}
    today = date.today()
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
        # successors of a merge/split, one row each, the default flagged
        have = links.get(a.id, {})
        wanted = {existing[c].id: i == 0 for i, c in enumerate(r.successor_codes)}
        succ_changed = set(have) != set(wanted) or any(
            have[k].is_default != v for k, v in wanted.items() if k in have)
        for sid, link in have.items():
            if sid not in wanted:
                session.delete(link)
        for sid, is_default in wanted.items():
            if sid in have:
                have[sid].is_default = is_default
                have[sid].effective_date = r.effective_date
            else:
                session.add(AgencySuccessor(agency_id=a.id, successor_id=sid,
                                            is_default=is_default, effective_date=r.effective_date))
        # history: a new version when the registry entry changed (or on first sight)
        ver = _version_of(r)
        cur = current.get(a.id)
        if cur is None or any(getattr(cur, k) != v for k, v in ver.items()):
            start = r.effective_date if (cur is None or r.effective_date and
                                         (cur.valid_from is None or r.effective_date > cur.valid_from)) else today
            if cur is not None:
                cur.valid_to = start
            session.add(AgencyVersion(agency_id=a.id, valid_from=start, source=source, **ver))
        if (before or succ_changed) and r.code not in new_codes:
            updated += 1
            after = {k: str(want[k]) if want[k] is not None else None for k in before}
            if succ_changed:
                after["successor_codes"] = ";".join(r.successor_codes) or None
            events.record(session, entity="agencies", entity_id=a.id, phase="registry",
                          action="updated", agency_id=a.id,
                          before={k: str(v) if v is not None else None for k, v in before.items()},
                          after=after, details={"source": source} if source else None)
    session.flush()
    return {"created": created, "updated": updated, "total": len(rows)}


def successors_of(session: Session, agency_id: int) -> list[tuple[int, bool]]:
    """(successor id, is_default) of an agency after a merge/split; default first."""
    rows = session.execute(select(AgencySuccessor.successor_id, AgencySuccessor.is_default)
                           .where(AgencySuccessor.agency_id == agency_id)).all()
    return sorted(((sid, bool(d)) for sid, d in rows), key=lambda x: (not x[1], x[0]))


def history(session: Session, code: str) -> list[AgencyVersion]:
    """Every registry version of an agency, oldest first."""
    return list(session.scalars(select(AgencyVersion).join(Agency, Agency.id == AgencyVersion.agency_id)
                                .where(Agency.code == code.upper())
                                .order_by(AgencyVersion.id)))


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


def current_successors(session: Session, as_of: date | None = None) -> dict[int, int]:
    """agency id -> id of the agency that holds its records today.

    Follows ``successor_id`` until an active agency (or one without a successor) is
    reached. Cycle-safe: an agency caught in a cycle with no active member maps to
    itself. With ``as_of``, a succession whose ``effective_date`` is after ``as_of``
    has not happened yet and is not followed.
    """
    rows = session.execute(
        select(Agency.id, Agency.status, Agency.successor_id, Agency.effective_date)
    ).all()
    info = {r.id: r for r in rows}

    def succeeded(r) -> bool:
        if r.successor_id is None or r.successor_id not in info:
            return False
        if r.status == "active":
            return False
        return not (as_of and r.effective_date and r.effective_date > as_of)

    out: dict[int, int] = {}
    for aid in info:
        seen = {aid}
        cur = aid
        ok = True
        while succeeded(info[cur]):
            nxt = info[cur].successor_id
            if nxt in seen:  # a cycle: keep the agency's records under itself
                ok = False
                break
            seen.add(nxt)
            cur = nxt
        out[aid] = cur if ok else aid
    return out


def load_registry_files(session: Session, agencies_csv: Path, plans_csv: Path | None = None) -> dict:
    path = Path(agencies_csv)
    result = load_registry(session, read_registry(path.read_bytes(), path.name), source=path.name)
    if plans_csv and Path(plans_csv).exists():
        result["plans"] = load_plans_csv(session, Path(plans_csv).read_bytes())
    return result


# ----------------------------------------------------------------- real registry (2025)


def _unit_name(full: str, kind: str) -> str:
    """"Quận Ba Đình" → "UBND quận Ba Đình" (the People's Committee is the agency)."""
    rest = full[len(kind):] if kind and full.startswith(kind) else " " + full
    return f"UBND {kind.lower()}{rest}" if kind else f"UBND {full}"


def seed_rows(province: str = "Hà Nội") -> list[RegistryRow]:
    """A province's agency registry built from the `vietnamadminunits` dataset (read
    through the package): the provincial People's Committee; every district-level unit,
    dissolved on 1 July 2025 with its records held by the province; every commune/ward
    before the reorganisation, merged into — or split among — the new ones (a split lists
    every successor, the package's default one first); and the new communes/wards.

    Codes: T<province code>, H<district code>, X<old commune code>, XM<new commune code>
    (the official codes; new units reuse an old code, hence the distinct prefix).
    """
    from vietnamadminunits.converter import converter_2025 as conv
    from vietnamadminunits.database import query

    key = fold(province).replace(" ", "")
    new = [r for r in query("SELECT DISTINCT provinceKey, province, provinceCode, wardKey, ward, "
                            "wardType, wardCode FROM admin_units") if key in r["provinceKey"]]
    if not new:
        raise RegistryError(f"Không tìm thấy tỉnh/thành phố «{province}» trong dữ liệu "
                            "vietnamadminunits")
    pkey = new[0]["provinceKey"]
    if len({r["provinceKey"] for r in new}) > 1:
        raise RegistryError(f"«{province}» khớp nhiều tỉnh/thành phố; ghi đầy đủ hơn")
    old = query("SELECT DISTINCT provinceKey, districtKey, district, districtType, districtCode, "
                f"wardKey, ward, wardType, wardCode FROM admin_units_legacy WHERE provinceKey = '{pkey}' "
                "ORDER BY districtCode, wardCode")
    city = f"T{new[0]['provinceCode']}"
    city_name = "UBND " + new[0]["province"][0].lower() + new[0]["province"][1:]
    new_code = {r["wardKey"]: f"XM{r['wardCode']}" for r in new}
    merged_into: dict[str, str] = {}
    for new_key, olds in conv.DICT_PROVINCE_WARD_NO_DIVIDED.get(pkey, {}).items():
        for o in olds:
            merged_into[o] = new_code[new_key]
    split_into = {o: [new_code[w["newWardKey"]] for w in sorted(
        ws, key=lambda w: (not w["isDefaultNewWard"], w["newWardKey"]))]
        for o, ws in conv.DICT_PROVINCE_WARD_DIVIDED.get(pkey, {}).items()}
    eff = REORGANISATION_2025
    rows = [RegistryRow(city, city_name, "city", None, "active", None, None)]
    districts = {}
    for r in old:
        districts.setdefault(r["districtCode"], r)
    for code, r in sorted(districts.items()):
        rows.append(RegistryRow(f"H{code}", _unit_name(r["district"], r["districtType"]),
                                "district", city, "dissolved", city, eff))
    for r in old:
        okey = f"{pkey}_{r['districtKey']}_{r['wardKey']}"
        if okey in split_into:
            status, succ = "split", split_into[okey]
        elif okey in merged_into:
            status, succ = "merged", [merged_into[okey]]
        else:
            raise RegistryError(f"{r['ward']} ({r['district']}): không có đơn vị kế thừa "
                                "trong dữ liệu vietnamadminunits")
        rows.append(RegistryRow(f"X{r['wardCode']}", _unit_name(r["ward"], r["wardType"]),
                                "commune", f"H{r['districtCode']}", status, succ[0], eff,
                                successor_codes=succ))
    for r in sorted(new, key=lambda r: r["wardCode"]):
        rows.append(RegistryRow(new_code[r["wardKey"]], _unit_name(r["ward"], r["wardType"]),
                                "commune", city, "active", None, eff))
    validate_registry(rows)
    return rows


def write_registry_csv(rows: list[RegistryRow]) -> bytes:
    """The registry as the CSV `read_registry` reads (splits: successors joined by ';')."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REGISTRY_COLUMNS)
    for r in rows:
        w.writerow([r.code, r.name, r.level, r.parent_code or "", r.status,
                    ";".join(r.successor_codes), r.effective_date.isoformat() if r.effective_date else ""])
    return buf.getvalue().encode("utf-8")
