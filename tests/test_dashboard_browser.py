"""A manager opens the dashboard in a real browser: `airflow api-server` with the plugin,
SimpleAuthManager login, headless Chromium (Debian's) driven by Playwright.

Screenshots: tests/artifacts/dashboard.png (the "Tiến độ số hóa" view inside the Airflow
UI) and tests/artifacts/dashboard_agency.png (an agency page).
"""

from __future__ import annotations

from pathlib import Path

import airflow_server
import httpx
import pytest
from test_reports import SECRET

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "quanly", "Matkhau-QL-2025"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--lang=vi-VN"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db_url = airflow_server.programme_db(tmp)
    with airflow_server.api_server(tmp, db_url, {USER: PASSWORD}) as server:
        yield server.url


def test_unauthenticated_request_gets_401(api_server):
    assert httpx.get(f"{api_server}/sohoa/api/progress").status_code == 401
    assert httpx.get(f"{api_server}/sohoa/").status_code == 401


def test_token_from_login_reads_the_json(api_server):
    """What a script (or the benchmark) does: a token from the login endpoint, then the JSON."""
    tok = airflow_server.token(api_server, USER, PASSWORD)
    r = httpx.get(f"{api_server}/sohoa/api/progress?as_of=2025-09-17",
                  headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200
    body = r.json()
    assert sorted(a["code"] for a in body["agencies"]) == ["G01", "G02", "G03", "G04", "G05"]
    assert body["programme"]["files"]["inventoried"] == 18
    # a token with a broken signature is refused (Airflow answers 403 for an invalid JWT)
    forged = httpx.get(f"{api_server}/sohoa/api/progress",
                       headers={"Authorization": "Bearer " + tok[:-4] + "AAAA"})
    assert forged.status_code in (401, 403) and "agencies" not in forged.text


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
