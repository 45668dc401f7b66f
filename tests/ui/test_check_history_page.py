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
    assert metrics["Latest run"] == "✗ failed"
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
    assert "Review report (HTML)" in [b.proto.label for b in at.get("download_button")]
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
    assert [b.proto.label for b in at.get("download_button")].count("Review report (HTML)") == 1
    # and the link's target shows that pipeline's checks from this very run
    at = open_page(PAGE, project="finance_checks", pipeline="ledger_validation", period="all")
    checks = at.dataframe[0].value
    assert list(checks["Check"]) == ["not_null(ledger.id)", "unique(ledger(id))"]
    assert list(checks["Runs"]) == [1, 1]


def test_analytics_flags_anomalies_in_its_scope(engine, workspace):
    from tests.history.test_anomaly import PIPELINE, _run

    (workspace / "projects/retail_migration/pipelines/orders_validation.yaml").write_text(PIPELINE)
    for n in (100, 104, 98, 101, 103, 99):
        _run(engine, workspace, n)
    at = open_page("pages/analytics.py")
    assert any("No anomaly" in c.value for c in at.caption)
    _run(engine, workspace, 130)
    rows, total = engine.anomalies()
    assert total == 1 and rows[0]["check_name"] == "row_count(orders)" and rows[0]["value"] == 130
    at = open_page("pages/analytics.py")
    assert not at.error, [e.value for e in at.error]
    assert "1 anomaly" in at.warning[0].value
    df = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert list(df["Check"]) == ["orders_validation · row_count(orders)"]
    assert df["Why"][0].startswith("row_count 130 is above the band 94.57 – 106.43 by 23.57")
    # another project's scope has none
    assert engine.anomalies(project_id="finance_checks") == ([], 0)
    assert engine.anomalies(project_id="retail_migration")[1] == 1


def test_a_check_judged_by_its_band_says_why(engine):
    seed_check_history(engine.store, days=60, runs_per_day=1)
    key = "retail_migration/dim_customer_validation/row_count(dim_customer)"
    latest = engine.check_history(key, limit=1)["runs"][0]
    verdict = latest["observed"]["anomaly"]
    assert verdict["state"] == "anomaly"  # the seeded 3x row count of the last day
    at = open_page(PAGE, check=key, period="all")
    assert at.error[0].value == f"Learned band, latest run in the period: {verdict['reason']}"
    assert len(at.get("plotly_chart")) == 2  # the band, then failed rows and pass rate
    observed = at.dataframe[0].value["Observed"][0]
    assert observed.startswith(f"row_count={latest['total_rows']:,}, min=1, band: anomaly (")


def test_scorecard_shows_a_dash_where_a_check_has_no_earlier_figure(engine):
    """A failing check with no run in the previous period: "Failed rows before" reads "—"
    (Streamlit drew a grey "None"), the failed rows of now keep their figures."""
    from tests.ui.seed import add_checks, check_row, noop_job

    job_id = noop_job(engine, "once", 1, result_failed=(0,), project_id="retail_migration")
    engine.wait(job_id, timeout=10)
    add_checks(
        engine.store, job_id, [check_row("op_0", 0, passed=False, name="nn", failed_rows=7602)]
    )
    at = open_page(PAGE, project="retail_migration", period="7d")
    failing = next(d.value for d in at.dataframe if "Failed rows before" in d.value.columns)
    assert list(failing["Failed rows"]) == ["7,602"] or list(failing["Failed rows"]) == [7602]
    assert list(failing["Failed rows before"]) == ["—"]


def test_a_malformed_check_link_shows_the_pages_message_not_a_traceback(engine):
    seed_check_history(engine.store, days=5, runs_per_day=1)
    at = open_page(PAGE, check="zzz//")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert "'zzz//' is not a check key" in at.error[0].value
    assert "check" not in at.query_params
    assert at.selectbox(key="check_pick").value == "(all)"  # the scorecard, not a crash
