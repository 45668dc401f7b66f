"""The CLI against a live server (uvicorn on a free 127.0.0.1 port over the test engine):
submit/status/retry with --wait and --junit, exit codes 0/1/2, list, cancel, export, auth.

Most commands run in-process through `batchcore.cli.main` (same code as `python -m batchcore`,
faster); two run as real processes to show what a CI job sees."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from batchcore.cli import main

ROOT = Path(__file__).resolve().parents[2]
FAILING = {
    "job_name": "Nightly flights",
    "pipelines": [{"pipeline_id": "flights_validation"}],
    "parallel_execution": False,
}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    try:
        rc = main(list(argv))
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def status_wait(capsys, job_id: str, url: str, junit: Path) -> tuple[int, str, str]:
    """`status JOB --url URL --wait --poll 0.02 --junit JUNIT` in-process (see `cli`)."""
    return cli(
        capsys, "status", job_id, "--url", url, "--wait", "--poll", "0.02", "--junit", str(junit)
    )


def write_request(tmp_path: Path, body: dict, name: str = "request.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def junit_counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        "declared_failures": int(suite.get("failures")),
        "declared_tests": int(suite.get("tests")),
    }


def test_submit_wait_junit_counts_the_failures_the_api_reports(
    capsys, tmp_path, live_url, api_engine
):
    req = write_request(tmp_path, FAILING)
    junit = tmp_path / "report.xml"
    rc, out, err = cli(
        capsys, "submit", req, "--url", live_url, "--wait", "--poll", "0.05", "--junit", str(junit)
    )
    job_id = out.splitlines()[0]
    job = api_engine.get_job(job_id)
    assert job.status.value == "failed"
    assert rc == 1
    assert "Batch pipeline execution job created with 1 pipeline" in err
    assert "100.0%" in err and "JUnit report" in err
    assert f"job {job_id} failed: 0 completed, 1 failed" in out
    checks = api_engine.check_results(job_id)
    counts = junit_counts(junit)
    failed_checks = sum(
        1 for c in checks if not c["passed"] and c.get("severity", "error") != "warn"
    )
    assert counts["failures"] == counts["declared_failures"] == 1 + failed_checks
    assert counts["tests"] == counts["declared_tests"] == 1 + len(checks)


def test_submit_wait_prints_one_short_line_for_108_checks_on_a_missing_table(
    capsys, tmp_path, live_url, api_workspace
):
    columns = ", ".join(f"c{i}" for i in range(108))
    (api_workspace / "projects" / "my_project" / "pipelines" / "planes_validation.yaml").write_text(
        f"target: warehouse\nchecks:\n  - {{type: not_null, table: planes, columns: [{columns}]}}\n"
    )
    body = {"job_name": "planes", "pipelines": [{"pipeline_id": "planes_validation"}]}
    rc, out, _ = cli(
        capsys,
        "submit",
        write_request(tmp_path, body),
        "--url",
        live_url,
        "--wait",
        "--poll",
        "0.05",
    )
    assert rc == 2  # nothing could be checked: could not run, not "data failed"
    (line,) = [x for x in out.splitlines() if x.startswith("error ")]
    assert line.endswith(
        "  108 of 108 checks could not run: not_null(planes.c0), not_null(planes.c1), "
        "not_null(planes.c2) … and 105 more: table 'planes' not found in connection warehouse "
        "(duckdb)"
    )
    assert len(line) < 250


def test_wait_exits_0_when_every_operation_completed(capsys, tmp_path, live_url, noop_job):
    job_id = noop_job("all good", [{"sleep_ms": 50}, {"sleep_ms": 50}, {}], max_parallel=2)
    junit = tmp_path / "ok.xml"
    rc, out, err = status_wait(capsys, job_id, live_url, junit)
    assert rc == 0, err
    assert f"job {job_id} completed: 3 completed, 0 failed" in out
    assert junit_counts(junit) == {
        "tests": 3,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
        "declared_failures": 0,
        "declared_tests": 3,
    }


def test_wait_exits_2_while_an_operation_could_not_run_and_1_once_only_data_failed(
    capsys, tmp_path, live_url, noop_job, api_engine
):
    job_id = noop_job(
        "flaky", [{"fail_attempts": 1}, {}, {"result_failed": True}], stop_on_error=False
    )
    junit = tmp_path / "flaky.xml"
    rc, _, _ = status_wait(capsys, job_id, live_url, junit)
    assert rc == 2  # noop_0 raised (could not run) beside noop_2's failed result
    counts = junit_counts(junit)
    assert (counts["tests"], counts["failures"], counts["errors"]) == (3, 1, 1)
    error = ET.parse(junit).getroot().find("testsuite/testcase[@name='noop_0']/error")
    assert error.get("message") == "RuntimeError: noop failure on attempt 1"
    failure = ET.parse(junit).getroot().find("testsuite/testcase[@name='noop_2']/failure")
    assert failure.get("message") == "requested failed result"

    rc, _out, err = cli(
        capsys,
        "retry",
        job_id,
        "--url",
        live_url,
        "--operation",
        "noop_0",
        "--wait",
        "--poll",
        "0.02",
    )
    assert rc == 1  # noop_2 still failed: a data failure alone
    assert "Retrying 1 failed operations" in err
    assert [op.status.value for op in api_engine.get_job(job_id).operations] == [
        "completed",
        "completed",
        "failed",
    ]


def test_wait_timeout_exits_2_and_the_job_keeps_running(capsys, live_url, noop_job, api_engine):
    job_id = noop_job("slow", [{"sleep_ms": 10000}])
    rc, out, err = cli(
        capsys, "status", job_id, "--url", live_url, "--wait", "--timeout", "0.3", "--poll", "0.05"
    )
    assert rc == 2
    assert f"error: job {job_id} is still running after 0.3 s (--timeout)" in err
    assert api_engine.get_job(job_id).status.value == "running"
    rc, out, err = cli(
        capsys, "cancel", job_id, "--url", live_url, "--force", "--reason", "test over"
    )
    assert rc == 0
    assert out == f"job {job_id} cancelled: Batch job cancelled\n"
    assert api_engine.get_job(job_id).cancel_reason == "test over"


def test_bad_request_unknown_job_and_bad_file_exit_2(capsys, tmp_path, live_url):
    bad = write_request(tmp_path, {"job_name": "x", "pipelines": [{"pipeline_id": "ghost"}]})
    rc, out, err = cli(capsys, "submit", bad, "--url", live_url, "--wait")
    assert rc == 2
    assert err.startswith(
        "error: POST /pipelines/bulk-execute answered 422: pipelines.0.pipeline_id: pipeline 'ghost'"
    )
    assert out == ""
    rc, out, err = cli(capsys, "status", "nope", "--url", live_url)
    assert (rc, err) == (2, "error: GET /jobs/nope answered 404: job nope not found\n")
    rc, out, err = cli(capsys, "submit", str(tmp_path / "missing.json"), "--url", live_url)
    assert rc == 2 and "request file" in err and "not found" in err
    rc, out, err = cli(
        capsys, "submit", write_request(tmp_path, {"job_name": "?"}, "odd.json"), "--url", live_url
    )
    assert rc == 2 and "cannot tell the job type from the request: give --type" in err


def test_unreachable_server_and_wrong_url_exit_2(capsys, unused_url, live_url):
    rc, _, err = cli(capsys, "list", "--url", unused_url)
    assert rc == 2
    assert err.startswith(f"error: cannot reach the Batch Operations API at {unused_url}")
    rc, _out, err = cli(capsys, "list", "--url", live_url.removesuffix("/batch"))
    assert rc == 2
    assert "does --url end with /batch?" in err


def test_list_status_filter_and_json(capsys, live_url, noop_job, api_engine):
    ok = noop_job("fine", [{}])
    bad = noop_job("broken", [{"fail": True}])
    for j in (ok, bad):
        api_engine.wait(j, timeout=10)
    rc, out, err = cli(capsys, "list", "--url", live_url)
    assert rc == 0
    assert [line.split()[0] for line in out.splitlines()] == [bad, ok]
    assert "2 of 2 jobs" in err
    rc, out, _ = cli(capsys, "list", "--url", live_url, "--status", "failed", "--json")
    answer = json.loads(out)
    assert [j["job_id"] for j in answer["jobs"]] == [bad]
    assert answer["total"] == 1


def test_export_json_and_csv_to_files(capsys, tmp_path, live_url, noop_job, api_engine):
    job_id = noop_job("export", [{"value": 42}])
    api_engine.wait(job_id, timeout=10)
    rc, _, _err = cli(
        capsys,
        "export",
        job_id,
        "--format",
        "json",
        "-o",
        str(tmp_path / "job.json"),
        "--url",
        live_url,
    )
    assert rc == 0
    assert (
        json.loads((tmp_path / "job.json").read_text())["job"]["operations"][0]["result"]["value"]
        == 42
    )
    rc, _, _ = cli(
        capsys,
        "export",
        job_id,
        "--format",
        "csv",
        "-o",
        str(tmp_path / "job.csv"),
        "--url",
        live_url,
    )
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "job.csv").read_text())))
    assert [(r["operation_id"], r["status"]) for r in rows] == [("noop_0", "completed")]


def test_token_from_environment(capsys, serve_api, monkeypatch):
    url = serve_api(token="cli-token")
    rc, _, err = cli(capsys, "list", "--url", url)
    assert rc == 2
    assert "answered 401: this server requires a bearer token" in err
    monkeypatch.setenv("BATCH_API_TOKEN", "cli-token")
    rc, _, _ = cli(capsys, "list", "--url", url)
    assert rc == 0


def test_url_from_environment(capsys, live_url, monkeypatch):
    monkeypatch.setenv("BATCH_API_URL", live_url)
    rc, _, err = cli(capsys, "list")
    assert rc == 0
    assert "0 of 0 jobs" in err


@pytest.mark.slow
def test_real_process_submit_wait_and_unreachable(tmp_path, live_url, unused_url, api_engine):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BATCH_API_URL": live_url}
    env.pop("BATCH_API_TOKEN", None)
    req = write_request(tmp_path, FAILING)
    junit = tmp_path / "ci.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchcore",
            "submit",
            req,
            "--wait",
            "--poll",
            "0.1",
            "--junit",
            str(junit),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    job_id = done.stdout.splitlines()[0]
    assert api_engine.get_job(job_id).progress.failed_operations == 1
    assert ET.parse(junit).getroot().get("failures") != "0"
    down = subprocess.run(
        [sys.executable, "-m", "batchcore", "status", job_id, "--url", unused_url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 2
    assert down.stderr.count("\n") == 1 and down.stderr.startswith("error: cannot reach")
    assert "Traceback" not in down.stderr


def test_submit_takes_the_request_as_run_does_and_needs_it_once(
    capsys, tmp_path, live_url, api_engine
):
    req = write_request(
        tmp_path, {"job_name": "by --job", "pipelines": [{"pipeline_id": "airlines_validation"}]}
    )
    rc, out, err = cli(capsys, "submit", "--job", req, "--url", live_url)
    assert rc == 0, err
    assert api_engine.get_job(out.strip()).name == "by --job"
    for argv in (("submit", "--url", live_url), ("submit", req, "--job", req, "--url", live_url)):
        rc, out, err = cli(capsys, *argv)
        assert (rc, out) == (2, "")
        assert "give the request file once" in err


def test_run_with_url_submits_to_that_server_and_waits(capsys, tmp_path, live_url, api_engine):
    """`run --job FILE` while a server holds the store says to use --url, and `run --url` then
    works: the job runs on that server, the command waits and exits by the verdict."""
    req = write_request(tmp_path, FAILING)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BATCH_JOBS_DIR": str(api_engine.settings.jobs_dir),
        "BATCH_WORKSPACE": str(api_engine.settings.workspace),
        "BATCH_AUTO_BUILD_EXAMPLE": "0",
    }
    env.pop("BATCH_API_TOKEN", None)
    env.pop("BATCH_API_URL", None)
    locked = subprocess.run(
        [sys.executable, "-m", "batchcore", "run", "--job", req],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert locked.returncode == 2, locked.stderr
    assert "is locked by" in locked.stderr and "`run --job FILE --url ...`" in locked.stderr
    assert "Traceback" not in locked.stderr

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchcore",
            "run",
            "--job",
            req,
            "--url",
            live_url,
            "--poll",
            "0.1",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the request's pipeline finds bad data
    job_id = done.stdout.splitlines()[0]
    job = api_engine.get_job(job_id)
    assert job.name == "Nightly flights" and job.progress.checks_failed_operations == 1
    assert f"job {job_id} failed" in done.stdout or f"job {job_id} partial" in done.stdout

    rc, _out, err = cli(capsys, "run", "--job", req, "--url", live_url, "--jobs-dir", "x")
    assert rc == 2 and "belong to the server that --url names" in err
