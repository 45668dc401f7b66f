"""The API in real server processes — `python -m batchcore serve` and `streamlit run app.py` —
against the guide's Python script and curl commands (unchanged, port aside), the examples of
README.md, and a second process that finds the job store locked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"completed", "partial_success", "failed", "cancelled"}
pytestmark = pytest.mark.slow

# The guide's Python integration example, verbatim (it talks to port 8000).
GUIDE_SCRIPT = """import requests
response = requests.post("http://localhost:8000/batch/pipelines/bulk-execute", json={"job_name": "Automated Daily Validation", "pipelines": [{"pipeline_id": "dim_customer_validation"}, {"pipeline_id": "fact_sales_validation"}], "parallel_execution": True, "max_parallel": 3, "tags": ["automated", "daily"]})
job_id = response.json()["job_id"]
import time
while True:
    progress = requests.get(f"http://localhost:8000/batch/jobs/{job_id}/progress").json()
    if progress["job_status"] in ["completed", "failed", "cancelled"]:
        break
    print(f"Progress: {progress['progress']['percent_complete']}%")
    time.sleep(5)
"""
GUIDE_CURL_CREATE = (
    """curl -X POST http://localhost:8000/batch/pipelines/bulk-execute -H "Content-Type: application/json" """
    """-d '{"job_name": "Test Validation", "pipelines": [{"pipeline_id": "test_pipeline"}], "parallel_execution": false}'"""
)
GUIDE_CURL_OTHERS = [
    "curl http://localhost:8000/batch/jobs/{job_id}",
    "curl -X POST http://localhost:8000/batch/jobs/{job_id}/cancel",
    "curl http://localhost:8000/batch/statistics",
]


def port_aside(text: str, server) -> str:
    """The guide's text with its port (8000) or the docs' (8501) replaced by the server's."""
    return re.sub(r"localhost:(8000|8501)", f"localhost:{server.port}", text)


def doc_example(name: str) -> str:
    """The code block after `<!-- example: NAME -->` in README.md."""
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", text, re.S)
    assert m, f"README.md has no example {name}"
    return m.group(1)


def json_documents(text: str) -> list:
    """The JSON values printed one after another (curl -s adds no newline)."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        value, i = decoder.raw_decode(text, i)
        out.append(value)
    return out


def run(cmd: list[str], server, cwd: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, env=server.env, capture_output=True, text=True, timeout=timeout
    )


def test_health_is_the_server_process_with_one_engine(process_server):
    answers = [httpx.get(f"{process_server.url}/health").json() for _ in range(3)]
    assert {a["pid"] for a in answers} == {process_server.proc.pid}
    assert len({a["engine_id"] for a in answers}) == 1
    assert answers[0]["engine_id"].startswith(f"{process_server.proc.pid}-")
    docs = httpx.get(f"{process_server.url}/docs")
    assert docs.status_code == 200
    assert "/batch/openapi.json" in docs.text
    assert (
        httpx.get(f"{process_server.url}/openapi.json").json()["info"]["title"]
        == "Batch Operations API"
    )


def test_guide_python_script_runs_unchanged(process_server, tmp_path):
    before = httpx.get(f"{process_server.url}/jobs", params={"limit": 500}).json()["total"]
    script = tmp_path / "guide.py"
    script.write_text(port_aside(GUIDE_SCRIPT, process_server))
    done = run([sys.executable, str(script)], process_server, tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = httpx.get(f"{process_server.url}/jobs", params={"limit": 500}).json()
    assert jobs["total"] == before + 1
    job = jobs["jobs"][0]
    assert job["name"] == "Automated Daily Validation"
    assert job["tags"] == ["automated", "daily"]
    assert job["max_parallel"] == 3
    assert job["status"] in (
        "completed",
        "failed",
        "cancelled",
    )  # the guide's loop ended, so it was one of these


def test_guide_curl_commands_run_unchanged(process_server, tmp_path):
    created = run(
        ["bash", "-c", port_aside(GUIDE_CURL_CREATE, process_server)], process_server, tmp_path
    )
    answer = json.loads(created.stdout)
    assert answer["status"] == "queued"
    assert answer["message"] == "Batch pipeline execution job created with 1 pipeline"
    outputs = [
        json.loads(
            run(
                ["bash", "-c", port_aside(c, process_server).replace("{job_id}", answer["job_id"])],
                process_server,
                tmp_path,
            ).stdout
        )
        for c in GUIDE_CURL_OTHERS
    ]
    details, cancel, stats = outputs
    assert details["job"]["job_id"] == answer["job_id"]
    assert details["job"]["operations"][0]["operation_id"] == "pipeline_0_test_pipeline"
    assert details["current_progress"]["total_operations"] == 1
    # the job may have ended before the cancel arrived: then the answer is a 409 with its status
    assert cancel.get("status") == "success" or cancel.get("current_status") in TERMINAL, cancel
    assert stats["status"] == "success"
    assert stats["statistics"]["total_jobs"] >= 1


def test_docs_python_example(process_server, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(port_aside(doc_example("python"), process_server))
    done = run([sys.executable, str(script)], process_server, tmp_path)
    assert done.returncode == 0, done.stderr
    m = re.search(r"Job (\S+) ended (\w+)", done.stdout)
    assert m and m.group(2) in TERMINAL, done.stdout
    job = httpx.get(f"{process_server.url}/jobs/{m.group(1)}").json()["job"]
    assert job["status"] == m.group(2)
    assert [op["operation_id"] for op in job["operations"]] == [
        "pipeline_0_airlines_validation",
        "pipeline_1_flights_validation",
    ]


def test_docs_curl_example(process_server, tmp_path):
    done = run(
        ["bash", "-e", "-c", port_aside(doc_example("curl"), process_server)],
        process_server,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    details, progress, cancel, stats = json_documents(done.stdout)
    job_id = details["job"]["job_id"]
    assert progress["job_id"] == job_id and "percent_complete" in progress["progress"]
    assert cancel.get("status") == "success" or cancel.get("current_status") in TERMINAL, cancel
    assert stats["statistics"]["total_jobs"] >= 1
    exported = (tmp_path / f"job_{job_id}.csv").read_text().splitlines()
    assert exported[0].startswith("job_id,job_name,job_type,job_status,operation_id")
    assert len(exported) == 2


@pytest.mark.parametrize("command", ["serve", "run", "streamlit"])
def test_second_process_gets_a_clear_lock_error(process_server, tmp_path, command):
    request = tmp_path / "req.json"
    request.write_text(
        json.dumps({"job_name": "x", "pipelines": [{"pipeline_id": "test_pipeline"}]})
    )
    if command == "streamlit":
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(free_port()),
            "--server.headless",
            "true",
        ]
    else:
        args = ["serve", "--port", "0"] if command == "serve" else ["run", "--job", str(request)]
        cmd = [sys.executable, "-m", "batchcore", *args]
    done = run(cmd, process_server, tmp_path, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        f"error: the job store {process_server.jobs_dir / 'batch.duckdb'} is locked by "
        f"process {process_server.proc.pid}"
    )
    assert "--url http://127.0.0.1:<port>/batch" in lines[0]
    assert "Traceback" not in done.stderr
