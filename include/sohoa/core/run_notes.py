"""The short Vietnamese note a phase run leaves on its Airflow DAG run.

Every phase runner returns an ``outcome`` (how many items were done, redone on an
operator's request, unchanged, rejected, failed); :func:`run_note` sums the outcomes of
a run's agencies into one line an operator reads in the run list, so a run that changed
nothing says "0 làm lại, 12 không đổi" instead of staying silent. Plain code: no Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable

KEYS = ("done", "redone", "unchanged", "rejected", "failed")
MAX_NOTE = 1000  # Airflow keeps run notes up to 1000 characters


def outcome(*, done: int = 0, redone: int = 0, unchanged: int = 0, rejected: int = 0,
            failed: int = 0) -> dict[str, int]:
    """One agency's counts. ``done`` counts every item processed, ``redone`` the part of
    them that was processed only because the operator asked (force)."""
    return {"done": int(done), "redone": int(redone), "unchanged": int(unchanged),
            "rejected": int(rejected), "failed": int(failed)}


#: A fixity audit counts objects, not files: checked, sound, repaired from the good copy,
#: still wrong, lost (both copies bad).
FIXITY_KEYS = ("checked", "ok", "repaired", "unrepaired", "lost")


def fixity_outcome(summary: dict) -> dict:
    """A fixity audit's counts (``fixity.run_summary``) as an outcome the note reads."""
    return {"kind": "fixity", **{k: int(summary.get(k, 0) or 0) for k in FIXITY_KEYS}}


def total(outcomes: Iterable[dict | None], keys: tuple[str, ...] = KEYS) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    for o in outcomes:
        for k in keys:
            out[k] += int((o or {}).get(k, 0) or 0)
    return out


def _fixity_line(outcomes: list[dict]) -> str:
    t = total(outcomes, FIXITY_KEYS)
    return (f"Kiểm tra toàn vẹn: {t['checked']} đối tượng, {t['ok']} đúng, {t['repaired']} đã sửa "
            f"từ bản còn tốt, {t['unrepaired']} chưa sửa được, {t['lost']} MẤT.")


def run_note(outcomes: Iterable[dict | None], *, unit: str = "hồ sơ",
             agencies: Iterable[str] = (), failed_agencies: Iterable[str] = (),
             force: bool = False, operator: str | None = None,
             target: str | None = None) -> str:
    """The note, e.g. ``"Hồ sơ: 0 mới, 0 làm lại, 12 không đổi, 0 bị trả lại, 0 lỗi.
    Cơ quan: G01, G02."`` (``unit``: what the phase counts, "hồ sơ" or "danh mục")."""
    outcomes = [o for o in outcomes if o]
    parts = []
    if force:
        who = f" của {operator}" if operator else ""
        parts.append(f"Làm lại (force) theo yêu cầu{who}"
                     + (f" cho {target}" if target else "") + ".")
    if outcomes and all(o.get("kind") == "fixity" for o in outcomes):
        parts.append(_fixity_line(outcomes))
    else:
        t = total(outcomes)
        new = max(t["done"] - t["redone"], 0)
        parts.append(f"{unit[:1].upper()}{unit[1:]}: {new} mới, {t['redone']} làm lại, "
                     f"{t['unchanged']} không đổi, {t['rejected']} bị trả lại, {t['failed']} lỗi.")
    agencies, failed = list(agencies), list(failed_agencies)
    if agencies:
        parts.append("Cơ quan: " + ", ".join(agencies) + ".")
    else:
        parts.append("Không có cơ quan nào có việc.")
    if failed:
        parts.append(f"Tác vụ lỗi ({len(failed)} cơ quan): " + ", ".join(failed)
                     + " — xem nhật ký tác vụ; lần chạy sau sẽ làm tiếp.")
    note = " ".join(parts)
    return note if len(note) <= MAX_NOTE else note[:MAX_NOTE - 1] + "…"


def report_note(totals: dict) -> str:
    """The weekly report run's note: for which day, how far the programme is."""
    files = totals.get("files") or {}
    day = str(totals.get("as_of") or "")
    if len(day) == 10 and day[4] == "-":
        day = f"{day[8:10]}/{day[5:7]}/{day[0:4]}"
    note = (f"Báo cáo tuần ngày {day}: {files.get('integrated', 0)}/"
            f"{files.get('inventoried', 0)} hồ sơ đã tích hợp, "
            f"{int(totals.get('agencies_at_risk') or 0)} cơ quan có nguy cơ chậm.")
    return note[:MAX_NOTE]
