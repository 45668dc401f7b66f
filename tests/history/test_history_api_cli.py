"""Check history over the REST API and the CLI (issue 15 §1), on the seeded 60-day history."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from batchcore.api.app import create_api
from batchcore.cli import main
from tests.api.conftest import serve_api  # noqa: F401  (fixture)
from tests.ui.seed import WORSENING, seed_check_history, write_workspace

KEY = "/".join(WORSENING)


@pytest.fixture
def api_engine(make_engine, tmp_path):
    eng = make_engine(workspace=write_workspace(tmp_path / "ws"))
    seed_check_history(eng.store, days=60, runs_per_day=1)
    return eng


@pytest.fixture
def client(api_engine):
    with TestClient(create_api(engine=api_engine, token=None)) as c:
        yield c


def test_check_history_endpoint(client, api_engine):
    r = client.get(f"/checks/{quote(KEY, safe='/')}/history", params={"limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    direct = api_engine.check_history(KEY, limit=5)
    assert body["total_runs"] == direct["total_runs"] == 61
    assert [x["failed_rows"] for x in body["runs"]] == [x["failed_rows"] for x in direct["runs"]]
    assert body["runs"][0]["run_at"].endswith("+00:00")
    assert len(body["trend"]["points"]) == 61
    r = client.get(f"/checks/{quote(KEY, safe='/')}/history", params={"since": "7d"})
    assert 6 <= r.json()["total_runs"] <= 8
    r = client.get(f"/checks/{quote(KEY, safe='/')}/history", params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 61 and rows[0]["check_name"] == WORSENING[2]


def test_history_errors_are_clear(client):
    r = client.get("/checks/retail_migration/fact_sales_validation/nope/history")
    assert r.status_code == 404 and "renamed check starts a new history" in r.json()["message"]
    r = client.get(f"/checks/{quote(KEY, safe='/')}/history", params={"since": "yesterday"})
    assert r.status_code == 422 and "since 'yesterday'" in r.json()["message"]
    r = client.get("/pipelines/no_such_pipeline/history")
    assert r.status_code == 404


def test_report_of_an_unknown_project_is_404_naming_it(client):
    r = client.get("/report", params={"project_id": "nope"})
    assert r.status_code == 404, r.text
    body = r.json()
    assert "project 'nope' not found" in body["message"]
    assert "retail_migration" in body["message"]  # the known ones
    assert body["detail"][0]["loc"] == ["query", "project_id"]
    project = WORSENING[0]  # a project with history: its report is HTML
    r = client.get("/report", params={"project_id": project})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert project in r.text


def test_pipeline_history_endpoint_and_export(client):
    r = client.get("/pipelines/fact_sales_validation/history", params={"max_runs": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["project_id"] == "retail_migration" and len(body["runs"]) == 5
    assert len(body["cells"]) == 30 and body["checks"][2]["key"] == KEY
    r = client.get(
        "/pipelines/fact_sales_validation/history", params={"max_runs": 5, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 30 and {x["check_name"] for x in rows} >= {WORSENING[2]}
    r = client.get("/checks", params={"project_id": "finance_checks"})
    assert r.json()["total"] == 12
    r = client.get("/scorecard", params={"project_id": "retail_migration", "days": 7})
    card = r.json()
    assert card["current"]["checks"] == 18 and card["checks"][0]["status"] in ("failed", "error")


def test_cli_history(capsys, api_engine, serve_api, tmp_path):  # noqa: F811
    url = serve_api()
    rc = main(["history", KEY, "--url", url, "--limit", "3"])
    out = capsys.readouterr().out
    assert rc == 1  # the latest run failed
    assert "3 of 61 runs" in out and "✗ failed" in out
    rc = main(["history", "--pipeline", "fact_sales_validation", "--url", url, "--limit", "4"])
    out = capsys.readouterr().out
    assert f"{WORSENING[2]}" in out and "4 of 61 runs" in out
    target = tmp_path / "h.csv"
    assert main(["history", KEY, "--url", url, "-o", str(target)]) == 0
    assert len(target.read_text().strip().splitlines()) == 62


def test_a_check_name_with_slash_spaces_and_symbols_round_trips(make_engine, tmp_path):
    from tests.history.test_check_history import _run, _workspace

    ws = _workspace(tmp_path, name=', name: "email / present (100%) & ok?"')
    eng = make_engine(workspace=ws)
    job = _run(eng, ws)
    key = "retail_migration/people_validation/email / present (100%) & ok?"
    with TestClient(create_api(engine=eng, token=None)) as c:
        r = c.get(f"/checks/{quote(key, safe='/')}/history")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["check_name"] == "email / present (100%) & ok?"
        assert [x["job_id"] for x in body["runs"]] == [job]
        listed = c.get("/checks", params={"search": "present (100%)"}).json()["checks"]
        assert [x["key"] for x in listed] == [key]
