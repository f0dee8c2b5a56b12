"""The weekly report as one self-contained HTML page (Jinja2 template, inline SVG, no JavaScript)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any



from sohoa.reporting.charts import svg_burnup, svg_funnel, svg_weekly_bars
from sohoa.reporting.formatting import fmt_date, fmt_num, fmt_pct
from sohoa.reporting.numbers import (LEVEL_LABELS, PAGE_KEYS, PAGE_LABELS, PHASE_LABELS, PHASES,
                                     REPORT_TZ, RESCAN_LIST_LIMIT, RISK_RULES, STATUS_LABELS)


# --------------------------------------------------------------------------- HTML

TEMPLATE_DIR = Path(__file__).parent / "templates"


def render_html(numbers: dict[str, Any], rescans: list[dict[str, Any]] | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                      autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_num, d=fmt_date, pct=fmt_pct)
    prog = numbers["programme"]
    charts = {
        "prog_funnel": Markup(svg_funnel(prog["files"])),
        "prog_weekly": Markup(svg_weekly_bars(prog["weekly"])),
        "prog_burnup": Markup(svg_burnup(prog, numbers["as_of"])),
        "agency_funnel": {a["code"]: Markup(svg_funnel(a["files"], width=480))
                          for a in numbers["agencies"]},
        "agency_burnup": {a["code"]: Markup(svg_burnup(a, numbers["as_of"], width=480, height=200))
                          for a in numbers["agencies"]},
        "agency_weekly": {a["code"]: Markup(svg_weekly_bars(a["weekly"], width=480, height=170))
                          for a in numbers["agencies"]},
        "rollup_burnup": {r["code"]: Markup(svg_burnup(r, numbers["as_of"], width=480, height=200))
                          for r in numbers["rollup"]},
    }
    return env.get_template("report.html.j2").render(
        n=numbers, prog=prog, charts=charts, rescans=rescans or [],
        phases=PHASES, phase_labels=PHASE_LABELS, page_keys=PAGE_KEYS,
        page_labels=PAGE_LABELS, level_labels=LEVEL_LABELS, status_labels=STATUS_LABELS,
        rescan_limit=RESCAN_LIST_LIMIT, risk_rules=RISK_RULES, generated_at=datetime.now(REPORT_TZ),
    )
