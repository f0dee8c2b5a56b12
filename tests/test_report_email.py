"""The weekly report reaches the managers: workbook + Vietnamese summary by e-mail through
Airflow's SMTP connection, received by a real SMTP server (aiosmtpd) started here."""

from __future__ import annotations

import email
import io
import json
import socket
from datetime import date
from email.header import decode_header, make_header

import pytest
from openpyxl import load_workbook
from test_reports import AS_OF, MemStorage, build_programme

from sohoa.core.db.session import session_scope
from sohoa.reporting import mail, weekly, xlsx


class _Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "bao-cao@sohoa.test",
                  "retry_limit": 0, "timeout": 10}}))
    yield inbox
    ctl.stop()


def _report(engine):
    build_programme(engine)
    storage = MemStorage()
    with session_scope(engine) as s:
        out = weekly.build_weekly_report(s, storage, AS_OF)
    # as the DAG's XCom carries it
    return json.loads(json.dumps({k: out[k] for k in ("xlsx_key", "html_key", "report_run_id",
                                                      "totals")})), storage


def test_summary_is_vietnamese_and_has_the_reports_numbers(engine):
    report, _ = _report(engine)
    subject, body = mail.summary(report["totals"], report_url="http://airflow/sohoa/reports/1.html")
    t = report["totals"]
    assert subject == f"Báo cáo tiến độ số hóa đến ngày 17/09/2025: {t['files']['integrated']} hồ sơ đã tích hợp"
    assert "Kính gửi" in body and "Số liệu đến hết ngày" in body
    assert f"<td>Hồ sơ: Đã số hóa (quét)</td><td style=\"text-align:right\">{t['files']['scanned']}</td>" in body
    assert f"<td>Cơ quan có cảnh báo</td><td style=\"text-align:right\">{t['agencies_at_risk']}</td>" in body
    assert "http://airflow/sohoa/reports/1.html" in body
    assert mail.attachment_name(date(2025, 9, 17)) == "bao_cao_tien_do_2025-09-17.xlsx"


def test_recipients(monkeypatch):
    monkeypatch.delenv("SOHOA_REPORT_EMAIL_TO", raising=False)
    assert mail.recipients() == []
    monkeypatch.setenv("SOHOA_REPORT_EMAIL_TO", " pgd@ubnd.vn; tp.luutru@sonv.vn ,, ")
    assert mail.recipients() == ["pgd@ubnd.vn", "tp.luutru@sonv.vn"]


def test_nothing_sent_without_recipients(engine, smtp_server, monkeypatch):
    from sohoa.airflow_glue import email_report

    monkeypatch.delenv("SOHOA_REPORT_EMAIL_TO", raising=False)
    report, storage = _report(engine)
    assert email_report(report, storage=storage) == {"sent": False, "recipients": 0}
    assert smtp_server.messages == []


def test_report_is_emailed_through_airflows_smtp_connection(engine, smtp_server, monkeypatch):
    from sohoa.airflow_glue import email_report

    monkeypatch.setenv("SOHOA_REPORT_EMAIL_TO", "pgd@ubnd.vn, tp.luutru@sonv.vn")
    report, storage = _report(engine)
    got = email_report(report, storage=storage)
    assert got == {"sent": True, "recipients": 2, "attachment": "bao_cao_tien_do_2025-09-17.xlsx"}
    assert len(smtp_server.messages) == 1
    rcpts, raw = smtp_server.messages[0]
    assert sorted(rcpts) == ["pgd@ubnd.vn", "tp.luutru@sonv.vn"]
    msg = email.message_from_bytes(raw)
    assert str(make_header(decode_header(msg["Subject"]))).startswith(
        "Báo cáo tiến độ số hóa đến ngày 17/09/2025")
    assert msg["From"] == "bao-cao@sohoa.test"
    parts = {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}
    body = parts["text/html"].get_payload(decode=True).decode("utf-8")
    assert "Báo cáo tiến độ số hóa hồ sơ, tài liệu đến hết ngày 17/09/2025" in body
    att = next(p for p in msg.walk() if p.get_filename())
    assert att.get_filename() == "bao_cao_tien_do_2025-09-17.xlsx"
    data = att.get_payload(decode=True)
    assert data == storage.get_bytes(report["xlsx_key"])  # the stored workbook, whole
    wb = load_workbook(io.BytesIO(data))  # it opens, and its numbers are the report's
    ws = wb["Tổng hợp"]
    hr = xlsx.SUMMARY_HEADER_ROW
    header = {ws.cell(row=hr, column=c).value: c for c in range(1, ws.max_column + 1)}
    total = next(r for r in range(hr + 1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "TỔNG")
    t = report["totals"]
    from sohoa.reporting.numbers import PHASE_LABELS

    for phase, n in t["files"].items():
        assert ws.cell(row=total, column=header[f"Hồ sơ: {PHASE_LABELS[phase]}"]).value == n
    assert ws.cell(row=total, column=header["Tích hợp trong tuần"]).value == t["done_this_week"]["integrated"]
    assert f">{t['files']['integrated']}</td>" in body
