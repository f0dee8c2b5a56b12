"""A manager opens the dashboard in a real browser: `airflow api-server` with the plugin,
SimpleAuthManager login, headless Chromium (Debian's) driven by Playwright.

Screenshots: tests/artifacts/dashboard.png (the "Tiến độ số hóa" view inside the Airflow
UI) and tests/artifacts/dashboard_agency.png (an agency page).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_reports import SECRET, build_programme

from sohoa.db.session import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "quanly", "Matkhau-QL-2025"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--lang=vi-VN"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db_url = f"sqlite:///{tmp / 'sohoa.db'}"
    migrate(db_url)
    engine = make_engine(db_url)
    build_programme(engine)
    engine.dispose()
    pw_file = tmp / "passwords.json"
    pw_file.write_text(json.dumps({USER: PASSWORD}))
    (tmp / "dags").mkdir()
    port = _free_port()
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(tmp / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(tmp / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__AUTH_MANAGER=(
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:viewer",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(pw_file),
        AIRFLOW__API_AUTH__JWT_SECRET="sohoa-browser-test-" + "k" * 64,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp / 'airflow.db'}",
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        SOHOA_DB_URL=db_url,
        SOHOA_HOME=str(tmp / "home"),
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)
    log = open(tmp / "api-server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("api-server did not start:\n"
                                   + (tmp / "api-server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_unauthenticated_request_gets_401(api_server):
    assert httpx.get(f"{api_server}/sohoa/api/progress").status_code == 401
    assert httpx.get(f"{api_server}/sohoa/").status_code == 401


def test_manager_sees_the_dashboard(api_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="vi-VN")
        # Log in through Airflow's own login form.
        page.goto(f"{api_server}/plugin/tien-do-so-hoa")
        page.wait_for_selector("input[name=username]", timeout=30_000)
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/plugin/tien-do-so-hoa", timeout=30_000)
        # The view shows the dashboard in a frame and sits in the Airflow navigation.
        frame = page.frame_locator("iframe")
        rows = frame.locator("#agencies tr[data-code]")
        rows.first.wait_for(timeout=30_000)
        assert page.locator('a[href$="plugin/tien-do-so-hoa"]').count() >= 1
        codes = [rows.nth(i).get_attribute("data-code") for i in range(rows.count())]
        assert sorted(codes) == ["G01", "G02", "G03", "G04", "G05"]
        # At-risk agencies first, each with its reasons.
        classes = [rows.nth(i).get_attribute("class") or "" for i in range(rows.count())]
        flags = ["risk" in c for c in classes]
        assert flags == sorted(flags, reverse=True) and flags[0]
        g01 = frame.locator('#agencies tr[data-code="G01"]')
        assert "Chậm so với kế hoạch" in g01.inner_text()
        assert "10,0 %" in g01.inner_text()  # 2 of 20 planned files integrated
        frame.get_by_text("Hồ sơ trong danh mục").first.wait_for()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        # Filter by level, as a manager would.
        frame.locator("select[name=level]").select_option("commune")
        frame.get_by_role("button", name="Lọc").click()
        frame.locator('#agencies tr[data-code="G01"]').wait_for(state="detached", timeout=30_000)
        frame.locator('#agencies tr[data-code="G04"]').wait_for()
        shown = frame.locator("#agencies tr[data-code]")
        assert sorted(shown.nth(i).get_attribute("data-code") for i in range(shown.count())) == [
            "G02", "G04", "G05"]

        # An agency page: funnel, weekly chart, rescan list without restricted titles.
        page.goto(f"{api_server}/sohoa/agency/G02")
        body = page.inner_text("body")
        assert "Phễu tiến độ hồ sơ" in body and "Trang chờ quét lại" in body
        assert "G02.2019.01.07" in body and "(hạn chế)" in body
        assert SECRET not in page.content()
        page.screenshot(path=str(ARTIFACTS / "dashboard_agency.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
