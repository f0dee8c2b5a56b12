"""How report numbers and dates are written for Vietnamese readers (1.234,5; dd/mm/yyyy)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any



from sohoa.reporting.numbers import REPORT_TZ


def fmt_num(n: Any) -> str:
    if n is None:
        return "—"
    if isinstance(n, float):
        return f"{n:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{n:,}".replace(",", ".")


def fmt_date(d: date | datetime | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = d.astimezone(REPORT_TZ).date() if d.tzinfo else d.date()
    return d.strftime("%d/%m/%Y")


def fmt_pct(p: float | None) -> str:
    return "—" if p is None else f"{fmt_num(float(p))} %"
