"""The dashboard's links to DAG runs and the report button lead to real Airflow objects.

`airflow dags test` runs the real inventory_intake and progress_report DAGs against a
real `airflow api-server` (same metadata DB, same project DB); the links the dashboard
and the "Báo cáo tuần" extra link give are then followed through Airflow's REST API and
the plugin, as a manager's clicks would.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import airflow_server
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "vanhanh", "Matkhau-VH-2025"
LIST = ("STT,Hộp số,Số và ký hiệu hồ sơ,Tiêu đề hồ sơ,Thời gian bắt đầu,Thời gian kết thúc,"
        "Thời hạn bảo quản,Chế độ sử dụng,Số lượng tờ,Số lượng trang,Ngôn ngữ\n"
        "1,1,91,Tập lưu công văn đi năm 2023,01/01/2023,31/12/2023,Vĩnh viễn,Công khai,40,48,Tiếng Việt\n"
        "2,1,92,,01/01/2023,31/12/2023,10 năm,Công khai,5,5,Tiếng Việt\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dagruns")
    db_url = airflow_server.programme_db(tmp)
    with airflow_server.api_server(tmp, db_url, {USER: PASSWORD}, dags_folder=ROOT / "dags") as server:
        intake = Path(server.env["SOHOA_HOME"]) / "intake" / "G01"
        intake.mkdir(parents=True)
        (intake / "danh_muc_bo_sung.csv").write_text(LIST, encoding="utf-8")
        for args in (["inventory_intake"], ["progress_report", "-c", '{"as_of": "2025-09-17"}']):
            done = server.airflow("dags", "test", *args)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        tok = airflow_server.token(server.url, USER, PASSWORD)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tok}"},
                          timeout=60) as http:
            yield http


def _only_run(http, dag_id: str) -> dict:
    r = http.get(f"/api/v2/dags/{dag_id}/dagRuns")
    assert r.status_code == 200, r.text
    runs = r.json()["dag_runs"]
    assert len(runs) == 1 and runs[0]["state"] == "success"
    return runs[0]


def test_agency_page_links_the_run_that_processed_it(runs):
    run = _only_run(runs, "inventory_intake")
    page = runs.get("/sohoa/agency/G01").text
    links = re.findall(r'href="(/dags/inventory_intake/runs/[^"]+)"', page)
    assert links, "the agency page lists no inventory_intake run"
    m = re.fullmatch(r"/dags/inventory_intake/runs/([^/]+)/tasks/process/mapped/(\d+)", links[0])
    assert m is not None, links[0]
    run_id, map_index = httpx.URL("/" + m.group(1)).path[1:], int(m.group(2))
    assert run_id == run["dag_run_id"]
    # The link's task instance exists in Airflow and is the one labelled with the agency.
    ti = runs.get(f"/api/v2/dags/inventory_intake/dagRuns/{m.group(1)}/taskInstances/process/{map_index}")
    assert ti.status_code == 200, ti.text
    assert ti.json()["rendered_map_index"] == "G01" and ti.json()["state"] == "success"
    # The run did its work: the new list's good row is there, the bad one is reported.
    detail = runs.get("/sohoa/api/agency/G01?as_of=2025-09-17").json()
    assert any(s["filename"] == "danh_muc_bo_sung.csv" for s in detail["inventory_submissions_with_errors"])
    # An agency no run touched lists none.
    assert "/dags/inventory_intake/runs/" not in runs.get("/sohoa/agency/G03").text


def test_report_button_opens_the_report_that_run_built(runs):
    run = _only_run(runs, "progress_report")
    # The main page links the latest run of each phase DAG, this one included.
    main = runs.get("/sohoa/").text
    assert f'/dags/progress_report/runs/{quote(run["dag_run_id"], safe="")}"' in main
    links = runs.get(f"/api/v2/dags/progress_report/dagRuns/{run['dag_run_id']}"
                     "/taskInstances/build/links")
    assert links.status_code == 200, links.text
    url = links.json()["extra_links"]["Báo cáo tuần"]
    assert url.startswith("/sohoa/reports/airflow-run/")
    report = runs.get(url, follow_redirects=True)
    assert report.status_code == 200
    assert "Báo cáo tiến độ số hóa hồ sơ" in report.text and "<svg" in report.text
    assert "17/09/2025" in report.text  # the as_of the run was given
