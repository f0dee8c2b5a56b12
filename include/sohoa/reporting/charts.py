"""Inline SVG charts of the report and dashboard: funnel, weekly bars, burn-up against plan."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any



from sohoa.reporting.formatting import fmt_date, fmt_num
from sohoa.reporting.numbers import PHASE_LABELS, PHASES


# --------------------------------------------------------------------------- SVG charts

_COLORS = {
    "inventoried": "#9dc3e6", "handed_over": "#8faadc", "arranged": "#7f9fd0",
    "scanned": "#5b9bd5", "qc_passed": "#70ad47", "qc_rejected": "#e46c0a",
    "ocr_done": "#4472c4", "integrated": "#2e75b6",
}


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def svg_funnel(files: dict[str, int], width: int = 560) -> str:
    """Horizontal bars, one per phase (cumulative funnel)."""
    label_w, bar_h, gap = 190, 16, 5
    maxv = max([files.get(p, 0) for p in PHASES] + [1])
    h = len(PHASES) * (bar_h + gap) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
             f'viewBox="0 0 {width} {h}" role="img" aria-label="Phễu tiến độ hồ sơ">']
    avail = width - label_w - 70
    for i, p in enumerate(PHASES):
        y = 3 + i * (bar_h + gap)
        v = files.get(p, 0)
        w = round(avail * v / maxv, 1)
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" '
                     f'font-size="11">{_e(PHASE_LABELS[p])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" '
                     f'fill="{_COLORS[p]}"/>')
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="11">{fmt_num(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_weekly_bars(weekly: list[dict[str, Any]], phases=("scanned", "integrated"),
                    width: int = 560, height: int = 200) -> str:
    """Grouped bars: files reaching each of ``phases`` per week."""
    left, bottom, top = 36, 34, 18
    maxv = max([w[p] for w in weekly for p in phases] + [1])
    n = max(len(weekly), 1)
    slot = (width - left - 8) / n
    bw = max(slot * 0.8 / len(phases), 2)
    ph = height - bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Số hồ sơ theo tuần">']
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{width - 4}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{fmt_num(maxv)}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" font-size="10">0</text>')
    for i, w in enumerate(weekly):
        x0 = left + i * slot + slot * 0.1
        for j, p in enumerate(phases):
            v = w[p]
            bh = round(ph * v / maxv, 1)
            x = round(x0 + j * bw, 1)
            parts.append(f'<rect x="{x}" y="{round(top + ph - bh, 1)}" width="{round(bw - 1, 1)}" '
                         f'height="{bh}" fill="{_COLORS[p]}"><title>{_e(PHASE_LABELS[p])} '
                         f'{_e(w["week"])}: {v}</title></rect>')
            if v:
                parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + ph - bh - 2:.1f}" '
                             f'text-anchor="middle" font-size="9">{v}</text>')
        parts.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 14}" '
                     f'text-anchor="middle" font-size="9">{_e(w["week"][5:])}</text>')
    lx = left
    for p in phases:
        parts.append(f'<rect x="{lx}" y="{height - 12}" width="10" height="10" fill="{_COLORS[p]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 3}" font-size="10">{_e(PHASE_LABELS[p])}</text>')
        lx += 200
    parts.append("</svg>")
    return "".join(parts)


def burnup_points(entry: dict[str, Any], as_of: date) -> list[tuple[date, int]]:
    """(last day of each week, at most as_of; cumulative files integrated) from events."""
    cum = entry.get("integrated_before_window", 0)
    pts = []
    for w in entry["weekly"]:
        cum += w["integrated"]
        pts.append((min(w["week_start"] + timedelta(days=6), as_of), cum))
    return pts


def svg_burnup(entry: dict[str, Any], as_of: date, width: int = 560, height: int = 220) -> str:
    """Cumulative integrated files vs the plan target, with deadline and forecast."""
    left, right, top, bottom = 44, 12, 16, 40
    pts = burnup_points(entry, as_of)
    target = entry["plan"].get("target_files")
    deadline = entry["plan"].get("deadline")
    forecast = entry.get("forecast_date")
    x_start = entry["weekly"][0]["week_start"]
    x_end = max([pts[-1][0], as_of] + [d for d in (deadline, forecast) if d])
    x_end = min(x_end, x_start + timedelta(days=3 * 365))
    span = max((x_end - x_start).days, 1)
    ymax = max([target or 0] + [v for _, v in pts] + [1])
    pw, ph = width - left - right, height - top - bottom

    def X(d: date) -> float:
        return round(left + pw * min(max((d - x_start).days, 0), span) / span, 1)

    def Y(v: float) -> float:
        return round(top + ph - ph * v / ymax, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Lũy kế so với kế hoạch">']
    parts.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#888"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{fmt_num(ymax)}</text>')
    parts.append(f'<text x="{left}" y="{top + ph + 14}" font-size="10">{fmt_date(x_start)}</text>')
    parts.append(f'<text x="{left + pw}" y="{top + ph + 14}" text-anchor="end" font-size="10">{fmt_date(x_end)}</text>')
    if target:
        parts.append(f'<line x1="{left}" y1="{Y(target)}" x2="{left + pw}" y2="{Y(target)}" '
                     f'stroke="#c00000" stroke-dasharray="6 3"/>')
        parts.append(f'<text x="{left + 4}" y="{Y(target) - 3}" font-size="10" fill="#c00000">'
                     f'Chỉ tiêu {fmt_num(target)} hồ sơ</text>')
    if deadline:
        parts.append(f'<line x1="{X(deadline)}" y1="{top}" x2="{X(deadline)}" y2="{top + ph}" '
                     f'stroke="#c00000"/>')
        # The label goes on the side of the line that has room (a past deadline sits at the left edge).
        right_side = X(deadline) < left + 90
        parts.append(f'<text x="{X(deadline) + (3 if right_side else -3)}" y="{top + 22}" '
                     f'text-anchor="{"start" if right_side else "end"}" font-size="10" '
                     f'fill="#c00000">Hạn {fmt_date(deadline)}</text>')
    path = " ".join(f"{X(d)},{Y(v)}" for d, v in pts)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#2e75b6" stroke-width="2"/>')
    for d, v in pts:
        parts.append(f'<circle cx="{X(d)}" cy="{Y(v)}" r="2.5" fill="#2e75b6"><title>{fmt_date(d)}: {v}</title></circle>')
    if forecast and target and forecast > pts[-1][0]:
        parts.append(f'<line x1="{X(pts[-1][0])}" y1="{Y(pts[-1][1])}" x2="{X(forecast)}" '
                     f'y2="{Y(target)}" stroke="#2e75b6" stroke-dasharray="3 3"/>')
    ly = height - 10
    parts.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 16}" y2="{ly - 4}" stroke="#2e75b6" stroke-width="2"/>')
    parts.append(f'<text x="{left + 20}" y="{ly}" font-size="10">Lũy kế hồ sơ đã tích hợp</text>')
    parts.append(f'<line x1="{left + 180}" y1="{ly - 4}" x2="{left + 196}" y2="{ly - 4}" stroke="#2e75b6" stroke-dasharray="3 3"/>')
    parts.append(f'<text x="{left + 200}" y="{ly}" font-size="10">Dự báo ({fmt_date(forecast)})</text>')
    parts.append("</svg>")
    return "".join(parts)
