"""Analytics page: the charts show the store's numbers; filters narrow them; empty states."""

from __future__ import annotations

import base64
import json

import numpy as np

from batchcore.store.writer import FnCommand
from tests.ui.conftest import open_page
from tests.ui.seed import add_checks, check_row, noop_job

PAGE = "pages/analytics.py"


def _decode(v):
    """Plotly JSON with its base64 typed arrays (`{"dtype", "bdata"}`) turned into lists."""
    if isinstance(v, dict):
        if set(v) >= {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def _figures(at) -> dict[str, dict]:
    """Plotly figures on the page by chart name."""
    return {
        el.proto.id.split("fig-")[-1]: _decode(json.loads(el.proto.spec))
        for el in at.get("plotly_chart")
    }


def _checks_a_day_earlier(engine, job_id: str) -> None:
    """Date the check results of `job_id` one day back (an earlier run)."""
    engine.store.call(
        FnCommand(
            lambda cur, now: cur.execute(
                "UPDATE check_results SET created_at = created_at - INTERVAL 1 DAY WHERE job_id = ?",
                [job_id],
            ).fetchall()
        )
    )


def test_empty_store_says_what_to_do(engine):
    at = open_page(PAGE)
    assert "No jobs yet, so nothing to chart" in at.info[0].value
    assert not at.get("plotly_chart")


def test_overview_failures_and_performance_tabs_show_the_store_numbers(engine):
    ok = noop_job(engine, "ok", 2, sleep_ms=50, project_id="retail_migration")
    bad = noop_job(engine, "bad", 1, fail=(0,), project_id="finance_checks")
    for j in (ok, bad):
        engine.wait(j, timeout=10)
    add_checks(
        engine.store, ok, [check_row("op_0", 0, passed=False, name="not_null_email", failed_rows=5)]
    )
    at = open_page(PAGE)
    assert [m.value for m in at.metric][:3] == ["2", "50.0%", "1 / 0"]
    # only the open tab is queried and drawn
    figs = _figures(at)
    assert set(figs) == {"jobs-by-status", "jobs-by-type", "job-duration", "operation-duration"}
    donut = figs["jobs-by-status"]["data"][0]
    assert sorted(zip(donut["labels"], donut["values"], strict=True)) == [
        ("completed", 1),
        ("failed", 1),
    ]
    colours = dict(zip(donut["labels"], donut["marker"]["colors"], strict=True))
    assert colours == {"completed": "#1a7f37", "failed": "#cf222e"}
    assert {"CSV", "JSON", "Chart (HTML)"} <= {b.label for b in at.get("download_button")}

    at = open_page(PAGE, an_tab="Failures")
    assert set(_figures(at)) == {"check-failure-rate"}
    # one run: nothing to compare it with, so it is not "getting worse"
    assert not at.dataframe
    infos = [i.value for i in at.info]
    assert "No pipeline runs finished in this range." in infos
    assert (
        "No check got worse in this range (1 check failed at least once; none fails more "
        "often or on more rows lately)." in infos
    )

    at = open_page(PAGE, an_tab="Performance")
    assert set(_figures(at)) == {"slowest-operations"}
    infos = [i.value for i in at.info]
    assert (
        "No data generation finished in this range. Launch one from Batch Data Generation." in infos
    )


def test_project_filter_narrows_the_numbers(engine):
    for name, project in (
        ("a", "retail_migration"),
        ("b", "finance_checks"),
        ("c", "finance_checks"),
    ):
        engine.wait(noop_job(engine, name, 1, project_id=project), timeout=10)
    at = open_page(PAGE, an_tab="Performance")
    assert at.metric[0].value == "3"
    at.selectbox(key="an_project").select("finance_checks").run()
    assert at.metric[0].value == "2"
    slow = _figures(at)["slowest-operations"]["data"]
    assert sorted(y.split(" · ")[0] for trace in slow for y in trace["y"]) == ["b", "c"]


def test_names_from_the_store_are_escaped_in_chart_labels(engine):
    evil_job = '<b>bold</b> & <a href="https://example.org">link</a>'
    evil_check = "<i>not_null</i><br>email"
    earlier = noop_job(engine, "yesterday", 1)
    job = noop_job(engine, evil_job, 1, sleep_ms=20)
    engine.wait(earlier, timeout=10)
    engine.wait(job, timeout=10)
    add_checks(engine.store, earlier, [check_row("op_0", 0, passed=True, name=evil_check)])
    _checks_a_day_earlier(engine, earlier)
    add_checks(
        engine.store, job, [check_row("op_0", 0, passed=False, name=evil_check, failed_rows=3)]
    )

    at = open_page(PAGE, an_tab="Performance")
    (bars,) = _figures(at)["slowest-operations"]["data"]
    expected = (
        '&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href="https://example.org"&gt;link&lt;/a&gt; · op_0'
    )
    assert bars["y"][-1] == expected  # the longest (20 ms) on top
    assert _figures(at)["slowest-operations"]["layout"]["yaxis"]["categoryarray"][-1] == expected

    at = open_page(PAGE, an_tab="Failures")
    (line,) = _figures(at)["check-failure-rate"]["data"]
    assert line["name"] == "dim_customer_validation · &lt;i&gt;not_null&lt;/i&gt;&lt;br&gt;email"
    assert "%{fullData.name}" in line["hovertemplate"]  # the hover shows the escaped name
    # the numbers behind the chart keep the raw name
    assert list(at.dataframe[0].value["check"]) == [f"dim_customer_validation · {evil_check}"]


def test_failures_tab_lists_only_what_failed_and_warned_is_no_failure(engine):
    job = noop_job(engine, "nightly", 2, result_failed=(1,))  # a data failure, not an error
    engine.wait(job, timeout=10)

    def as_pipelines(cur, now):
        cur.execute(
            """UPDATE operations SET kind = 'pipeline_execution',
                   spec = json_object('project_id', 'shop', 'pipeline_id', 'pl_' || operation_id)
               WHERE job_id = ?""",
            [job],
        ).fetchall()

    engine.store.call(FnCommand(as_pipelines))
    warned = check_row("op_0", 0, passed=False, name="soft_limit", failed_rows=2)
    add_checks(engine.store, job, [{**warned, "status": "warned", "severity": "warn"}])

    at = open_page(PAGE, an_tab="Failures")
    figs = _figures(at)
    assert [t["name"] for t in figs["pipeline-failure-rate"]["data"]] == ["shop/pl_op_1"]
    assert "check-failure-rate" not in figs
    infos = [i.value for i in at.info]
    assert infos.count("No check failed in this range.") == 2  # the chart and the trends table


def test_jobs_of_the_last_minutes_are_charted_per_hour_with_hourly_ticks(engine):
    engine.wait(noop_job(engine, "now", 2, sleep_ms=20), timeout=10)
    job = engine.list_jobs()[0][0]
    at = open_page(PAGE)  # default range: the last 30 days, period "auto"
    assert "**Job duration per hour**" in [m.value for m in at.markdown]
    hour = job.created_at.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for name in ("job-duration", "operation-duration"):
        # one period: a labelled bar named by its hour, not a lone dot on a time axis
        axis = _figures(at)[name]["layout"]["xaxis"]
        assert axis["type"] == "category", name
        assert axis["categoryarray"] == [hour.strftime("%Y-%m-%d %H:00")], name
        assert {t["type"] for t in _figures(at)[name]["data"]} == {"bar"}
    # a period chosen by hand wins
    at.selectbox(key="an_bucket").select("day").run()
    assert "**Job duration per day**" in [m.value for m in at.markdown]
    assert _figures(at)["job-duration"]["layout"]["xaxis"]["categoryarray"] == [
        hour.strftime("%Y-%m-%d")
    ]


def test_the_tab_query_parameter_opens_that_tab(engine):
    ok = noop_job(engine, "ok", 1, sleep_ms=10, project_id="retail_migration")
    engine.wait(ok, timeout=10)
    add_checks(
        engine.store, ok, [check_row("op_0", 0, passed=False, name="not_null_email", failed_rows=5)]
    )
    for value in ("Failures", "failures"):
        at = open_page(PAGE, tab=value)
        assert set(_figures(at)) == {"check-failure-rate"}, value
        assert "tab" not in at.query_params
    at = open_page(PAGE, tab="nope")  # unknown: the default tab
    assert "jobs-by-status" in _figures(at)
