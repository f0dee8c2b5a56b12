"""The weekly report's e-mail to the managers: recipients and a short Vietnamese summary.

Only the text is built here (no Airflow, testable alone); sohoa.airflow_glue sends it
with the workbook attached through Airflow's SMTP connection. Recipients come from
``SOHOA_REPORT_EMAIL_TO`` (addresses separated by commas or semicolons); nothing is
sent when it is empty.
"""

from __future__ import annotations

import html
import os
import re
from datetime import date
from typing import Any

from sohoa.reporting.formatting import fmt_date, fmt_num, fmt_pct
from sohoa.reporting.numbers import PAGE_LABELS, PHASE_LABELS, PHASES


def recipients() -> list[str]:
    raw = os.environ.get("SOHOA_REPORT_EMAIL_TO") or ""
    return [a for a in (x.strip() for x in re.split(r"[,;]", raw)) if a]


def attachment_name(as_of: date) -> str:
    return f"bao_cao_tien_do_{as_of.isoformat()}.xlsx"


def _d(v: Any) -> date | None:
    return date.fromisoformat(v) if isinstance(v, str) else v


def summary(totals: dict[str, Any], report_url: str | None = None) -> tuple[str, str]:
    """(subject, HTML body) from a report's totals (weekly.build_weekly_report's)."""
    as_of = _d(totals["as_of"])
    files, pages, plan = totals["files"], totals["pages"], totals["plan"]
    subject = (f"Báo cáo tiến độ số hóa đến ngày {fmt_date(as_of)}: "
               f"{fmt_num(files['integrated'])} hồ sơ đã tích hợp")
    e = html.escape
    rows = [
        ("Số liệu đến hết ngày", fmt_date(as_of)),
        ("Tuần", f"từ {fmt_date(_d(totals['week_start']))}"),
        ("Cơ quan", fmt_num(totals["agencies"])),
        ("Cơ quan có kế hoạch", fmt_num(totals.get("agencies_with_plan"))),
        ("Cơ quan chưa có kế hoạch", fmt_num(totals.get("agencies_without_plan"))),
        ("Cơ quan có cảnh báo", fmt_num(totals["agencies_at_risk"])),
        *[(f"Hồ sơ: {PHASE_LABELS[p]}", fmt_num(files[p])) for p in PHASES],
        ("Hồ sơ tích hợp trong tuần", fmt_num(totals["done_this_week"]["integrated"])),
        ("Chỉ tiêu hồ sơ", fmt_num(plan.get("target_files"))),
        ("Tỷ lệ hoàn thành kế hoạch", fmt_pct(plan.get("pct_of_plan"))),
        ("Dự báo hoàn thành", fmt_date(_d(totals.get("forecast_date")))),
        (PAGE_LABELS["awaiting_rescan"], fmt_num(pages["awaiting_rescan"])),
        ("Dòng danh mục bị trả lại", fmt_num(totals["rejected_inventory_rows"])),
        ("Cảnh báo", "; ".join(totals.get("risk_reasons") or []) or "Không"),
    ]
    body = ["<p>Kính gửi Quý lãnh đạo,</p>",
            f"<p>Báo cáo tiến độ số hóa hồ sơ, tài liệu đến hết ngày {e(fmt_date(as_of))} "
            "gửi kèm theo thư này (tệp Excel: tổng hợp, theo đơn vị kế thừa, từng cơ quan, "
            "có biểu đồ).</p>",
            '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">']
    body += [f"<tr><td>{e(k)}</td><td style=\"text-align:right\">{e(v)}</td></tr>" for k, v in rows]
    body.append("</table>")
    if report_url:
        body.append(f'<p>Bản trực tuyến: <a href="{e(report_url)}">{e(report_url)}</a></p>')
    body.append("<p>Thư gửi tự động từ hệ thống số hóa; vui lòng không trả lời thư này.</p>")
    return subject, "\n".join(body)
