"""The review report (issue 15 §4): content from real runs and the seeded 60-day history, one
inlined plotly.js and no network reference, the API endpoint and the CLI."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from batchcore.api.app import create_api
from batchcore.cli import main
from batchcore.errors import RequestError
from tests.api.conftest import serve_api  # noqa: F401  (fixture)
from tests.history.test_check_history import _run, _workspace
from tests.ui.seed import WORSENING, seed_check_history


def text_of(html: str) -> str:
    """The report's visible text, tags removed (script bodies dropped)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def assert_self_contained(html: str) -> None:
    assert html.count("plotly.js v") == 1  # the library's banner, inlined once
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"?https?:", html)  # no remote stylesheet either
    assert "@media print" in html


@pytest.fixture
def api_engine(make_engine, tmp_path):
    ws = _workspace(tmp_path)
    eng = make_engine(workspace=ws)
    seed_check_history(eng.store, days=60, runs_per_day=1)
    eng.ws_path = ws
    return eng


def test_range_report_shows_the_scorecard_changes_and_failures(api_engine):
    eng = api_engine
    html = eng.review_report(project_id="retail_migration")
    assert_self_contained(html)
    text = text_of(html)
    card = eng.quality_scorecard("retail_migration")
    now, prev = card["current"], card["previous"]
    assert f"Checks passing now {now['passing']} of {now['checks']}" in text
    assert f"{now['passing'] - prev['passing']:+,} vs previous ({prev['passing']})" in text
    assert f"Failing now {now['failing']}" in text
    # the worsening check: still failing with changed figures, with its sample and its SQL
    worse = next(c for c in card["checks"] if c["key"] == "/".join(WORSENING))
    assert (
        f"fact_sales_validation · {WORSENING[2]} failed failed "
        f"{worse['previous_failed_rows']:,} → {worse['last_failed_rows']:,}"
    ) in text.split("Still failing · ")[1]
    assert "Failing rows (sample of 2)" in text
    assert "SELECT count(*) FILTER (WHERE customer_id IS NULL) FROM fact_sales" in text
    # the anomalies the seeded row counts were judged with
    rows, total = eng.anomalies(project_id="retail_migration", since=card["start"])
    assert f"Anomalies · {total}" in text and total >= 1
    assert rows[0]["reason"] in text
    assert html.count('class="plotly-graph-div"') >= 2


def test_job_report_of_a_real_run(api_engine):
    eng = api_engine
    first = _run(eng, eng.ws_path)
    job = _run(eng, eng.ws_path, "UPDATE people SET email = NULL WHERE id < 3")
    html = eng.review_report(job_id=job)
    assert_self_contained(html)
    text = text_of(html)
    assert "Checks passed 1 of 2" in text and "Failed 1" in text
    assert f"against the previous run of the same pipelines, job {first}" in text
    assert "Newly failing · 1" in text
    assert "people_validation · not_null(people.email) failed · failed rows 3 of 10" in text
    failing = next(c for c in eng.check_results(job) if c["status"] == "failed")
    assert failing["sql"] and " ".join(failing["sql"].split()) in text  # the SQL it ran
    for row in failing["sample"]["rows"]:  # the failing rows it kept (ids 0, 1, 2)
        assert str(row[0]) in text
    assert "Failing rows (sample of 3)" in text
    assert "Operations" in text and "people_validation" in text
    with pytest.raises(RequestError, match="give job_id alone"):
        eng.review_report(job_id=job, project_id="retail_migration")


def test_report_endpoint_and_cli(api_engine, serve_api, tmp_path, capsys):  # noqa: F811
    with TestClient(create_api(engine=api_engine, token=None)) as c:
        r = c.get("/report", params={"project_id": "finance_checks", "since": "14d"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'filename="review_finance_checks.html"' in r.headers["content-disposition"]
        assert "Data quality review · project finance_checks" in r.text
        r = c.get("/report", params={"job_id": "no-such-job"})
        assert r.status_code == 404
        r = c.get("/report", params={"since": "1d", "until": "3d"})
        assert r.status_code == 422 and "must be before until" in r.json()["message"]
    url = serve_api()
    out = tmp_path / "out.html"
    rc = main(
        ["report", "--project", "retail_migration", "--since", "7d", "-o", str(out), "--url", url]
    )
    assert rc == 0
    html = out.read_text()
    assert_self_contained(html)
    assert "Data quality review · project retail_migration" in html
