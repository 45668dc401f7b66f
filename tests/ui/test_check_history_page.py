"""The Check history page (issue 15 §1) on a seeded 60-day history: one check, a pipeline, the
project scorecard, each reached by its URL."""

from __future__ import annotations

from tests.ui.conftest import open_page
from tests.ui.seed import WORSENING, seed_check_history

PAGE = "pages/check_history.py"
KEY = "/".join(WORSENING)


def test_no_history_says_how_to_get_one(engine):
    at = open_page(PAGE)
    assert "No check has run yet" in at.info[0].value


def test_one_check_by_its_url(engine):
    seed_check_history(engine.store, days=60, runs_per_day=1)
    h = engine.check_history(KEY, limit=100)
    at = open_page(PAGE, check=KEY, period="all")
    assert not at.error, [e.value for e in at.error]
    assert at.subheader[0].value == WORSENING[2]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Runs (all time)"] == "61"
    assert metrics["Latest run"] == "❌ failed"
    assert metrics["Failed rows, latest"] == f"{h['runs'][0]['failed_rows']:,}"
    df = at.dataframe[0].value
    assert len(df) == 61
    assert list(df["Failed rows"][:3]) == [r["failed_rows"] for r in h["runs"][:3]]
    assert df["Job"][0] == f"job?job_id={h['runs'][0]['job_id']}"
    assert len(at.get("plotly_chart")) == 1


def test_pipeline_strip_and_scorecard(engine):
    seed_check_history(engine.store, days=60, runs_per_day=1)
    at = open_page(PAGE, project="retail_migration", pipeline="fact_sales_validation", period="all")
    assert not at.error
    assert at.subheader[0].value == "retail_migration · fact_sales_validation"
    checks = at.dataframe[0].value
    assert len(checks) == 6 and WORSENING[2] in list(checks["Check"])
    assert len(at.get("plotly_chart")) == 1
    at = open_page(PAGE, project="retail_migration", period="7d")
    card = engine.quality_scorecard("retail_migration")
    metrics = {m.label: m.value for m in at.metric}
    now = card["current"]
    assert metrics["Checks passing now"] == f"{now['passing']} of {now['checks']}"
    assert metrics["Failing now"] == str(now["failing"])
    failing = at.dataframe[1].value
    assert f"fact_sales_validation · {WORSENING[2]}" in list(failing["Check"])


def test_job_details_links_to_each_pipelines_history(engine):
    job = engine.submit(
        "bulk_pipeline_execution",
        {
            "job_name": "two pipelines",
            "pipelines": [
                {"pipeline_id": "ledger_validation", "project_id": "finance_checks"},
                {"pipeline_id": "fx_rates_validation", "project_id": "finance_checks"},
            ],
        },
    )
    engine.wait(job.job_id, timeout=60)
    at = open_page("pages/job_details.py", job_id=job.job_id)
    assert not at.error, [e.value for e in at.error]
    links = [p for p in at.get("page_link") if "Check history" in p.proto.label]
    assert [p.proto.label for p in links] == [
        "Check history · ledger_validation",
        "Check history · fx_rates_validation",
    ]
    # and the link's target shows that pipeline's checks from this very run
    at = open_page(PAGE, project="finance_checks", pipeline="ledger_validation", period="all")
    checks = at.dataframe[0].value
    assert list(checks["Check"]) == ["not_null(ledger.id)", "unique(ledger(id))"]
    assert list(checks["Runs"]) == [1, 1]
