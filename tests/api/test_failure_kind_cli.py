"""Could not run ≠ failed through the API and the CLI (DESIGN §12): `run` and `submit --wait`
exit 1 when operations' checks found bad data and 2 when any could not run; the API shows
`failure_kind` and counts both apart; JUnit writes `<failure>` vs `<error>`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from batchcore.cli import main
from batchcore.models import FailureKind
from batchcore.outcome import job_failure_kind

BAD_DATA = "flights_validation"  # not_null(flights.carrier): one NULL of two rows
PASSES = "airlines_validation"
MISSING = "planes_validation"  # a table the warehouse does not have


@pytest.fixture
def workspace(api_workspace: Path) -> Path:
    (api_workspace / "projects" / "my_project" / "pipelines" / f"{MISSING}.yaml").write_text(
        "target: warehouse\nchecks:\n  - {type: not_null, table: planes, columns: [tailnum]}\n"
    )
    return api_workspace


def _request(tmp_path: Path, *pipelines: str, **options) -> str:
    path = tmp_path / f"req-{'-'.join(pipelines)}.json"
    body = {
        "job_name": "kinds",
        "pipelines": [{"pipeline_id": p} for p in pipelines],
        "stop_on_error": False,
        **options,
    }
    path.write_text(json.dumps(body))
    return str(path)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    ("pipelines", "exit_code", "summary"),
    [
        ((PASSES,), 0, "1 completed, 0 failed, 0 error"),
        ((BAD_DATA, PASSES), 1, "1 completed, 1 failed, 0 error"),
        ((MISSING,), 2, "0 completed, 0 failed, 1 error"),
        ((BAD_DATA, MISSING), 2, "0 completed, 1 failed, 1 error"),
    ],
    ids=["passes", "bad-data", "unknown-table", "both"],
)
def test_run_exit_code_follows_the_rule_of_validate(
    capsys, monkeypatch, tmp_path, workspace, pipelines, exit_code, summary
):
    monkeypatch.setenv("BATCH_AUTO_BUILD_EXAMPLE", "0")
    rc, out, _ = _cli(
        capsys,
        "run",
        "--job",
        _request(tmp_path, *pipelines),
        "--workspace",
        str(workspace),
        "--jobs-dir",
        str(tmp_path / "jobs"),
        "-q",
    )
    assert rc == exit_code, out
    assert summary in out.splitlines()[-1]
    shown = {line.split()[1]: line.split()[0] for line in out.splitlines()[:-1]}
    assert shown == {
        f"pipeline_{i}_{p}": {BAD_DATA: "failed", MISSING: "error"}.get(p, "completed")
        for i, p in enumerate(pipelines)
    }


def test_submit_wait_junit_and_api_keep_errors_apart_from_failures(
    capsys, tmp_path, workspace, live_url, client
):
    junit = tmp_path / "report.xml"
    rc, out, err = _cli(
        capsys,
        "submit",
        _request(tmp_path, BAD_DATA, MISSING, PASSES),
        "--url",
        live_url,
        "--wait",
        "--poll",
        "0.05",
        "--junit",
        str(junit),
    )
    assert rc == 2, err
    job_id = out.splitlines()[0]
    assert "1 failed  1 error  0 skipped" in err  # the last progress line

    job = client.get(f"/jobs/{job_id}").json()["job"]
    assert [(o["status"], o["failure_kind"]) for o in job["operations"]] == [
        ("failed", "checks_failed"),
        ("failed", "error"),
        ("completed", None),
    ]
    p = job["progress"]
    assert (p["failed_operations"], p["checks_failed_operations"], p["error_operations"]) == (
        2,
        1,
        1,
    )
    ops = client.get(f"/jobs/{job_id}/operations").json()["operations"]
    assert [o["failure_kind"] for o in ops] == ["checks_failed", "error", None]

    suite = ET.parse(junit).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    bad, missing = cases["pipeline_0_flights_validation"], cases["pipeline_1_planes_validation"]
    assert bad.find("failure") is not None and bad.find("error") is None
    assert missing.find("error").get("type") == "operation_error"
    assert missing.find("failure") is None
    assert "could not run" in missing.find("error").get("message")
    # operation errors and the check that could not run are errors; the NULL found is a failure
    assert (suite.get("failures"), suite.get("errors")) == ("2", "2")

    stats = client.get("/statistics").json()["statistics"]["by_job_type"]
    rates = stats["bulk_pipeline_execution"]
    assert rates["operation_checks_failed_rate"] == rates["operation_error_rate"] == 0.3333


def test_submit_wait_exits_1_for_bad_data_with_the_rest_skipped(
    capsys, tmp_path, workspace, live_url
):
    req = _request(tmp_path, BAD_DATA, PASSES, stop_on_error=True, parallel_execution=False)
    rc, out, _ = _cli(capsys, "submit", req, "--url", live_url, "--wait", "--poll", "0.05")
    assert rc == 1  # the skipped pipeline was stopped by a data failure
    assert "0 completed, 1 failed, 0 error, 1 skipped" in out


def test_submit_wait_exits_2_for_a_cancelled_job(capsys, live_url, noop_job, api_engine):
    job_id = noop_job("to cancel", [{"sleep_ms": 60_000}])
    api_engine.cancel(job_id, "stop", force=True)
    rc, out, _ = _cli(capsys, "status", job_id, "--url", live_url, "--wait", "--poll", "0.05")
    assert rc == 2  # cancelled: no verdict
    assert f"job {job_id} cancelled" in out


def test_job_rule_on_every_mix():
    C, F, S, X = "completed", "failed", "skipped", "cancelled"
    ck, er = FailureKind.CHECKS_FAILED, FailureKind.ERROR
    assert job_failure_kind("completed", [(C, None), (C, None)]) is None
    assert job_failure_kind("cancelled", [(C, None)]) is None  # the cancel came after the end
    assert job_failure_kind("partial_success", [(C, None), (F, ck)]) == ck
    assert job_failure_kind("failed", [(F, ck), (S, None)]) == ck  # stop_on_error
    assert job_failure_kind("failed", [(F, ck), (F, er)]) == er
    assert job_failure_kind("failed", [(F, er), (S, None)]) == er
    assert job_failure_kind("cancelled", [(F, ck), (S, None)]) == er
    assert job_failure_kind("cancelled", [(C, None), (X, None)]) == er
    assert job_failure_kind("failed", [(F, None)]) == ck  # an export from before failure_kind
